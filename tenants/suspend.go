package tenants

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// SetSuspended suspends the tenant at at, or resumes it when at is nil, in
// tx (the tenant's transaction), and reports whether that changed anything:
// suspending a suspended tenant keeps the moment it was first suspended.
// A suspended tenant's new dials are refused (reason suspended, retried
// hourly) and calls in progress finish; its people still log in and read.
func SetSuspended(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, at *time.Time) (changed bool, err error) {
	var was *time.Time
	err = tx.QueryRow(ctx, `SELECT suspended_at FROM tenants WHERE id = $1 FOR UPDATE`, tenantID).Scan(&was)
	if err != nil {
		return false, NotFound(err, "tenant not found")
	}
	if (was == nil) == (at == nil) {
		return false, nil
	}
	_, err = tx.Exec(ctx, `UPDATE tenants SET suspended_at = $2 WHERE id = $1`, tenantID, at)
	return err == nil, err
}
