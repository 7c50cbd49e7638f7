// Package campaigns is how outcall dials and under which rules: each
// tenant's compliance settings, campaigns and their lifecycle (draft,
// scheduled, running, paused, completed or cancelled), the pacing that
// fills free lines, the in-transaction check that records every dial
// attempt, and the close that writes the call record every attempt leaves.
// Whom a campaign dials (contacts, lists, the do-not-call list, consent) is
// package contacts.
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
// transaction (jobs/ runs them as River jobs; calls.Service is the Placer
// that places and talks the call):
//
//	svc := campaigns.New(campaigns.Options{DB: db, OnClose: …, DialGate: …})
//	rounds: svc.Pace(ctx, tenantID, campaignID, budget)  // queue dials (batch jobs) within free lines
//	d, err := svc.BeginDial(ctx, campaigns.DialArgs{…})  // check + record the attempt + lease a line
//	end, err := placer.Place(ctx, d.Request)             // place the call (no transaction open)
//	call, err := svc.CloseCall(ctx, tenantID, d.Request.CallID, end)
//
// CloseCall writes the call record and turns, frees the line, schedules the
// contact's retry or callback (or adds the number to the do-not-call list,
// contacts.AddDNCTx, when the callee said stop), and runs the Options.OnClose hooks in the
// same transaction: that is where the usage row and the webhook events are
// written. Dial checks, closes and answer marks of one tenant that arrive
// together share a transaction (package batch).
//
// Every close and every refused dial also queues its calls for the report
// rollups (reports.QueueRollUp) in its transaction, and a best-time pacing
// round folds them first (reports.Fold), since it reads each local hour's
// answer rate from them. The reports themselves are package reports.
package campaigns
