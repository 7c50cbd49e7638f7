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

func ptr[T any](v T) *T { return &v }

func TestTrunkPasswordsAreStoredEncryptedAndOpenOnlyForTheirTenant(t *testing.T) {
	ctx := context.Background()
	db, url := dbtest.Open(ctx, t)
	a, pa := dbtest.SignUp(ctx, t, db, "A")
	b, _ := dbtest.SignUp(ctx, t, db, "B")
	store, err := telephony.NewTrunkStore(db, "a test secret key of some length")
	if err != nil {
		t.Fatal(err)
	}
	created, err := store.Create(ctx, pa, telephony.TrunkInput{Name: ptr("carrier"), Host: ptr("sip.carrier.example"), Port: ptr(5070),
		Username: ptr("acct"), Password: ptr("s3cret-digest-pw"), CallerIDs: []string{"+862150001234"}})
	if err != nil {
		t.Fatal(err)
	}
	if !created.HasPassword {
		t.Fatal("the created trunk says it has no password")
	}
	raw, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close(ctx)
	var sealed []byte
	raw.QueryRow(ctx, `SELECT password_enc FROM trunks`).Scan(&sealed)
	if len(sealed) == 0 || strings.Contains(string(sealed), "s3cret") {
		t.Fatalf("the stored password is not encrypted: %q", sealed)
	}
	got, ok, err := store.ForTenant(ctx, a.Tenant.ID)
	if err != nil || !ok || got.Password != "s3cret-digest-pw" || got.Port != 5070 || got.CallerIDs[0] != "+862150001234" {
		t.Fatalf("A's trunk for a call: %+v %v %v", got, ok, err)
	}
	if _, ok, err := store.ForTenant(ctx, b.Tenant.ID); ok || err != nil {
		t.Fatalf("B got a trunk (%v, %v)", ok, err)
	}
	// The sealed password is bound to its tenant: moved to B's row, it does not open.
	raw.Exec(ctx, `INSERT INTO trunks (id, tenant_id, name, host, password_enc) VALUES (gen_random_uuid(), $1, 'copied', 'h', $2)`, b.Tenant.ID, sealed)
	if _, _, err := store.ForTenant(ctx, b.Tenant.ID); err == nil || !strings.Contains(err.Error(), "cannot be decrypted") {
		t.Fatalf("a password copied to another tenant opened: %v", err)
	}
	// Another secret key cannot open it either.
	other, _ := telephony.NewTrunkStore(db, "a different secret key entirely")
	if _, _, err := other.ForTenant(ctx, a.Tenant.ID); err == nil {
		t.Fatal("another secret key opened the password")
	}
	if _, err := store.Create(ctx, pa, telephony.TrunkInput{Name: ptr("bad"), Host: ptr("h"), Transport: ptr("sctp")}); tenants.ErrorCode(err) != tenants.EInvalid {
		t.Fatalf("a bad transport: %v", err)
	}
}

func TestTheTrunkCheckRecordsWhetherTheTrunkAnswers(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	_, p := dbtest.SignUp(ctx, t, db, "A")
	store, _ := telephony.NewTrunkStore(db, "a test secret key of some length")
	sim := startSim(t)
	live := sim.Trunk()
	up, _ := store.Create(ctx, p, telephony.TrunkInput{Name: ptr("sim"), Host: ptr(live.Host), Port: ptr(live.Port)})
	down, _ := store.Create(ctx, p, telephony.TrunkInput{Name: ptr("nobody"), Host: ptr("127.0.0.1"), Port: ptr(9)})
	d := newDialer(t, telephony.DialerConfig{})
	n, err := store.CheckAll(ctx, d)
	if err != nil || n != 2 {
		t.Fatalf("checked %d trunks: %v", n, err)
	}
	gotUp, _ := store.Get(ctx, p, up.ID)
	gotDown, _ := store.Get(ctx, p, down.ID)
	if gotUp.LastCheckUp == nil || !*gotUp.LastCheckUp || gotUp.LastCheckAt == nil {
		t.Fatalf("the simulator's trunk: %+v", gotUp)
	}
	if gotDown.LastCheckUp == nil || *gotDown.LastCheckUp || gotDown.LastCheck == "" {
		t.Fatalf("the dead trunk: %+v", gotDown)
	}
}

