package telephony_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// seedCallerIDCalls records n ended calls of the tenant that went out
// with callerID, created at, of which answered were answered by a person
// and the rest not answered.
func seedCallerIDCalls(t *testing.T, ctx context.Context, db *tenants.DB, tenantID uuid.UUID, callerID string, at time.Time, n, answered int) {
	t.Helper()
	err := db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		campaign := uuid.New()
		if _, err := tx.Exec(ctx, `INSERT INTO campaigns (id, tenant_id, name, status, list_ids, script_version) VALUES ($1, $2, $3, 'completed', '{}', '')`,
			campaign, tenantID, "seed "+callerID+" "+at.Format(time.RFC3339)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO calls (id, tenant_id, campaign_id, contact_id, attempt, phone, state, outcome, created_at, ended_at, caller_id)
			SELECT gen_random_uuid(), $1, $2, gen_random_uuid(), 1, '+8613800000000', 'ended',
				CASE WHEN g <= $4 THEN 'answered' ELSE 'no_answer' END, $3::timestamptz + g * interval '1 second', $3::timestamptz + g * interval '1 second', $5
			FROM generate_series(1, $6) g`, tenantID, campaign, at, answered, callerID, n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A number whose answer rate collapses (phone apps marked it as spam) is
// rested by the health check, and calls leave it out; a number answered
// as before, or with too few calls to tell, is left alone. A rest by hand
// is kept and can be ended; the record shows calls by day.
func TestACallerIDWhoseAnswerRateCollapsesIsRested(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	_, p := dbtest.SignUp(ctx, t, db, "A")
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	ids := &telephony.CallerIDs{DB: db, Now: func() time.Time { return now }}
	week := now.Add(-3 * 24 * time.Hour)
	day := now.Add(-6 * time.Hour)
	// Burnt: 40 % the week before, 5 % today.
	seedCallerIDCalls(t, ctx, db, p.TenantID, "+862150000001", week, 100, 40)
	seedCallerIDCalls(t, ctx, db, p.TenantID, "+862150000001", day, 40, 2)
	// Healthy: 40 % then, 35 % now.
	seedCallerIDCalls(t, ctx, db, p.TenantID, "+862150000002", week, 100, 40)
	seedCallerIDCalls(t, ctx, db, p.TenantID, "+862150000002", day, 40, 14)
	// New and already poor, judged against the tenant's other numbers
	// today (16 of 90, 18 %): 1 of 35 is under half of that.
	seedCallerIDCalls(t, ctx, db, p.TenantID, "+862150000003", day, 35, 1)
	// Too few calls to tell.
	seedCallerIDCalls(t, ctx, db, p.TenantID, "+862150000004", day, 10, 0)

	made, err := ids.Check(ctx, p.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	rested := map[string]string{}
	for _, r := range made {
		rested[r.Number] = r.Reason
		if !r.Automatic || !r.Until.Equal(now.Add(72*time.Hour)) {
			t.Errorf("%s rested until %v (automatic %v), want three days, automatic", r.Number, r.Until, r.Automatic)
		}
	}
	if len(rested) != 2 || !strings.Contains(rested["+862150000001"], "answered 5% of 40 calls over the last 24 hours, against its own 40% over the week before") ||
		!strings.Contains(rested["+862150000003"], "the tenant's other numbers' 18% over the same day") {
		t.Fatalf("rested %v: want the burnt number (against its own week) and the new poor one (against the others)", rested)
	}
	if again, err := ids.Check(ctx, p.TenantID); err != nil || len(again) != 0 {
		t.Fatalf("a second check rested %v (%v): a resting number is not rested again", again, err)
	}
	// The workers' run goes over every tenant that called: B's burnt
	// number is rested, A's are not rested twice.
	_, pb := dbtest.SignUp(ctx, t, db, "B")
	seedCallerIDCalls(t, ctx, db, pb.TenantID, "+862150000001", week, 100, 40)
	seedCallerIDCalls(t, ctx, db, pb.TenantID, "+862150000001", day, 40, 2)
	if n, err := ids.CheckAll(ctx); err != nil || n != 1 {
		t.Fatalf("the run over all tenants rested %d numbers (%v), want B's one", n, err)
	}
	if b, err := ids.Rested(ctx, pb.TenantID); err != nil || len(b) != 1 || !b["+862150000001"] {
		t.Fatalf("B's resting numbers: %v (%v)", b, err)
	}
	now2 := now
	asleep, err := ids.Rested(ctx, p.TenantID)
	if err != nil || len(asleep) != 2 || !asleep["+862150000001"] {
		t.Fatalf("resting now: %v (%v)", asleep, err)
	}
	pool := telephony.Trunk{CallerIDs: []string{"+862150000001", "+862150000002", "+862150000003"}}
	for range 50 {
		if got := pool.PickCallerIDLeaving(asleep); got != "+862150000002" {
			t.Fatalf("a call went out with %s, a resting number", got)
		}
	}
	if got := (telephony.Trunk{CallerIDs: []string{"+862150000001"}}).PickCallerIDLeaving(asleep); got != "" {
		t.Fatalf("with every number resting the pick is %q, want none (the dialer then uses the whole pool)", got)
	}

	// By hand: a rest, refused lengths, a wake.
	if _, err := ids.Rest(ctx, p, "+86 21 5000 0002", 30*time.Minute, ""); err == nil || !strings.Contains(err.Error(), "1 hour to 30 days") {
		t.Fatalf("a 30 minute rest: %v", err)
	}
	if _, err := ids.Rest(ctx, p, "not a number", time.Hour, ""); err == nil || !strings.Contains(err.Error(), "not a phone number") {
		t.Fatalf("a rest of no number: %v", err)
	}
	r, err := ids.Rest(ctx, p, "+86 21 5000 0002", 24*time.Hour, "a complaint from a callee")
	if err != nil || r.Number != "+862150000002" || r.Automatic {
		t.Fatalf("rest by hand: %+v %v", r, err)
	}
	health, err := ids.Health(ctx, p, 7, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	byNumber := map[string]telephony.CallerIDHealth{}
	for _, h := range health {
		byNumber[h.Number] = h
	}
	h2 := byNumber["+862150000002"]
	if len(health) != 4 || len(h2.Days) != 7 || h2.Days[6].Day != "2026-12-06" || h2.Days[6].Calls != 40 || h2.Days[6].Answers != 14 ||
		h2.Days[3].Calls != 100 || h2.Calls != 40 || h2.AnswerRate == nil || *h2.AnswerRate != 0.35 || h2.Rest == nil || h2.Rest.Reason != "a complaint from a callee" {
		t.Fatalf("the healthy number's record: %+v (of %d numbers)", h2, len(health))
	}
	if err := ids.Wake(ctx, p, "+862150000002"); err != nil {
		t.Fatal(err)
	}
	if err := ids.Wake(ctx, p, "+862150000002"); tenants.ErrorCode(err) != tenants.ENotFound {
		t.Fatalf("waking a number that is awake: %v", err)
	}
	// Three days on, the burnt number is back by itself.
	now = now2.Add(73 * time.Hour)
	if asleep, err := ids.Rested(ctx, p.TenantID); err != nil || len(asleep) != 0 {
		t.Fatalf("after the rest: %v (%v)", asleep, err)
	}
}
