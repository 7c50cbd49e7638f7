package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// receiver is a real local HTTP server that records what it gets and
// answers as told.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []*http.Request
	bodies [][]byte
	answer func(w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, r)
		rc.bodies = append(rc.bodies, b)
		rc.mu.Unlock()
		rc.answer(w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

// countingInserter is the process's job inserter as the tests make it: a
// River client on the test database that counts the jobs queued through
// it.
type countingInserter struct {
	*river.Client[pgx.Tx]
	queued atomic.Int64
}

func (c *countingInserter) InsertManyTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	c.queued.Add(int64(len(params)))
	return c.Client.InsertManyTx(ctx, tx, params)
}

type world struct {
	db *tenants.DB
	// jobs is the inserter the service and events queue deliveries through.
	jobs   *countingInserter
	svc    *webhooks.Service
	events *webhooks.Emitter
	p      tenants.Principal
}

// newWorld starts a database, a tenant, and River workers that deliver with
// client, retrying after ~100 ms and disabling after disableAfter failures.
func newWorld(t *testing.T, client *http.Client, disableAfter int) *world {
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	inserter, err := river.NewClient(riverpgxv5.New(shop.DB.Pool()), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := jobs.New(jobs.Config{Tenants: shop.Tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Work: true, MaxWorkers: 10,
		Webhooks: webhooks.DeliverWorker{Client: client, DisableAfter: disableAfter, RetryBase: 100 * time.Millisecond, RetryCap: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Stop(context.Background()) })
	counted := &countingInserter{Client: inserter}
	return &world{db: shop.DB, jobs: counted, svc: &webhooks.Service{DB: shop.DB, AllowPrivate: true, Jobs: counted}, events: webhooks.NewEmitter(counted), p: shop.Owner}
}

func (w *world) endpoint(t *testing.T, url string, types ...string) (*webhooks.Endpoint, string) {
	e, secret, err := w.svc.Create(context.Background(), w.p, webhooks.EndpointInput{URL: &url, EventTypes: types})
	if err != nil {
		t.Fatal(err)
	}
	return e, secret
}

func (w *world) emit(t *testing.T, typ string, data any) uuid.UUID {
	var id uuid.UUID
	err := w.db.InTenant(context.Background(), w.p.TenantID, func(tx pgx.Tx) (err error) {
		id, err = w.events.Emit(context.Background(), tx, w.p.TenantID, typ, data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAnEventIsDeliveredSignedToSubscribedEndpoints(t *testing.T) {
	ok := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("thanks")) })
	other := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {})
	w := newWorld(t, webhooks.NewHTTPClient(true), 0)
	_, secret := w.endpoint(t, ok.URL+"/hook", webhooks.CallCompleted)
	w.endpoint(t, other.URL+"/hook", webhooks.CampaignStarted)

	id := w.emit(t, webhooks.CallCompleted, map[string]any{"call_id": "c1", "outcome": "confirmed", "note": "已确认"})
	waitFor(t, "the subscribed endpoint got the event", func() bool { return ok.count() == 1 })

	r, body := ok.got[0], ok.bodies[0]
	if err := webhooks.Verify(body, r.Header.Get(webhooks.SignatureHeader), secret, 0); err != nil {
		t.Fatalf("signature: %v (header %q)", err, r.Header.Get(webhooks.SignatureHeader))
	}
	var ev webhooks.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != id || ev.Type != webhooks.CallCompleted || ev.TenantID != w.p.TenantID || !strings.Contains(string(ev.Data), "已确认") || ev.CreatedAt.IsZero() {
		t.Fatalf("event body %s", body)
	}
	if r.Header.Get("Outcall-Event-Id") != id.String() || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", r.Header)
	}
	t.Logf("delivery headers: Outcall-Signature: %s; Outcall-Event-Id: %s; Outcall-Event-Type: %s; body: %s",
		r.Header.Get(webhooks.SignatureHeader), r.Header.Get("Outcall-Event-Id"), r.Header.Get("Outcall-Event-Type"), body)

	time.Sleep(500 * time.Millisecond)
	if other.count() != 0 {
		t.Fatalf("an endpoint not subscribed to %s got it", webhooks.CallCompleted)
	}
	var log []webhooks.Delivery
	waitFor(t, "the delivery is logged", func() bool {
		eps, _ := w.svc.List(context.Background(), w.p, 10, nil, nil)
		log, _ = w.svc.Deliveries(context.Background(), w.p, eps[0].ID, 10, nil)
		return len(log) == 1
	})
	if log[0].StatusCode == nil || *log[0].StatusCode != 200 || log[0].ResponseExcerpt != "thanks" || log[0].Attempt != 1 {
		t.Fatalf("delivery log %+v", log[0])
	}
}

func TestAnEventOfARolledBackChangeIsNeverDelivered(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {})
	w := newWorld(t, webhooks.NewHTTPClient(true), 0)
	w.endpoint(t, rc.URL)
	w.db.InTenant(context.Background(), w.p.TenantID, func(tx pgx.Tx) error {
		if _, err := w.events.Emit(context.Background(), tx, w.p.TenantID, webhooks.CallCompleted, map[string]any{}); err != nil {
			t.Fatal(err)
		}
		return context.Canceled // the change fails, so the event must vanish with it
	})
	w.emit(t, webhooks.CampaignStarted, map[string]any{})
	waitFor(t, "the committed event arrived", func() bool { return rc.count() >= 1 })
	time.Sleep(500 * time.Millisecond)
	if rc.count() != 1 || !strings.Contains(string(rc.bodies[0]), webhooks.CampaignStarted) {
		t.Fatalf("got %d deliveries, want only the committed campaign.started", rc.count())
	}
}

