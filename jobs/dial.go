package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/telephony"
)

// DialQueue holds dial jobs. A dial job holds its worker for the whole call,
// so the queue's worker count bounds the calls one process carries.
const DialQueue = campaigns.DialQueue

// DialWorker runs one attempt: the compliance check that records it (one
// transaction), the call through Placer (no transaction open), and the
// closing transaction that writes the call record and its follow-ups.
//
// While a call lasts its worker renews the call's line lease (see
// LeaseTiming); once the process drains (Drain), no dial starts here, and a
// call hung up because the drain deadline passed is closed as interrupted
// with ReasonShutdown.
type DialWorker struct {
	river.WorkerDefaults[campaigns.DialArgs]
	Campaigns *campaigns.Service
	Placer    campaigns.Placer
	Logger    *slog.Logger
	// Drain, when set, stops new dials once it begins.
	Drain *Drain
	// Spool, when set, takes the closes the database cannot take within
	// its RetryFor (at once while the process drains), so the job ends
	// with its call's result safe on disk (see Spool).
	Spool *Spool

	leases *leaseKeeper
	// places bounds the calls this process carries at once, across dial
	// and dial batch jobs (nil: River's worker count alone).
	places chan struct{}
}

// closeRetryFor is how long a dial job keeps trying to record its call's
// end while the database is away, when it has no spool or cannot write to
// it.
const closeRetryFor = 5 * time.Minute

// closeAttemptTimeout bounds one try at recording a call's end (a database
// that does not answer at all must not hold a stopping process), and
// drainCloseTimeout one while the process drains.
const (
	closeAttemptTimeout = 10 * time.Second
	drainCloseTimeout   = 3 * time.Second
)

// Timeout covers the longest call.
func (w *DialWorker) Timeout(*river.Job[campaigns.DialArgs]) time.Duration { return 2 * time.Hour }

// Work dials one contact, or records why not.
func (w *DialWorker) Work(ctx context.Context, job *river.Job[campaigns.DialArgs]) error {
	if w.Placer == nil {
		w.Logger.WarnContext(ctx, "no dialer configured: dial jobs wait", slog.String("campaign", job.Args.CampaignID.String()))
		return river.JobSnooze(time.Minute)
	}
	switch err := w.dial(ctx, job.Args); {
	case errors.Is(err, errHandBack):
		// This process is stopping: the job goes back to the queue, for
		// another worker, without using up an attempt.
		return river.JobSnooze(0)
	case errors.Is(err, campaigns.ErrNoFreeLine):
		return river.JobSnooze(time.Second)
	default:
		return err
	}
}

// errHandBack says a dial was not begun because this process drains: it
// belongs to another worker.
var errHandBack = errors.New("this process is stopping: the dial goes to another worker")

// dial runs one attempt, as Work describes: errHandBack when the process
// drains before it begins (nothing recorded), campaigns.ErrNoFreeLine when
// every line is busy (nothing recorded).
func (w *DialWorker) dial(ctx context.Context, a campaigns.DialArgs) error {
	// A call holds one of the process's call places from its check to its
	// close (see DialWorkers).
	if w.places != nil {
		select {
		case w.places <- struct{}{}:
			defer func() { <-w.places }()
		case <-ctx.Done():
			return ctx.Err()
		case <-w.Drain.Draining():
			return errHandBack
		}
	}
	release, ok := w.Drain.admit()
	if !ok {
		return errHandBack
	}
	d, err := func() (*campaigns.Dial, error) {
		defer release()
		return w.Campaigns.BeginDial(ctx, a)
	}()
	if err != nil || !d.Place {
		return err
	}
	req := d.Request
	tenantID, callID := req.TenantID, req.CallID
	// The call's line lease is renewed until its close is recorded, or
	// spooled: the spool renews it from then on.
	releaseLease, spooled := func() {}, false
	if w.leases != nil {
		releaseLease = w.leases.hold(tenantID, callID)
	}
	defer func() {
		if !spooled {
			releaseLease()
		}
	}()
	res, err := w.Placer.Place(ctx, req)
	if err != nil {
		w.Logger.WarnContext(ctx, "dial failed", slog.String("call", callID.String()), slog.String("phone", phone.Mask(req.Phone)), slog.Any("error", err))
		res = campaigns.Ending{Outcome: telephony.OutcomeFailed, EndedAt: time.Now()}
	}
	if ctx.Err() != nil {
		// We hung up, the callee did not: say so, and why, keeping what
		// the call had (answer time, turns, recording).
		res.Outcome, res.Reason = telephony.OutcomeInterrupted, w.interruption(ctx)
		if res.EndedAt.IsZero() {
			res.EndedAt = time.Now()
		}
	}
	spooled, err = w.close(ctx, req, res, releaseLease)
	return err
}

