// Package billing meters what tenants use and bills it through Stripe.
//
// Three things matter to the rest of outcall:
//
// Plans are data: rows of the plans table (ListPlans, GetPlan), which
// platform operators create and change (CreatePlan, UpdatePlan, AssignPlan;
// see package admin). The built-in plans trial, payg and pro
// (BuiltinPlans) are its first rows. Each plan names its concurrent-line
// cap, calls per second, daily call cap, script CPU budget per turn (at
// most scripting.MaxBudget), included minutes, the countries its tenants
// may dial, its prices and currency, and the Stripe prices and meters that
// bill it. Limits are enforced where the work happens, so the pacer, the
// dialler and the script runner ask, inside their own tenant transaction,
// and each check reads the tenant's plan row afresh:
//
//	lim, err := billing.Limits(ctx, tx, tenantID)   // lines, daily cap, CPU budget
//	err = billing.CanDial(ctx, tx, tenantID, now)     // suspended, unpaid, over budget?
//	err = billing.ReserveDial(ctx, tx, tenantID, now) // CanDial + counts the dial against the daily cap
//
// A refusal is a *tenants.Error (code forbidden) wrapped in *Refusal, whose
// Reason says why in one word (RefusalReason). Calls in progress are never
// cut: the checks gate new dials only. Code without a transaction (the
// pacer's line cap, PlanLines) asks PlanFor, which answers with the plan as
// the process's last check read it.
//
// The usage ledger (table usage_ledger) is the source of truth. The
// transaction that closes a call records its usage, with the webhook
// emitter that raises a budget threshold's event:
//
//	err = billing.RecordCall(ctx, tx, events, tenantID, billing.CallUsage{
//		CallID: call.ID, CampaignID: &campaign.ID,
//		ConnectedSeconds: 75, EndedAt: time.Now(),
//	})
//
// Every started minute is billed (75 s → 2 minutes); recording the same
// call again changes nothing. Crossing 80 % or 100 % of the tenant's budget
// raises usage.threshold_reached once per month.
//
// Stripe is optional. A Service built with a Stripe key (New) creates one
// customer per tenant, opens Checkout and Customer Portal sessions, applies
// Stripe's webhooks (HandleWebhook: invoice.paid, invoice.payment_failed,
// customer.subscription.*) idempotently by event id, finding a
// subscription's plan by its prices' ids or lookup keys in the plans table,
// and reports the ledger to Billing Meters (ReportUsage, run every minute
// by a River job). Each meter event carries its ledger row's id as
// identifier and a row is marked reported only after Stripe accepted it,
// so a crash between sending and marking resends the same identifier,
// which Stripe de-duplicates. Without a key, usage is still recorded and
// shown, the Stripe features answer that billing is off, and operators put
// tenants on plans themselves (`outcall admin tenants plan`).
package billing