// Deliveries are queued through the job inserter the emitter and the
// service were given, in the caller's transaction.
func TestDeliveriesAreQueuedThroughTheInserterTheyWereGiven(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {})
	w := newWorld(t, webhooks.NewHTTPClient(true), 0)
	e, _ := w.endpoint(t, rc.URL)
	w.emit(t, webhooks.CallCompleted, map[string]any{})
	waitFor(t, "the event is delivered", func() bool { return rc.count() == 1 })
	if n := w.jobs.queued.Load(); n != 1 {
		t.Fatalf("%d jobs queued through the emitter's inserter, want the one delivery", n)
	}
	if _, err := w.svc.Ping(context.Background(), w.p, e.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the test event is delivered", func() bool { return rc.count() == 2 })
	if n := w.jobs.queued.Load(); n != 2 {
		t.Fatalf("%d jobs queued through the service's inserter, want the test event's too", n)
	}
}

func TestAFailingEndpointIsRetriedThenDisabledWithANotice(t *testing.T) {
	var fails sync.Map
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		fails.Store(time.Now().UnixNano(), true)
		http.Error(w, strings.Repeat("boom ", 1000), http.StatusInternalServerError)
	})
	w := newWorld(t, webhooks.NewHTTPClient(true), 3)
	e, _ := w.endpoint(t, rc.URL)
	w.emit(t, webhooks.CallCompleted, map[string]any{})
	waitFor(t, "the endpoint is disabled", func() bool {
		got, _ := w.svc.Get(context.Background(), w.p, e.ID)
		return got != nil && !got.Enabled
	})
	got, _ := w.svc.Get(context.Background(), w.p, e.ID)
	if got.DisabledReason == nil || !strings.Contains(*got.DisabledReason, "3 failed deliveries") {
		t.Fatalf("reason %v", got.DisabledReason)
	}
	log, _ := w.svc.Deliveries(context.Background(), w.p, e.ID, 10, nil)
	if len(log) != 3 || log[0].Attempt != 3 || log[2].Attempt != 1 || *log[0].StatusCode != 500 || len(log[0].ResponseExcerpt) > 1024 {
		t.Fatalf("delivery log: %d entries, first %+v", len(log), log[0])
	}
	notices, _ := w.svc.Notices(context.Background(), w.p, 10)
	if len(notices) != 1 || notices[0].Kind != "webhook endpoint disabled" {
		t.Fatalf("notices %+v", notices)
	}
	// A disabled endpoint gets nothing more.
	w.emit(t, webhooks.CallCompleted, map[string]any{})
	time.Sleep(700 * time.Millisecond)
	if rc.count() != 3 {
		t.Fatalf("a disabled endpoint got %d requests, want 3", rc.count())
	}
	// Enabling it again and redelivering works.
	on := true
	if _, err := w.svc.Update(context.Background(), w.p, e.ID, webhooks.EndpointInput{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	rc.answer = func(w http.ResponseWriter, r *http.Request) {}
	if err := w.svc.Redeliver(context.Background(), w.p, log[0].ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the redelivery succeeded", func() bool {
		log, _ := w.svc.Deliveries(context.Background(), w.p, e.ID, 1, nil)
		return len(log) == 1 && log[0].StatusCode != nil && *log[0].StatusCode == 200
	})
}