// A tenant's calls try its enabled trunks by priority, and spread over a
// priority's trunks by weight; a disabled trunk is never tried, and a
// priority or weight out of range is refused saying which field.
func TestCallsTryTrunksByPriorityAndSpreadByWeight(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	_, p := dbtest.SignUp(ctx, t, db, "A")
	store, err := telephony.NewTrunkStore(db, "a test secret key of some length")
	if err != nil {
		t.Fatal(err)
	}
	add := func(name string, priority, weight int, enabled bool) {
		host := name + ".carrier.example"
		if _, err := store.Create(ctx, p, telephony.TrunkInput{Name: &name, Host: &host, Priority: &priority, Weight: &weight, Enabled: &enabled}); err != nil {
			t.Fatal(err)
		}
	}
	add("backup", 5, 1, true)
	add("heavy", 0, 3, true)
	add("light", 0, 1, true)
	add("off", 0, 1000, false)
	first := map[string]int{}
	const draws = 400
	for range draws {
		order, err := store.TrunksFor(ctx, p.TenantID)
		if err != nil {
			t.Fatal(err)
		}
		names := make([]string, len(order))
		for i, tr := range order {
			names[i] = tr.Name
		}
		if len(names) != 3 || names[2] != "backup" || (names[0] != "heavy" && names[0] != "light") {
			t.Fatalf("tried in the order %v: want heavy and light (priority 0) before backup, and never the disabled trunk", names)
		}
		first[names[0]]++
	}
	// Weight 3 against 1: first three times in four (0.75, σ ≈ 0.022 over
	// 400 draws).
	if share := float64(first["heavy"]) / draws; share < 0.6 || share > 0.9 {
		t.Fatalf("the trunk of weight 3 came first in %.0f%% of calls, want about 75%%", 100*share)
	}
	bad := 101
	name, host := "bad", "bad.example"
	if _, err := store.Create(ctx, p, telephony.TrunkInput{Name: &name, Host: &host, Priority: &bad}); err == nil || !strings.Contains(err.Error(), "priority is 0 (first) to 100, not 101") {
		t.Fatalf("priority 101: %v", err)
	}
	zero := 0
	if _, err := store.Create(ctx, p, telephony.TrunkInput{Name: &name, Host: &host, Weight: &zero}); err == nil || !strings.Contains(err.Error(), "weight is 1 to 1000, not 0") {
		t.Fatalf("weight 0: %v", err)
	}
}

// A trunk's carrier caps hold across every worker: no more claims than
// max_calls at once (a claim given back, or one whose call has ended,
// makes room), and no more new calls than calls_per_second allows, with
// the wait until the next one.
func TestATrunkIsClaimedNoMoreThanItsCarrierAllows(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	_, p := dbtest.SignUp(ctx, t, db, "A")
	store, err := telephony.NewTrunkStore(db, "a test secret key of some length")
	if err != nil {
		t.Fatal(err)
	}
	two, host := 2, "sip.carrier.example"
	name := "capped"
	if _, err := store.Create(ctx, p, telephony.TrunkInput{Name: &name, Host: &host, MaxCalls: &two}); err != nil {
		t.Fatal(err)
	}
	trunks, err := store.TrunksFor(ctx, p.TenantID)
	if err != nil || len(trunks) != 1 || trunks[0].MaxCalls != 2 {
		t.Fatalf("trunks %+v (%v)", trunks, err)
	}
	capped := trunks[0]
	claim := func(call uuid.UUID) bool {
		ok, _, err := store.Claim(ctx, p.TenantID, call, capped)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	c1, c2, c3 := uuid.New(), uuid.New(), uuid.New()
	if !claim(c1) || !claim(c2) {
		t.Fatal("the first two calls could not claim a trunk of two")
	}
	if claim(c3) {
		t.Fatal("a third call claimed a trunk capped at two")
	}
	if !claim(c2) {
		t.Fatal("a call's second claim (failing over back) counts it once")
	}
	if err := store.Release(ctx, p.TenantID, c1); err != nil {
		t.Fatal(err)
	}
	if !claim(c3) {
		t.Fatal("a released place was not taken")
	}
	// c2's call ended without giving its claim back (its worker died and
	// the reaper closed it): the claim no longer counts.
	err = db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		campaign := uuid.New()
		if _, err := tx.Exec(ctx, `INSERT INTO campaigns (id, tenant_id, name, status, list_ids, script_version) VALUES ($1, $2, 'c', 'completed', '{}', '')`, campaign, p.TenantID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO calls (id, tenant_id, campaign_id, contact_id, attempt, phone, state, outcome) VALUES ($1, $2, $3, gen_random_uuid(), 1, '+8613800000000', 'ended', 'interrupted')`,
			c2, p.TenantID, campaign)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !claim(uuid.New()) {
		t.Fatal("an ended call's claim still counted")
	}

	// Two calls a second: a bucket of two, then a wait of about half a
	// second for the next.
	rate := 2.0
	name2, host2 := "paced", "sip.paced.example"
	if _, err := store.Create(ctx, p, telephony.TrunkInput{Name: &name2, Host: &host2, CallsPerSecond: &rate}); err != nil {
		t.Fatal(err)
	}
	var paced telephony.Trunk
	all, _ := store.TrunksFor(ctx, p.TenantID)
	for _, tr := range all {
		if tr.Name == "paced" {
			paced = tr
		}
	}
	for i := range 2 {
		if ok, _, err := store.Claim(ctx, p.TenantID, uuid.New(), paced); err != nil || !ok {
			t.Fatalf("call %d of the first second: %v %v", i+1, ok, err)
		}
	}
	ok, wait, err := store.Claim(ctx, p.TenantID, uuid.New(), paced)
	if err != nil || ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("a third call within the second: ok %v, wait %v (%v); want a wait of at most half a second", ok, wait, err)
	}
	bad := -1
	if _, err := store.Create(ctx, p, telephony.TrunkInput{Name: &name, Host: &host, MaxCalls: &bad}); err == nil || !strings.Contains(err.Error(), "max_calls is 0 (no cap) to 100000") {
		t.Fatalf("max_calls -1: %v", err)
	}
}
