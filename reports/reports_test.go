package reports_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/reports"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// saveGraph stores a script version with a dialog graph, as publishing a
// script does, and returns its id.
func (w *world) saveGraph(p tenants.Principal, graph string) string {
	w.t.Helper()
	script, version := uuid.New(), uuid.New()
	err := w.db.InTenant(w.ctx, p.TenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(w.ctx, `INSERT INTO scripts (id, tenant_id, name, kind) VALUES ($1, $2, 'order', 'dialog')`, script, p.TenantID); err != nil {
			return err
		}
		_, err := tx.Exec(w.ctx, `INSERT INTO script_versions (id, tenant_id, script_id, number, source, hash, graph, published_at)
			VALUES ($1, $2, $3, 1, 'export default {}', 'h', $4, now())`, version, p.TenantID, script, graph)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return version.String()
}

const orderGraph = `{"start": "greeting", "states": [
	{"name": "greeting"}, {"name": "confirm", "end": "confirmed"}, {"name": "callback", "end": "callback"},
	{"name": "objection"}, {"name": "survey", "end": "surveyed"}],
	"edges": [{"from": "greeting", "to": "confirm", "intent": "affirm"}, {"from": "greeting", "to": "callback", "intent": "later"},
	{"from": "greeting", "to": "objection", "intent": "deny"}, {"from": "greeting", "to": "survey", "intent": "survey"},
	{"from": "objection", "to": "confirm", "intent": "affirm"}]}`

// r9 rounds a slot's lift to nine places, past float noise.
func r9(s reports.TimeSlot) reports.TimeSlot {
	s.AnswerLift = math.Round(s.AnswerLift*1e9) / 1e9
	return s
}

func score(f float32) *float32 { return &f }

func TestReportsCountAKnownCallHistoryExactly(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	version := w.saveGraph(w.p, orderGraph)
	mainList := must[*contacts.List](t)(w.contacts.CreateList(w.ctx, w.p, "main", ""))
	usList := must[*contacts.List](t)(w.contacts.CreateList(w.ctx, w.p, "us", ""))
	phones := map[string]string{}
	add := func(name, phone, zone string, list uuid.UUID) {
		c := must[*contacts.Contact](t)(w.contacts.UpsertContact(w.ctx, w.p, contacts.ContactInput{Phone: phone, Name: name, TimeZone: zone, ListIDs: []uuid.UUID{list}}))
		phones[c.Phone] = name
	}
	add("converts", "13800000001", "Asia/Shanghai", mainList.ID)
	add("angry", "13800000002", "Asia/Shanghai", mainList.ID)
	add("busy", "13800000003", "Asia/Shanghai", mainList.ID)
	add("on-dnc", "13800000004", "Asia/Shanghai", mainList.ID)
	add("new-york", "+12125550100", "America/New_York", usList.ID)
	if _, err := w.contacts.AddDNC(w.ctx, w.p, []string{"13800000004"}, "asked before"); err != nil {
		t.Fatal(err)
	}
	c := must[*campaigns.Campaign](t)(w.campaigns.CreateCampaign(w.ctx, w.p, campaigns.CampaignInput{Name: "orders", ListIDs: []uuid.UUID{mainList.ID, usList.ID}, ScriptVersion: version}))
	c = must[*campaigns.Campaign](t)(w.campaigns.StartCampaign(w.ctx, w.p, c.ID))

	// Tuesday noon in Shanghai is Monday 23:00 in New York.
	now := tuesdayNoon
	talk := func(r campaigns.Ending, seconds int) campaigns.Ending {
		r.AnsweredAt, r.EndedAt = now, now.Add(time.Duration(seconds)*time.Second)
		for i := range r.Turns {
			r.Turns[i].StartedAt, r.Turns[i].EndedAt = now, now
		}
		return r
	}
	w.dialAll(w.p, c, func(req campaigns.Placement) campaigns.Ending {
		switch phones[req.Phone] {
		case "converts":
			return talk(campaigns.Ending{Outcome: telephony.OutcomeAnswered, FinalState: "confirm", Tags: []string{"outcome:confirmed"}, Silence: 2 * time.Second,
				Turns: []campaigns.Turn{
					{State: "greeting", Said: "您好", Heard: "是的", Intent: "affirm", Sentiment: score(0.6)},
					{State: "confirm", Said: "好的,订单已确认"},
				}}, 30)
		case "angry":
			return talk(campaigns.Ending{Outcome: telephony.OutcomeAnswered, FinalState: "objection", OptOut: true, Silence: 4 * time.Second,
				Turns: []campaigns.Turn{
					{State: "greeting", Heard: "你们是哪家公司", Intent: "no_match", Sentiment: score(0)},
					{State: "greeting", Heard: "不要", Intent: "deny", Sentiment: score(-0.5), SentimentLabel: "negative"},
					{State: "objection", Heard: "滚", Sentiment: score(-1), SentimentLabel: "angry", Sensitive: []string{"滚"}},
				}}, 20)
		case "new-york":
			return talk(campaigns.Ending{Outcome: telephony.OutcomeTransferred, FinalState: "callback",
				Turns: []campaigns.Turn{
					{State: "greeting", Heard: "你们是哪家公司", Intent: "no_match"},
					{State: "callback", Heard: "晚点", Intent: "later"},
				}}, 10)
		default:
			return campaigns.Ending{Outcome: telephony.OutcomeBusy, EndedAt: now.Add(5 * time.Second)}
		}
	})
	// Another campaign's busy call, which the campaign filter leaves out.
	other := w.campaignOf(w.p, "13800000009")
	w.dialAll(w.p, other, func(campaigns.Placement) campaigns.Ending { return campaigns.Ending{Outcome: telephony.OutcomeBusy} })

	only := reports.Filter{CampaignID: &c.ID}
	t.Run("outcomes", func(t *testing.T) {
		got := must[*reports.OutcomesReport](t)(w.svc.Outcomes(w.ctx, w.p, only))
		want := &reports.OutcomesReport{Attempts: 5, Refused: 1, Dialled: 4, Connected: 3, Conversions: 1, Transfers: 1, DoNotCall: 1,
			ConnectRate: 3.0 / 4, ConversionRate: 1.0 / 3, AvgTalkSeconds: 20, AvgSilenceSeconds: 2, TurnsPerCall: 7.0 / 3,
			ByOutcome:       map[string]int{"answered": 2, "busy": 1, "transferred": 1},
			RefusedByReason: map[string]int{"dnc": 1}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("outcomes\n got %+v\nwant %+v", got, want)
		}
		all := must[*reports.OutcomesReport](t)(w.svc.Outcomes(w.ctx, w.p, reports.Filter{}))
		if all.Attempts != 6 || all.ByOutcome["busy"] != 2 {
			t.Fatalf("unfiltered: %+v", all)
		}
		us := must[*reports.OutcomesReport](t)(w.svc.Outcomes(w.ctx, w.p, reports.Filter{ListID: &usList.ID}))
		if us.Attempts != 1 || us.Transfers != 1 {
			t.Fatalf("list filter: %+v", us)
		}
		before := must[*reports.OutcomesReport](t)(w.svc.Outcomes(w.ctx, w.p, reports.Filter{To: tuesdayNoon.UTC().Truncate(24 * time.Hour)}))
		if before.Attempts != 0 {
			t.Fatalf("date filter: %+v", before)
		}
		seg := must[*reports.OutcomesReport](t)(w.svc.Outcomes(w.ctx, w.p, reports.Filter{ScriptVersion: version, Segment: ""}))
		if seg.Attempts != 4 { // the refusal ran no script
			t.Fatalf("version filter: %+v", seg)
		}
	})
	t.Run("funnel shows every state of the graph, empty ones too", func(t *testing.T) {
		got := must[*reports.FunnelReport](t)(w.svc.Funnel(w.ctx, w.p, only))
		ex := func(pairs ...any) []reports.FunnelExit {
			out := []reports.FunnelExit{}
			for i := 0; i < len(pairs); i += 2 {
				out = append(out, reports.FunnelExit{To: pairs[i].(string), Calls: pairs[i+1].(int)})
			}
			return out
		}
		want := &reports.FunnelReport{ScriptVersion: version, Start: "greeting", States: []reports.FunnelState{
			{State: "greeting", Entered: 3, Exits: ex("callback", 1, "confirm", 1, "objection", 1, "survey", 0)},
			{State: "confirm", Terminal: true, Entered: 1, Exits: ex(), Completed: 1},
			{State: "callback", Terminal: true, Entered: 1, Exits: ex(), Completed: 1},
			{State: "objection", Entered: 1, Exits: ex("confirm", 0), Dropped: 1, DropRate: 1},
			{State: "survey", Terminal: true, Exits: ex()},
		}}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			t.Fatalf("funnel\n got %s", g)
		}
	})
	t.Run("topics", func(t *testing.T) {
		got := must[*reports.TopicsReport](t)(w.svc.Topics(w.ctx, w.p, only))
		want := &reports.TopicsReport{
			Intents:   []reports.KeyCount{{"no_match", 2}, {"affirm", 1}, {"deny", 1}, {"later", 1}},
			NoMatch:   []reports.KeyCount{{"你们是哪家公司", 2}},
			Sensitive: []reports.KeyCount{{"滚", 1}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("topics\n got %+v\nwant %+v", got, want)
		}
	})
	t.Run("sentiment", func(t *testing.T) {
		got := must[*reports.SentimentReport](t)(w.svc.Sentiment(w.ctx, w.p, only))
		want := &reports.SentimentReport{
			ByState: []reports.StateSentiment{
				{State: "greeting", SentimentCounts: reports.SentimentCounts{Negative: 1, Neutral: 1, Positive: 1}},
				{State: "objection", SentimentCounts: reports.SentimentCounts{Angry: 1}},
			},
			Calls:      reports.SentimentCounts{Angry: 1, Positive: 1},
			AngryShare: 1.0 / 3, Connected: 3,
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("sentiment\n got %+v\nwant %+v", got, want)
		}
	})
	t.Run("time of day in the callee's zone", func(t *testing.T) {
		got := must[*reports.TimeReport](t)(w.svc.Time(w.ctx, w.p, only))
		if o := got.Overall; o.Dialled != 4 || o.Connected != 3 || o.Conversions != 1 || o.AnswerRate != 0.75 {
			t.Fatalf("overall %+v", o)
		}
		noon := reports.TimeSlot{Slot: 12, Dialled: 3, Connected: 2, Conversions: 1, AnswerRate: 2.0 / 3, ConversionRate: 0.5, AnswerLift: (2.0/3)/0.75 - 1}
		late := reports.TimeSlot{Slot: 23, Dialled: 1, Connected: 1, AnswerRate: 1, AnswerLift: 1/0.75 - 1}
		if r9(got.ByHour[12]) != r9(noon) || r9(got.ByHour[23]) != r9(late) || got.ByHour[0] != (reports.TimeSlot{Slot: 0}) {
			t.Fatalf("hours: 12 %+v, 23 %+v, 0 %+v", got.ByHour[12], got.ByHour[23], got.ByHour[0])
		}
		tue := reports.TimeSlot{Slot: 2, Dialled: 3, Connected: 2, Conversions: 1, AnswerRate: 2.0 / 3, ConversionRate: 0.5, AnswerLift: (2.0/3)/0.75 - 1}
		mon := reports.TimeSlot{Slot: 1, Dialled: 1, Connected: 1, AnswerRate: 1, AnswerLift: 1/0.75 - 1}
		if r9(got.ByWeekday[2]) != r9(tue) || r9(got.ByWeekday[1]) != r9(mon) || len(got.ByHour) != 24 || len(got.ByWeekday) != 7 {
			t.Fatalf("weekdays: tue %+v, mon %+v", got.ByWeekday[2], got.ByWeekday[1])
		}
	})
	t.Run("CSV exports carry a byte order mark and Chinese text intact", func(t *testing.T) {
		var turns, calls, topics bytes.Buffer
		if err := w.svc.ExportTurns(w.ctx, w.p, only, &turns); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.ExportCalls(w.ctx, w.p, only, &calls); err != nil {
			t.Fatal(err)
		}
		must[*reports.TopicsReport](t)(w.svc.Topics(w.ctx, w.p, only)).WriteCSV(&topics)
		for name, b := range map[string]*bytes.Buffer{"turns": &turns, "calls": &calls, "topics": &topics} {
			if !bytes.HasPrefix(b.Bytes(), []byte{0xEF, 0xBB, 0xBF}) {
				t.Fatalf("%s: no byte order mark", name)
			}
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(turns.Bytes(), []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+7 || rows[0][0] != "call_id" {
			t.Fatalf("turns: %d rows, header %v", len(rows), rows[0])
		}
		heard := map[string]bool{}
		for _, r := range rows[1:] {
			heard[r[4]] = true
		}
		if !heard["你们是哪家公司"] || !heard["滚"] {
			t.Fatalf("turns lost their Chinese text: %v", heard)
		}
		callRows, _ := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(calls.Bytes(), []byte("\ufeff")))).ReadAll()
		if len(callRows) != 1+5 {
			t.Fatalf("calls: %d rows", len(callRows))
		}
		if !strings.Contains(topics.String(), "no_match,你们是哪家公司,2") {
			t.Fatalf("topics CSV: %s", topics.String())
		}
	})
	t.Run("rebuilding the rollups gives the same figures", func(t *testing.T) {
		before := must[*reports.OutcomesReport](t)(w.svc.Outcomes(w.ctx, w.p, reports.Filter{}))
		funnel := must[*reports.FunnelReport](t)(w.svc.Funnel(w.ctx, w.p, only))
		if _, err := w.svc.Rebuild(w.ctx, w.p); err != nil {
			t.Fatal(err)
		}
		after := must[*reports.OutcomesReport](t)(w.svc.Outcomes(w.ctx, w.p, reports.Filter{}))
		funnelAfter := must[*reports.FunnelReport](t)(w.svc.Funnel(w.ctx, w.p, only))
		if !reflect.DeepEqual(before, after) || !reflect.DeepEqual(funnel, funnelAfter) {
			t.Fatalf("rebuilt\n%+v\n%+v", before, after)
		}
	})
	t.Run("another tenant sees none of it", func(t *testing.T) {
		b := w.signup("Other")
		got := must[*reports.OutcomesReport](t)(w.svc.Outcomes(w.ctx, b, reports.Filter{}))
		if got.Attempts != 0 {
			t.Fatalf("%+v", got)
		}
		if _, err := w.svc.Outcomes(w.ctx, b, only); tenants.ErrorCode(err) != tenants.ENotFound {
			t.Fatalf("another tenant's campaign: %v", err)
		}
	})
}

func TestABReportComparesConversionWithAConfidenceInterval(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	list := must[*contacts.List](t)(w.contacts.CreateList(w.ctx, w.p, "l", ""))
	for i := range 40 {
		w.contacts.UpsertContact(w.ctx, w.p, contacts.ContactInput{Phone: "1380000" + string(rune('1'+i/10)) + string(rune('0'+i%10)) + "00", ListIDs: []uuid.UUID{list.ID}})
	}
	c := must[*campaigns.Campaign](t)(w.campaigns.CreateCampaign(w.ctx, w.p, campaigns.CampaignInput{Name: "ab", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "A",
		SegmentVersions: map[string]string{"a": "A", "b": "B"}, ABSplit: []campaigns.ABArm{{Version: "A", Weight: 1}, {Version: "B", Weight: 1}}}))
	c = must[*campaigns.Campaign](t)(w.campaigns.StartCampaign(w.ctx, w.p, c.ID))
	// Half the contacts in segment a, half in b, as segmentation would file them.
	err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `UPDATE campaign_contacts SET segment = CASE WHEN phone < '+8613800003000' THEN 'a' ELSE 'b' END WHERE campaign_id = $1`, c.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	converted := map[string]int{}
	w.dialAll(w.p, c, func(req campaigns.Placement) campaigns.Ending {
		r := campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: tuesdayNoon, EndedAt: tuesdayNoon.Add(time.Minute)}
		// A converts 4 of its 20 calls, B 14 of 20.
		if limit := map[string]int{"A": 4, "B": 14}[req.ScriptVersion]; converted[req.ScriptVersion] < limit {
			converted[req.ScriptVersion]++
			r.Tags = []string{"converted"}
		}
		return r
	})
	got := must[*reports.ABReport](t)(w.svc.AB(w.ctx, w.p, reports.Filter{CampaignID: &c.ID}))
	arms := []reports.ABArmResult{{Version: "A", Connected: 20, Conversions: 4, ConversionRate: 0.2}, {Version: "B", Connected: 20, Conversions: 14, ConversionRate: 0.7}}
	if !reflect.DeepEqual(got.Arms, arms) || len(got.Comparisons) != 1 {
		t.Fatalf("arms %+v, comparisons %+v", got.Arms, got.Comparisons)
	}
	// Worked by hand: difference 0.5; standard error sqrt(.7·.3/20 + .2·.8/20) = 0.136015,
	// interval 0.5 ± 1.959964·0.136015; pooled rate 0.45, z = 0.5 / sqrt(.45·.55·(2/20)) = 3.178209.
	cmp := got.Comparisons[0]
	round := func(f float64) float64 { return math.Round(f*1e6) / 1e6 }
	if cmp.Version != "B" || cmp.Baseline != "A" || round(cmp.Difference) != 0.5 || round(cmp.CILow) != 0.233416 || round(cmp.CIHigh) != 0.766584 ||
		round(cmp.Z) != 3.178209 || round(cmp.PValue) != 0.001482 || !cmp.Significant {
		t.Fatalf("comparison %+v", cmp)
	}
	// Two versions ran: the funnel needs to be told which.
	if _, err := w.svc.Funnel(w.ctx, w.p, reports.Filter{CampaignID: &c.ID}); tenants.ErrorCode(err) != tenants.EInvalid {
		t.Fatalf("a funnel over two versions: %v", err)
	}
	if f, err := w.svc.Funnel(w.ctx, w.p, reports.Filter{CampaignID: &c.ID, ScriptVersion: "B"}); err != nil || f.ScriptVersion != "B" {
		t.Fatalf("the funnel of B: %+v %v", f, err)
	}
	// A tie is not significant and its interval straddles zero.
	tie := reports.CompareProportions(10, 20, 10, 20)
	if tie.Difference != 0 || tie.Z != 0 || tie.PValue != 1 || tie.Significant || round(tie.CILow) != -0.309898 || round(tie.CIHigh) != 0.309898 {
		t.Fatalf("tie %+v", tie)
	}
}