func TestBadReceiversFailCleanly(t *testing.T) {
	huge := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 10<<20)))
	})
	var loop *receiver
	loop = newReceiver(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, loop.URL+"/again", http.StatusFound) })
	slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(2 * time.Second) })
	client := webhooks.NewHTTPClient(true)
	client.Timeout = 300 * time.Millisecond
	w := newWorld(t, client, 1)
	eh, _ := w.endpoint(t, huge.URL)
	el, _ := w.endpoint(t, loop.URL)
	es, _ := w.endpoint(t, slow.URL)
	w.emit(t, webhooks.CampaignCompleted, map[string]any{})
	last := func(e *webhooks.Endpoint) *webhooks.Delivery {
		log, _ := w.svc.Deliveries(context.Background(), w.p, e.ID, 1, nil)
		if len(log) == 0 {
			return nil
		}
		return &log[0]
	}
	waitFor(t, "all three attempts are logged", func() bool { return last(eh) != nil && last(el) != nil && last(es) != nil })
	if d := last(eh); *d.StatusCode != 200 || len(d.ResponseExcerpt) != 1024 {
		t.Fatalf("a huge answer: status %v, excerpt %d bytes", d.StatusCode, len(d.ResponseExcerpt))
	}
	if d := last(el); d.StatusCode == nil || *d.StatusCode != 302 || loop.count() != 1 {
		t.Fatalf("a redirect: %+v after %d requests (redirects must not be followed)", d, loop.count())
	}
	if d := last(es); d.Error == nil || !strings.Contains(*d.Error, "Timeout") {
		t.Fatalf("a slow receiver: %+v", d)
	}
}

func TestInternalAddressesAreRefused(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"http://127.0.0.1/x", "http://localhost:8080/x", "http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://192.168.0.1/x", "ftp://example.com/x"} {
		if err := webhooks.CheckURL(ctx, u, false); err == nil {
			t.Errorf("%s was accepted", u)
		}
	}
	if err := webhooks.CheckURL(ctx, "http://127.0.0.1/x", true); err != nil {
		t.Errorf("with private addresses allowed: %v", err)
	}
	// And at connect time, whatever the name resolved to when registered.
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {})
	w := newWorld(t, webhooks.NewHTTPClient(false), 1)
	e, _ := w.endpoint(t, rc.URL)
	w.emit(t, webhooks.CallCompleted, map[string]any{})
	waitFor(t, "the attempt is logged", func() bool {
		log, _ := w.svc.Deliveries(ctx, w.p, e.ID, 1, nil)
		return len(log) == 1
	})
	log, _ := w.svc.Deliveries(ctx, w.p, e.ID, 1, nil)
	if rc.count() != 0 || log[0].Error == nil || !strings.Contains(*log[0].Error, "internal") {
		t.Fatalf("a loopback endpoint was called (%d) or the error is unclear: %+v", rc.count(), log[0])
	}
}

