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
type DialWorker struct {
	river.WorkerDefaults[campaigns.DialArgs]
	Campaigns *campaigns.Service
	Placer    campaigns.Placer
	Logger    *slog.Logger
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
	d, err := w.Campaigns.BeginDial(ctx, job.Args)
	if errors.Is(err, campaigns.ErrNoFreeLine) {
		return river.JobSnooze(time.Second)
	}
	if err != nil || !d.Place {
		return err
	}
	req := d.Request
	tenantID, callID := req.TenantID, req.CallID
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
