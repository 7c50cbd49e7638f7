package telephony

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
)

// Registerer registers a trunk with its carrier (the SIP dialer).
type Registerer interface {
	// Register sends REGISTER for the trunk's username, asking for
	// expires (0 removes the registration), answers the carrier's digest
	// challenge, and returns the expiry the carrier granted.
	Register(ctx context.Context, t Trunk, expires time.Duration) (time.Duration, error)
}

// Register implements Registerer: RFC 3261 section 10, the address of
// record sip:username@domain, the dialer's own contact, the Expires the
// carrier grants read from its Contact's expires parameter or its Expires
// header.
func (d *SIPDialer) Register(ctx context.Context, t Trunk, expires time.Duration) (time.Duration, error) {
	if t.Username == "" {
		return 0, errors.New("REGISTER needs the trunk's username")
	}
	tr := t.transport()
	client, contact := d.udpClient, d.contact
	recipient := sip.Uri{Scheme: "sip", Host: t.Host, Port: t.port()}
	if tr != "udp" {
		client = d.strClient
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", tr)
		recipient.UriParams = sip.NewParams()
		recipient.UriParams.Add("transport", tr)
	}
	contact.Address.User = t.Username
	req := sip.NewRequest(sip.REGISTER, recipient)
	req.SetTransport(strings.ToUpper(tr))
	aor := sip.Uri{Scheme: "sip", User: t.Username, Host: t.fromDomain()}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	res, err := client.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		if t.Password == "" {
			return 0, fmt.Errorf("the carrier asks for a password (%d) and the trunk has none", res.StatusCode)
		}
		res, err = client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: t.Username, Password: t.Password})
	}
	if err != nil {
		return 0, fmt.Errorf("REGISTER to %s: %w", t.HostPort(), err)
	}
	if res.StatusCode != 200 {
		return 0, fmt.Errorf("REGISTER to %s: %s", t.HostPort(), statusReason(res.StatusCode, res.Reason))
	}
	granted := expires
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
			granted = time.Duration(n) * time.Second
		}
	}
	for _, h := range res.GetHeaders("Contact") {
		if _, v, ok := strings.Cut(h.Value(), "expires="); ok {
			v, _, _ = strings.Cut(v, ";")
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				granted = min(granted, time.Duration(n)*time.Second)
			}
		}
	}
	return granted, nil
}

// Registrations keeps the trunks that ask for it registered with their
// carriers: each worker process registers its own contact, renews every
// registration halfway through what the carrier granted, retries a failed
// one after RetryAfter, and records in the trunk's row until when it holds
// and what the carrier last answered.
type Registrations struct {
	Dialer Registerer
	Trunks *TrunkStore
	Logger *slog.Logger
	// Expires is what REGISTER asks for (0: one hour).
	Expires time.Duration
	// Every is how often the list of trunks is read again (0: 30 s), and
	// RetryAfter how long a failed registration waits (0: 30 s).
	Every, RetryAfter time.Duration

	mu   sync.Mutex
	next map[uuid.UUID]time.Time
}

// Run registers until ctx ends.
func (r *Registrations) Run(ctx context.Context) {
	every := orDefault(r.Every, 30*time.Second)
	r.mu.Lock()
	r.next = map[uuid.UUID]time.Time{}
	r.mu.Unlock()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		wake := r.round(ctx)
		timer.Reset(min(every, max(time.Until(wake), 100*time.Millisecond)))
	}
}

// round registers the trunks that are due and returns when the next one
// will be.
func (r *Registrations) round(ctx context.Context) time.Time {
	expires := orDefault(r.Expires, time.Hour)
	retry := orDefault(r.RetryAfter, 30*time.Second)
	soonest := time.Now().Add(time.Hour)
	list, err := r.Trunks.Registering(ctx)
	if err != nil {
		// The database away: what is registered stays, and is looked at
		// again shortly.
		if r.Logger != nil {
			r.Logger.WarnContext(ctx, "trunks to register not read", slog.Any("error", err))
		}
		return time.Now().Add(retry)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[uuid.UUID]bool{}
	for _, rt := range list {
		seen[rt.TrunkID] = true
		if due, ok := r.next[rt.TrunkID]; ok && time.Now().Before(due) {
			soonest = minTime(soonest, due)
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		granted, err := r.Dialer.Register(rctx, rt.Trunk, expires)
		cancel()
		var until *time.Time
		detail := "registered"
		next := time.Now().Add(retry)
		if err != nil {
			detail = err.Error()
			if r.Logger != nil {
				r.Logger.WarnContext(ctx, "trunk not registered", slog.String("trunk", rt.TrunkID.String()), slog.Any("error", err))
			}
		} else {
			u := time.Now().Add(granted)
			until = &u
			next = time.Now().Add(max(granted/2, time.Second))
		}
		r.next[rt.TrunkID] = next
		soonest = minTime(soonest, next)
		if err := r.Trunks.RecordRegistration(ctx, rt.TenantID, rt.TrunkID, until, detail); err != nil && r.Logger != nil {
			r.Logger.WarnContext(ctx, "a trunk's registration not recorded", slog.Any("error", err))
		}
	}
	for id := range r.next {
		if !seen[id] {
			delete(r.next, id) // no longer registering: forgotten
		}
	}
	return soonest
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