func TestRotationSignsWithBothSecretsDuringTheOverlap(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {})
	w := newWorld(t, webhooks.NewHTTPClient(true), 0)
	e, oldSecret := w.endpoint(t, rc.URL)
	_, newSecret, err := w.svc.RotateSecret(context.Background(), w.p, e.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if newSecret == oldSecret {
		t.Fatal("rotation kept the secret")
	}
	w.emit(t, webhooks.CallCompleted, map[string]any{})
	waitFor(t, "delivered", func() bool { return rc.count() == 1 })
	sig := rc.got[0].Header.Get(webhooks.SignatureHeader)
	for _, s := range []string{oldSecret, newSecret} {
		if err := webhooks.Verify(rc.bodies[0], sig, s, 0); err != nil {
			t.Fatalf("secret %s…: %v", s[:10], err)
		}
	}
	// With no overlap the old secret stops at once.
	if _, _, err := w.svc.RotateSecret(context.Background(), w.p, e.ID, 0); err != nil {
		t.Fatal(err)
	}
	w.emit(t, webhooks.CallCompleted, map[string]any{})
	waitFor(t, "delivered again", func() bool { return rc.count() == 2 })
	if err := webhooks.Verify(rc.bodies[1], rc.got[1].Header.Get(webhooks.SignatureHeader), newSecret, 0); err == nil {
		t.Fatal("a secret rotated out with no overlap still verifies")
	}
}

// A delivery its worker never finished (the worker was killed, or could not
// record the job's end while PostgreSQL was away) stays running in River's
// table; the rescuer hands it back once it has run RescueStuckJobsAfter,
// and the event is delivered.
func TestADeliveryLeftRunningByADeadWorkerIsDeliveredAfterTheRescue(t *testing.T) {
	ok := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {})
	w := newWorld(t, webhooks.NewHTTPClient(true), 0)
	w.endpoint(t, ok.URL+"/hook", webhooks.CallCompleted)

	// The job is left as a worker that died a while ago left it: running,
	// attempted once, by a client that is gone.
	ctx := context.Background()
	var id uuid.UUID
	err := w.db.InTenant(ctx, w.p.TenantID, func(tx pgx.Tx) (err error) {
		if id, err = w.events.Emit(ctx, tx, w.p.TenantID, webhooks.CallCompleted, map[string]any{"call_id": "c1"}); err != nil {
			return err
		}
		// River's rescuer reads this process's clock, not the database's
		// (which the clock runs of the tests move).
		tag, err := tx.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_by = '{a-worker-that-died}',
			attempted_at = $2 WHERE kind = 'webhook_deliver' AND args->>'event_id' = $1`,
			id.String(), time.Now().Add(-jobs.RescueStuckJobsAfter-5*time.Second))
		if err == nil && tag.RowsAffected() != 1 {
			err = fmt.Errorf("%d delivery jobs for the event, want 1", tag.RowsAffected())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rescued delivery reaches the receiver", func() bool { return ok.count() == 1 })
	var body struct {
		ID uuid.UUID `json:"id"`
	}
	ok.mu.Lock()
	err = json.Unmarshal(ok.bodies[0], &body)
	ok.mu.Unlock()
	if err != nil || body.ID != id {
		t.Errorf("delivered event %v (%v), want %v", body.ID, err, id)
	}
	var attempt int
	var errs []string
	if err := w.db.Pool().QueryRow(ctx, `SELECT attempt, (SELECT array_agg(e->>'error') FROM unnest(errors) e) FROM river_job WHERE kind = 'webhook_deliver' AND args->>'event_id' = $1`,
		id.String()).Scan(&attempt, &errs); err != nil {
		t.Fatal(err)
	}
	if attempt != 2 || len(errs) != 1 || !strings.Contains(errs[0], "Stuck") {
		t.Errorf("the job's attempt is %d and its errors %q; want its second attempt, after one noting the rescue", attempt, errs)
	}
}
