package billing_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

var (
	mockOnce sync.Once
	mockURL  string
	mockErr  error
)

// stripeMock returns the base URL of a stripe-mock (github.com/stripe/stripe-mock,
// v0.203.0) the tests start once, or skips the test when the binary is not
// installed. stripe-mock listens on a Unix socket of its own (a TCP port
// picked for it could be taken before it binds it) and the tests reach it
// through a loopback server of this process, bound to a port of its
// choosing.
func stripeMock(t *testing.T) string {
	t.Helper()
	mockOnce.Do(func() { mockURL, mockErr = startStripeMock() })
	if mockErr == errNoMock {
		t.Skip("stripe-mock is not installed: go install github.com/stripe/stripe-mock@v0.203.0")
	}
	if mockErr != nil {
		t.Fatalf("stripe-mock: %v", mockErr)
	}
	return mockURL
}

var errNoMock = fmt.Errorf("stripe-mock not found")

func startStripeMock() (string, error) {
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		home, _ := os.UserHomeDir()
		candidates := []string{filepath.Join(home, "go", "bin", "stripe-mock")}
		if gp := os.Getenv("GOPATH"); gp != "" {
			candidates = append(candidates, filepath.Join(gp, "bin", "stripe-mock"))
		}
		for _, c := range candidates {
			if _, err := os.Stat(c); err == nil {
				bin = c
				break
			}
		}
	}
	if bin == "" {
		return "", errNoMock
	}
	dir, err := os.MkdirTemp("", "stripe-mock-")
	if err != nil {
		return "", err
	}
	sock := filepath.Join(dir, "http.sock")
	cmd := exec.Command(bin, "-http-unix", sock)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return "", err
	}
	// The process lives as long as the test binary; it dies with it.
	for i := 0; ; i++ {
		c, err := net.DialTimeout("unix", sock, 100*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if i == 200 {
			cmd.Process.Kill()
			return "", fmt.Errorf("stripe-mock did not listen on %s: %v", sock, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: "stripe-mock"})
	rp.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}
	return httptest.NewServer(rp).URL, nil
}

// meterRecorder stands between outcall and stripe-mock and records every
// meter event request by identifier: what it forwarded, and what
// stripe-mock accepted. failNext makes it answer 500 without forwarding.
type meterRecorder struct {
	mu       sync.Mutex
	sent     map[string]int // requests per identifier
	accepted map[string]int // 200 answers per identifier
	events   []url.Values   // every accepted event's form
	failNext int
}

func (r *meterRecorder) proxy(t *testing.T, target string) string {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/billing/meter_events" {
			rp.ServeHTTP(w, req)
			return
		}
		if err := req.ParseForm(); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		id := req.PostForm.Get("identifier")
		r.mu.Lock()
		r.sent[id]++
		fail := r.failNext > 0
		if fail {
			r.failNext--
		}
		r.mu.Unlock()
		if fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":{"type":"api_error","message":"simulated outage"}}`)
			return
		}
		// Forward the form as read.
		body := req.PostForm.Encode()
		fwd, _ := http.NewRequestWithContext(req.Context(), req.Method, target+req.URL.Path, strings.NewReader(body))
		fwd.Header = req.Header.Clone()
		fwd.ContentLength = int64(len(body))
		resp, err := http.DefaultClient.Do(fwd)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode == 200 {
			r.mu.Lock()
			r.accepted[id]++
			r.events = append(r.events, req.PostForm)
			r.mu.Unlock()
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func newRecorder() *meterRecorder {
	return &meterRecorder{sent: map[string]int{}, accepted: map[string]int{}}
}

func (r *meterRecorder) counts() (sent, accepted map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sent, accepted = map[string]int{}, map[string]int{}
	for k, v := range r.sent {
		sent[k] = v
	}
	for k, v := range r.accepted {
		accepted[k] = v
	}
	return sent, accepted
}

// env is a migrated database with the billing service over it.
type env struct {
	t     *testing.T
	url   string
	db    *tenants.DB
	admin *pgx.Conn // the owner's connection, past row-level security, for fixtures
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, url := dbtest.Open(context.Background(), t)
	admin, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	return &env{t: t, url: url, db: db, admin: admin}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// service returns billing over the env's database; base "" turns Stripe off.
func (e *env) service(base string) *billing.Service {
	cfg := billing.Config{DB: e.db, Logger: quiet, WebhookSecret: testWebhookSecret,
		PriceIDs: map[string]string{
			"outcall_payg_minutes": "price_payg_minutes", "outcall_payg_attempts": "price_payg_attempts",
			"outcall_pro_monthly": "price_pro_monthly", "outcall_pro_minutes": "price_pro_minutes",
		}}
	if base != "" {
		cfg.StripeKey, cfg.APIBase = "sk_test_123", base
	}
	return billing.New(cfg)
}

const testWebhookSecret = "whsec_test_secret"

// tenant makes a tenant on plan and returns its id.
func (e *env) tenant(name, plan string) uuid.UUID {
	e.t.Helper()
	id := uuid.New()
	e.exec(`INSERT INTO tenants (id, name, plan) VALUES ($1, $2, $3)`, id, name, plan)
	return id
}

// customer gives a tenant a Stripe customer id, as Checkout would.
func (e *env) customer(tenantID uuid.UUID, customerID string) {
	e.exec(`INSERT INTO billing_accounts (tenant_id, stripe_customer_id) VALUES ($1, $2)
		ON CONFLICT (tenant_id) DO UPDATE SET stripe_customer_id = $2`, tenantID, customerID)
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.admin.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.admin.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// inTenant runs fn in a tenant transaction, failing the test on error.
func (e *env) inTenant(tenantID uuid.UUID, fn func(tx pgx.Tx) error) {
	e.t.Helper()
	if err := e.db.InTenant(context.Background(), tenantID, fn); err != nil {
		e.t.Fatal(err)
	}
}

// record closes a call of tenantID with seconds connected.
func (e *env) record(tenantID uuid.UUID, campaign *uuid.UUID, seconds int) uuid.UUID {
	e.t.Helper()
	call := uuid.New()
	e.inTenant(tenantID, func(tx pgx.Tx) error {
		return billing.RecordCall(context.Background(), tx, nil, tenantID, billing.CallUsage{CallID: call, CampaignID: campaign, ConnectedSeconds: seconds, EndedAt: time.Now()})
	})
	return call
}

// canDial is CanDial in its own transaction.
func (e *env) canDial(tenantID uuid.UUID) error {
	var out error
	e.inTenant(tenantID, func(tx pgx.Tx) error {
		out = billing.CanDial(context.Background(), tx, tenantID, time.Now())
		return nil
	})
	return out
}
