package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// HoldResultsFor bounds how long a finished job waits for the database to
// come back before it hands its result to River anyway. It stays under
// RescueStuckJobsAfter, so a held job is never taken for a stuck one.
const HoldResultsFor = 90 * time.Second

// holdResults keeps each job's result until the database can take it.
// River records a job's end through its completer, which retries a few
// times over some seconds and then drops the update: a job that ended
// while PostgreSQL was away stayed running until the rescuer took it,
// minutes later, and for a campaign's pacer the whole campaign stalled that
// long. Held here, the result reaches River once the database is back.
type holdResults struct {
	river.WorkerMiddlewareDefaults
	pool   *pgxpool.Pool
	logger *slog.Logger
	limit  time.Duration
	every  time.Duration
}

// Work runs the job, then waits while the database does not answer, up to
// the limit, or until the job's context is cancelled (its worker stops
// without waiting).
func (h *holdResults) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	err := doInner(ctx)
	if errors.Is(ctx.Err(), context.Canceled) {
		return err
	}
	if h.ping(ctx) {
		return err
	}
	held := time.Now()
	wait := context.WithoutCancel(ctx)
	for time.Since(held) < h.limit {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return err
			}
		case <-time.After(h.every):
		}
		if h.ping(wait) {
			h.logger.WarnContext(ctx, "the database is back: handing a held job's result to River",
				slog.String("kind", job.Kind), slog.Int64("job", job.ID), slog.Duration("held", time.Since(held).Round(time.Millisecond)))
			return err
		}
	}
	h.logger.ErrorContext(ctx, "the database stayed away: handing a held job's result to River anyway",
		slog.String("kind", job.Kind), slog.Int64("job", job.ID), slog.Duration("held", time.Since(held).Round(time.Millisecond)))
	return err
}

// ping reports whether the database answers within a few seconds.
func (h *holdResults) ping(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	return h.pool.Ping(ctx) == nil
}
