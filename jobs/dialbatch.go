package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/campaigns"
)

// DialBatchWorker runs the dials of a batch job side by side, each as a
// dial job would (see DialWorker): its check, its call, its close, its line
// lease, the spool. A dial that finds no free line tries again a second
// later; the dials not begun when the process drains go back to the queue
// as a batch of their own, for another worker, and those of a process that
// died go back with their whole batch once its heartbeat stops (see
// LeaseTiming). When a dial fails, the
// batch fails once the others are done and River runs it again: the
// contacts already dialled are skipped by their checks (an attempt made is
// never made again) and a call cut off mid-way is closed as interrupted.
type DialBatchWorker struct {
	river.WorkerDefaults[campaigns.DialBatchArgs]
	Dial *DialWorker
}

// Timeout covers the longest call.
func (w *DialBatchWorker) Timeout(*river.Job[campaigns.DialBatchArgs]) time.Duration {
	return 2 * time.Hour
}

// noLineRetry is how long a dial that found every line busy waits to try
// again.
const noLineRetry = time.Second

// Work places the batch's calls.
func (w *DialBatchWorker) Work(ctx context.Context, job *river.Job[campaigns.DialBatchArgs]) error {
	if w.Dial.Placer == nil {
		w.Dial.Logger.WarnContext(ctx, "no dialer configured: dial jobs wait", slog.String("campaign", job.Args.CampaignID.String()))
		return river.JobSnooze(time.Minute)
	}
	// While the batch runs its worker beats for it: if the worker dies,
	// the lease reaper hands the batch back (see staleBatches) instead of
	// leaving the dials it had not begun queued until River's Timeout.
	if w.Dial.leases != nil {
		defer w.Dial.leases.holdJob(job.ID)()
	}
	dials := job.Args.Each()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		back     []campaigns.BatchDial
		failures []error
	)
	for i, a := range dials {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := w.dial(ctx, a)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, errHandBack):
				back = append(back, job.Args.Dials[i])
			case err != nil:
				failures = append(failures, fmt.Errorf("contact %s: %w", a.ContactID, err))
			}
		}()
	}
	wg.Wait()
	if len(back) == len(dials) {
		// Nothing begun here: the whole batch goes back, no attempt used.
		return river.JobSnooze(0)
	}
	if len(back) > 0 {
		if err := handBack(ctx, job.Args, back); err != nil {
			failures = append(failures, fmt.Errorf("hand back %d dials: %w", len(back), err))
		}
	}
	return errors.Join(failures...)
}

// awayRetryFor is how long a dial of a batch keeps trying while the
// database is away, before it fails the batch (which River runs again).
// A dial job of its own would be retried by River alone; within a batch it
// must not wait for the batch's longest call to end meanwhile, holding its
// contact queued against the tenant's free lines.
const awayRetryFor = 2 * time.Minute

// dial runs one dial of the batch, waiting for a free line as long as it
// must, and for the database up to awayRetryFor. Trying a dial again is
// safe: its check refuses an attempt already made, and closes one cut off.
func (w *DialBatchWorker) dial(ctx context.Context, a campaigns.DialArgs) error {
	start := time.Now()
	for try := 0; ; try++ {
		err := w.Dial.dial(ctx, a)
		wait := noLineRetry
		switch {
		case errors.Is(err, campaigns.ErrNoFreeLine):
		case databaseAway(err) && ctx.Err() == nil && time.Since(start) < awayRetryFor:
			wait = min(time.Duration(250<<min(try, 6))*time.Millisecond, 10*time.Second)
		default:
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		case <-w.Dial.Drain.Draining():
			return errHandBack
		}
	}
}

// handBack queues the dials a draining process did not begin as a batch of
// their own.
func handBack(ctx context.Context, args campaigns.DialBatchArgs, dials []campaigns.BatchDial) error {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	args.Dials = dials
	_, err = client.Insert(context.WithoutCancel(ctx), args, nil)
	return err
}
