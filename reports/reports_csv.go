package reports

import (
	"context"
	"encoding/csv"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// The CSV exports are UTF-8 with a byte order mark, so a spreadsheet opens
// Chinese text intact, and one header row. Every cell passes SafeCell.

// bom is the UTF-8 byte order mark.
const bom = "\ufeff"

func newCSV(w io.Writer, header ...string) (*CSVWriter, error) {
	if _, err := io.WriteString(w, bom); err != nil {
		return nil, err
	}
	cw := NewCSVWriter(w)
	return cw, cw.Write(header)
}

// SafeCell returns a CSV cell as a spreadsheet will show it without running
// it. Excel, LibreOffice and Google Sheets read a cell that starts with =,
// +, -, @, a tab or a carriage return as a formula, and a formula in an
// export can fetch a URL with the sheet's data or start a program (DDE): a
// callee's words, a contact's name or a tag is text someone outside chose.
// Such a cell gets a leading single quote, which the spreadsheet shows as
// text (OWASP's CSV injection guidance). That includes numbers in E.164:
// '+8613812341234 shows as +8613812341234 kept as text, where unquoted it
// would be read as the number 8.61381E+12, its + and any leading zero lost.
// A plain negative number (-0.25, a difference or a sentiment) is left as
// it is: it runs nothing, and quoted it would no longer add up.
func SafeCell(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '@', '\t', '\r':
	case '-':
		if plainNegative(cell) {
			return cell
		}
	default:
		return cell
	}
	return "'" + cell
}

// plainNegative reports whether s is a minus sign, digits and at most one
// decimal point with digits after it: -12 or -0.25, nothing else.
func plainNegative(s string) bool {
	digits, point := 0, false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point && digits > 0 && i < len(s)-1:
			point = true
		default:
			return false
		}
	}
	return digits > 0
}

// CSVWriter is a csv.Writer that passes every cell through SafeCell: the
// writer every CSV export of outcall uses, so that none can forget the
// rule.
type CSVWriter struct {
	w   *csv.Writer
	row []string
}

// NewCSVWriter returns a CSVWriter writing to w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

// Write writes one record, its cells made safe; record itself is left as
// it was.
func (c *CSVWriter) Write(record []string) error {
	c.row = c.row[:0]
	for _, cell := range record {
		c.row = append(c.row, SafeCell(cell))
	}
	return c.w.Write(c.row)
}

// WriteAll writes records, their cells made safe, and flushes.
func (c *CSVWriter) WriteAll(records [][]string) error {
	for _, r := range records {
		if err := c.Write(r); err != nil {
			return err
		}
	}
	c.w.Flush()
	return c.w.Error()
}

// Flush writes any buffered data to the underlying writer.
func (c *CSVWriter) Flush() { c.w.Flush() }

// Error reports any error of a previous Write or Flush.
func (c *CSVWriter) Error() error { return c.w.Error() }

