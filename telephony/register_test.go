package telephony_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

// A carrier that wants its trunks registered refuses calls until they
// are: the dialer REGISTERs (answering the digest challenge) and its
// calls go through; the workers' registrations keep every trunk that asks
// registered, renewing before the carrier's grant lapses, and record it
// on the trunk; a wrong password is recorded as the carrier's refusal.
func TestTrunksThatMustRegisterAreRegisteredAndKeptSo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sim, err := calleesim.Start(ctx, calleesim.Config{TTS: telephony.ToneTTS{}, Username: "shop", Password: "trunk-secret",
		RequireRegistration: true, RegisterExpires: 2 * time.Second, Personas: []calleesim.Persona{
			{Name: "answers", Numbers: []string{"8001"}, Kind: calleesim.KindHuman, RingMS: 50, HoldMS: 500},
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	trunk := sim.Trunk()
	trunk.Username, trunk.Password = "shop", "trunk-secret"
	d := newDialer(t, telephony.DialerConfig{TTS: telephony.ToneTTS{}})
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: trunk, To: "8001", RingTimeout: 5 * time.Second}, nil)
	if err != nil || res.SIPCode != 403 {
		t.Fatalf("a call before registering: %v, %d %s", err, res.SIPCode, res.Reason)
	}
	granted, err := d.Register(ctx, trunk, time.Hour)
	if err != nil || granted != 2*time.Second {
		t.Fatalf("REGISTER: granted %v, %v; want the carrier's 2 s", granted, err)
	}
	res, err = d.Dial(ctx, telephony.DialRequest{Trunk: trunk, To: "8001", RingTimeout: 5 * time.Second}, nil)
	if err != nil || res.Outcome != telephony.OutcomeAnswered {
		t.Fatalf("a call once registered: %v, %s %s", err, res.Outcome, res.Reason)
	}
	wrong := trunk
	wrong.Password = "not-it"
	if _, err := d.Register(ctx, wrong, time.Hour); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("REGISTER with a wrong password: %v", err)
	}

	// The workers' loop, over the tenants' trunks in the database.
	db, _ := dbtest.Open(ctx, t)
	_, p := dbtest.SignUp(ctx, t, db, "A")
	store, err := telephony.NewTrunkStore(db, "a test secret key of some length")
	if err != nil {
		t.Fatal(err)
	}
	yes, port := true, trunk.Port
	good, err := store.Create(ctx, p, telephony.TrunkInput{Name: ptr("registers"), Host: &trunk.Host, Port: &port, Username: ptr("shop"),
		Password: ptr("trunk-secret"), Register: &yes})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := store.Create(ctx, p, telephony.TrunkInput{Name: ptr("wrong password"), Host: &trunk.Host, Port: &port, Username: ptr("shop"),
		Password: ptr("not-it"), Register: &yes})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Create(ctx, p, telephony.TrunkInput{Name: ptr("no user"), Host: &trunk.Host, Register: &yes}); err == nil ||
		!strings.Contains(err.Error(), "needs the username") {
		t.Fatalf("a trunk that registers without a username: %v", err)
	}
	_, before := sim.Registered("shop")
	loop := &telephony.Registrations{Dialer: d, Trunks: store, Every: 200 * time.Millisecond, RetryAfter: 200 * time.Millisecond}
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { loop.Run(lctx); close(done) }()
	defer func() { stop(); <-done }()
	// Granted 2 s each time, renewed after 1 s: three renewals in about
	// three seconds keep it registered throughout.
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, n := sim.Registered("shop")
		if ok && n >= before+4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("registered %v after %d REGISTERs in all (%d before the loop)", ok, n, before)
		}
		time.Sleep(100 * time.Millisecond)
	}
	got, err := store.Get(ctx, p, good.ID)
	if err != nil || got.RegisteredUntil == nil || got.RegisterDetail != "registered" || !got.Register {
		t.Fatalf("the registered trunk's record: %+v (%v)", got, err)
	}
	got, err = store.Get(ctx, p, bad.ID)
	if err != nil || got.RegisteredUntil != nil || !strings.Contains(got.RegisterDetail, "401") {
		t.Fatalf("the refused trunk's record: until %v, %q (%v)", got.RegisteredUntil, got.RegisterDetail, err)
	}
}
