package telephony

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/tenants"
)

// CallerIDs watches the numbers a tenant's calls go out with. Phone apps
// mark a number that dials a lot as spam, and its answer rate collapses:
// the health check rests such a number (calls leave it out) until it has
// cooled down, and tenants see each number's daily calls and answer rate
// and may rest or wake a number themselves.
type CallerIDs struct {
	DB *tenants.DB
	// Now is the clock (nil: PostgreSQL's, the clock calls are stamped
	// by).
	Now func() time.Time
	// Rule decides when a number is rested (zero: DefaultRestRule).
	Rule RestRule
}

// RestRule says when the health check rests a number: it has had at
// least MinCalls calls that reached the network in the last day, and its
// answer rate there is below Drop times its baseline, the number's own
// rate over the week before (when it had MinCalls calls then), else the
// rate of the tenant's other numbers over the same day. A baseline under
// 5 % says too little to judge by.
type RestRule struct {
	MinCalls int
	Drop     float64
	// For is how long a rested number stays out.
	For time.Duration
}

// DefaultRestRule rests a number for three days when, over at least 30
// calls in a day, it is answered less than half as often as before.
var DefaultRestRule = RestRule{MinCalls: 30, Drop: 0.5, For: 72 * time.Hour}

// reachedNetwork are the outcomes of calls that rang a phone (or its
// network said why not): what a number's answer rate is measured over.
// Trunk trouble, interrupted calls and dead numbers say nothing about how
// callees see the caller ID.
const reachedNetwork = `('answered', 'transferred', 'voicemail', 'no_answer', 'busy', 'rejected')`

// answeredBy are the outcomes where a person picked up.
const answeredBy = `('answered', 'transferred')`

// now reads the clock in tx: the database's own, which stamps the calls
// a number is judged by, unless Now is set.
func (c *CallerIDs) now(ctx context.Context, tx pgx.Tx) (time.Time, error) {
	if c.Now != nil {
		return c.Now(), nil
	}
	var t time.Time
	err := tx.QueryRow(ctx, `SELECT now()`).Scan(&t)
	return t, err
}

func (c *CallerIDs) rule() RestRule {
	if c.Rule.MinCalls == 0 {
		return DefaultRestRule
	}
	return c.Rule
}

// CallerIDRest is a number resting.
type CallerIDRest struct {
	Number    string
	Until     time.Time
	Reason    string
	Automatic bool
	CreatedAt time.Time
}

// Rested returns the tenant's numbers resting now.
func (c *CallerIDs) Rested(ctx context.Context, tenantID uuid.UUID) (map[string]bool, error) {
	out := map[string]bool{}
	err := c.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		now, err := c.now(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT caller_id FROM caller_id_rests WHERE tenant_id = $1 AND rested_until > $2`, tenantID, now)
		if err != nil {
			return err
		}
		numbers, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, n := range numbers {
			out[n] = true
		}
		return err
	})
	return out, err
}

// PickCallerIDLeaving picks a number from the trunk's pool that is not
// resting; "" when the pool is empty or every number in it rests (the
// dialer then picks from the whole pool: a campaign does not stop because
// its numbers need a rest).
func (t Trunk) PickCallerIDLeaving(rested map[string]bool) string {
	awake := make([]string, 0, len(t.CallerIDs))
	for _, n := range t.CallerIDs {
		if !rested[n] {
			awake = append(awake, n)
		}
	}
	if len(awake) == 0 {
		return ""
	}
	return awake[rand.IntN(len(awake))]
}

// callerIDNumber checks a number given for resting: the E.164 form its
// pool holds.
func callerIDNumber(number string) (string, error) {
	if n, err := phone.Normalise(number, ""); err == nil {
		return n, nil
	}
	// A pool may hold numbers libphonenumber does not know (a carrier's
	// test range): taken as written when they are international.
	if n := strings.TrimSpace(number); strings.HasPrefix(n, "+") && validNumber(n) {
		return n, nil
	}
	return "", tenants.FieldError("body.number", "%q is not a phone number in international form (+8621…)", phone.Mask(number))
}

// Rest leaves a number out of the tenant's calls for d (1 hour to 30
// days), for the reason given.
func (c *CallerIDs) Rest(ctx context.Context, p tenants.Principal, number string, d time.Duration, reason string) (*CallerIDRest, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, err
	}
	n, err := callerIDNumber(number)
	if err != nil {
		return nil, err
	}
	if d < time.Hour || d > 30*24*time.Hour {
		return nil, tenants.FieldError("body.hours", "a number rests from 1 hour to 30 days (720 hours), not %s", d)
	}
	if reason == "" {
		reason = "rested by hand"
	}
	r := &CallerIDRest{Number: n, Reason: reason}
	err = c.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		now, err := c.now(ctx, tx)
		if err != nil {
			return err
		}
		r.Until = now.Add(d)
		return tx.QueryRow(ctx, `INSERT INTO caller_id_rests (tenant_id, caller_id, rested_until, reason, automatic, created_at) VALUES ($1, $2, $3, $4, false, $5)
			ON CONFLICT (tenant_id, caller_id) DO UPDATE SET rested_until = EXCLUDED.rested_until, reason = EXCLUDED.reason, automatic = false, created_at = EXCLUDED.created_at
			RETURNING created_at`, p.TenantID, n, r.Until, reason, now).Scan(&r.CreatedAt)
	})
	return r, err
}

// Wake puts a resting number back into the tenant's calls.
func (c *CallerIDs) Wake(ctx context.Context, p tenants.Principal, number string) error {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return err
	}
	n, err := callerIDNumber(number)
	if err != nil {
		return err
	}
	return c.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		now, err := c.now(ctx, tx)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM caller_id_rests WHERE tenant_id = $1 AND caller_id = $2 AND rested_until > $3`, p.TenantID, n, now)
		if err == nil && tag.RowsAffected() == 0 {
			return tenants.Errorf(tenants.ENotFound, "%s is not resting", phone.Mask(n))
		}
		return err
	})
}

