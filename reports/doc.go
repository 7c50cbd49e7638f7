// Package reports is what a tenant learns from its calls: outcomes and the
// connect and conversion rates, the funnel per dialog state of a script
// version, topics (intents, what was not understood, sensitive words),
// sentiment, the best hours in the callee's time zone, and A/B comparisons
// of script versions with confidence intervals; each also as CSV, beside
// CSV exports of the call records and their turns.
//
// The reports read two rollup tables, not the call records. Package
// campaigns queues every closed call and every refused dial for them in
// the transaction that records it (QueueRollUp: only an append to
// report_inbox, so busy campaigns do not queue on shared rollup rows), and
// every report first folds the tenant's queue into the rollups with one
// statement (Fold). Rebuild recounts a tenant's whole history with the same
// statement, after the conversion settings changed.
//
// A service is built once, from Options, and every operation takes the
// caller's tenants.Principal; viewers see numbers masked in the exports:
//
//	svc := reports.New(reports.Options{DB: db})
//	out, err := svc.Outcomes(ctx, p, reports.Filter{CampaignID: &campaignID})
//	fmt.Println(out.Dialled, out.Connected, out.ConnectRate)
//	funnel, err := svc.Funnel(ctx, p, reports.Filter{ScriptVersion: version})
//	err = funnel.WriteCSV(w)
//	_, err = svc.SetSettings(ctx, p, reports.Settings{ConversionOutcomes: []string{"paid"}})
//	n, err := svc.Rebuild(ctx, p) // count earlier calls by the new settings too
//
// CompareProportions is the A/B statistics on their own, a plain function
// of counts. docs/reports.md describes every report and how they stay fast.
package reports
