package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/migrations/dbtest"
)

func TestExpiredSessionsArePurgedByTheirJob(t *testing.T) {
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	db, svc, su := shop.DB, shop.Tenants, shop.Signup
	live, err := svc.Login(ctx, su.Owner.Email, dbtest.Password)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := svc.Login(ctx, su.Owner.Email, dbtest.Password)
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTenant(ctx, su.Tenant.ID, func(tx pgx.Tx) error {
		// An hour ago by the clock sessions expire by: the service's.
		_, err := tx.Exec(ctx, `UPDATE sessions SET expires_at = $2 WHERE id = $1`, expired.ID, time.Now().Add(-time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	client, err := jobs.New(jobs.Config{Tenants: svc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Work: true, MaxWorkers: 2})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer client.Stop(ctx)
	// Other periodic jobs run at start too (the campaign pacers' check);
	// wait for the purge's own event.
	timeout := time.After(30 * time.Second)
wait:
	for {
		select {
		case ev := <-events:
			if ev.Job.Kind != (jobs.PurgeExpiredArgs{}).Kind() {
				continue
			}
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("the purge job: %s %v", ev.Kind, ev.Job.Errors)
			}
			break wait
		case <-timeout:
			t.Fatal("the purge job did not run within 30s")
		}
	}
	if _, err := svc.AuthenticateSession(ctx, expired.Token); err == nil {
		t.Fatal("the expired session still authenticates")
	}
	if _, err := svc.AuthenticateSession(ctx, live.Token); err != nil {
		t.Fatalf("the live session was purged: %v", err)
	}
	var left int
	db.InTenant(ctx, su.Tenant.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM sessions`).Scan(&left)
	})
	if left != 1 {
		t.Fatalf("%d sessions left, want the live one", left)
	}
}