// CallerIDDay is one number's calls on one day.
type CallerIDDay struct {
	Day            string // YYYY-MM-DD in the time zone asked for
	Calls, Answers int
}

// CallerIDHealth is one number's record: its calls by day, its last day,
// and whether it rests.
type CallerIDHealth struct {
	Number string
	// Days are the last days, oldest first, each day present.
	Days []CallerIDDay
	// Calls and Answers over the last 24 hours; AnswerRate is Answers over
	// Calls (nil without calls).
	Calls, Answers int
	AnswerRate     *float64
	Rest           *CallerIDRest
}

// Health returns the record of every number of the tenant's trunks' pools
// and every number its calls went out with in the last days (1–31),
// counted by day in loc.
func (c *CallerIDs) Health(ctx context.Context, p tenants.Principal, days int, loc *time.Location) ([]CallerIDHealth, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	if days < 1 || days > 31 {
		return nil, tenants.FieldError("query.days", "days is 1 to 31, not %d", days)
	}
	var now, first time.Time
	byNumber := map[string]*CallerIDHealth{}
	get := func(n string) *CallerIDHealth {
		h, ok := byNumber[n]
		if !ok {
			h = &CallerIDHealth{Number: n}
			for i := range days {
				h.Days = append(h.Days, CallerIDDay{Day: first.AddDate(0, 0, i).Format(time.DateOnly)})
			}
			byNumber[n] = h
		}
		return h
	}
	err := c.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		var err error
		if now, err = c.now(ctx, tx); err != nil {
			return err
		}
		y, m, d := now.In(loc).Date()
		first = time.Date(y, m, d-days+1, 0, 0, 0, 0, loc)
		rows, err := tx.Query(ctx, `SELECT DISTINCT unnest(caller_ids) FROM trunks WHERE tenant_id = $1 AND enabled`, p.TenantID)
		if err != nil {
			return err
		}
		pool, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, n := range pool {
			get(n)
		}
		rows, err = tx.Query(ctx, `SELECT caller_id, to_char(created_at AT TIME ZONE $3, 'YYYY-MM-DD'),
				count(*), count(*) FILTER (WHERE outcome IN `+answeredBy+`)
			FROM calls WHERE tenant_id = $1 AND caller_id <> '' AND created_at >= $2 AND outcome IN `+reachedNetwork+`
			GROUP BY 1, 2`, p.TenantID, first, loc.String())
		if err != nil {
			return err
		}
		var number, day string
		var calls, answers int
		_, err = pgx.ForEachRow(rows, []any{&number, &day, &calls, &answers}, func() error {
			h := get(number)
			for i := range h.Days {
				if h.Days[i].Day == day {
					h.Days[i].Calls, h.Days[i].Answers = calls, answers
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT caller_id, count(*), count(*) FILTER (WHERE outcome IN `+answeredBy+`)
			FROM calls WHERE tenant_id = $1 AND caller_id <> '' AND created_at >= $2 AND outcome IN `+reachedNetwork+`
			GROUP BY 1`, p.TenantID, now.Add(-24*time.Hour))
		if err != nil {
			return err
		}
		_, err = pgx.ForEachRow(rows, []any{&number, &calls, &answers}, func() error {
			h := get(number)
			h.Calls, h.Answers = calls, answers
			if calls > 0 {
				rate := float64(answers) / float64(calls)
				h.AnswerRate = &rate
			}
			return nil
		})
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT caller_id, rested_until, reason, automatic, created_at FROM caller_id_rests WHERE tenant_id = $1 AND rested_until > $2`,
			p.TenantID, now)
		if err != nil {
			return err
		}
		var r CallerIDRest
		_, err = pgx.ForEachRow(rows, []any{&r.Number, &r.Until, &r.Reason, &r.Automatic, &r.CreatedAt}, func() error {
			rest := r
			get(r.Number).Rest = &rest
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]CallerIDHealth, 0, len(byNumber))
	for _, h := range byNumber {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b CallerIDHealth) int {
		if a.Calls != b.Calls {
			return b.Calls - a.Calls
		}
		if a.Number < b.Number {
			return -1
		}
		return 1
	})
	return out, nil
}

// Check rests the tenant's numbers whose answer rate collapsed (see
// RestRule) and returns the rests it made.
func (c *CallerIDs) Check(ctx context.Context, tenantID uuid.UUID) ([]CallerIDRest, error) {
	rule := c.rule()
	type tally struct {
		number            string
		n24, a24, nb, ab  int
		rested            bool
		baseline, rate24  float64
		baselineIsOwnWeek bool
	}
	var made []CallerIDRest
	err := c.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		now, err := c.now(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT c.caller_id,
				count(*) FILTER (WHERE c.created_at >= $2),
				count(*) FILTER (WHERE c.created_at >= $2 AND c.outcome IN `+answeredBy+`),
				count(*) FILTER (WHERE c.created_at < $2),
				count(*) FILTER (WHERE c.created_at < $2 AND c.outcome IN `+answeredBy+`),
				EXISTS (SELECT 1 FROM caller_id_rests r WHERE r.tenant_id = $1 AND r.caller_id = c.caller_id AND r.rested_until > $4)
			FROM calls c WHERE c.tenant_id = $1 AND c.caller_id <> '' AND c.created_at >= $3 AND c.created_at <= $4 AND c.outcome IN `+reachedNetwork+`
			GROUP BY c.caller_id`, tenantID, now.Add(-24*time.Hour), now.Add(-8*24*time.Hour), now)
		if err != nil {
			return err
		}
		all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tally, error) {
			var t tally
			return t, r.Scan(&t.number, &t.n24, &t.a24, &t.nb, &t.ab, &t.rested)
		})
		if err != nil {
			return err
		}
		n24, a24 := 0, 0
		for _, t := range all {
			n24, a24 = n24+t.n24, a24+t.a24
		}
		for _, t := range all {
			if t.rested || t.n24 < rule.MinCalls {
				continue
			}
			t.rate24 = float64(t.a24) / float64(t.n24)
			switch {
			case t.nb >= rule.MinCalls:
				t.baseline, t.baselineIsOwnWeek = float64(t.ab)/float64(t.nb), true
			case n24-t.n24 >= rule.MinCalls:
				t.baseline = float64(a24-t.a24) / float64(n24-t.n24)
			default:
				continue // nothing to compare with
			}
			if t.baseline < 0.05 || t.rate24 >= rule.Drop*t.baseline {
				continue
			}
			than := "the tenant's other numbers' %.0f%% over the same day"
			if t.baselineIsOwnWeek {
				than = "its own %.0f%% over the week before"
			}
			r := CallerIDRest{Number: t.number, Until: now.Add(rule.For), Automatic: true, CreatedAt: now,
				Reason: fmt.Sprintf("answered %.0f%% of %d calls over the last 24 hours, against "+than+": likely marked as spam",
					100*t.rate24, t.n24, 100*t.baseline)}
			// A number rested by hand meanwhile keeps its own rest.
			tag, err := tx.Exec(ctx, `INSERT INTO caller_id_rests (tenant_id, caller_id, rested_until, reason, automatic, created_at) VALUES ($1, $2, $3, $4, true, $5)
				ON CONFLICT (tenant_id, caller_id) DO UPDATE SET rested_until = EXCLUDED.rested_until, reason = EXCLUDED.reason, automatic = true, created_at = EXCLUDED.created_at
				WHERE caller_id_rests.rested_until <= $5`, tenantID, t.number, r.Until, r.Reason, now)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				made = append(made, r)
			}
		}
		return nil
	})
	return made, err
}

// CheckAll runs Check for every tenant whose calls went out with a caller
// ID in the last day, and returns how many numbers it rested.
func (c *CallerIDs) CheckAll(ctx context.Context) (int, error) {
	since := "now() - interval '24 hours'"
	var args []any
	if c.Now != nil {
		since, args = "$1", []any{c.Now().Add(-24 * time.Hour)}
	}
	rows, err := c.DB.Pool().Query(ctx, `SELECT tenant_id FROM caller_id_tenants(`+since+`)`, args...)
	if err != nil {
		return 0, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, err
	}
	rested := 0
	var errs []error
	for _, id := range ids {
		made, err := c.Check(ctx, id)
		rested += len(made)
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", id, err))
		}
	}
	return rested, errors.Join(errs...)
}
