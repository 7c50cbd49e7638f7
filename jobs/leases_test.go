package jobs_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// doomedWorkerEnv, set to a database URL, makes this test binary a worker
// process that answers every call and talks until it is killed. It carries
// two calls at once and renews its leases and beats every 250 ms.
const doomedWorkerEnv = "OUTCALL_JOBS_TEST_DOOMED_WORKER"

// runDoomedWorker is the worker process a test kills with SIGKILL mid-call.
func runDoomedWorker(url string) int {
	ctx := context.Background()
	db, err := tenants.Open(ctx, url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	client, err := jobs.New(jobs.Config{Tenants: tenants.NewService(db), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Work: true,
		Campaigns: campaigns.New(campaigns.Options{DB: db}), Placer: &heldPlacer{}, DialWorkers: 2,
		Leases: jobs.LeaseTiming{Renew: 250 * time.Millisecond}})
	if err == nil {
		err = client.Start(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	select {} // until killed
}

// jobState is the state of a River job and how many errors it has noted.
func jobState(t *testing.T, db *tenants.DB, job int64) (state string, errs int) {
	t.Helper()
	if err := db.Pool().QueryRow(context.Background(), `SELECT state, coalesce(array_length(errors, 1), 0) FROM river_job WHERE id = $1`, job).Scan(&state, &errs); err != nil {
		t.Fatal(err)
	}
	return state, errs
}

// startDoomedWorker starts the worker process of runDoomedWorker against
// the database at url and returns once it is ready; kill kills it (SIGKILL)
// and waits for it to end. A test that ends first kills it too.
func startDoomedWorker(t *testing.T, url string) (kill func()) {
	t.Helper()
	worker := exec.Command(os.Args[0], "-test.run=^$")
	worker.Env = append(os.Environ(), doomedWorkerEnv+"="+url)
	worker.Stderr = os.Stderr
	out, err := worker.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	exited := false
	t.Cleanup(func() {
		if !exited {
			worker.Process.Kill()
			worker.Wait()
		}
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("the worker process said %q, %v", line, err)
	}
	return func() {
		t.Helper()
		if err := worker.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		worker.Wait()
		exited = true
	}
}

// heldPlacer answers every call and talks until release is closed (nil:
// until the call's context ends); the outcome is the script's "confirmed".
type heldPlacer struct {
	release chan struct{}
}

func (p *heldPlacer) Place(ctx context.Context, req campaigns.Placement) (campaigns.Ending, error) {
	answered := time.Now()
	if req.Answered != nil {
		req.Answered(answered)
	}
	select {
	case <-p.release:
	case <-ctx.Done():
	}
	return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: answered, EndedAt: time.Now(), FinalState: "confirmed"}, nil
}

// A worker process killed (SIGKILL) mid-call never closes its call. The
// surviving worker's lease reaper closes it as interrupted and frees its
// line within River's leader failover (the dead worker was River's leader)
// plus the lease timing's bound, while the survivor's own call in the same
// tenant, whose lease it renews, keeps its line and ends with its real
// outcome.
func TestALineLeasedByAKilledWorkerIsFreedWithinTheBound(t *testing.T) {
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	url, db, ts, p := shop.URL, shop.DB, shop.Tenants, shop.Owner
	svc := campaigns.New(campaigns.Options{DB: db})
	rules := campaigns.DefaultCompliance()
	rules.QuietHours, rules.MaxConcurrentLines = []string{}, 2
	if _, err := svc.SetCompliance(ctx, p, rules); err != nil {
		t.Fatal(err)
	}
	cs := contacts.New(contacts.Options{DB: db})
	// startCampaign starts a campaign dialling one new contact.
	startCampaign := func(phone string) *campaigns.Campaign {
		t.Helper()
		list, err := cs.CreateList(ctx, p, "list "+phone, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.UpsertContact(ctx, p, contacts.ContactInput{Phone: phone, ListIDs: []uuid.UUID{list.ID}}); err != nil {
			t.Fatal(err)
		}
		c, err := svc.CreateCampaign(ctx, p, campaigns.CampaignInput{Name: phone, ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1", RetryPolicy: noRetries})
		if err == nil {
			c, err = svc.StartCampaign(ctx, p, c.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// callOf waits for the campaign's call to be answered and returns it.
	callOf := func(c *campaigns.Campaign, limit time.Duration) uuid.UUID {
		t.Helper()
		var id uuid.UUID
		for deadline := time.Now().Add(limit); ; time.Sleep(50 * time.Millisecond) {
			err := db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
				return tx.QueryRow(ctx, `SELECT id FROM calls WHERE campaign_id = $1 AND state = 'in_call'`, c.ID).Scan(&id)
			})
			if err == nil {
				return id
			}
			if err != pgx.ErrNoRows {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("no call of campaign %s was answered within %v", c.Name, limit)
			}
		}
	}
	leased := func(callID uuid.UUID) bool {
		t.Helper()
		var n int
		if err := db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM lines WHERE call_id = $1`, callID).Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}

	// The worker that dies: a process of its own, the only one working.
	kill := startDoomedWorker(t, url)
	doomed := callOf(startCampaign("13812340001"), 30*time.Second)
	kill()
	killedAt := time.Now()

	// The survivor, with a short lease timing.
	timing := jobs.LeaseTiming{Renew: 250 * time.Millisecond, StaleAfter: 2 * time.Second, ReapEvery: time.Second, Confirm: time.Second}
	placer := &heldPlacer{release: make(chan struct{})}
	startWorking(t, ctx, jobs.Config{Tenants: ts, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Work: true,
		Campaigns: svc, Placer: placer, DialWorkers: 2, Leases: timing})
	live := callOf(startCampaign("13812340002"), 30*time.Second)

	// River makes a new leader once the dead one's term lapses: its 15 s
	// TTL, and an election every 5 to 6 s. Then the periodic reaper runs.
	const leaderFailover = 21 * time.Second
	bound := leaderFailover + timing.StaleAfter + timing.ReapEvery + timing.Confirm + 5*time.Second
	for leased(doomed) {
		if time.Since(killedAt) > bound {
			t.Fatalf("the killed worker's line is still leased %v after the kill", bound)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the killed worker's line was freed %v after the kill", time.Since(killedAt).Round(100*time.Millisecond))
	call, err := svc.GetCall(ctx, p, doomed)
	if err != nil {
		t.Fatal(err)
	}
	if call.State != "ended" || call.Outcome != telephony.OutcomeInterrupted || call.Reason != campaigns.ReasonWorkerLost {
		t.Fatalf("the killed worker's call: %s %s %q", call.State, call.Outcome, call.Reason)
	}

	// The survivor's call lives on through more reaper rounds than it
	// takes to judge a lease stale.
	time.Sleep(timing.StaleAfter + 2*(timing.ReapEvery+timing.Confirm))
	if c, err := svc.GetCall(ctx, p, live); err != nil || c.State != "in_call" || !leased(live) {
		t.Fatalf("the survivor's live call was reaped: %+v %v", c, err)
	}
	close(placer.release)
	var end *campaigns.Call
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if end, err = svc.GetCall(ctx, p, live); err != nil || end.State == "ended" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the survivor's call was not closed within 10s of its end")
		}
	}
	if err != nil || end.Outcome != telephony.OutcomeAnswered || end.Reason != "" || end.FinalState != "confirmed" || leased(live) {
		t.Fatalf("the survivor's call ended as %+v (%v); want its real outcome and its line freed", end, err)
	}
}

// A campaign's pacer whose worker died (its River job left running, its
// campaign unpaced) is handed back to the queue by the lease reaper, so a
// live worker picks it up at once; a pacer that renews its heartbeat is
// left alone, however long its job has run.
func TestThePacerOfADeadWorkerIsHandedBack(t *testing.T) {
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	db, p := shop.DB, shop.Owner
	inserter, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	svc := campaigns.New(campaigns.Options{DB: db, Jobs: inserter})
	cs := contacts.New(contacts.Options{DB: db})
	// running starts a campaign and makes its pacer job look taken by a
	// worker a minute ago, and its campaign last paced then.
	running := func(name string) (campaignID uuid.UUID, job int64) {
		t.Helper()
		list, err := cs.CreateList(ctx, p, name, "")
		if err == nil {
			_, err = cs.UpsertContact(ctx, p, contacts.ContactInput{Phone: "1381234" + name, ListIDs: []uuid.UUID{list.ID}})
		}
		if err != nil {
			t.Fatal(err)
		}
		c, err := svc.CreateCampaign(ctx, p, campaigns.CampaignInput{Name: name, ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1", RetryPolicy: noRetries})
		if err == nil {
			_, err = svc.StartCampaign(ctx, p, c.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
		err = db.Pool().QueryRow(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() - interval '1 minute',
				attempted_by = '{worker-gone}' WHERE kind = 'campaign_pace' AND args->>'campaign_id' = $1 RETURNING id`, c.ID.String()).Scan(&job)
		if err != nil {
			t.Fatalf("the campaign's pacer job: %v", err)
		}
		if err := db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE campaigns SET paced_at = now() - interval '1 minute' WHERE id = $1`, c.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return c.ID, job
	}
	_, dead := running("0001")
	alive, live := running("0002")
	// A pacer of a version without the heartbeat (paced_at never set)
	// is left to River's rescuer.
	unknown, old := running("0003")
	if err := db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE campaigns SET paced_at = NULL WHERE id = $1`, unknown)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := svc.MarkPaced(ctx, p.TenantID, alive); err != nil {
		t.Fatal(err)
	}
	reaper := &jobs.ReapLeasesWorker{Campaigns: svc, Logger: slog.New(slog.DiscardHandler),
		Timing: jobs.LeaseTiming{StaleAfter: 20 * time.Second, Confirm: 100 * time.Millisecond}}
	if err := reaper.Work(ctx, &river.Job[jobs.ReapLeasesArgs]{}); err != nil {
		t.Fatal(err)
	}
	state := func(job int64) (string, int) { return jobState(t, db, job) }
	if st, errs := state(dead); st != "available" || errs != 1 {
		t.Fatalf("the dead worker's pacer is %s with %d errors noted; want available, its lost attempt noted", st, errs)
	}
	if st, errs := state(live); st != "running" || errs != 0 {
		t.Fatalf("the live pacer is %s with %d errors; want it left running", st, errs)
	}
	if st, errs := state(old); st != "running" || errs != 0 {
		t.Fatalf("the pacer with no heartbeat yet is %s with %d errors; want it left to River's rescuer", st, errs)
	}
}

// A dial batch whose worker was killed (SIGKILL) with two calls up and a
// third dial waiting for a call place is handed back by the lease reaper
// once its heartbeat stays stale, instead of holding that contact queued
// until River's two-hour Timeout; the next worker places the third call
// alone, and closes nothing twice. While the worker lived, the same reaper
// left its batch running, however long it had run, as it leaves one run by
// an earlier version, which never beats.
func TestTheDialsABatchOfAKilledWorkerHadNotBegunAreDialledByAnother(t *testing.T) {
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	db, tid := shop.DB, shop.Owner.TenantID
	svc := campaigns.New(campaigns.Options{DB: db})
	rules := campaigns.DefaultCompliance()
	rules.QuietHours, rules.MaxConcurrentLines, rules.CallsPerSecond = []string{}, 3, 100
	if _, err := svc.SetCompliance(ctx, shop.Owner, rules); err != nil {
		t.Fatal(err)
	}
	c := startCampaign(t, ctx, shop, svc, "13812340001", "13812340002", "13812340003")
	if r, err := svc.Pace(ctx, tid, c.ID, 10); err != nil || r.Queued != 3 {
		t.Fatalf("the round queued %+v (%v), want 3 dials", r, err)
	}
	var batch int64
	if err := db.Pool().QueryRow(ctx, `SELECT id FROM river_job WHERE kind = $1 AND jsonb_array_length(args->'dials') = 3`,
		campaigns.DialBatchArgs{}.Kind()).Scan(&batch); err != nil {
		t.Fatalf("the round's batch job: %v", err)
	}
	batchState := func() (string, int) { return jobState(t, db, batch) }

	// The worker that dies, with room for two calls: the third dial waits.
	kill := startDoomedWorker(t, shop.URL)
	waitUntil(t, "two calls to be up", 30*time.Second, func() bool {
		return count(t, db, tid, `SELECT count(*) FROM calls WHERE state = 'in_call'`) == 2
	})
	// The worker renews every 250 ms: a renewal 4 s late is a lost worker,
	// not a busy machine.
	timing := jobs.LeaseTiming{StaleAfter: 4 * time.Second, Confirm: 500 * time.Millisecond}
	reaper := &jobs.ReapLeasesWorker{Campaigns: svc, Logger: slog.New(slog.DiscardHandler), Timing: timing}

	// Alive, the batch has run longer than StaleAfter and is left alone.
	time.Sleep(timing.StaleAfter + time.Second)
	if err := reaper.Work(ctx, &river.Job[jobs.ReapLeasesArgs]{}); err != nil {
		t.Fatal(err)
	}
	if st, errs := batchState(); st != "running" || errs != 0 {
		t.Fatalf("the live worker's batch is %s with %d errors noted; want it left running", st, errs)
	}
	if n := count(t, db, tid, `SELECT count(*) FROM calls WHERE state = 'in_call'`); n != 2 {
		t.Fatalf("%d of the live worker's calls are up after the reaper's round, want 2", n)
	}

	// A batch an earlier version runs, which never beats, is left to
	// River's rescuer however long it has run.
	var earlier int64
	if err := db.Pool().QueryRow(ctx, `INSERT INTO river_job (kind, queue, args, state, attempt, attempted_at, attempted_by, max_attempts, priority, scheduled_at)
		VALUES ($1, $2, jsonb_build_object('tenant_id', $3::text, 'campaign_id', $4::text, 'dials', '[]'::jsonb), 'running', 1,
			now() - interval '1 minute', '{worker-of-an-earlier-version}', 25, 1, now() - interval '1 minute') RETURNING id`,
		campaigns.DialBatchArgs{}.Kind(), jobs.DialQueue, tid.String(), c.ID.String()).Scan(&earlier); err != nil {
		t.Fatal(err)
	}

	kill()
	time.Sleep(timing.StaleAfter + 500*time.Millisecond)
	if err := reaper.Work(ctx, &river.Job[jobs.ReapLeasesArgs]{}); err != nil {
		t.Fatal(err)
	}
	if st, errs := batchState(); st != "available" || errs != 1 {
		t.Fatalf("the killed worker's batch is %s with %d errors noted; want available, its lost run noted", st, errs)
	}
	if st, errs := jobState(t, db, earlier); st != "running" || errs != 0 {
		t.Fatalf("the earlier version's batch is %s with %d errors noted; want it left running", st, errs)
	}
	if _, err := db.Pool().Exec(ctx, `DELETE FROM river_job WHERE id = $1`, earlier); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, tid, `SELECT count(*) FROM calls WHERE state = 'ended' AND outcome = $1 AND reason = $2`,
		telephony.OutcomeInterrupted, campaigns.ReasonWorkerLost); n != 2 {
		t.Fatalf("%d of the killed worker's calls closed as its loss, want 2", n)
	}
	if n := count(t, db, tid, `SELECT count(*) FROM campaign_contacts WHERE campaign_id = $1 AND state = 'queued' AND attempt = 0`, c.ID); n != 1 {
		t.Fatalf("%d contacts still queued with their attempt unused, want the one never dialled", n)
	}

	// The next worker runs the batch again: it dials the third contact
	// alone.
	next := &gatedPlacer{release: make(chan struct{})}
	close(next.release)
	startWorking(t, ctx, jobs.Config{Tenants: shop.Tenants, Logger: slog.New(slog.DiscardHandler), Work: true, Campaigns: svc, Placer: next, DialWorkers: 2})
	waitUntil(t, "the third contact to be dialled", 30*time.Second, func() bool {
		return count(t, db, tid, `SELECT count(*) FROM calls WHERE state = 'ended'`) == 3
	})
	waitUntil(t, "the batch to complete", 10*time.Second, func() bool {
		st, _ := batchState()
		return st == "completed"
	})
	if next.placed() != 1 {
		t.Fatalf("the next worker placed %d calls, want the one not begun", next.placed())
	}
	if n := count(t, db, tid, `SELECT count(DISTINCT contact_id) FROM calls`); n != 3 || count(t, db, tid, `SELECT count(*) FROM calls`) != 3 {
		t.Fatalf("%d contacts called in %d calls, want 3, each once", n, count(t, db, tid, `SELECT count(*) FROM calls`))
	}
	if n := count(t, db, tid, `SELECT count(*) FROM calls WHERE outcome = $1`, telephony.OutcomeAnswered); n != 1 {
		t.Fatalf("%d calls answered, want the next worker's one", n)
	}
}
