package jobs_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// gatedPlacer holds every call until release is closed.
type gatedPlacer struct {
	release chan struct{}
	mu      sync.Mutex
	calls   []campaigns.Placement
}

func (p *gatedPlacer) Place(ctx context.Context, req campaigns.Placement) (campaigns.Ending, error) {
	p.mu.Lock()
	p.calls = append(p.calls, req)
	p.mu.Unlock()
	answered := time.Now()
	select {
	case <-p.release:
	case <-ctx.Done():
	}
	return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: answered, EndedAt: time.Now()}, nil
}

func (p *gatedPlacer) placed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

// A pacing round queues its dials as one batch job, and a worker with room
// for one call at a time places them one after another. When the worker
// drains with one call up, it finishes that call, records it, and hands the
// dials it did not begin back to the queue as a batch of their own, their
// attempts unused; the next worker dials them, and nobody is called twice.
func TestADrainingWorkerHandsBackTheDialsOfABatchItDidNotBegin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	shop := dbtest.Tenant(ctx, t)
	svc := campaigns.New(campaigns.Options{DB: shop.DB})
	rules := campaigns.DefaultCompliance()
	rules.QuietHours, rules.CallsPerSecond = []string{}, 100
	if _, err := svc.SetCompliance(ctx, shop.Owner, rules); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	first := &gatedPlacer{release: make(chan struct{})}
	drain := &jobs.Drain{}
	worker, err := jobs.New(jobs.Config{Tenants: shop.Tenants, Logger: log, Work: true, Campaigns: svc, Placer: first, DialWorkers: 1, Drain: drain})
	if err != nil {
		t.Fatal(err)
	}
	c := startCampaign(t, ctx, shop, svc, "13812340001", "13812340002", "13812340003")
	tid := shop.Owner.TenantID
	// One pacing round before the worker runs the campaign's pacer: the
	// three dials, in one job.
	if r, err := svc.Pace(ctx, tid, c.ID, 10); err != nil || r.Queued != 3 {
		t.Fatalf("the round queued %+v (%v), want 3 dials", r, err)
	}
	if err := worker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the first call to be up", 20*time.Second, func() bool { return first.placed() == 1 })
	if n := count(t, shop.DB, tid, `SELECT count(*) FROM river_job WHERE kind = $1 AND jsonb_array_length(args->'dials') = 3`, campaigns.DialBatchArgs{}.Kind()); n != 1 {
		t.Fatalf("%d batch jobs of the round's three dials, want 1", n)
	}

	// The deploy: the worker drains while its call is up, and the call
	// ends meanwhile.
	stopped := make(chan error, 1)
	go func() { stopped <- jobs.Shutdown(context.Background(), worker, drain, 30*time.Second, log) }()
	waitUntil(t, "the drain to begin", 5*time.Second, drain.Began)
	close(first.release)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("the worker did not stop")
	}
	if first.placed() != 1 {
		t.Fatalf("the draining worker placed %d calls, want 1", first.placed())
	}
	if n := count(t, shop.DB, tid, `SELECT count(*) FROM calls WHERE state = 'ended'`); n != 1 {
		t.Fatalf("%d calls recorded as ended, want the one placed", n)
	}
	if n := count(t, shop.DB, tid, `SELECT count(*) FROM campaign_contacts WHERE campaign_id = $1 AND state = 'queued' AND attempt = 0`, c.ID); n != 2 {
		t.Fatalf("%d contacts still queued with their attempt unused, want 2", n)
	}
	if n := count(t, shop.DB, tid, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'available' AND jsonb_array_length(args->'dials') = 2`,
		campaigns.DialBatchArgs{}.Kind()); n != 1 {
		t.Fatalf("%d batches of the two dials not begun waiting, want 1", n)
	}

	// The next worker dials them.
	next := &gatedPlacer{release: make(chan struct{})}
	close(next.release)
	startWorking(t, ctx, jobs.Config{Tenants: shop.Tenants, Logger: log, Work: true, Campaigns: svc, Placer: next, DialWorkers: 4})
	waitUntil(t, "the other contacts to be dialled", 30*time.Second, func() bool {
		return count(t, shop.DB, tid, `SELECT count(*) FROM calls WHERE state = 'ended'`) == 3
	})
	if next.placed() != 2 {
		t.Fatalf("the next worker placed %d calls, want 2", next.placed())
	}
	if n := count(t, shop.DB, tid, `SELECT count(DISTINCT contact_id) FROM calls`); n != 3 {
		t.Fatalf("%d contacts called, want 3, each once", n)
	}
}

// A dial of a batch that meets the database away tries again once it is
// back, beside the batch's call in progress, instead of failing the batch
// and waiting for that call to end: the batch completes in its first run.
func TestADialOfABatchWaitsOutADatabaseOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	shop := dbtest.Tenant(ctx, t)
	proxy, proxied := dbtest.NewProxy(t, shop.URL)
	away, err := tenants.Open(ctx, proxied)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(away.Close)
	// The dials reach the database through the proxy; River directly.
	svc := campaigns.New(campaigns.Options{DB: away})
	rules := campaigns.DefaultCompliance()
	rules.QuietHours, rules.CallsPerSecond = []string{}, 100
	if _, err := svc.SetCompliance(ctx, shop.Owner, rules); err != nil {
		t.Fatal(err)
	}
	held := &gatedPlacer{release: make(chan struct{})}
	c := startCampaign(t, ctx, shop, svc, "13812340001", "13812340002")
	tid := shop.Owner.TenantID
	if r, err := svc.Pace(ctx, tid, c.ID, 10); err != nil || r.Queued != 2 {
		t.Fatalf("the round queued %+v (%v), want 2 dials", r, err)
	}
	// The database goes away before the batch runs, and comes back 3 s
	// later: both dials begin once it is back.
	proxy.CutOff()
	startWorking(t, ctx, jobs.Config{Tenants: shop.Tenants, Logger: slog.New(slog.DiscardHandler), Work: true, Campaigns: svc, Placer: held, DialWorkers: 2})
	time.Sleep(3 * time.Second)
	proxy.Restore()
	waitUntil(t, "both calls to be up", 30*time.Second, func() bool { return held.placed() == 2 })
	close(held.release)
	waitUntil(t, "the batch to complete", 30*time.Second, func() bool {
		return count(t, shop.DB, tid, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed' AND attempt = 1`, campaigns.DialBatchArgs{}.Kind()) == 1
	})
	if n := count(t, shop.DB, tid, `SELECT count(*) FROM calls WHERE state = 'ended'`); n != 2 {
		t.Fatalf("%d calls recorded as ended, want 2", n)
	}
}