// A mailbox, or a carrier's announcement after an answer (空号 read as
// invalid_number, 已关机 as unreachable), answers but connects nobody.
func TestAnAnsweringMachineIsDialledButNotConnected(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	c := w.campaignOf(w.p, "13800000011", "13800000012", "13800000013", "13800000014", "13800000015")
	now := time.Now()
	outcomes := []telephony.Outcome{telephony.OutcomeAnswered, telephony.OutcomeVoicemail, telephony.OutcomeInvalidNumber, telephony.OutcomeNoAnswer,
		telephony.OutcomeUnreachable}
	var mu sync.Mutex
	w.dialAll(w.p, c, func(req campaigns.Placement) campaigns.Ending {
		mu.Lock()
		defer mu.Unlock()
		outcome := outcomes[0]
		outcomes = outcomes[1:]
		return campaigns.Ending{Outcome: outcome, AnsweredAt: now, EndedAt: now.Add(20 * time.Second)}
	})
	got := must[*reports.OutcomesReport](t)(w.svc.Outcomes(w.ctx, w.p, reports.Filter{CampaignID: &c.ID}))
	if got.Dialled != 5 || got.Connected != 1 || got.ConnectRate != 0.2 || got.ByOutcome["voicemail"] != 1 || got.ByOutcome["invalid_number"] != 1 ||
		got.ByOutcome["unreachable"] != 1 {
		t.Fatalf("a person, a mailbox and three announcements answered: %+v, want 5 dialled, 1 connected", got)
	}
}

