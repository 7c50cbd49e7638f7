// Package campaigns is what outcall dials and under which rules: contact
// lists with custom attributes (numbers in E.164, each with the callee's
// time zone), CSV imports, the do-not-call list, consent evidence, each
// tenant's compliance settings, campaigns and their lifecycle, and the call
// records every attempt leaves, with an audit trail per number.
//
// The rules are plain functions of plain values, tested at their edges:
//
//	c := campaigns.DefaultCompliance()          // 3 calls a day, quiet 21:00–09:00, …
//	eff, err := c.Tighten(campaignOverride, "") // a campaign may only tighten
//	if r := campaigns.CheckDial(eff, facts); r != nil {
//		// r.Reason is "dnc", "daily_cap", "quiet_hours", …; r.RetryAt the next allowed moment
//	}
//
// A service is built once, from Options (cmd/outcall wires it with the
// hooks of package calls). A call goes through three steps, each one
// transaction (jobs/ runs them as River jobs; calls.Service is the Dialer
// that places and talks the call):
//
//	svc := campaigns.New(campaigns.Options{DB: db, OnClose: …, DialGate: …})
//	rounds: svc.Pace(ctx, tenantID, campaignID, budget)  // queue dial jobs within free lines
//	d, err := svc.BeginDial(ctx, campaigns.DialArgs{…})  // check + record the attempt + lease a line
//	res, err := dialer.Dial(ctx, d.Request)              // place the call (no transaction open)
//	call, err := svc.CloseCall(ctx, tenantID, d.Request.CallID, res)
//
// CloseCall writes the call record and turns, frees the line, schedules the
// contact's retry or callback (or adds the number to the do-not-call list
// when the callee said stop), and runs the Options.OnClose hooks in the
// same transaction: that is where the usage row and the webhook events are
// written. Dial checks, closes and answer marks of one tenant that arrive
// together share a transaction (package batch).
package campaigns
