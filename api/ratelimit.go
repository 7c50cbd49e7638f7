package api

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/time/rate"

	"github.com/outcall/outcall/tenants"
)

// RateLimits are the request rates allowed, as steady rate per second and
// burst. Each API key (or portal user) and each tenant has its own bucket;
// unauthenticated operations (signup, login) are limited per client address.
// The buckets live in each API process, so N processes allow up to N times
// the rate; put a shared limiter in front for exact global limits.
type RateLimits struct {
	PerKey, PerTenant, PerAddress rate.Limit
	KeyBurst, TenantBurst         int
	AddressBurst                  int
}

// DefaultRateLimits suit an integration syncing contacts and a busy portal.
var DefaultRateLimits = RateLimits{PerKey: 20, KeyBurst: 40, PerTenant: 50, TenantBurst: 100, PerAddress: 2, AddressBurst: 10}

type limiters struct {
	mu     sync.Mutex
	byName map[string]*limiterEntry
	last   time.Time
}

type limiterEntry struct {
	l    *rate.Limiter
	seen time.Time
}

func (ls *limiters) get(name string, r rate.Limit, burst int) *rate.Limiter {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	now := time.Now()
	if ls.byName == nil {
		ls.byName = map[string]*limiterEntry{}
	}
	if now.Sub(ls.last) > time.Minute { // forget idle buckets (they are full again anyway)
		for k, e := range ls.byName {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(ls.byName, k)
			}
		}
		ls.last = now
	}
	e, ok := ls.byName[name]
	if !ok {
		e = &limiterEntry{l: rate.NewLimiter(r, burst)}
		ls.byName[name] = e
	}
	e.seen = now
	return e.l
}

// rateLimit answers 429 with Retry-After when a bucket is empty, and tells
// every caller where it stands with RateLimit-Limit/-Remaining/-Reset.
func (s *Server) rateLimit(ctx huma.Context, next func(huma.Context)) {
	lim := s.cfg.RateLimits
	type bucket struct {
		l     *rate.Limiter
		burst int
	}
	var buckets []bucket
	if p, ok := tenants.PrincipalFrom(ctx.Context()); ok {
		who := "user:"
		if p.KeyID != nil {
			who = "key:" + p.KeyID.String()
		} else if p.UserID != nil {
			who += p.UserID.String()
		}
		buckets = append(buckets,
			bucket{s.limiters.get(who, lim.PerKey, lim.KeyBurst), lim.KeyBurst},
			bucket{s.limiters.get("tenant:"+p.TenantID.String(), lim.PerTenant, lim.TenantBurst), lim.TenantBurst})
	} else if ctx.Method() == http.MethodPost && ctx.Operation().OperationID != "stripe-webhook" {
		// Stripe's webhook is exempt: its signature is its credential and
		// Stripe's own delivery paces it.
		host, _, err := net.SplitHostPort(ctx.RemoteAddr())
		if err != nil {
			host = ctx.RemoteAddr()
		}
		buckets = append(buckets, bucket{s.limiters.get("addr:"+host, lim.PerAddress, lim.AddressBurst), lim.AddressBurst})
	}
	if len(buckets) == 0 {
		next(ctx)
		return
	}
	now := time.Now()
	var (
		wait      time.Duration
		tightest  = buckets[0]
		remaining = math.MaxInt
	)
	reservations := make([]*rate.Reservation, 0, len(buckets))
	for _, b := range buckets {
		r := b.l.ReserveN(now, 1)
		reservations = append(reservations, r)
		if d := r.DelayFrom(now); d > wait {
			wait = d
		}
		if left := int(b.l.TokensAt(now)); left < remaining {
			remaining, tightest = left, b
		}
	}
	if remaining < 0 {
		remaining = 0
	}
	ctx.SetHeader("RateLimit-Limit", strconv.Itoa(tightest.burst))
	ctx.SetHeader("RateLimit-Remaining", strconv.Itoa(remaining))
	refill := time.Duration(float64(tightest.burst-remaining) / float64(tightest.l.Limit()) * float64(time.Second))
	ctx.SetHeader("RateLimit-Reset", strconv.Itoa(int(math.Ceil(refill.Seconds()))))
	if wait > 0 {
		for _, r := range reservations {
			r.CancelAt(now)
		}
		secs := int(math.Ceil(wait.Seconds()))
		ctx.SetHeader("Retry-After", strconv.Itoa(secs))
		huma.WriteErr(s.api, ctx, http.StatusTooManyRequests, fmt.Sprintf("too many requests: retry after %d s", secs))
		return
	}
	next(ctx)
}
