// Package webhooks tells tenants' systems what happened in outcall: a call
// answered or completed, a campaign started, a number put on the
// do-not-call list. Tenants register endpoints; every event is written in
// the same transaction as the change it describes, together with one River
// job per subscribed endpoint, so no event is lost or invented. A service
// raises events through an Emitter, made once on the process's River job
// inserter:
//
//	events := webhooks.NewEmitter(inserter) // a *river.Client[pgx.Tx]
//	err := db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
//		// … close the call …
//		_, err := events.Emit(ctx, tx, tenantID, webhooks.CallCompleted, callData)
//		return err
//	})
//
// A delivery is an HTTPS POST of the event as JSON, signed in the
// Outcall-Signature header (t=<unix time>,v1=<hex HMAC-SHA256 of
// "<t>.<body>">), retried with exponential backoff and jitter for up to
// three days; an endpoint that keeps failing is disabled and the tenant gets
// a notice. Receivers check signatures with Verify and de-duplicate by the
// event's id, since a delivery may arrive more than once.
//
// It is a package of its own, beside api, because the packages that emit
// events (campaigns, billing) must not depend on the HTTP layer.
package webhooks