// The list hygiene report sorts a campaign's numbers by what became of
// them (reached, dead, unreachable, unanswered), lists the ones nobody was
// reached at, dead first, with the carrier's words, and masks them for a
// viewer.
func TestListHygieneSortsNumbersByWhatBecameOfThem(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	phones := []string{"13800000021", "13800000022", "13800000023", "13800000024", "13800000025"}
	c := w.campaignOf(w.p, phones...)
	now := time.Now()
	endings := map[string]campaigns.Ending{
		"+8613800000021": {Outcome: telephony.OutcomeAnswered, AnsweredAt: now, EndedAt: now.Add(30 * time.Second)},
		"+8613800000022": {Outcome: telephony.OutcomeInvalidNumber, AnsweredAt: now, EndedAt: now.Add(3 * time.Second), Reason: `carrier announcement (invalid_number): "是空号"`},
		"+8613800000023": {Outcome: telephony.OutcomeUnreachable, AnsweredAt: now, EndedAt: now.Add(3 * time.Second), Reason: `carrier announcement (unreachable): "已关机"`},
		"+8613800000024": {Outcome: telephony.OutcomeNoAnswer, EndedAt: now.Add(30 * time.Second)},
		"+8613800000025": {Outcome: telephony.OutcomeVoicemail, AnsweredAt: now, EndedAt: now.Add(10 * time.Second)},
	}
	var mu sync.Mutex
	w.dialAll(w.p, c, func(req campaigns.Placement) campaigns.Ending {
		mu.Lock()
		defer mu.Unlock()
		return endings[req.Phone]
	})
	got := must[*reports.HygieneReport](t)(w.svc.ListHygiene(w.ctx, w.p, reports.Filter{CampaignID: &c.ID}))
	if got.Numbers != 5 || got.Reached != 1 || got.Dead != 1 || got.Unreachable != 1 || got.Unanswered != 2 || got.DeadShare != 0.2 {
		t.Fatalf("five numbers, one of each fate: %+v", got)
	}
	if len(got.NotReached) != 4 || got.NotReached[0].Phone != "+8613800000022" || got.NotReached[0].Category != "dead" ||
		!strings.Contains(got.NotReached[0].LastReason, "是空号") || got.NotReached[1].Category != "unreachable" || got.NotReached[3].Category != "unanswered" {
		t.Fatalf("the numbers nobody was reached at: %+v", got.NotReached)
	}
	var csv strings.Builder
	if err := got.WriteCSV(&csv); err != nil || !strings.Contains(csv.String(), "'+8613800000022,dead,1,invalid_number") {
		t.Fatalf("as CSV (%v):\n%s", err, csv.String())
	}
	viewer := w.p
	viewer.Role = tenants.RoleViewer
	masked := must[*reports.HygieneReport](t)(w.svc.ListHygiene(w.ctx, viewer, reports.Filter{CampaignID: &c.ID}))
	if masked.NotReached[0].Phone == "+8613800000022" || !strings.Contains(masked.NotReached[0].Phone, "*") {
		t.Fatalf("a viewer sees %q", masked.NotReached[0].Phone)
	}
}
