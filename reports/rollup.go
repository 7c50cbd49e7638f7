package reports

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// rollUpSQL adds calls to the report rollups. It is one statement, so the
// same text serves the calls queued since the last fold (CALLS names them)
// and the rebuild of a tenant's whole history (CALLS is "true"). A call counts in
// the day (UTC) it was attempted; its local hour and weekday are those of
// the callee's time zone.
//
// Sentiment labels come from the NLU; a turn with a score but no label is
// negative below -0.2, positive above 0.2, neutral between. A call is angry
// when any of its turns is, else labelled by its mean score.
const rollUpSQL = `
WITH s AS (
	SELECT coalesce((SELECT conversion_outcomes FROM report_settings WHERE tenant_id = $1), '{confirmed}') AS co,
		coalesce((SELECT conversion_tags FROM report_settings WHERE tenant_id = $1), '{converted}') AS ct
), c AS MATERIALIZED (
	SELECT c.id, c.campaign_id, c.script_version, c.segment,
		coalesce(cc.list_id, '00000000-0000-0000-0000-000000000000'::uuid) AS list_id,
		date_trunc('day', c.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
		extract(hour FROM c.created_at AT TIME ZONE coalesce(cc.time_zone, 'UTC'))::smallint AS local_hour,
		extract(dow FROM c.created_at AT TIME ZONE coalesce(cc.time_zone, 'UTC'))::smallint AS local_dow,
		c.state, coalesce(c.outcome, '') AS outcome, coalesce(c.reason, '') AS reason,
		-- Connected means a person picked up: an answering machine is not,
		-- nor a carrier's announcement after an answer (空号, 已关机, busy).
		(c.state = 'ended' AND c.answered_at IS NOT NULL
			AND coalesce(c.outcome, '') NOT IN ('voicemail', 'invalid_number', 'unreachable', 'busy', 'no_answer')) AS connected,
		CASE WHEN c.state = 'ended' AND c.answered_at IS NOT NULL AND c.ended_at > c.answered_at
			THEN round(extract(epoch FROM c.ended_at - c.answered_at) * 1000)::bigint ELSE 0 END AS talk_ms,
		c.silence_ms, c.opted_out,
		(c.state = 'ended' AND c.answered_at IS NOT NULL
			AND (c.tags && s.ct OR c.tags && ARRAY(SELECT 'outcome:' || o FROM unnest(s.co) o))) AS converted
	FROM calls c CROSS JOIN s
	LEFT JOIN campaign_contacts cc ON cc.campaign_id = c.campaign_id AND cc.contact_id = c.contact_id
	WHERE c.tenant_id = $1 AND c.state IN ('refused', 'ended') AND CALLS
), t AS MATERIALIZED (
	SELECT t.call_id, t.seq, t.state, t.intent, t.heard, t.sentiment, t.sensitive,
		CASE WHEN t.sentiment_label <> '' THEN t.sentiment_label
			WHEN t.sentiment IS NULL THEN ''
			WHEN t.sentiment < -0.2 THEN 'negative'
			WHEN t.sentiment > 0.2 THEN 'positive'
			ELSE 'neutral' END AS label,
		lag(t.state) OVER (PARTITION BY t.call_id ORDER BY t.seq) AS prev
	FROM call_turns t
	WHERE t.tenant_id = $1 AND t.call_id IN (SELECT id FROM c)
), tc AS (
	SELECT call_id, count(*) AS turns,
		CASE WHEN bool_or(label = 'angry') THEN 'angry'
			WHEN NOT bool_or(label <> '') THEN ''
			WHEN avg(sentiment) < -0.2 THEN 'negative'
			WHEN avg(sentiment) > 0.2 THEN 'positive'
			ELSE 'neutral' END AS label
	FROM t GROUP BY call_id
), calls_in AS (
	INSERT INTO report_calls AS r (tenant_id, campaign_id, script_version, segment, list_id, bucket, local_hour, local_dow,
		attempts, refused, dialled, connected, converted, transferred, opted_out, talk_ms, silence_ms, turns)
	SELECT $1, c.campaign_id, c.script_version, c.segment, c.list_id, c.bucket, c.local_hour, c.local_dow,
		count(*), count(*) FILTER (WHERE c.state = 'refused'), count(*) FILTER (WHERE c.state = 'ended'),
		count(*) FILTER (WHERE c.connected), count(*) FILTER (WHERE c.converted),
		count(*) FILTER (WHERE c.outcome = 'transferred'), count(*) FILTER (WHERE c.opted_out),
		coalesce(sum(c.talk_ms), 0), coalesce(sum(c.silence_ms) FILTER (WHERE c.connected), 0),
		coalesce(sum(tc.turns) FILTER (WHERE c.connected), 0)
	FROM c LEFT JOIN tc ON tc.call_id = c.id
	GROUP BY c.campaign_id, c.script_version, c.segment, c.list_id, c.bucket, c.local_hour, c.local_dow
	ON CONFLICT (tenant_id, bucket, campaign_id, script_version, segment, list_id, local_hour, local_dow) DO UPDATE SET
		attempts = r.attempts + EXCLUDED.attempts, refused = r.refused + EXCLUDED.refused,
		dialled = r.dialled + EXCLUDED.dialled, connected = r.connected + EXCLUDED.connected,
		converted = r.converted + EXCLUDED.converted, transferred = r.transferred + EXCLUDED.transferred,
		opted_out = r.opted_out + EXCLUDED.opted_out, talk_ms = r.talk_ms + EXCLUDED.talk_ms,
		silence_ms = r.silence_ms + EXCLUDED.silence_ms, turns = r.turns + EXCLUDED.turns
	RETURNING 1
), facts AS (
	SELECT c.id AS call_id, 'outcome' AS kind, c.outcome AS k1, '' AS k2 FROM c WHERE c.state = 'ended'
	UNION ALL SELECT c.id, 'refused', c.reason, '' FROM c WHERE c.state = 'refused'
	UNION ALL SELECT e.call_id, 'path', e.state, coalesce(lead(e.state) OVER (PARTITION BY e.call_id ORDER BY e.seq), '')
		FROM t e WHERE e.prev IS DISTINCT FROM e.state
	UNION ALL SELECT call_id, 'intent', intent, '' FROM t WHERE intent <> ''
	UNION ALL SELECT call_id, 'no_match', left(heard, 200), '' FROM t WHERE intent = 'no_match' AND heard <> ''
	UNION ALL SELECT t.call_id, 'sensitive', w, '' FROM t, unnest(t.sensitive) w
	UNION ALL SELECT call_id, 'state_sentiment', state, label FROM t WHERE label <> ''
	UNION ALL SELECT call_id, 'call_sentiment', label, '' FROM tc WHERE label <> ''
)
INSERT INTO report_counts AS r (tenant_id, kind, bucket, campaign_id, script_version, segment, list_id, k1, k2, n)
SELECT $1, f.kind, c.bucket, c.campaign_id, c.script_version, c.segment, c.list_id, f.k1, f.k2, count(*)
FROM facts f JOIN c ON c.id = f.call_id
GROUP BY f.kind, c.bucket, c.campaign_id, c.script_version, c.segment, c.list_id, f.k1, f.k2
ON CONFLICT (tenant_id, kind, bucket, campaign_id, script_version, segment, list_id, k1, k2) DO UPDATE SET n = r.n + EXCLUDED.n`

