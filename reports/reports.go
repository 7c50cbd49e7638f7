package reports

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// Filter narrows a report. Calls count in the day (UTC) they were
// attempted: a day is in the range when it starts at or after the start of
// From's day and before To. Zero values do not filter.
type Filter struct {
	From, To      time.Time
	CampaignID    *uuid.UUID
	ScriptVersion string
	Segment       string
	ListID        *uuid.UUID
}

// filterSQL is the WHERE clause of a rollup read; its arguments are args().
const filterSQL = `tenant_id = $1 AND bucket >= $2 AND bucket < $3 AND ($4::uuid IS NULL OR campaign_id = $4)
	AND ($5::text = '' OR script_version = $5) AND ($6::text = '' OR segment = $6) AND ($7::uuid IS NULL OR list_id = $7)`

func (f Filter) args(tenantID uuid.UUID) []any {
	from, to := f.From, f.To
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return []any{tenantID, from.UTC().Truncate(24 * time.Hour), to, f.CampaignID, f.ScriptVersion, f.Segment, f.ListID}
}

// Validate checks the range.
func (f Filter) Validate() error {
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return tenants.FieldError("query.to", "must be after from")
	}
	return nil
}

// Settings say which calls count as conversions: a connected call
// whose script ended with one of ConversionOutcomes (the call carries the
// tag "outcome:<name>"), or that carries one of ConversionTags.
type Settings struct {
	ConversionOutcomes []string
	ConversionTags     []string
}

// DefaultSettings: outcome "confirmed" or tag "converted".
func DefaultSettings() Settings {
	return Settings{ConversionOutcomes: []string{"confirmed"}, ConversionTags: []string{"converted"}}
}

// Settings returns the tenant's conversion settings.
func (s *Service) Settings(ctx context.Context, p tenants.Principal) (Settings, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return Settings{}, err
	}
	rs := DefaultSettings()
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT conversion_outcomes, conversion_tags FROM report_settings WHERE tenant_id = $1`, p.TenantID).
			Scan(&rs.ConversionOutcomes, &rs.ConversionTags)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return rs, err
}

// SetSettings replaces the tenant's conversion settings. They apply to
// calls that close from now on; Rebuild recounts the history.
func (s *Service) SetSettings(ctx context.Context, p tenants.Principal, rs Settings) (Settings, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return rs, err
	}
	if len(rs.ConversionOutcomes) == 0 && len(rs.ConversionTags) == 0 {
		return rs, tenants.FieldError("body.conversion_outcomes", "name at least one conversion outcome or tag")
	}
	// A list left out is stored, and answered, as an empty one.
	for _, l := range []*[]string{&rs.ConversionOutcomes, &rs.ConversionTags} {
		if *l == nil {
			*l = []string{}
		}
	}
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO report_settings (tenant_id, conversion_outcomes, conversion_tags) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id) DO UPDATE SET conversion_outcomes = EXCLUDED.conversion_outcomes,
				conversion_tags = EXCLUDED.conversion_tags, updated_at = now()`, p.TenantID, rs.ConversionOutcomes, rs.ConversionTags)
		return err
	})
	return rs, err
}

// OutcomesReport sums the attempts in the filter.
type OutcomesReport struct {
	Attempts  int // every attempt, refusals included
	Refused   int
	Dialled   int // attempts that were placed
	Connected int // answered
	// Conversions are connected calls that ended as the tenant's settings say.
	Conversions int
	Transfers   int
	// DoNotCall counts callees who asked not to be called again.
	DoNotCall int
	// ConnectRate is Connected/Dialled (接通率); ConversionRate is
	// Conversions/Connected.
	ConnectRate, ConversionRate float64
	// Averages over connected calls.
	AvgTalkSeconds, AvgSilenceSeconds, TurnsPerCall float64
	ByOutcome                                       map[string]int
	RefusedByReason                                 map[string]int
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// report runs fn in a tenant transaction after the usual checks.
func (s *Service) report(ctx context.Context, p tenants.Principal, f Filter, fn func(tx pgx.Tx, args []any) error) error {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	return s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		if err := Fold(ctx, tx, p.TenantID); err != nil {
			return err
		}
		if f.CampaignID != nil {
			if _, err := baselineOf(ctx, tx, p.TenantID, *f.CampaignID); err != nil {
				return err
			}
		}
		return fn(tx, f.args(p.TenantID))
	})
}

