package contacts

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// AuditEvent is one thing that happened to a number: a dial attempt and
// its outcome, a refusal and its reason, consent given or withdrawn, a
// do-not-call change.
type AuditEvent struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"` // attempt, refusal, consent, consent_withdrawn, dnc_added, dnc_removed, message
	Detail string    `json:"detail"`
	// Campaign, Call and Attempt are set for attempts and refusals.
	CampaignID   string `json:"campaign_id,omitempty"`
	CallID       string `json:"call_id,omitempty"`
	Attempt      int    `json:"attempt,omitempty"`
	Outcome      string `json:"outcome,omitempty"`
	Reason       string `json:"reason,omitempty"`
	EndedAt      string `json:"ended_at,omitempty"`
	Billable     int    `json:"billable_seconds,omitempty"`
	RecordingRef string `json:"recording_ref,omitempty"`
	Source       string `json:"source,omitempty"`
	// CallerID is the number an attempt went out with.
	CallerID string `json:"caller_id,omitempty"`
}

// AuditTrail is everything outcall did with one number, oldest first: what
// a regulator or a complaint handler asks for.
type AuditTrail struct {
	Phone  string       `json:"phone"`
	Events []AuditEvent `json:"events"`
}

// auditQuery reads every event of one number's trail, in the order the
// events were written (audit_seq: see migrations/016_audit_clock.sql). Every
// time in it comes from the service's clock.
const auditQuery = `
	SELECT seq, at, kind, campaign_id, call_id, attempt, outcome, reason, ended_at, billable, recording_ref, source, detail, caller_id FROM (
		SELECT audit_seq AS seq, created_at AS at, CASE WHEN state = 'refused' THEN 'refusal' ELSE 'attempt' END AS kind,
			campaign_id::text, id::text AS call_id, attempt, coalesce(outcome, '') AS outcome, coalesce(reason, '') AS reason,
			ended_at, billable_seconds AS billable, recording_ref, '' AS source, state AS detail, caller_id
		FROM calls WHERE tenant_id = $1 AND phone = $2
		UNION ALL
		SELECT audit_seq, recorded_at, 'consent', '', '', 0, '', '', NULL, 0, '', source,
			'consent given ' || to_char(given_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '; scope: ' || scope, ''
		FROM consents WHERE tenant_id = $1 AND phone = $2
		UNION ALL
		SELECT withdrawn_seq, withdrawn_at, 'consent_withdrawn', '', '', 0, '', '', NULL, 0, '', source, 'consent withdrawn', ''
		FROM consents WHERE tenant_id = $1 AND phone = $2 AND withdrawn_at IS NOT NULL
		UNION ALL
		SELECT audit_seq, at, 'dnc_' || action, '', '', 0, '', reason, NULL, 0, '', source, 'do-not-call list: ' || action, ''
		FROM dnc_events WHERE tenant_id = $1 AND phone = $2
		UNION ALL
		SELECT audit_seq, coalesce(sent_at, done_at, send_after), 'message', coalesce(campaign_id::text, ''), coalesce(call_id::text, ''), 0,
			state, reason, done_at, 0, '', channel, channel || ' follow-up ' || template || ': ' || state, ''
		FROM messages WHERE tenant_id = $1 AND phone = $2
	) trail ORDER BY seq`

// Audit returns the audit trail of a number, causes before effects.
func (s *Service) Audit(ctx context.Context, p tenants.Principal, number string) (*AuditTrail, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, err
	}
	out := &AuditTrail{Events: []AuditEvent{}}
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		var err error
		if out.Phone, err = normaliseNumber(ctx, tx, p.TenantID, number, "path.phone"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, auditQuery, p.TenantID, out.Phone)
		if err != nil {
			return err
		}
		out.Events, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditEvent, error) {
			var e AuditEvent
			var seq int64
			var ended *time.Time
			err := row.Scan(&seq, &e.At, &e.Kind, &e.CampaignID, &e.CallID, &e.Attempt, &e.Outcome, &e.Reason, &ended, &e.Billable,
				&e.RecordingRef, &e.Source, &e.Detail, &e.CallerID)
			switch e.Kind {
			case "refusal":
				e.Detail = "dial refused: " + e.Reason
			case "attempt":
				e.Detail = "dialled (" + e.Detail + ")"
				if e.Outcome != "" {
					e.Detail = "dialled: " + e.Outcome
				}
			}
			if ended != nil {
				e.EndedAt = ended.UTC().Format(time.RFC3339)
			}
			return e, err
		})
		return err
	})
	return out, err
}

// WriteCSV writes the trail as CSV with a header row.
func (a *AuditTrail) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"at", "phone", "kind", "detail", "campaign_id", "call_id", "attempt", "outcome", "reason", "ended_at",
		"billable_seconds", "recording_ref", "source", "caller_id"})
	for _, e := range a.Events {
		attempt, billable := "", ""
		if e.Attempt > 0 {
			attempt = strconv.Itoa(e.Attempt)
		}
		if e.Billable > 0 {
			billable = strconv.Itoa(e.Billable)
		}
		cw.Write([]string{e.At.UTC().Format(time.RFC3339Nano), a.Phone, e.Kind, e.Detail, e.CampaignID, e.CallID, attempt, e.Outcome,
			e.Reason, e.EndedAt, billable, e.RecordingRef, e.Source, e.CallerID})
	}
	cw.Flush()
	return cw.Error()
}
