package admin

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// QuarantinedScript is a script the script hosts refuse because it brought
// one down. Only a hash of its source is kept: nothing of the tenant's.
type QuarantinedScript struct {
	// Key is the hash its author's error names ("quarantine key …").
	Key string
	// Why is the host's death it was blamed for.
	Why string
	At  time.Time
}

// QuarantinedScripts lists the quarantined scripts, newest first.
func (s *Service) QuarantinedScripts(ctx context.Context) ([]QuarantinedScript, error) {
	rows, err := s.db.Pool().Query(ctx, `SELECT key, why, quarantined_at FROM script_quarantine ORDER BY quarantined_at DESC, key`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[QuarantinedScript])
}

// ReleaseScript lets the script hosts run a quarantined script again (a
// host that died of something else, or a script its author showed to be
// safe), within scripting.QuarantineSync in every process, and records it
// in the audit trail with why it had been quarantined. If it brings a host
// down again it is quarantined again.
func (s *Service) ReleaseScript(ctx context.Context, by Operator, key string) error {
	now := s.now()
	return pgx.BeginFunc(ctx, s.db.Pool(), func(tx pgx.Tx) error {
		var why string
		var at time.Time
		err := tx.QueryRow(ctx, `DELETE FROM script_quarantine WHERE key = $1 RETURNING why, quarantined_at`, key).Scan(&why, &at)
		if err != nil {
			return tenants.NotFound(err, "no script is quarantined with the key %q (outcall admin scripts quarantined lists them)", key)
		}
		return s.record(ctx, tx, by, now, ActionScriptRelease, nil, nil, map[string]any{"key": key, "why": why, "quarantined_at": at})
	})
}