// baselineOf returns the script version of a campaign's first A/B arm, ""
// when it has no split; a campaign the tenant does not have is not found.
func baselineOf(ctx context.Context, tx pgx.Tx, tenantID, campaignID uuid.UUID) (string, error) {
	var version string
	err := tx.QueryRow(ctx, `SELECT coalesce(ab_split->0->>'version', '') FROM campaigns WHERE tenant_id = $1 AND id = $2`, tenantID, campaignID).
		Scan(&version)
	return version, tenants.NotFound(err, "no such campaign")
}

// countsBy returns report_counts of kind grouped by k1 (and k2).
func countsBy(ctx context.Context, tx pgx.Tx, args []any, kind string, fn func(k1, k2 string, n int)) error {
	rows, err := tx.Query(ctx, `SELECT k1, k2, sum(n)::bigint FROM report_counts WHERE kind = $8 AND `+filterSQL+` GROUP BY k1, k2`,
		append(args, kind)...)
	if err != nil {
		return err
	}
	var k1, k2 string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&k1, &k2, &n}, func() error {
		fn(k1, k2, n)
		return nil
	})
	return err
}

// Outcomes reports attempts, connections, conversions, transfers,
// do-not-call requests and refusals by reason, with talk and silence times.
func (s *Service) Outcomes(ctx context.Context, p tenants.Principal, f Filter) (*OutcomesReport, error) {
	r := &OutcomesReport{ByOutcome: map[string]int{}, RefusedByReason: map[string]int{}}
	err := s.report(ctx, p, f, func(tx pgx.Tx, args []any) error {
		var talk, silence, turns int64
		err := tx.QueryRow(ctx, `SELECT coalesce(sum(attempts), 0)::bigint, coalesce(sum(refused), 0)::bigint, coalesce(sum(dialled), 0)::bigint,
				coalesce(sum(connected), 0)::bigint, coalesce(sum(converted), 0)::bigint, coalesce(sum(transferred), 0)::bigint,
				coalesce(sum(opted_out), 0)::bigint, coalesce(sum(talk_ms), 0)::bigint, coalesce(sum(silence_ms), 0)::bigint, coalesce(sum(turns), 0)::bigint
			FROM report_calls WHERE `+filterSQL, args...).
			Scan(&r.Attempts, &r.Refused, &r.Dialled, &r.Connected, &r.Conversions, &r.Transfers, &r.DoNotCall, &talk, &silence, &turns)
		if err != nil {
			return err
		}
		r.ConnectRate, r.ConversionRate = ratio(r.Connected, r.Dialled), ratio(r.Conversions, r.Connected)
		if r.Connected > 0 {
			n := float64(r.Connected)
			r.AvgTalkSeconds = float64(talk) / 1000 / n
			r.AvgSilenceSeconds = float64(silence) / 1000 / n
			r.TurnsPerCall = float64(turns) / n
		}
		if err := countsBy(ctx, tx, args, "outcome", func(k1, _ string, n int) { r.ByOutcome[k1] += n }); err != nil {
			return err
		}
		return countsBy(ctx, tx, args, "refused", func(k1, _ string, n int) { r.RefusedByReason[k1] += n })
	})
	return r, err
}

// FunnelReport is the drop-off per dialog state of one script version.
type FunnelReport struct {
	ScriptVersion string
	Start         string
	// States lists every state of the script's graph (in the graph's
	// order, with zero calls too), then states seen only in calls.
	States []FunnelState
}

