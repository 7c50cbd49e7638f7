package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/tenants"
)

// DeliverWorker posts events to endpoints.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	DB     *tenants.DB
	Logger *slog.Logger
	// Client sends the requests; NewHTTPClient builds the safe default.
	Client *http.Client
	// DisableAfter disables an endpoint after this many failed attempts in
	// a row (across events); a delivery that exhausts its attempts disables
	// it too.
	DisableAfter int
	// RetryBase is the first retry's delay; each next one doubles, up to
	// RetryCap, with ±20 % jitter. Defaults: 30 s and 12 h, which with
	// DefaultMaxAttempts spans about three days.
	RetryBase, RetryCap time.Duration
}

// Timeout bounds one delivery attempt.
const Timeout = 10 * time.Second

// NewHTTPClient returns the client deliveries use: a 10 s timeout, no
// redirects followed (a redirect is a failed attempt: the receiver must
// answer at its registered URL), and, unless allowPrivate, no connections to
// internal addresses.
func NewHTTPClient(allowPrivate bool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = safeDialer(allowPrivate).DialContext
	tr.Proxy = nil
	return &http.Client{
		Timeout:   Timeout,
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// DefaultRetryBase is the first retry's delay when RetryBase is not set.
const DefaultRetryBase = 30 * time.Second

// NextRetry backs off exponentially with jitter (±20%).
func (w *DeliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	base, cap := w.RetryBase, w.RetryCap
	if base <= 0 {
		base = DefaultRetryBase
	}
	if cap <= 0 {
		cap = 12 * time.Hour
	}
	d := base
	for i := 1; i < job.Attempt && d < cap; i++ {
		d *= 2
	}
	d = min(d, cap)
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	return time.Now().Add(d + jitter)
}

// Timeout leaves room for the request and the bookkeeping around it.
func (w *DeliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return Timeout + 20*time.Second
}

type endpointRow struct {
	url, secret    string
	previousSecret *string
	enabled        bool
}

// Work delivers one event to one endpoint and logs the attempt.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	a := job.Args
	var ep endpointRow
	var ev Event
	err := w.DB.InTenant(ctx, a.TenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT url, secret, CASE WHEN previous_secret_expires_at > now() THEN previous_secret END, enabled
			FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, a.TenantID, a.EndpointID).Scan(&ep.url, &ep.secret, &ep.previousSecret, &ep.enabled)
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT id, type, created_at, tenant_id, data FROM webhook_events WHERE tenant_id = $1 AND id = $2`, a.TenantID, a.EventID).
			Scan(&ev.ID, &ev.Type, &ev.CreatedAt, &ev.TenantID, &ev.Data)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return river.JobCancel(fmt.Errorf("endpoint or event no longer exists"))
	}
	if err != nil {
		return err
	}
	if !ep.enabled {
		return river.JobCancel(fmt.Errorf("endpoint is disabled"))
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return river.JobCancel(err)
	}

	secrets := []string{ep.secret}
	if ep.previousSecret != nil {
		secrets = append(secrets, *ep.previousSecret)
	}
	status, excerpt, latency, sendErr := w.send(ctx, ep.url, body, ev, secrets)
	failed := sendErr != nil || status < 200 || status > 299

	err = w.DB.InTenant(ctx, a.TenantID, func(tx pgx.Tx) error {
		var errText *string
		if sendErr != nil {
			s := sendErr.Error()
			errText = &s
		} else if failed {
			s := fmt.Sprintf("the endpoint answered %d", status)
			errText = &s
		}
		var statusCode *int
		if status != 0 {
			statusCode = &status
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, attempt, status_code, error, latency_ms, response_excerpt)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			uuid.New(), a.TenantID, a.EndpointID, a.EventID, job.Attempt, statusCode, errText, latency.Milliseconds(), excerpt); err != nil {
			return err
		}
		if !failed {
			_, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE tenant_id = $1 AND id = $2`, a.TenantID, a.EndpointID)
			return err
		}
		var failures int
		if err := tx.QueryRow(ctx, `UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1 WHERE tenant_id = $1 AND id = $2 RETURNING consecutive_failures`,
			a.TenantID, a.EndpointID).Scan(&failures); err != nil {
			return err
		}
		disableAfter := w.DisableAfter
		if disableAfter <= 0 {
			disableAfter = 100
		}
		if failures >= disableAfter || job.Attempt >= job.MaxAttempts {
			reason := fmt.Sprintf("disabled after %d failed deliveries in a row; last: %s", failures, *errText)
			if job.Attempt >= job.MaxAttempts {
				reason = fmt.Sprintf("disabled after event %s failed all %d delivery attempts; last: %s", ev.ID, job.MaxAttempts, *errText)
			}
			return disable(ctx, tx, a.TenantID, a.EndpointID, ep.url, reason)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if failed {
		if sendErr != nil {
			return fmt.Errorf("deliver %s: %w", ev.Type, sendErr)
		}
		return fmt.Errorf("deliver %s: the endpoint answered %d", ev.Type, status)
	}
	return nil
}

func disable(ctx context.Context, tx pgx.Tx, tenantID, endpointID uuid.UUID, url, reason string) error {
	tag, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $3 WHERE tenant_id = $1 AND id = $2 AND enabled`, tenantID, endpointID, reason)
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO notices (id, tenant_id, kind, message) VALUES ($1, $2, 'webhook endpoint disabled', $3)`,
		uuid.New(), tenantID, fmt.Sprintf("webhook endpoint disabled: %s was %s. Fix the receiver, then enable the endpoint again.", url, reason))
	return err
}

// maxExcerpt is how much of a receiver's answer the delivery log keeps; at
// most maxDrain more is read (to reuse the connection) before hanging up.
const (
	maxExcerpt = 1024
	maxDrain   = 64 << 10
)

func (w *DeliverWorker) send(ctx context.Context, url string, body []byte, ev Event, secrets []string) (status int, excerpt string, latency time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "outcall-webhooks/1")
	req.Header.Set("Outcall-Event-Id", ev.ID.String())
	req.Header.Set("Outcall-Event-Type", ev.Type)
	req.Header.Set(SignatureHeader, Sign(body, time.Now(), secrets...))
	client := w.Client
	if client == nil {
		client = NewHTTPClient(false)
	}
	start := time.Now()
	res, err := client.Do(req)
	latency = time.Since(start)
	if err != nil {
		return 0, "", latency, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, maxExcerpt))
	io.Copy(io.Discard, io.LimitReader(res.Body, maxDrain))
	latency = time.Since(start)
	return res.StatusCode, strings.ToValidUTF8(string(b), string(utf8.RuneError)), latency, nil
}
