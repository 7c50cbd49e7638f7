package campaigns

import (
	"context"
	"encoding/csv"
	"io"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// AuditEvent is one thing that happened to a number: a dial attempt and
// its outcome, a refusal and its reason, consent given or withdrawn, a
// do-not-call change.
type AuditEvent struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"` // attempt, refusal, consent, consent_withdrawn, dnc_added, dnc_removed
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
}

// AuditTrail is everything outcall did with one number, oldest first: what
// a regulator or a complaint handler asks for.
type AuditTrail struct {
	Phone  string       `json:"phone"`
	Events []AuditEvent `json:"events"`
}

// Audit returns the audit trail of a number.
func (s *Service) Audit(ctx context.Context, p tenants.Principal, phone string) (*AuditTrail, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, err
	}
	out := &AuditTrail{Events: []AuditEvent{}}
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		t, err := loadTenant(ctx, tx, p.TenantID)
		if err != nil {
			return err
		}
		if out.Phone, err = NormalisePhone(phone, t.Region); err != nil {
			return FieldError("path.phone", "%s", err.Error())
		}
		rows, err := tx.Query(ctx, `SELECT created_at, state, campaign_id::text, id::text, attempt, coalesce(outcome, ''), coalesce(reason, ''),
				ended_at, billable_seconds, recording_ref
			FROM calls WHERE tenant_id = $1 AND phone = $2`, p.TenantID, out.Phone)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e AuditEvent
			var state string
			var ended *time.Time
			if err := rows.Scan(&e.At, &state, &e.CampaignID, &e.CallID, &e.Attempt, &e.Outcome, &e.Reason, &ended, &e.Billable, &e.RecordingRef); err != nil {
				rows.Close()
				return err
			}
			switch state {
			case "refused":
				e.Kind, e.Detail = "refusal", "dial refused: "+e.Reason
			default:
				e.Kind, e.Detail = "attempt", "dialled ("+state+")"
				if e.Outcome != "" {
					e.Detail = "dialled: " + e.Outcome
				}
			}
			if ended != nil {
				e.EndedAt = ended.UTC().Format(time.RFC3339)
			}
			out.Events = append(out.Events, e)
		}
		rows.Close()
		rows, err = tx.Query(ctx, `SELECT given_at, source, scope, withdrawn_at FROM consents WHERE tenant_id = $1 AND phone = $2`, p.TenantID, out.Phone)
		if err != nil {
			return err
		}
		for rows.Next() {
			var given time.Time
			var source, scope string
			var withdrawn *time.Time
			if err := rows.Scan(&given, &source, &scope, &withdrawn); err != nil {
				rows.Close()
				return err
			}
			out.Events = append(out.Events, AuditEvent{At: given, Kind: "consent", Detail: "consent given; scope: " + scope, Source: source})
			if withdrawn != nil {
				out.Events = append(out.Events, AuditEvent{At: *withdrawn, Kind: "consent_withdrawn", Detail: "consent withdrawn", Source: source})
			}
		}
		rows.Close()
		rows, err = tx.Query(ctx, `SELECT at, action, source, reason FROM dnc_events WHERE tenant_id = $1 AND phone = $2`, p.TenantID, out.Phone)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e AuditEvent
			var action string
			if err := rows.Scan(&e.At, &action, &e.Source, &e.Reason); err != nil {
				return err
			}
			e.Kind, e.Detail = "dnc_"+action, "do-not-call list: "+action
			out.Events = append(out.Events, e)
		}
		return rows.Err()
	})
	sort.SliceStable(out.Events, func(i, j int) bool { return out.Events[i].At.Before(out.Events[j].At) })
	return out, err
}

// WriteCSV writes the trail as CSV with a header row.
func (a *AuditTrail) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"at", "phone", "kind", "detail", "campaign_id", "call_id", "attempt", "outcome", "reason", "ended_at",
		"billable_seconds", "recording_ref", "source"})
	for _, e := range a.Events {
		attempt, billable := "", ""
		if e.Attempt > 0 {
			attempt = itoa(e.Attempt)
		}
		if e.Billable > 0 {
			billable = itoa(e.Billable)
		}
		cw.Write([]string{e.At.UTC().Format(time.RFC3339Nano), a.Phone, e.Kind, e.Detail, e.CampaignID, e.CallID, attempt, e.Outcome,
			e.Reason, e.EndedAt, billable, e.RecordingRef, e.Source})
	}
	cw.Flush()
	return cw.Error()
}