func num(n int) string        { return strconv.Itoa(n) }
func dec(f float64) string    { return strconv.FormatFloat(f, 'f', -1, 64) }
func flag(b bool) string      { return strconv.FormatBool(b) }
func when(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// WriteCSV writes the report as metric,key,value rows.
func (r *OutcomesReport) WriteCSV(w io.Writer) error {
	cw, err := newCSV(w, "metric", "key", "value")
	if err != nil {
		return err
	}
	rows := [][]string{
		{"attempts", "", num(r.Attempts)}, {"refused", "", num(r.Refused)}, {"dialled", "", num(r.Dialled)},
		{"connected", "", num(r.Connected)}, {"conversions", "", num(r.Conversions)}, {"transfers", "", num(r.Transfers)},
		{"do_not_call", "", num(r.DoNotCall)}, {"connect_rate", "", dec(r.ConnectRate)}, {"conversion_rate", "", dec(r.ConversionRate)},
		{"avg_talk_seconds", "", dec(r.AvgTalkSeconds)}, {"avg_silence_seconds", "", dec(r.AvgSilenceSeconds)},
		{"turns_per_call", "", dec(r.TurnsPerCall)},
	}
	for _, kc := range sortCounts(r.ByOutcome) {
		rows = append(rows, []string{"outcome", kc.Key, num(kc.Count)})
	}
	for _, kc := range sortCounts(r.RefusedByReason) {
		rows = append(rows, []string{"refused_reason", kc.Key, num(kc.Count)})
	}
	cw.WriteAll(rows)
	return cw.Error()
}

// WriteCSV writes one row per state and exit.
func (r *FunnelReport) WriteCSV(w io.Writer) error {
	cw, err := newCSV(w, "state", "terminal", "entered", "to", "calls", "completed", "dropped", "drop_rate")
	if err != nil {
		return err
	}
	for _, st := range r.States {
		cw.Write([]string{st.State, flag(st.Terminal), num(st.Entered), "", "", num(st.Completed), num(st.Dropped), dec(st.DropRate)})
		for _, e := range st.Exits {
			cw.Write([]string{st.State, flag(st.Terminal), num(st.Entered), e.To, num(e.Calls), "", "", ""})
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteCSV writes kind,key,count rows: intent, no_match, sensitive.
func (r *TopicsReport) WriteCSV(w io.Writer) error {
	cw, err := newCSV(w, "kind", "key", "count")
	if err != nil {
		return err
	}
	for _, part := range []struct {
		kind string
		kc   []KeyCount
	}{{"intent", r.Intents}, {"no_match", r.NoMatch}, {"sensitive", r.Sensitive}} {
		for _, kc := range part.kc {
			cw.Write([]string{part.kind, kc.Key, num(kc.Count)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteCSV writes one row per state (turns) and one for whole calls.
func (r *SentimentReport) WriteCSV(w io.Writer) error {
	cw, err := newCSV(w, "scope", "state", "angry", "negative", "neutral", "positive", "angry_share")
	if err != nil {
		return err
	}
	for _, st := range r.ByState {
		cw.Write([]string{"turns", st.State, num(st.Angry), num(st.Negative), num(st.Neutral), num(st.Positive), ""})
	}
	c := r.Calls
	cw.Write([]string{"calls", "", num(c.Angry), num(c.Negative), num(c.Neutral), num(c.Positive), dec(r.AngryShare)})
	cw.Flush()
	return cw.Error()
}

// WriteCSV writes the overall row, 24 hours, 7 weekdays and the 168 cells of
// the weekday × hour grid.
func (r *TimeReport) WriteCSV(w io.Writer) error {
	cw, err := newCSV(w, "by", "slot", "dialled", "connected", "conversions", "answer_rate", "conversion_rate", "answer_lift")
	if err != nil {
		return err
	}
	row := func(by, slot string, t TimeSlot) {
		cw.Write([]string{by, slot, num(t.Dialled), num(t.Connected), num(t.Conversions), dec(t.AnswerRate), dec(t.ConversionRate), dec(t.AnswerLift)})
	}
	row("overall", "", r.Overall)
	for _, t := range r.ByHour {
		row("hour", num(t.Slot), t)
	}
	days := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	for _, t := range r.ByWeekday {
		row("weekday", days[t.Slot], t)
	}
	// The grid: slot "wed 20" is Wednesday 20:00–20:59, callee's time.
	for _, c := range r.Grid {
		row("weekday_hour", days[c.Weekday]+" "+num(c.Hour), TimeSlot{Dialled: c.Dialled, Connected: c.Connected, Conversions: c.Conversions,
			AnswerRate: c.AnswerRate, ConversionRate: c.ConversionRate, AnswerLift: c.AnswerLift})
	}
	cw.Flush()
	return cw.Error()
}

// WriteCSV writes one row per arm, then one per comparison.
func (r *ABReport) WriteCSV(w io.Writer) error {
	cw, err := newCSV(w, "version", "baseline", "connected", "conversions", "conversion_rate", "difference", "ci_low", "ci_high", "z", "p_value", "significant")
	if err != nil {
		return err
	}
	for _, a := range r.Arms {
		cw.Write([]string{a.Version, "", num(a.Connected), num(a.Conversions), dec(a.ConversionRate), "", "", "", "", "", ""})
	}
	for _, c := range r.Comparisons {
		cw.Write([]string{c.Version, c.Baseline, "", "", "", dec(c.Difference), dec(c.CILow), dec(c.CIHigh), dec(c.Z), dec(c.PValue), flag(c.Significant)})
	}
	cw.Flush()
	return cw.Error()
}

// rawFilterSQL filters call records like the rollups' filterSQL; its
// arguments are Filter.args.
const rawFilterSQL = `c.tenant_id = $1 AND c.created_at >= $2 AND c.created_at < $3 AND ($4::uuid IS NULL OR c.campaign_id = $4)
	AND ($5::text = '' OR c.script_version = $5) AND ($6::text = '' OR c.segment = $6)
	AND ($7::uuid IS NULL OR EXISTS (SELECT 1 FROM campaign_contacts cc WHERE cc.campaign_id = c.campaign_id AND cc.contact_id = c.contact_id AND cc.list_id = $7))`

// ExportCalls writes the call records in the filter as CSV, oldest first,
// their numbers as p may see them (Principal.ShowPhone).
func (s *Service) ExportCalls(ctx context.Context, p tenants.Principal, f Filter, w io.Writer) error {
	return s.report(ctx, p, f, func(tx pgx.Tx, args []any) error {
		cw, err := newCSV(w, "id", "campaign_id", "contact_id", "attempt", "phone", "state", "outcome", "reason", "created_at", "answered_at",
			"ended_at", "ring_ms", "billable_seconds", "silence_ms", "script_version", "segment", "final_state", "tags", "opted_out",
			"last_intent", "callback_at", "vars", "slots", "caller_id")
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT c.id, c.campaign_id, c.contact_id, c.attempt, c.phone, c.state, coalesce(c.outcome, ''),
				coalesce(c.reason, ''), c.created_at, c.answered_at, c.ended_at, c.ring_ms, c.billable_seconds, c.silence_ms,
				c.script_version, c.segment, c.final_state, c.tags, c.opted_out, c.last_intent, c.callback_at, c.vars::text, c.slots::text, c.caller_id
			FROM calls c WHERE `+rawFilterSQL+` ORDER BY c.created_at, c.id`, args...)
		if err != nil {
			return err
		}
		var (
			id, campaignID, contactID                              uuid.UUID
			attempt, billable, silence                             int
			number, state, outcome, reason, version, segment, last string
			createdAt                                              time.Time
			answeredAt, endedAt, callbackAt                        *time.Time
			lastIntent, vars, slots, callerID                      string
			ringMS                                                 *int
			tags                                                   []string
			optedOut                                               bool
		)
		opt := func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return when(*t)
		}
		_, err = pgx.ForEachRow(rows, []any{&id, &campaignID, &contactID, &attempt, &number, &state, &outcome, &reason, &createdAt,
			&answeredAt, &endedAt, &ringMS, &billable, &silence, &version, &segment, &last, &tags, &optedOut, &lastIntent, &callbackAt, &vars, &slots, &callerID}, func() error {
			ring := ""
			if ringMS != nil {
				ring = num(*ringMS)
			}
			cw.Write([]string{id.String(), campaignID.String(), contactID.String(), num(attempt), p.ShowPhone(number), state, outcome, reason,
				when(createdAt), opt(answeredAt), opt(endedAt), ring, num(billable), num(silence), version, segment,
				last, strings.Join(tags, ";"), flag(optedOut), lastIntent, opt(callbackAt), vars, slots, callerID})
			return nil
		})
		if err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	})
}

// ExportTurns writes the dialog turns of the calls in the filter as CSV.
func (s *Service) ExportTurns(ctx context.Context, p tenants.Principal, f Filter, w io.Writer) error {
	return s.report(ctx, p, f, func(tx pgx.Tx, args []any) error {
		cw, err := newCSV(w, "call_id", "seq", "state", "said", "heard", "intent", "confidence", "sentiment", "sentiment_label", "sensitive",
			"started_at", "ended_at")
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT t.call_id, t.seq, t.state, t.said, t.heard, t.intent, t.confidence, t.sentiment, t.sentiment_label,
				t.sensitive, t.started_at, t.ended_at
			FROM calls c JOIN call_turns t ON t.call_id = c.id WHERE `+rawFilterSQL+` ORDER BY c.created_at, c.id, t.seq`, args...)
		if err != nil {
			return err
		}
		var (
			callID, state, said, heard, intent, label string
			seq                                       int
			confidence, sentiment                     *float32
			sensitive                                 []string
			startedAt, endedAt                        time.Time
		)
		f32 := func(v *float32) string {
			if v == nil {
				return ""
			}
			return strconv.FormatFloat(float64(*v), 'f', -1, 32)
		}
		_, err = pgx.ForEachRow(rows, []any{&callID, &seq, &state, &said, &heard, &intent, &confidence, &sentiment, &label,
			&sensitive, &startedAt, &endedAt}, func() error {
			words := append([]string(nil), sensitive...)
			sort.Strings(words)
			cw.Write([]string{callID, num(seq), state, said, heard, intent, f32(confidence), f32(sentiment), label,
				strings.Join(words, ";"), when(startedAt), when(endedAt)})
			return nil
		})
		if err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	})
}
