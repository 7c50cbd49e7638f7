package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/outcall/outcall/contacts"
)

// addContactWork registers the contact workers.
func addContactWork(workers *river.Workers, cfg *Config) {
	if cfg.Contacts == nil {
		cfg.Contacts = contacts.New(contacts.Options{DB: cfg.Tenants.DB()})
	}
	river.AddWorker(workers, &ImportWorker{Contacts: cfg.Contacts})
}

// ImportWorker imports an uploaded contact file.
type ImportWorker struct {
	river.WorkerDefaults[contacts.ImportArgs]
	Contacts *contacts.Service
}

// Timeout allows for files of millions of rows.
func (w *ImportWorker) Timeout(*river.Job[contacts.ImportArgs]) time.Duration {
	return 30 * time.Minute
}

// Work runs the import.
func (w *ImportWorker) Work(ctx context.Context, job *river.Job[contacts.ImportArgs]) error {
	return w.Contacts.RunImport(ctx, job.Args.TenantID, job.Args.ImportID)
}
