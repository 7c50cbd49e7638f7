package jobs

import (
	"context"

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
