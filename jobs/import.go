package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/outcall/outcall/campaigns"
)

// ImportWorker imports an uploaded contact file.
type ImportWorker struct {
	river.WorkerDefaults[campaigns.ImportArgs]
	Campaigns *campaigns.Service
}

// Timeout allows for files of millions of rows.
func (w *ImportWorker) Timeout(*river.Job[campaigns.ImportArgs]) time.Duration {
	return 30 * time.Minute
}

// Work runs the import.
func (w *ImportWorker) Work(ctx context.Context, job *river.Job[campaigns.ImportArgs]) error {
	return w.Campaigns.RunImport(ctx, job.Args.TenantID, job.Args.ImportID)
}