// FunnelState is how calls went through one dialog state. Entered equals
// the sum of Exits plus Completed plus Dropped.
type FunnelState struct {
	State string
	// Terminal: the state ends the call (end or transfer in the script).
	Terminal bool
	// Entered counts the times calls came into the state.
	Entered int
	// Exits counts the moves to each next state (graph edges included,
	// with zero calls too), sorted by state.
	Exits []FunnelExit
	// Completed counts calls that ended here and the state is terminal;
	// Dropped those that ended here although it is not (hung up or failed).
	Completed, Dropped int
	// DropRate is Dropped/Entered (流失率).
	DropRate float64
}

// FunnelExit is one way out of a state.
type FunnelExit struct {
	To    string
	Calls int
}

// funnelGraph is the part of a saved script version's graph the funnel needs.
type funnelGraph struct {
	Start  string `json:"start"`
	States []struct {
		Name     string `json:"name"`
		End      string `json:"end"`
		Transfer string `json:"transfer"`
	} `json:"states"`
	Edges []struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"edges"`
}

// Funnel reports, per dialog state of a script version, how many calls
// entered it, where they went next and how many hung up or failed there.
// The version is the filter's; without one, the only version in the
// filtered calls (two or more: choose one).
func (s *Service) Funnel(ctx context.Context, p tenants.Principal, f Filter) (*FunnelReport, error) {
	r := &FunnelReport{States: []FunnelState{}}
	err := s.report(ctx, p, f, func(tx pgx.Tx, args []any) error {
		if f.ScriptVersion == "" {
			rows, err := tx.Query(ctx, `SELECT DISTINCT script_version FROM report_calls WHERE connected > 0 AND `+filterSQL+` LIMIT 2`, args...)
			if err != nil {
				return err
			}
			versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			if len(versions) > 1 {
				return tenants.FieldError("query.script_version", "the calls ran more than one script version: choose one for the funnel")
			}
			if len(versions) == 1 {
				f.ScriptVersion = versions[0]
				args[4] = f.ScriptVersion
			}
		}
		r.ScriptVersion = f.ScriptVersion
		var g funnelGraph
		if id, err := uuid.Parse(f.ScriptVersion); err == nil {
			var raw []byte
			err := tx.QueryRow(ctx, `SELECT graph FROM script_versions WHERE tenant_id = $1 AND id = $2`, p.TenantID, id).Scan(&raw)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			json.Unmarshal(raw, &g)
		}
		r.Start = g.Start
		index := map[string]int{}
		exits := []map[string]int{}
		state := func(name string) int {
			i, ok := index[name]
			if !ok {
				i = len(r.States)
				index[name] = i
				r.States = append(r.States, FunnelState{State: name})
				exits = append(exits, map[string]int{})
			}
			return i
		}
		for _, st := range g.States {
			i := state(st.Name)
			r.States[i].Terminal = st.End != "" || st.Transfer != ""
		}
		for _, e := range g.Edges {
			if _, ok := index[e.From]; ok && e.To != "" {
				exits[index[e.From]][e.To] += 0
			}
		}
		type move struct {
			from, to string
			n        int
		}
		var moves []move
		if err := countsBy(ctx, tx, args, "path", func(k1, k2 string, n int) { moves = append(moves, move{k1, k2, n}) }); err != nil {
			return err
		}
		sort.Slice(moves, func(i, j int) bool { return moves[i].from < moves[j].from })
		for _, m := range moves {
			i := state(m.from)
			st := &r.States[i]
			st.Entered += m.n
			switch {
			case m.to != "":
				exits[i][m.to] += m.n
			case st.Terminal:
				st.Completed += m.n
			default:
				st.Dropped += m.n
			}
		}
		for i := range r.States {
			st := &r.States[i]
			st.Exits = []FunnelExit{}
			for to, n := range exits[i] {
				st.Exits = append(st.Exits, FunnelExit{To: to, Calls: n})
			}
			sort.Slice(st.Exits, func(a, b int) bool { return st.Exits[a].To < st.Exits[b].To })
			st.DropRate = ratio(st.Dropped, st.Entered)
		}
		return nil
	})
	return r, err
}

// KeyCount is a name and how often it occurred.
type KeyCount struct {
	Key   string
	Count int
}

// TopicsReport is what callees said: intents, what was not understood
// (the phrases the script should learn next) and sensitive words.
type TopicsReport struct {
	Intents   []KeyCount
	NoMatch   []KeyCount // the most common, at most NoMatchLimit
	Sensitive []KeyCount
}

// NoMatchLimit is how many no_match utterances the topics report lists.
const NoMatchLimit = 20

func sortCounts(m map[string]int) []KeyCount {
	out := make([]KeyCount, 0, len(m))
	for k, n := range m {
		out = append(out, KeyCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// Topics reports intent frequencies, the most common no_match utterances
// and sensitive-word hits, most frequent first.
func (s *Service) Topics(ctx context.Context, p tenants.Principal, f Filter) (*TopicsReport, error) {
	r := &TopicsReport{}
	err := s.report(ctx, p, f, func(tx pgx.Tx, args []any) error {
		intents, sensitive, noMatch := map[string]int{}, map[string]int{}, map[string]int{}
		if err := countsBy(ctx, tx, args, "intent", func(k1, _ string, n int) { intents[k1] += n }); err != nil {
			return err
		}
		if err := countsBy(ctx, tx, args, "sensitive", func(k1, _ string, n int) { sensitive[k1] += n }); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT k1, sum(n)::bigint AS n FROM report_counts WHERE kind = 'no_match' AND `+filterSQL+`
			GROUP BY k1 ORDER BY n DESC, k1 LIMIT $8`, append(args, NoMatchLimit)...)
		if err != nil {
			return err
		}
		var k string
		var n int
		_, err = pgx.ForEachRow(rows, []any{&k, &n}, func() error {
			noMatch[k] = n
			return nil
		})
		if err != nil {
			return err
		}
		r.Intents, r.Sensitive, r.NoMatch = sortCounts(intents), sortCounts(sensitive), sortCounts(noMatch)
		return nil
	})
	return r, err
}

