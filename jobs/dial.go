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

	leases *leaseKeeper
}

// closeRetryFor is how long a dial job keeps trying to record its call's
// end while the database is away.
const closeRetryFor = 5 * time.Minute

// Timeout covers the longest call.
func (w *DialWorker) Timeout(*river.Job[campaigns.DialArgs]) time.Duration { return 2 * time.Hour }

// Work dials one contact, or records why not.
func (w *DialWorker) Work(ctx context.Context, job *river.Job[campaigns.DialArgs]) error {
	if w.Placer == nil {
		w.Logger.WarnContext(ctx, "no dialer configured: dial jobs wait", slog.String("campaign", job.Args.CampaignID.String()))
		return river.JobSnooze(time.Minute)
	}
	release, ok := w.Drain.admit()
	if !ok {
		// This process is stopping: the job goes back to the queue, for
		// another worker, without using up an attempt.
		return river.JobSnooze(0)
	}
	d, err := func() (*campaigns.Dial, error) {
		defer release()
		return w.Campaigns.BeginDial(ctx, job.Args)
	}()
	if errors.Is(err, campaigns.ErrNoFreeLine) {
		return river.JobSnooze(time.Second)
	}
	if err != nil || !d.Place {
		return err
	}
	req := d.Request
	tenantID, callID := req.TenantID, req.CallID
	if w.leases != nil {
		defer w.leases.hold(tenantID, callID)()
	}
	req.Answered = func(at time.Time) {
		if err := w.Campaigns.MarkAnswered(context.WithoutCancel(ctx), tenantID, callID, at); err != nil {
			w.Logger.WarnContext(ctx, "cannot mark call answered", slog.String("call", callID.String()), slog.Any("error", err))
		}
	}
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
	// The call happened: keep trying to record it, through a database
	// restart or a minute's outage (a retried job would close it as
	// interrupted and lose what the placer reported: its outcome, its
	// turns, a callee's "stop").
	closeCtx := context.WithoutCancel(ctx)
	start := time.Now()
	for try := 0; ; try++ {
		_, err = w.Campaigns.CloseCall(closeCtx, tenantID, callID, res)
		if err == nil || time.Since(start) > closeRetryFor {
			return err
		}
		time.Sleep(min(time.Duration(100<<min(try, 6))*time.Millisecond, 5*time.Second))
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
