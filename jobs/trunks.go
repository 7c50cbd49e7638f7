package jobs

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/outcall/outcall/telephony"
)

// CheckTrunksArgs asks to ping every enabled trunk with SIP OPTIONS.
type CheckTrunksArgs struct{}

// Kind names the job in River's table.
func (CheckTrunksArgs) Kind() string { return "check_trunks" }

// CheckTrunksWorker records whether each tenant's trunks answer, so the
// portal can show a trunk that went down before a campaign finds out.
type CheckTrunksWorker struct {
	river.WorkerDefaults[CheckTrunksArgs]
	Trunks *telephony.TrunkStore
	Pinger telephony.Pinger
}

// Work pings the trunks.
func (w *CheckTrunksWorker) Work(ctx context.Context, job *river.Job[CheckTrunksArgs]) error {
	_, err := w.Trunks.CheckAll(ctx, w.Pinger)
	return err
}

// CheckCallerIDsArgs asks to rest every tenant's caller IDs whose answer
// rate collapsed.
type CheckCallerIDsArgs struct{}

// Kind names the job in River's table.
func (CheckCallerIDsArgs) Kind() string { return "check_caller_ids" }

// CheckCallerIDsWorker runs the caller-ID health check (see
// telephony.CallerIDs): a number phone apps have marked as spam is rested
// before it burns a campaign's contacts.
type CheckCallerIDsWorker struct {
	river.WorkerDefaults[CheckCallerIDsArgs]
	CallerIDs *telephony.CallerIDs
	Logger    *slog.Logger
}

// Work checks the numbers and logs the ones it rested (masked).
func (w *CheckCallerIDsWorker) Work(ctx context.Context, job *river.Job[CheckCallerIDsArgs]) error {
	n, err := w.CallerIDs.CheckAll(ctx)
	if n > 0 {
		w.Logger.InfoContext(ctx, "caller IDs rested for a collapsed answer rate", slog.Int("numbers", n))
	}
	return err
}
