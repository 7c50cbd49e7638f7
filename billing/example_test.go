package billing_test

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

func ExamplePlanFor() {
	for _, name := range []string{billing.Trial, billing.PayG, billing.Pro} {
		p := billing.PlanFor(name)
		fmt.Printf("%s: %d lines, %d calls a day, %v script CPU per turn\n", p.Name, p.ConcurrentLines, p.DailyCalls, p.ScriptCPUPerTurn)
	}
	// Output:
	// trial: 2 lines, 200 calls a day, 50ms script CPU per turn
	// payg: 20 lines, 5000 calls a day, 100ms script CPU per turn
	// pro: 200 lines, 100000 calls a day, 200ms script CPU per turn
}

// A plan lists the countries its tenants may dial; none means any.
func ExamplePlan_Allows() {
	cn := billing.Plan{Name: "cn-only", Destinations: []string{"CN"}}
	fmt.Println(cn.Allows("CN"), cn.Allows("HK"), billing.PlanFor(billing.Pro).Allows("HK"))
	// Output: true false true
}

func ExampleBillableSeconds() {
	for _, s := range []int{0, 1, 60, 61, 75} {
		fmt.Printf("%d s connected bills %d s\n", s, billing.BillableSeconds(s))
	}
	// Output:
	// 0 s connected bills 0 s
	// 1 s connected bills 60 s
	// 60 s connected bills 60 s
	// 61 s connected bills 120 s
	// 75 s connected bills 120 s
}

// The dialler asks before it dials, and the call's closing transaction
// records its usage.
func ExampleRecordCall() {
	var db *tenants.DB             // tenants.Open(ctx, url)
	var jobs *river.Client[pgx.Tx] // the process's River job inserter
	events := webhooks.NewEmitter(jobs)
	ctx, tenantID, campaignID, callID := context.Background(), uuid.New(), uuid.New(), uuid.New()

	err := db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if err := billing.ReserveDial(ctx, tx, tenantID, time.Now()); err != nil {
			return err // billing.RefusalReason(err) says why: "suspended", "payment_overdue", …
		}
		// … record the attempt, dial …
		return nil
	})
	if err != nil {
		return
	}
	_ = db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		// … update the call record …
		return billing.RecordCall(ctx, tx, events, tenantID, billing.CallUsage{
			CallID: callID, CampaignID: &campaignID, ConnectedSeconds: 75, EndedAt: time.Now(),
		})
	})
}
