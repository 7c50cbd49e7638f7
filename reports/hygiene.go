package reports

import (
	"context"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// HygieneReport sorts the numbers a list's (or a campaign's) calls dialled
// by what became of them, so an operations team can clean its lists: a
// number its carrier says does not exist is dead (never dialled again), a
// phone switched off or out of coverage is unreachable, and one nobody
// picked up in several tries is unanswered.
type HygieneReport struct {
	// Numbers counts the numbers the filter's calls dialled; Reached,
	// Dead, Unreachable and Unanswered sort them by their calls in the
	// filter: reached when a person answered any of them, else by the last.
	Numbers, Reached, Dead, Unreachable, Unanswered int
	// DeadShare is Dead over Numbers.
	DeadShare float64
	// NotReached are the numbers nobody was reached at, dead first, then
	// unreachable, then unanswered, most tries first (at most
	// HygieneLimit); numbers as the principal may see them.
	NotReached []HygieneNumber
}

// HygieneNumber is one number nobody was reached at.
type HygieneNumber struct {
	Phone string
	// Category is dead, unreachable or unanswered.
	Category    string
	Attempts    int
	LastOutcome string
	// LastReason says why the last call ended (a carrier's announcement:
	// "carrier announcement (invalid_number): \"是空号\"").
	LastReason string
	LastAt     time.Time
}

// HygieneLimit bounds the numbers a hygiene report lists.
const HygieneLimit = 5000

// ListHygiene reports the numbers of the filter's calls by what became of
// them.
func (s *Service) ListHygiene(ctx context.Context, p tenants.Principal, f Filter) (*HygieneReport, error) {
	r := &HygieneReport{NotReached: []HygieneNumber{}}
	err := s.report(ctx, p, f, func(tx pgx.Tx, args []any) error {
		rows, err := tx.Query(ctx, `WITH n AS (
				SELECT c.phone, count(*) AS attempts,
					bool_or(c.outcome IN ('answered', 'transferred')) AS reached,
					(array_agg(c.outcome ORDER BY c.created_at DESC))[1] AS last_outcome,
					(array_agg(coalesce(c.reason, '') ORDER BY c.created_at DESC))[1] AS last_reason,
					max(c.created_at) AS last_at
				FROM calls c
				LEFT JOIN campaign_contacts cc ON cc.campaign_id = c.campaign_id AND cc.contact_id = c.contact_id
				WHERE c.tenant_id = $1 AND c.state = 'ended' AND c.outcome IS NOT NULL AND c.outcome NOT IN ('interrupted')
					AND date_trunc('day', c.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' >= $2
					AND date_trunc('day', c.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' < $3
					AND ($4::uuid IS NULL OR c.campaign_id = $4) AND ($5::text = '' OR c.script_version = $5) AND ($6::text = '' OR c.segment = $6)
					AND ($7::uuid IS NULL OR cc.list_id = $7)
				GROUP BY c.phone
			), sorted AS (
				SELECT *, CASE WHEN reached THEN 'reached' WHEN last_outcome = 'invalid_number' THEN 'dead'
					WHEN last_outcome = 'unreachable' THEN 'unreachable' ELSE 'unanswered' END AS category
				FROM n
			)
			SELECT phone, category, attempts, last_outcome, last_reason, last_at, count(*) OVER (PARTITION BY category)
			FROM sorted
			ORDER BY CASE category WHEN 'dead' THEN 0 WHEN 'unreachable' THEN 1 WHEN 'unanswered' THEN 2 ELSE 3 END, attempts DESC, phone`, args...)
		if err != nil {
			return err
		}
		var n HygieneNumber
		var inCategory int
		counted := map[string]bool{}
		_, err = pgx.ForEachRow(rows, []any{&n.Phone, &n.Category, &n.Attempts, &n.LastOutcome, &n.LastReason, &n.LastAt, &inCategory}, func() error {
			if !counted[n.Category] {
				counted[n.Category] = true
				r.Numbers += inCategory
				switch n.Category {
				case "reached":
					r.Reached = inCategory
				case "dead":
					r.Dead = inCategory
				case "unreachable":
					r.Unreachable = inCategory
				case "unanswered":
					r.Unanswered = inCategory
				}
			}
			if n.Category != "reached" && len(r.NotReached) < HygieneLimit {
				row := n
				row.Phone = p.ShowPhone(n.Phone)
				r.NotReached = append(r.NotReached, row)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	if r.Numbers > 0 {
		r.DeadShare = float64(r.Dead) / float64(r.Numbers)
	}
	return r, nil
}

// WriteCSV writes the numbers nobody was reached at, a row each, for a
// list to be cleaned with.
func (r *HygieneReport) WriteCSV(w io.Writer) error {
	cw, err := newCSV(w, "phone", "category", "attempts", "last_outcome", "last_reason", "last_at")
	if err != nil {
		return err
	}
	for _, n := range r.NotReached {
		if err := cw.Write([]string{n.Phone, n.Category, num(n.Attempts), n.LastOutcome, n.LastReason, when(n.LastAt)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