// SentimentCounts counts turns or calls by sentiment label.
type SentimentCounts struct {
	Angry, Negative, Neutral, Positive int
}

func (c *SentimentCounts) add(label string, n int) {
	switch label {
	case "angry":
		c.Angry += n
	case "negative":
		c.Negative += n
	case "neutral":
		c.Neutral += n
	case "positive":
		c.Positive += n
	}
}

// StateSentiment is the sentiment of the turns in one dialog state.
type StateSentiment struct {
	State string
	SentimentCounts
}

// SentimentReport is how callees sounded, per state (turns) and per call.
type SentimentReport struct {
	ByState []StateSentiment // sorted by state
	Calls   SentimentCounts
	// AngryShare is angry calls over connected calls.
	AngryShare float64
	Connected  int
}

// Sentiment reports the sentiment distribution per dialog state and over
// whole calls, and the share of connected calls that turned angry.
func (s *Service) Sentiment(ctx context.Context, p tenants.Principal, f Filter) (*SentimentReport, error) {
	r := &SentimentReport{ByState: []StateSentiment{}}
	err := s.report(ctx, p, f, func(tx pgx.Tx, args []any) error {
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(connected), 0)::bigint FROM report_calls WHERE `+filterSQL, args...).Scan(&r.Connected); err != nil {
			return err
		}
		states := map[string]*SentimentCounts{}
		err := countsBy(ctx, tx, args, "state_sentiment", func(k1, k2 string, n int) {
			if states[k1] == nil {
				states[k1] = &SentimentCounts{}
			}
			states[k1].add(k2, n)
		})
		if err != nil {
			return err
		}
		for st, c := range states {
			r.ByState = append(r.ByState, StateSentiment{State: st, SentimentCounts: *c})
		}
		sort.Slice(r.ByState, func(i, j int) bool { return r.ByState[i].State < r.ByState[j].State })
		if err := countsBy(ctx, tx, args, "call_sentiment", func(k1, _ string, n int) { r.Calls.add(k1, n) }); err != nil {
			return err
		}
		r.AngryShare = ratio(r.Calls.Angry, r.Connected)
		return nil
	})
	return r, err
}

// TimeSlot is one hour of the day or one weekday in the callee's local time.
type TimeSlot struct {
	// Slot is the hour (0–23) or the weekday (0 Sunday … 6 Saturday).
	Slot                            int
	Dialled, Connected, Conversions int
	AnswerRate, ConversionRate      float64
	// AnswerLift is AnswerRate over the overall answer rate, minus one:
	// 0.23 reads "answers 23 % better than average".
	AnswerLift float64
}

// TimeCell is one local hour of one weekday, in the callee's time zone.
type TimeCell struct {
	// Weekday is 0 Sunday … 6 Saturday; Hour 0–23.
	Weekday, Hour                   int
	Dialled, Connected, Conversions int
	AnswerRate, ConversionRate      float64
	// AnswerLift is AnswerRate over the overall answer rate, minus one
	// (0 for a cell without calls).
	AnswerLift float64
}

// TimeReport is the answer and conversion rates by the callee's local hour
// of day and weekday.
type TimeReport struct {
	Overall   TimeSlot
	ByHour    []TimeSlot // 24, hour 0 first
	ByWeekday []TimeSlot // 7, Sunday first
	// Grid is every hour of every weekday: 168 cells, Sunday 0 h first,
	// then Sunday 1 h, …, Saturday 23 h (cell weekday × 24 + hour).
	Grid []TimeCell
}

// Time reports answer and conversion rates by hour of day, by weekday and
// by both at once (the grid) in the callee's local time, with counts.
func (s *Service) Time(ctx context.Context, p tenants.Principal, f Filter) (*TimeReport, error) {
	r := &TimeReport{ByHour: make([]TimeSlot, 24), ByWeekday: make([]TimeSlot, 7), Grid: make([]TimeCell, 7*24)}
	err := s.report(ctx, p, f, func(tx pgx.Tx, args []any) error {
		rows, err := tx.Query(ctx, `SELECT local_hour, local_dow, sum(dialled)::bigint, sum(connected)::bigint, sum(converted)::bigint
			FROM report_calls WHERE `+filterSQL+` GROUP BY local_hour, local_dow`, args...)
		if err != nil {
			return err
		}
		var h, d, dialled, connected, converted int
		_, err = pgx.ForEachRow(rows, []any{&h, &d, &dialled, &connected, &converted}, func() error {
			for _, slot := range []*TimeSlot{&r.Overall, &r.ByHour[h], &r.ByWeekday[d]} {
				slot.Dialled += dialled
				slot.Connected += connected
				slot.Conversions += converted
			}
			cell := &r.Grid[d*24+h]
			cell.Dialled += dialled
			cell.Connected += connected
			cell.Conversions += converted
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	finish := func(t *TimeSlot) {
		t.AnswerRate, t.ConversionRate = ratio(t.Connected, t.Dialled), ratio(t.Conversions, t.Connected)
		if r.Overall.AnswerRate > 0 && t.Dialled > 0 {
			t.AnswerLift = t.AnswerRate/r.Overall.AnswerRate - 1
		}
	}
	finish(&r.Overall)
	r.Overall.AnswerLift = 0
	for i := range r.ByHour {
		r.ByHour[i].Slot = i
		finish(&r.ByHour[i])
	}
	for i := range r.ByWeekday {
		r.ByWeekday[i].Slot = i
		finish(&r.ByWeekday[i])
	}
	for i := range r.Grid {
		c := &r.Grid[i]
		c.Weekday, c.Hour = i/24, i%24
		c.AnswerRate, c.ConversionRate = ratio(c.Connected, c.Dialled), ratio(c.Conversions, c.Connected)
		if r.Overall.AnswerRate > 0 && c.Dialled > 0 {
			c.AnswerLift = c.AnswerRate/r.Overall.AnswerRate - 1
		}
	}
	return r, nil
}

// ABArmResult is one script version's conversions: Conversions out of
// Connected calls.
type ABArmResult struct {
	Version                string
	Connected, Conversions int
	ConversionRate         float64
}

// ABComparison compares one arm with the baseline arm.
type ABComparison struct {
	Version, Baseline string
	// Difference is the arm's conversion rate minus the baseline's, with
	// its 95 % confidence interval (normal approximation, unpooled).
	Difference, CILow, CIHigh float64
	// Z and PValue are the two-proportion z-test (pooled); Significant
	// when PValue < 0.05.
	Z, PValue   float64
	Significant bool
}

// ABReport compares the conversion of the script versions in the filter.
type ABReport struct {
	Arms        []ABArmResult // sorted by version
	Comparisons []ABComparison
}

// z95 is the two-sided 95 % quantile of the standard normal distribution.
const z95 = 1.959963984540054

// CompareProportions compares x1 of n1 with x0 of n0: the difference of
// the rates with its 95 % confidence interval and the two-proportion
// z-test. Either sample empty gives a zero comparison.
func CompareProportions(x1, n1, x0, n0 int) ABComparison {
	var c ABComparison
	if n1 == 0 || n0 == 0 {
		c.PValue = 1
		return c
	}
	p1, p0 := float64(x1)/float64(n1), float64(x0)/float64(n0)
	c.Difference = p1 - p0
	se := math.Sqrt(p1*(1-p1)/float64(n1) + p0*(1-p0)/float64(n0))
	c.CILow, c.CIHigh = c.Difference-z95*se, c.Difference+z95*se
	pooled := float64(x1+x0) / float64(n1+n0)
	sep := math.Sqrt(pooled * (1 - pooled) * (1/float64(n1) + 1/float64(n0)))
	c.PValue = 1
	if sep > 0 {
		c.Z = c.Difference / sep
		c.PValue = math.Erfc(math.Abs(c.Z) / math.Sqrt2)
	}
	c.Significant = c.PValue < 0.05
	return c
}

// AB reports conversion per script version and compares each version with
// the baseline: the campaign's first A/B arm when the filter names a
// campaign with a split, else the first version by name.
func (s *Service) AB(ctx context.Context, p tenants.Principal, f Filter) (*ABReport, error) {
	r := &ABReport{Arms: []ABArmResult{}, Comparisons: []ABComparison{}}
	baseline := ""
	err := s.report(ctx, p, f, func(tx pgx.Tx, args []any) error {
		if f.CampaignID != nil {
			var err error
			if baseline, err = baselineOf(ctx, tx, p.TenantID, *f.CampaignID); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT script_version, sum(connected)::bigint, sum(converted)::bigint FROM report_calls
			WHERE `+filterSQL+` GROUP BY script_version HAVING sum(connected) > 0 ORDER BY script_version`, args...)
		if err != nil {
			return err
		}
		r.Arms, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ABArmResult, error) {
			var a ABArmResult
			err := row.Scan(&a.Version, &a.Connected, &a.Conversions)
			a.ConversionRate = ratio(a.Conversions, a.Connected)
			return a, err
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	base := -1
	for i, a := range r.Arms {
		if a.Version == baseline {
			base = i
		}
	}
	if base < 0 && len(r.Arms) > 0 {
		base = 0
	}
	for i, a := range r.Arms {
		if i == base {
			continue
		}
		b := r.Arms[base]
		c := CompareProportions(a.Conversions, a.Connected, b.Conversions, b.Connected)
		c.Version, c.Baseline = a.Version, b.Version
		r.Comparisons = append(r.Comparisons, c)
	}
	return r, nil
}
