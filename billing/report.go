package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v79"
)

// Reporting limits.
const (
	// MaxEventAge is how old a meter event Stripe accepts (35 days), less
	// an hour of margin.
	MaxEventAge = 35*24*time.Hour - time.Hour
	// maxReportAttempts is how often a row Stripe refuses is tried before
	// it is marked failed; outages are retried without limit.
	maxReportAttempts = 10
	// reportBatch bounds the rows one run reports per tenant, so one busy
	// tenant does not starve the others.
	reportBatch = 1000
	// reportConcurrency is how many tenants report at once.
	reportConcurrency = 8
)

// ReportResult counts what one reporting run did.
type ReportResult struct {
	Reported int // meter events Stripe accepted and rows marked
	Failed   int // sends that failed (the rows retry later)
}

// MeterEvent is what the ledger sends to Stripe for one row.
type MeterEvent struct {
	EventName  string
	Identifier string
	Customer   string
	Value      int64
	Timestamp  time.Time
}

// ReportUsage sends every tenant's pending ledger rows to Stripe Billing
// Meters, one meter event per row with the row's id as identifier, and
// marks each row reported only after Stripe accepted its event. A crash
// between the two leaves the row pending; the next run sends the same
// identifier again and Stripe counts it once. A failed send leaves the row
// pending with a backoff, and the run carries on with other tenants. It
// returns the first send error so the job's log shows outages.
func (s *Service) ReportUsage(ctx context.Context) (ReportResult, error) {
	var res ReportResult
	if !s.Enabled() {
		return res, nil
	}
	rows, err := s.db.Pool().Query(ctx, `SELECT tenant_id FROM billing_tenants_with_pending_usage(500)`)
	if err != nil {
		return res, err
	}
	tenantIDs, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return res, err
	}
	// Tenants report side by side, each in order; one slow tenant does
	// not hold up the others.
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		dbErr    error
		slots    = make(chan struct{}, reportConcurrency)
	)
	for _, tenantID := range tenantIDs {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			for range reportBatch {
				done, sendErr, err := s.reportOne(ctx, tenantID)
				mu.Lock()
				switch {
				case err != nil:
					if dbErr == nil {
						dbErr = err
					}
				case sendErr != nil:
					res.Failed++
					if firstErr == nil {
						firstErr = sendErr
					}
				case !done:
					res.Reported++
				}
				mu.Unlock()
				if err != nil || sendErr != nil || done {
					return // a failure waits for its backoff; the next tenant goes on
				}
			}
		}()
	}
	wg.Wait()
	if dbErr != nil {
		return res, dbErr
	}
	return res, firstErr
}

// reportOne reports the tenant's oldest due row in its own transaction:
// the row stays locked (others skip it) while its event is sent, and is
// marked in the same transaction once Stripe accepted the event.
func (s *Service) reportOne(ctx context.Context, tenantID uuid.UUID) (done bool, sendErr, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var (
			id       uuid.UUID
			meter    string
			quantity int64
			occurred time.Time
			attempts int
			customer string
		)
		// The row is billed on the meter of the plan it was priced by (the
		// tenant's plan when the call ended), as that plan says now.
		err := tx.QueryRow(ctx, `SELECT l.id, CASE l.kind WHEN 'call_attempt' THEN coalesce(p.attempts_meter, '') ELSE coalesce(p.minutes_meter, '') END,
				l.quantity, l.occurred_at, l.report_attempts, a.stripe_customer_id
			FROM usage_ledger l JOIN billing_accounts a ON a.tenant_id = l.tenant_id
			LEFT JOIN plans p ON p.id = l.plan
			WHERE l.tenant_id = $1 AND l.stripe_status = 'pending' AND l.next_report_at <= now() AND a.stripe_customer_id IS NOT NULL
			ORDER BY l.next_report_at, l.occurred_at LIMIT 1 FOR UPDATE OF l SKIP LOCKED`, tenantID).
			Scan(&id, &meter, &quantity, &occurred, &attempts, &customer)
		if errors.Is(err, pgx.ErrNoRows) {
			done = true
			return nil
		}
		if err != nil {
			return err
		}
		if meter == "" {
			_, err := tx.Exec(ctx, `UPDATE usage_ledger SET stripe_status = 'not_billed' WHERE id = $1`, id)
			return err
		}
		if time.Since(occurred) > MaxEventAge {
			s.log.WarnContext(ctx, "usage too old for Stripe; not billed", slog.String("tenant", tenantID.String()), slog.String("row", id.String()))
			_, err := tx.Exec(ctx, `UPDATE usage_ledger SET stripe_status = 'failed', report_error = 'older than the 35 days Stripe accepts' WHERE id = $1`, id)
			return err
		}
		ev := MeterEvent{EventName: meter, Identifier: id.String(), Customer: customer, Value: quantity, Timestamp: occurred}
		if sendErr = s.send(ctx, ev); sendErr != nil {
			permanent := isPermanent(sendErr)
			status := "pending"
			if permanent && attempts+1 >= maxReportAttempts {
				status = "failed"
			}
			s.log.WarnContext(ctx, "meter event not accepted", slog.String("tenant", tenantID.String()), slog.String("row", id.String()),
				slog.Int("attempt", attempts+1), slog.Bool("permanent", permanent), slog.Any("error", sendErr))
			_, err := tx.Exec(ctx, `UPDATE usage_ledger SET stripe_status = $2, report_attempts = report_attempts + 1,
				next_report_at = now() + $3 * interval '1 second', report_error = $4 WHERE id = $1`,
				id, status, backoff(attempts+1).Seconds(), truncate(sendErr.Error(), 500))
			return err
		}
		if s.afterSend != nil {
			if err := s.afterSend(id); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE usage_ledger SET stripe_status = 'reported', reported_at = now(),
			report_attempts = report_attempts + 1, report_error = NULL WHERE id = $1`, id)
		return err
	})
	return done, sendErr, err
}

// send posts one meter event. Stripe answering that the identifier exists
// already means an earlier send got through: that counts as accepted.
func (s *Service) send(ctx context.Context, ev MeterEvent) error {
	params := &stripe.BillingMeterEventParams{
		EventName:  stripe.String(ev.EventName),
		Identifier: stripe.String(ev.Identifier),
		Payload:    map[string]string{"stripe_customer_id": ev.Customer, "value": strconv.FormatInt(ev.Value, 10)},
		Timestamp:  stripe.Int64(ev.Timestamp.Unix()),
	}
	params.Context = ctx
	_, err := s.sc.BillingMeterEvents.New(params)
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode == 400 {
		msg := strings.ToLower(se.Msg)
		if strings.Contains(msg, "identifier") && (strings.Contains(msg, "already") || strings.Contains(msg, "duplicate")) {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("send meter event %s: %w", ev.Identifier, err)
	}
	return nil
}

// isPermanent reports whether Stripe refused the request itself (a 4xx
// other than 409 and 429), which no amount of waiting fixes.
func isPermanent(err error) bool {
	var se *stripe.Error
	return errors.As(err, &se) && se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 &&
		se.HTTPStatusCode != 409 && se.HTTPStatusCode != 429
}

// backoff is the wait before the next try of a row: 30 s doubling to an
// hour at most.
func backoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
