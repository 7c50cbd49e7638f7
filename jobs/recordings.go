package jobs

import (
	"context"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// PurgeRecordingsArgs asks to delete the recordings every tenant's retention
// setting no longer keeps.
type PurgeRecordingsArgs struct{}

// Kind names the job in River's table.
func (PurgeRecordingsArgs) Kind() string { return "purge_recordings" }

// PurgeRecordingsWorker deletes recordings past retention: the file first,
// then the call's reference, so a crash in between leaves a reference to a
// missing file (harmless) rather than an unreferenced recording.
type PurgeRecordingsWorker struct {
	river.WorkerDefaults[PurgeRecordingsArgs]
	DB         *tenants.DB
	Recordings telephony.RecordingStore
	Logger     *slog.Logger
}

// Work deletes up to 10,000 recordings per run; the job runs hourly.
func (w *PurgeRecordingsWorker) Work(ctx context.Context, job *river.Job[PurgeRecordingsArgs]) error {
	rows, err := w.DB.Pool().Query(ctx, `SELECT tenant_id, call_id, recording_ref FROM recordings_past_retention(10000)`)
	if err != nil {
		return err
	}
	type due struct {
		tenant, call uuid.UUID
		ref          string
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (due, error) {
		var d due
		return d, r.Scan(&d.tenant, &d.call, &d.ref)
	})
	if err != nil {
		return err
	}
	deleted := 0
	for _, d := range list {
		if err := w.Recordings.Delete(ctx, d.ref); err != nil {
			return err
		}
		err := w.DB.InTenant(ctx, d.tenant, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE calls SET recording_ref = '', recording_deleted_at = now() WHERE tenant_id = $1 AND id = $2`, d.tenant, d.call)
			return err
		})
		if err != nil {
			return err
		}
		deleted++
	}
	if deleted > 0 {
		w.Logger.InfoContext(ctx, "recordings past retention deleted", slog.Int("count", deleted))
	}
	return nil
}
