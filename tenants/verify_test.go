package tenants_test

import (
	"bufio"
	"context"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

// smtpDouble is a test double of an SMTP submission server (RFC 5321): it
// speaks the protocol (EHLO, AUTH PLAIN, MAIL, RCPT, DATA with dot
// termination, QUIT) on loopback and keeps every message it accepts.
type smtpDouble struct {
	ln   net.Listener
	mu   sync.Mutex
	mail []string // each message's data, dot-unstuffed
	auth []string // the AUTH lines it was sent
}

func startSMTPDouble(t *testing.T) *smtpDouble {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &smtpDouble{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go d.serve(conn)
		}
	}()
	return d
}

func (d *smtpDouble) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(s string) { conn.Write([]byte(s + "\r\n")) }
	say("220 smtp.double ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-smtp.double")
			say("250-AUTH PLAIN")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "AUTH"):
			d.mu.Lock()
			d.auth = append(d.auth, strings.TrimSpace(line))
			d.mu.Unlock()
			say("235 2.7.0 Authentication successful")
		case strings.HasPrefix(cmd, "MAIL FROM:"), strings.HasPrefix(cmd, "RCPT TO:"):
			say("250 2.1.0 OK")
		case cmd == "DATA":
			say("354 End data with <CR><LF>.<CR><LF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			d.mu.Lock()
			d.mail = append(d.mail, b.String())
			d.mu.Unlock()
			say("250 2.0.0 queued")
		case cmd == "QUIT":
			say("221 2.0.0 bye")
			return
		default:
			say("502 5.5.2 not implemented")
		}
	}
}

func (d *smtpDouble) messages() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.mail...)
}

var verifyLink = regexp.MustCompile(`https://portal\.example/verify-email\?token=(ver_\S+)`)

// With a mailer, a new owner gets a link by mail; the tenant counts as
// verified only once it is opened; a stale or unknown link is refused; a
// new link can be asked for and replaces the old one.
func TestANewOwnerVerifiesTheirAddressByTheLinkMailedToThem(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	smtp := startSMTPDouble(t)
	svc := tenants.NewService(db)
	svc.Mailer = &tenants.SMTPMailer{Addr: smtp.ln.Addr().String(), From: "no-reply@outcall.example", Username: "outcall", Password: "secret"}
	svc.PublicURL = "https://portal.example/"

	su, err := svc.Signup(ctx, tenants.SignupRequest{TenantName: "Shop", Email: "ops@shop.example", Password: "a long password"})
	if err != nil || su.VerificationErr != nil {
		t.Fatalf("signup: %v %v", err, su.VerificationErr)
	}
	mail := smtp.messages()
	if len(mail) != 1 || !strings.Contains(mail[0], "To: ops@shop.example") || !strings.Contains(mail[0], "Content-Type: text/plain; charset=utf-8") {
		t.Fatalf("mail sent: %q", mail)
	}
	m := verifyLink.FindStringSubmatch(mail[0])
	if m == nil {
		t.Fatalf("no verification link in %q", mail[0])
	}
	smtp.mu.Lock()
	auth := append([]string(nil), smtp.auth...)
	smtp.mu.Unlock()
	if len(auth) != 1 || !strings.HasPrefix(auth[0], "AUTH PLAIN ") {
		t.Errorf("the mailer did not authenticate: %q", auth)
	}
	if ok, err := svc.EmailVerified(ctx, su.Tenant.ID); err != nil || ok {
		t.Fatalf("verified before the link was opened: %v %v", ok, err)
	}
	if _, err := svc.VerifyEmail(ctx, "ver_not-a-token"); err == nil || !strings.Contains(err.Error(), "does not exist or has expired") {
		t.Fatalf("an unknown token: %v", err)
	}

	// Asking again replaces the link: the first one stops working.
	p := tenants.Principal{TenantID: su.Tenant.ID, UserID: &su.Owner.ID, Role: tenants.RoleOwner}
	if err := svc.ResendVerification(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.VerifyEmail(ctx, m[1]); err == nil {
		t.Fatal("the replaced link still worked")
	}
	again := verifyLink.FindStringSubmatch(smtp.messages()[1])
	u, err := svc.VerifyEmail(ctx, again[1])
	if err != nil || u.Email != "ops@shop.example" {
		t.Fatalf("verify: %+v %v", u, err)
	}
	if ok, err := svc.EmailVerified(ctx, su.Tenant.ID); err != nil || !ok {
		t.Fatalf("not verified after the link: %v %v", ok, err)
	}
	if _, err := svc.VerifyEmail(ctx, again[1]); err == nil {
		t.Error("a used link worked twice")
	}
	if err := svc.ResendVerification(ctx, p); err == nil || !strings.Contains(err.Error(), "verified already") {
		t.Errorf("resend after verifying: %v", err)
	}

	// An expired link is refused.
	svc.VerifyTTL = -time.Minute
	other, err := svc.Signup(ctx, tenants.SignupRequest{TenantName: "Other", Email: "ops@other.example", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	late := verifyLink.FindStringSubmatch(smtp.messages()[2])
	if _, err := svc.VerifyEmail(ctx, late[1]); err == nil {
		t.Error("an expired link worked")
	}
	if ok, _ := svc.EmailVerified(ctx, other.Tenant.ID); ok {
		t.Error("a tenant whose link expired counts as verified")
	}
}

// Without a mailer nothing is sent and nothing waits for verification.
func TestWithoutAMailerNoTenantWaitsForVerification(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	svc := tenants.NewService(db)
	su, err := svc.Signup(ctx, tenants.SignupRequest{TenantName: "Shop", Email: "ops@shop.example", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := svc.EmailVerified(ctx, su.Tenant.ID); err != nil || !ok {
		t.Fatalf("EmailVerified without a mailer: %v %v", ok, err)
	}
	p := tenants.Principal{TenantID: su.Tenant.ID, UserID: &su.Owner.ID, Role: tenants.RoleOwner}
	if err := svc.ResendVerification(ctx, p); err == nil || !strings.Contains(err.Error(), "no SMTP server") {
		t.Errorf("resend without a mailer: %v", err)
	}
}

func TestParseSMTPURL(t *testing.T) {
	m, err := tenants.ParseSMTPURL("smtp://outcall:pa%40ss@mail.example?from=no-reply@outcall.example")
	if err != nil || m.Addr != "mail.example:587" || m.Username != "outcall" || m.Password != "pa@ss" || m.From != "no-reply@outcall.example" {
		t.Errorf("parsed %+v %v", m, err)
	}
	for _, bad := range []string{"mail.example", "http://mail.example?from=a@b", "smtp://mail.example"} {
		if _, err := tenants.ParseSMTPURL(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}
