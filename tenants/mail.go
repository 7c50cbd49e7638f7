package tenants

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// Mail is one plain-text message to one person.
type Mail struct {
	To, Subject, Body string
}

// Mailer sends mail. SMTPMailer is the one the service uses.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// SMTPMailer sends mail through an SMTP submission server (RFC 6409):
// STARTTLS when the server offers it (required before authenticating,
// except to a server on this machine), then AUTH PLAIN when a user is
// given.
type SMTPMailer struct {
	// Addr is the server's host:port (587 for submission).
	Addr string
	// From is the sender's address.
	From string
	// Username and Password authenticate; empty Username sends without.
	Username, Password string
	// TLSConfig, when set, is used for STARTTLS (tests trust their own
	// certificate with it); nil verifies the server's name as usual.
	TLSConfig *tls.Config
}

// ParseSMTPURL reads smtp://user:password@host:587?from=no-reply@example.com.
func ParseSMTPURL(raw string) (*SMTPMailer, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return nil, fmt.Errorf("the SMTP URL must look like smtp://user:password@host:587?from=no-reply@example.com")
	}
	from := u.Query().Get("from")
	if !strings.Contains(from, "@") {
		return nil, errors.New("the SMTP URL needs ?from=address, the sender of outcall's mail")
	}
	m := &SMTPMailer{Addr: u.Host, From: from}
	if u.Port() == "" {
		m.Addr = net.JoinHostPort(u.Hostname(), "587")
	}
	if u.User != nil {
		m.Username = u.User.Username()
		m.Password, _ = u.User.Password()
	}
	return m, nil
}

// Send delivers m, giving up when ctx ends (default: after 30 s).
func (s *SMTPMailer) Send(ctx context.Context, m Mail) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	host, _, _ := net.SplitHostPort(s.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := s.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{ServerName: host}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	}
	if s.Username != "" {
		// PlainAuth itself refuses to send the password unencrypted to
		// anything but this machine.
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("smtp: %w", err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	msg := "From: " + s.From + "\r\nTo: " + m.To + "\r\nSubject: " + mime.QEncoding.Encode("utf-8", m.Subject) +
		"\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" + strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return c.Quit()
}
