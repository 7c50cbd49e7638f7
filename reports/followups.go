package reports

import (
	"context"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// FollowUpsReport is how a campaign's follow-up messages went, and what
// came of them: whether the contact took a later call, and whether that
// call converted.
type FollowUpsReport struct {
	// Messages counts the follow-ups the filter's calls asked for.
	Messages int
	// Sent counts those the provider took; Delivered and Failed those the
	// carrier reported on; Refused those compliance stopped for good.
	Sent, Delivered, Failed, Refused int
	// Waiting counts those still queued (quiet hours, the daily cap).
	Waiting int
	// Reached counts sent messages whose contact answered a call within
	// AfterDays of the message; Converted those whose such a call
	// converted (as the report settings say).
	Reached, Converted int
	// DeliveryRate is Delivered/Sent; ReachRate and ConversionRate are
	// Reached and Converted over Sent.
	DeliveryRate, ReachRate, ConversionRate float64
	AfterDays                               int
	ByTemplate                              []TemplateFollowUps
	// FailedByReason counts the refused and failed messages by reason.
	FailedByReason map[string]int
}

// TemplateFollowUps is one template's share of the report.
type TemplateFollowUps struct {
	Template                                              string
	Messages, Sent, Delivered, Failed, Reached, Converted int
}

// followUpWindow is how long after a message a call counts as its result.
const followUpWindow = 7

// FollowUps reports the follow-up messages of the calls in the filter
// (attempted in its days, of its campaign, script version, segment and
// list), by template, with the calls that came after them.
func (s *Service) FollowUps(ctx context.Context, p tenants.Principal, f Filter) (*FollowUpsReport, error) {
	r := &FollowUpsReport{AfterDays: followUpWindow, ByTemplate: []TemplateFollowUps{}, FailedByReason: map[string]int{}}
	err := s.report(ctx, p, f, func(tx pgx.Tx, args []any) error {
		// A later call counts when it was answered after the message was
		// sent: both times are the service's own clock.
		rows, err := tx.Query(ctx, `WITH s AS (
				SELECT coalesce((SELECT conversion_outcomes FROM report_settings WHERE tenant_id = $1), '{confirmed}') AS co,
					coalesce((SELECT conversion_tags FROM report_settings WHERE tenant_id = $1), '{converted}') AS ct
			), m AS (
				SELECT m.template, m.state, m.reason, m.provider_id <> '' AS sent,
					EXISTS (SELECT 1 FROM calls l WHERE l.tenant_id = $1 AND l.contact_id = m.contact_id AND l.answered_at > m.sent_at
						AND l.answered_at < m.sent_at + make_interval(days => $8)
						AND coalesce(l.outcome, '') NOT IN ('voicemail', 'invalid_number', 'unreachable', 'busy', 'no_answer')) AS reached,
					EXISTS (SELECT 1 FROM calls l CROSS JOIN s WHERE l.tenant_id = $1 AND l.contact_id = m.contact_id AND l.answered_at > m.sent_at
						AND l.answered_at < m.sent_at + make_interval(days => $8)
						AND (l.tags && s.ct OR l.tags && ARRAY(SELECT 'outcome:' || o FROM unnest(s.co) o))) AS converted
				FROM messages m
				JOIN calls c ON c.id = m.call_id
				LEFT JOIN campaign_contacts cc ON cc.campaign_id = c.campaign_id AND cc.contact_id = c.contact_id
				WHERE m.tenant_id = $1 AND date_trunc('day', c.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' >= $2
					AND date_trunc('day', c.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' < $3
					AND ($4::uuid IS NULL OR c.campaign_id = $4) AND ($5::text = '' OR c.script_version = $5) AND ($6::text = '' OR c.segment = $6)
					AND ($7::uuid IS NULL OR cc.list_id = $7)
			)
			SELECT template, state, reason, sent, reached, converted, count(*) FROM m GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1`,
			append(args, followUpWindow)...)
		if err != nil {
			return err
		}
		var template, state, reason string
		var sent, reached, converted bool
		var n int
		index := map[string]int{} // template → its place in ByTemplate
		_, err = pgx.ForEachRow(rows, []any{&template, &state, &reason, &sent, &reached, &converted, &n}, func() error {
			i, ok := index[template]
			if !ok {
				i = len(r.ByTemplate)
				index[template] = i
				r.ByTemplate = append(r.ByTemplate, TemplateFollowUps{Template: template})
			}
			t := &r.ByTemplate[i]
			r.Messages += n
			t.Messages += n
			switch state {
			case "queued", "sending":
				r.Waiting += n
			case "refused":
				r.Refused += n
				r.FailedByReason[reason] += n
			case "delivered":
				r.Delivered += n
				t.Delivered += n
			case "failed":
				r.Failed += n
				t.Failed += n
				r.FailedByReason[reason] += n
			}
			if sent {
				r.Sent += n
				t.Sent += n
				if reached {
					r.Reached += n
					t.Reached += n
				}
				if converted {
					r.Converted += n
					t.Converted += n
				}
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	r.DeliveryRate, r.ReachRate, r.ConversionRate = ratio(r.Delivered, r.Sent), ratio(r.Reached, r.Sent), ratio(r.Converted, r.Sent)
	return r, nil
}

// WriteCSV writes the totals, then one row per template and per reason.
func (r *FollowUpsReport) WriteCSV(w io.Writer) error {
	cw, err := newCSV(w, "metric", "key", "value")
	if err != nil {
		return err
	}
	rows := [][]string{
		{"messages", "", num(r.Messages)}, {"sent", "", num(r.Sent)}, {"delivered", "", num(r.Delivered)}, {"failed", "", num(r.Failed)},
		{"refused", "", num(r.Refused)}, {"waiting", "", num(r.Waiting)}, {"reached", "", num(r.Reached)}, {"converted", "", num(r.Converted)},
		{"delivery_rate", "", dec(r.DeliveryRate)}, {"reach_rate", "", dec(r.ReachRate)}, {"conversion_rate", "", dec(r.ConversionRate)},
		{"after_days", "", num(r.AfterDays)},
	}
	for _, t := range r.ByTemplate {
		rows = append(rows, []string{"template_sent", t.Template, num(t.Sent)}, []string{"template_delivered", t.Template, num(t.Delivered)},
			[]string{"template_converted", t.Template, num(t.Converted)})
	}
	for _, kc := range sortCounts(r.FailedByReason) {
		rows = append(rows, []string{"failed_reason", kc.Key, num(kc.Count)})
	}
	cw.WriteAll(rows)
	return cw.Error()
}
