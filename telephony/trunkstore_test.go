package telephony_test

import (
	"context"
	"strings"
	"testing"

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
