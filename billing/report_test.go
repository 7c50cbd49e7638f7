package billing_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/outcall/outcall/billing"
)

// sampleCampaign records a small campaign of a payg tenant with a Stripe
// customer: three connected calls and one unanswered.
func sampleCampaign(e *env) (tenant uuid.UUID, rows int) {
	ten := e.tenant("某某商城", billing.PayG)
	e.customer(ten, "cus_shop")
	campaign := uuid.New()
	for _, s := range []int{75, 30, 181, 0} {
		e.record(ten, &campaign, s)
	}
	return ten, e.count(`SELECT count(*) FROM usage_ledger WHERE tenant_id = $1`, ten)
}

func TestEveryLedgerRowReachesStripeExactlyOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	svc := e.service(rec.proxy(t, stripeMock(t)))
	ten, rows := sampleCampaign(e)
	other := e.tenant("No customer yet", billing.PayG)
	e.record(other, nil, 60) // stays pending: no Stripe customer to bill

	res, err := svc.ReportUsage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Reported != rows {
		t.Fatalf("reported %d, want %d", res.Reported, rows)
	}
	// A second run finds nothing to send.
	if res, err := svc.ReportUsage(context.Background()); err != nil || res.Reported != 0 {
		t.Fatalf("second run: %+v %v", res, err)
	}
	sent, accepted := rec.counts()
	if len(sent) != rows {
		t.Fatalf("%d identifiers sent, want %d", len(sent), rows)
	}
	for id, n := range sent {
		if n != 1 || accepted[id] != 1 {
			t.Fatalf("identifier %s sent %d times, accepted %d", id, n, accepted[id])
		}
		if e.count(`SELECT count(*) FROM usage_ledger WHERE id = $1 AND tenant_id = $2 AND stripe_status = 'reported'`, uuid.MustParse(id), ten) != 1 {
			t.Fatalf("identifier %s is not a reported ledger row of the tenant", id)
		}
	}
	if n := e.count(`SELECT count(*) FROM usage_ledger WHERE tenant_id = $1 AND stripe_status = 'pending'`, other); n != 2 {
		t.Fatalf("the tenant without a customer has %d pending rows, want 2 (minutes and attempt)", n)
	}
	// The sample, for the issue note.
	var lines []string
	for _, f := range rec.events {
		lines = append(lines, fmt.Sprintf("event_name=%s identifier=%s payload[stripe_customer_id]=%s payload[value]=%s timestamp=%s",
			f.Get("event_name"), f.Get("identifier"), f.Get("payload[stripe_customer_id]"), f.Get("payload[value]"), f.Get("timestamp")))
	}
	sort.Strings(lines)
	t.Logf("meter events sent:\n%s", strings.Join(lines, "\n"))
}

func TestACrashBetweenSendAndMarkDoesNotBillTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	svc := e.service(rec.proxy(t, stripeMock(t)))
	_, rows := sampleCampaign(e)

	// The process dies after Stripe accepted the second event and before
	// its row was marked.
	crash := errors.New("killed")
	n := 0
	var crashed uuid.UUID
	svc.SetAfterSend(func(id uuid.UUID) error {
		if n++; n == 2 {
			crashed = id
			return crash
		}
		return nil
	})
	if _, err := svc.ReportUsage(context.Background()); !errors.Is(err, crash) {
		t.Fatalf("the run should have died: %v", err)
	}
	if e.count(`SELECT count(*) FROM usage_ledger WHERE id = $1 AND stripe_status = 'pending'`, crashed) != 1 {
		t.Fatal("the row whose mark was lost is not pending")
	}
	// After the restart, the run completes.
	svc.SetAfterSend(nil)
	if _, err := svc.ReportUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ReportUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	sent, _ := rec.counts()
	if len(sent) != rows {
		t.Fatalf("%d distinct identifiers, want %d", len(sent), rows)
	}
	for id, c := range sent {
		want := 1
		if id == crashed.String() {
			want = 2 // resent once, with the same identifier: Stripe counts it once
		}
		if c != want {
			t.Fatalf("identifier %s sent %d times, want %d", id, c, want)
		}
	}
	if n := e.count(`SELECT count(*) FROM usage_ledger WHERE stripe_status = 'reported'`); n != rows {
		t.Fatalf("%d rows reported, want %d", n, rows)
	}
	// What Stripe bills is the sum over distinct identifiers: the ledger's total.
	billed := 0
	seen := map[string]bool{}
	for _, f := range rec.events {
		if id := f.Get("identifier"); !seen[id] {
			seen[id] = true
			var v int
			fmt.Sscan(f.Get("payload[value]"), &v)
			billed += v
		}
	}
	if total := e.count(`SELECT sum(quantity) FROM usage_ledger`); billed != total {
		t.Fatalf("Stripe would bill %d units, the ledger holds %d", billed, total)
	}
}

