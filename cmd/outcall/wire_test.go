package main

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// mailbox is a tenants.Mailer that keeps what it is given (the SMTP
// protocol itself is tested against an SMTP server double in tenants).
type mailbox struct {
	mu   sync.Mutex
	mail []tenants.Mail
}

func (m *mailbox) Send(_ context.Context, mail tenants.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mail = append(m.mail, mail)
	return nil
}

// When outcall sends mail, a tenant starts campaigns on the platform's
// lines only once an address of theirs is verified; a tenant with its own
// trunk does not wait.
func TestCampaignsOnThePlatformsLinesWaitForAVerifiedAddress(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	box := &mailbox{}
	svc := tenants.NewService(db)
	svc.Mailer, svc.PublicURL = box, "https://portal.example"
	trunks, err := telephony.NewTrunkStore(db, "a secret key of 32 characters...")
	if err != nil {
		t.Fatal(err)
	}
	gate := startGate(svc, trunks)

	shop, err := svc.Signup(ctx, tenants.SignupRequest{TenantName: "Shop", Email: "ops@shop.example", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	var te *tenants.Error
	if err := gate(ctx, shop.Tenant.ID); !errors.As(err, &te) || te.Code != tenants.EForbidden || !strings.Contains(te.Message, "verify your email address") {
		t.Fatalf("an unverified tenant's start: %v", err)
	}
	link := regexp.MustCompile(`verify-email\?token=(\S+)`).FindStringSubmatch(box.mail[0].Body)
	if link == nil {
		t.Fatalf("no link mailed: %+v", box.mail)
	}
	if _, err := svc.VerifyEmail(ctx, link[1]); err != nil {
		t.Fatal(err)
	}
	if err := gate(ctx, shop.Tenant.ID); err != nil {
		t.Fatalf("a verified tenant's start: %v", err)
	}

	carrier, err := svc.Signup(ctx, tenants.SignupRequest{TenantName: "Carrier customer", Email: "ops@carrier.example", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	name, host := "own", "sip.carrier.example"
	p := tenants.Principal{TenantID: carrier.Tenant.ID, Role: tenants.RoleOwner}
	if _, err := trunks.Create(ctx, p, telephony.TrunkInput{Name: &name, Host: &host}); err != nil {
		t.Fatal(err)
	}
	if err := gate(ctx, carrier.Tenant.ID); err != nil {
		t.Fatalf("a tenant with its own trunk waited for verification: %v", err)
	}

	// Without a mailer nobody waits: the same unverified tenant starts.
	plain := tenants.NewService(db)
	quiet, err := plain.Signup(ctx, tenants.SignupRequest{TenantName: "Quiet", Email: "ops@quiet.example", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	if err := gate(ctx, quiet.Tenant.ID); err == nil {
		t.Fatal("an unverified tenant passed the gate of a service that mails")
	}
	if err := startGate(plain, trunks)(ctx, quiet.Tenant.ID); err != nil {
		t.Fatalf("without a mailer: %v", err)
	}
}
