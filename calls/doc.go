// Package calls holds one call's conversation, from the moment a dial is
// placed to the moment it ends.
//
// Service is the campaigns.Placer that the dial jobs hand each placed
// attempt to: it picks the tenant's trunk and speech providers, places the
// SIP call (package telephony), and once someone answers runs the
// campaign's published dialog script in a script host (package scripting),
// turn by turn — speak, listen, understand, decide — until the script ends
// the call or transfers it to a person. What the call came to is returned
// as a campaigns.Ending, which campaigns.Service.CloseCall stores.
//
// What the call's records trigger (its webhook events, its usage ledger
// row) is package campaigns/hooks, which the campaigns service runs in the
// transactions that write them: nothing of it calls back into the
// conversation.
package calls
