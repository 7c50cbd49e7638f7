package campaigns

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/telephony"
)

// Line leases. BeginDial leases one of the tenant's lines to the call it
// records (lines.call_id, lines.leased_at) and CloseCall frees it. A worker
// that dies mid-call (killed, its machine gone) never closes its calls, so
// their lines would stay leased until River rescued the dial job, hours
// later (see jobs.DialWorker.Timeout). So the worker carrying a call renews
// its line's lease while the call lasts (RenewLeases sets leased_at, the
// lease's last sign of life, every few seconds), and a reaper closes the
// calls whose leases nobody renewed for a while (StaleLeases, then
// ReapLeases): each ends as interrupted with ReasonWorkerLost, its line is
// freed and its contact is retried like a failed call. leased_at is always
// the database's clock (now()), written and compared by the database alone.

// ReasonWorkerLost is the reason on a call the lease reaper closed: the
// worker carrying it stopped renewing its line's lease (it was killed, or
// lost the database for longer than the reaper waits).
const ReasonWorkerLost = "interrupted: the worker carrying the call stopped (its line's lease was not renewed)"

// RenewLeases marks the lines of the given calls, by tenant, as still held
// by a live worker (their leased_at becomes the database's now), in one
// transaction. Calls that are no longer leased are left alone.
func (s *Service) RenewLeases(ctx context.Context, calls map[uuid.UUID][]uuid.UUID) error {
	if len(calls) == 0 {
		return nil
	}
	// Each tenant's statement runs under its own tenant setting: one round
	// trip renews every tenant's calls.
	b := &pgx.Batch{}
	for tenantID, ids := range calls {
		b.Queue(`SELECT set_config('app.tenant_id', $1, true)`, tenantID.String())
		b.Queue(`UPDATE lines SET leased_at = now() WHERE tenant_id = $1 AND call_id = ANY($2)`, tenantID, ids)
	}
	return pgx.BeginFunc(ctx, s.db.Pool(), func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
}

// StaleLeases returns, by tenant, the calls among tenantIDs' whose line
// leases were not renewed for staleAfter (by the database's clock), in one
// read-only transaction. It changes nothing: ReapLeases closes them after
// a second look.
func (s *Service) StaleLeases(ctx context.Context, tenantIDs []uuid.UUID, staleAfter time.Duration) (map[uuid.UUID][]uuid.UUID, error) {
	out := map[uuid.UUID][]uuid.UUID{}
	if len(tenantIDs) == 0 {
		return out, nil
	}
	b := &pgx.Batch{}
	for _, tenantID := range tenantIDs {
		b.Queue(`SELECT set_config('app.tenant_id', $1, true)`, tenantID.String())
		b.Queue(`SELECT call_id FROM lines WHERE tenant_id = $1 AND call_id IS NOT NULL AND leased_at < now() - $2::interval ORDER BY call_id`,
			tenantID, staleAfter).Query(func(rows pgx.Rows) error {
			ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
			if len(ids) > 0 {
				out[tenantID] = ids
			}
			return err
		})
	}
	err := pgx.BeginTxFunc(ctx, s.db.Pool(), pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	})
	return out, err
}

// ReapLeases closes those of the tenant's calls whose line leases are still
// stale (not renewed for staleAfter), in one transaction: each call ends
// as interrupted with ReasonWorkerLost, at the lease's last renewal (the
// last moment its worker was known to carry it), its line is freed, its
// contact follows the retry policy for failed calls, and the close hooks
// run as for any close. A lease renewed since StaleLeases saw it, or a call
// closed meanwhile, is left alone. It returns the calls it closed.
func (s *Service) ReapLeases(ctx context.Context, tenantID uuid.UUID, callIDs []uuid.UUID, staleAfter time.Duration) ([]*Call, error) {
	if len(callIDs) == 0 {
		return nil, nil
	}
	var reaped []*Call
	err := pgx.BeginFunc(ctx, s.db.Pool(), func(tx pgx.Tx) error {
		reaped = nil
		// Calls before lines, in id order, as a close locks them: a reaper
		// and the call's own close (or a group of closes) never wait for
		// each other in opposite orders. The lines are then read locked,
		// so a renewal cannot slip in between the look and the close.
		b := tenantBatch(tenantID)
		b.Queue(`SELECT 1 FROM calls WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`, tenantID, callIDs)
		type stale struct {
			id                uuid.UUID
			renewed           time.Time
			created, answered *time.Time
		}
		var still []stale
		b.Queue(`SELECT l.call_id, l.leased_at, c.created_at, c.answered_at FROM lines l LEFT JOIN calls c ON c.tenant_id = l.tenant_id AND c.id = l.call_id
			WHERE l.tenant_id = $1 AND l.call_id = ANY($2) AND l.leased_at < now() - $3::interval
			ORDER BY l.slot FOR UPDATE OF l`, tenantID, callIDs, staleAfter).Query(func(rows pgx.Rows) error {
			var err error
			still, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (stale, error) {
				var st stale
				err := row.Scan(&st.id, &st.renewed, &st.created, &st.answered)
				return st, err
			})
			return err
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		if len(still) == 0 {
			return nil
		}
		items := make([]*closeItem, len(still))
		for i, st := range still {
			// The call ended, as far as anyone knows, at its worker's last
			// renewal (never before it was made or answered): an answered
			// call is billed up to there, not for the time it took to notice.
			res := Ending{Outcome: telephony.OutcomeInterrupted, Reason: ReasonWorkerLost, EndedAt: st.renewed}
			if st.created != nil && st.created.After(res.EndedAt) {
				res.EndedAt = *st.created
			}
			if st.answered != nil {
				res.AnsweredAt = *st.answered
				if st.answered.After(res.EndedAt) {
					res.EndedAt = *st.answered
				}
			}
			items[i] = &closeItem{callID: st.id, res: res}
		}
		if err := s.closeCalls(ctx, tx, tenantID, items); err != nil {
			return err
		}
		// A lease without a call (or whose call had ended) only has its
		// line freed.
		for _, it := range items {
			if it.err == nil && it.c != nil && it.c.Reason == ReasonWorkerLost {
				reaped = append(reaped, it.c)
			}
		}
		return nil
	})
	return reaped, err
}