func TestAFailedSendIsRetriedLater(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	svc := e.service(rec.proxy(t, stripeMock(t)))
	ten := e.tenant("Shop", billing.Pro)
	e.customer(ten, "cus_shop")
	call := e.record(ten, nil, 120)
	rec.failNext = 1

	res, err := svc.ReportUsage(context.Background())
	if err == nil || res.Failed != 1 {
		t.Fatalf("the outage went unnoticed: %+v %v", res, err)
	}
	if n := e.count(`SELECT count(*) FROM usage_ledger WHERE call_id = $1 AND stripe_status = 'pending' AND report_attempts = 1
		AND next_report_at > now() AND report_error LIKE '%simulated outage%'`, call); n != 1 {
		t.Fatal("the failed row is not pending with a backoff and its error")
	}
	// Not before its time.
	if res, _ := svc.ReportUsage(context.Background()); res.Reported != 0 {
		t.Fatalf("retried before the backoff: %+v", res)
	}
	e.exec(`UPDATE usage_ledger SET next_report_at = now() WHERE call_id = $1`, call)
	if res, err := svc.ReportUsage(context.Background()); err != nil || res.Reported != 1 {
		t.Fatalf("retry: %+v %v", res, err)
	}
	sent, accepted := rec.counts()
	for id := range sent {
		if sent[id] != 2 || accepted[id] != 1 {
			t.Fatalf("identifier %s sent %d times, accepted %d; want 2 and 1", id, sent[id], accepted[id])
		}
	}
}

func TestWithoutAStripeKeyUsageIsKeptAndNothingIsSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.service("")
	sampleCampaign(e)
	if svc.Enabled() {
		t.Fatal("billing is on without a key")
	}
	if res, err := svc.ReportUsage(context.Background()); err != nil || res.Reported != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if n := e.count(`SELECT count(*) FROM usage_ledger WHERE stripe_status = 'pending'`); n == 0 {
		t.Fatal("no pending usage kept for when billing is switched on")
	}
}

func TestManyTenantsReportSideBySideEachToItsOwnCustomer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	svc := e.service(rec.proxy(t, stripeMock(t)))
	customerOf := map[string]string{} // ledger row id → the tenant's customer
	for i := range 12 {
		ten := e.tenant(fmt.Sprint("Tenant ", i), billing.Pro)
		cus := fmt.Sprint("cus_t", i)
		e.customer(ten, cus)
		for range 3 {
			call := e.record(ten, nil, 61)
			var id string
			if err := e.admin.QueryRow(context.Background(), `SELECT id::text FROM usage_ledger WHERE call_id = $1`, call).Scan(&id); err != nil {
				t.Fatal(err)
			}
			customerOf[id] = cus
		}
	}
	res, err := svc.ReportUsage(context.Background())
	if err != nil || res.Reported != len(customerOf) {
		t.Fatalf("%+v %v; want %d reported", res, err, len(customerOf))
	}
	sent, _ := rec.counts()
	if len(sent) != len(customerOf) {
		t.Fatalf("%d identifiers sent, want %d", len(sent), len(customerOf))
	}
	for _, f := range rec.events {
		id := f.Get("identifier")
		if sent[id] != 1 || f.Get("payload[stripe_customer_id]") != customerOf[id] || f.Get("payload[value]") != "2" {
			t.Fatalf("event %v: sent %d times; want once, to %s, value 2", f, sent[id], customerOf[id])
		}
	}
}
