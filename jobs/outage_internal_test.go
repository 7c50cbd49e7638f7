package jobs

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

type holdArgs struct{}

func (holdArgs) Kind() string { return "test_hold" }

// A job that ends while the database is away (a dial whose close went to
// the spool, a webhook delivery, a pacer) is recorded completed by River
// once the database is back, not left running until River's rescuer takes
// it: the guarantees under a database outage rest on it.
func TestAJobThatEndsWhileTheDatabaseIsAwayIsCompletedOnceItIsBack(t *testing.T) {
	ctx := context.Background()
	direct, url := dbtest.Open(ctx, t)
	proxy, proxied := dbtest.NewProxy(t, url)
	db, err := tenants.Open(ctx, proxied)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	release := make(chan struct{})
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, _ *river.Job[holdArgs]) error {
		<-release
		return nil
	}))
	quiet := slog.New(slog.DiscardHandler)
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{Logger: quiet, Workers: workers,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client.StopAndCancel(ctx)
	})
	job, err := client.Insert(ctx, holdArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	state := func() string {
		var s string
		if err := direct.Pool().QueryRow(ctx, `SELECT state FROM river_job WHERE id = $1`, job.Job.ID).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for deadline := time.Now().Add(10 * time.Second); state() != "running"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the job did not start within 10s")
		}
	}
	// The database goes away, the job ends, and the database stays away
	// past the completer's first retries (three, about seven seconds).
	proxy.CutOff()
	close(release)
	time.Sleep(10 * time.Second)
	if s := state(); s != "running" {
		t.Fatalf("the job is %s while the database is away", s)
	}
	proxy.Restore()
	back := time.Now()
	for state() != "completed" {
		if time.Since(back) > 10*time.Second {
			t.Fatalf("the job is still %s 10s after the database came back", state())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("completed %v after the database came back", time.Since(back).Round(10*time.Millisecond))
}
