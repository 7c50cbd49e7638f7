package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/outcall/outcall/billing"
)

// addBillingWork registers the usage reporter and returns the periodic
// jobs to run (the reporter, when Stripe is on). What billing adds to the
// campaigns (usage on close, plan lines, the dial gate) is wired where the
// campaigns service is built (hooks.Add).
func addBillingWork(workers *river.Workers, cfg *Config) []*river.PeriodicJob {
	river.AddWorker(workers, &ReportUsageWorker{Billing: cfg.Billing, Logger: cfg.Logger})
	if cfg.Billing == nil || !cfg.Billing.Enabled() {
		return nil
	}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) {
			return ReportUsageArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
	}
}

// ReportUsageArgs asks to send every tenant's pending usage to Stripe.
type ReportUsageArgs struct{}

// Kind names the job in River's table.
func (ReportUsageArgs) Kind() string { return "billing_report_usage" }

// ReportUsageWorker sends pending ledger rows to Stripe Billing Meters.
type ReportUsageWorker struct {
	river.WorkerDefaults[ReportUsageArgs]
	Billing *billing.Service
	Logger  *slog.Logger
}

// Timeout lets a run that catches up after an outage take its time; rows
// are marked one by one, so a cut-off run loses nothing.
func (w *ReportUsageWorker) Timeout(*river.Job[ReportUsageArgs]) time.Duration {
	return 10 * time.Minute
}

// Work reports what is due.
func (w *ReportUsageWorker) Work(ctx context.Context, job *river.Job[ReportUsageArgs]) error {
	if w.Billing == nil {
		return nil
	}
	res, err := w.Billing.ReportUsage(ctx)
	if res.Reported > 0 || res.Failed > 0 {
		w.Logger.InfoContext(ctx, "usage reported to Stripe", slog.Int("reported", res.Reported), slog.Int("failed", res.Failed))
	}
	if err != nil && res.Reported > 0 {
		// Some tenants' usage went through; the failed rows retry on
		// their own schedule, so this run counts as done.
		w.Logger.WarnContext(ctx, "some usage not reported; it will be retried", slog.Any("error", err))
		return nil
	}
	return err
}