var (
	// foldSQL rolls up the tenant's calls waiting in report_inbox and
	// empties it, in one statement.
	foldSQL = strings.Replace(strings.Replace(rollUpSQL, "WITH s AS (", `WITH folded AS (
		DELETE FROM report_inbox WHERE tenant_id = $1 RETURNING call_id
	), s AS (`, 1), "CALLS", "c.id IN (SELECT call_id FROM folded)", 1)
	// rollUpAllSQL rolls up every call of the tenant but those waiting in
	// report_inbox, which the next fold counts. One statement, so one
	// snapshot: a call closing meanwhile is either in the inbox or counted
	// here, never both and never neither.
	rollUpAllSQL = strings.Replace(rollUpSQL, "CALLS", "NOT EXISTS (SELECT 1 FROM report_inbox i WHERE i.call_id = c.id)", 1)
)

// reportsLockSQL is the tenant's lock on its rollups (held to the end of
// the transaction): folds try it and skip when it is taken; a rebuild
// waits for it.
const reportsLockSQL = `hashtextextended('outcall.reports:' || $1::text, 0)`

// QueueRollUp queues closed or refused calls for the report rollups, in
// the transaction that records them (campaigns calls it in its close and
// dial-check batches). Only an append: closes of many calls of one
// campaign and hour would queue on the same rollup rows.
func QueueRollUp(b *pgx.Batch, tenantID uuid.UUID, callIDs []uuid.UUID) {
	b.Queue(`INSERT INTO report_inbox (call_id, tenant_id) SELECT unnest($2::uuid[]), $1 ON CONFLICT DO NOTHING`, tenantID, callIDs)
}

// Fold brings the tenant's rollups up to date with its queued calls, in
// tx, unless another transaction is doing so right now (the rollups then
// lag by the calls it folds until it commits). One folder at a time per
// tenant: two could update the same rollup rows in opposite orders. Every
// report folds first, and so does a best-time pacing round, which reads
// the answer rates from the rollups.
func Fold(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	var got bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(`+reportsLockSQL+`)`, tenantID).Scan(&got); err != nil || !got {
		return err
	}
	_, err := tx.Exec(ctx, foldSQL, tenantID)
	return err
}

// Rebuild recomputes a tenant's report rollups from its call records, for
// instance after the conversion settings changed (the rollups count
// conversions by the settings in force when each call was folded in). It
// needs the admin role, and returns how many call records (attempts,
// refusals included) the rollups count afterwards, those still waiting to
// be folded aside. It is safe while calls close: it waits for the tenant's
// rollup lock (no fold runs meanwhile), recounts every call not waiting in
// the inbox, and leaves the inbox to the next fold. Running it again gives
// the same rollups.
func (s *Service) Rebuild(ctx context.Context, p tenants.Principal) (int, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return 0, err
	}
	var calls int
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT pg_advisory_xact_lock(`+reportsLockSQL+`)`, p.TenantID)
		b.Queue(`DELETE FROM report_calls WHERE tenant_id = $1`, p.TenantID)
		b.Queue(`DELETE FROM report_counts WHERE tenant_id = $1`, p.TenantID)
		b.Queue(rollUpAllSQL, p.TenantID)
		b.Queue(`SELECT coalesce(sum(attempts), 0)::bigint FROM report_calls WHERE tenant_id = $1`, p.TenantID).QueryRow(func(row pgx.Row) error {
			return row.Scan(&calls)
		})
		return tx.SendBatch(ctx, b).Close()
	})
	return calls, err
}