// close records how the call of req ended. The call happened: its close
// is retried through a database restart or a short outage (a retried job
// would close it as interrupted and lose what the placer reported: its
// outcome, its turns, a callee's "stop"). What the database still cannot
// take after the spool's RetryFor, or at the first failure once the
// process drains, goes to the spool: close then reports it spooled, with
// no error, and the spool has taken over releaseLease. Without a spool, or
// when the spool cannot be written, the close is retried for
// closeRetryFor and fails with the database's error.
func (w *DialWorker) close(ctx context.Context, req campaigns.Placement, res campaigns.Ending, releaseLease func()) (spooled bool, err error) {
	closeCtx := context.WithoutCancel(ctx)
	tenantID, callID := req.TenantID, req.CallID
	spool := w.Spool
	start := time.Now()
	for try := 0; ; try++ {
		timeout := closeAttemptTimeout
		if w.Drain.Began() {
			timeout = drainCloseTimeout
		}
		attemptCtx, cancel := context.WithTimeout(closeCtx, timeout)
		_, err = w.Campaigns.CloseCall(attemptCtx, tenantID, callID, res)
		cancel()
		if err == nil {
			return false, nil
		}
		// Only a database that cannot take the close now is waited for on
		// disk; one that refuses what it holds would refuse it for ever.
		if spool != nil && unavailable(err) && (time.Since(start) >= spool.retryFor || w.Drain.Began()) {
			serr := spool.Put(tenantID, callID, req.Phone, res, releaseLease)
			if serr == nil {
				w.Logger.WarnContext(ctx, "cannot record the call's end: kept in the spool until the database takes it",
					slog.String("tenant", tenantID.String()), slog.String("call", callID.String()), slog.String("phone", phone.Mask(req.Phone)),
					slog.String("outcome", string(res.Outcome)), slog.Int("turns", len(res.Turns)), slog.Bool("opt_out", res.OptOut),
					slog.String("spool", spool.Dir()), slog.Any("error", err))
				return true, nil
			}
			w.Logger.ErrorContext(ctx, "cannot spool the call's end: retrying it in memory", slog.String("call", callID.String()),
				slog.Any("error", serr), slog.Any("close_error", err))
			spool = nil
		}
		if time.Since(start) > closeRetryFor {
			return false, err
		}
		// A drain that begins during the wait sends the close to the
		// spool at once.
		var draining <-chan struct{}
		if spool != nil {
			draining = w.Drain.Draining()
		}
		t := time.NewTimer(min(time.Duration(100<<min(try, 6))*time.Millisecond, 5*time.Second))
		select {
		case <-t.C:
		case <-draining:
			t.Stop()
		}
	}
}

// interruption says why ctx, a dial job's, ended while its call was up.
func (w *DialWorker) interruption(ctx context.Context) string {
	switch {
	case w.Drain.Began():
		return ReasonShutdown
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "interrupted: the call outlasted the dial job's timeout"
	default:
		return "interrupted: the dial job was cancelled"
	}
}
