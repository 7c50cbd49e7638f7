// Package calls holds one call's conversation, from the moment a dial is
// placed to what its close triggers.
//
// Service is the campaigns.Placer that the dial jobs hand each placed
// attempt to: it picks the tenant's trunk and speech providers, places the
// SIP call (package telephony), and once someone answers runs the
// campaign's published dialog script in a script host (package scripting),
// turn by turn — speak, listen, understand, decide — until the script ends
// the call or transfers it to a person. What the call came to is returned
// as a campaigns.Ending, which campaigns.Service.CloseCall stores.
//
// The close hooks run inside the transaction that stores a closed call, so
// what they write exists exactly when the call record does: RecordUsage
// writes the usage ledger row (package billing) and EmitEvents the webhook
// events (package webhooks). CampaignHooks adds them to the options of the
// campaigns service whose calls the dial jobs close.
package calls
