package api

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/reports"
	"github.com/outcall/outcall/tenants"
)

// reportQuery is the filter every report takes.
type reportQuery struct {
	From          time.Time `query:"from" doc:"Count calls attempted from this day on (RFC 3339; whole days in UTC); empty: from the first call." example:"2026-11-01T00:00:00+08:00"`
	To            time.Time `query:"to" doc:"Count calls of the days (UTC) that start before this moment (RFC 3339); empty: up to now." example:"2026-12-01T00:00:00+08:00"`
	CampaignID    string    `query:"campaign_id" maxLength:"36" doc:"Only this campaign's calls." example:"0193a7e2-8c4b-7d2e-9f1a-3b5c7d9e1f20"`
	ScriptVersion string    `query:"script_version" maxLength:"200" doc:"Only calls that ran this script version."`
	Segment       string    `query:"segment" maxLength:"200" doc:"Only calls of contacts in this segment." example:"vip"`
	ListID        string    `query:"list_id" maxLength:"36" doc:"Only calls of contacts the campaign took from this list."`
}

func parseID(field, v string) (*uuid.UUID, error) {
	if v == "" {
		return nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return nil, huma.NewError(http.StatusUnprocessableEntity, field+" is not an id",
			&huma.ErrorDetail{Location: "query." + field, Message: "not a UUID", Value: v})
	}
	return &id, nil
}

func (q reportQuery) filter() (reports.Filter, error) {
	f := reports.Filter{From: q.From, To: q.To, ScriptVersion: q.ScriptVersion, Segment: q.Segment}
	var err error
	if f.CampaignID, err = parseID("campaign_id", q.CampaignID); err != nil {
		return f, err
	}
	if f.ListID, err = parseID("list_id", q.ListID); err != nil {
		return f, err
	}
	return f, nil
}

// OutcomesReportBody is how the attempts went.
type OutcomesReportBody struct {
	Attempts          int            `json:"attempts" example:"1200" doc:"Every attempt, refusals included."`
	Refused           int            `json:"refused" example:"40" doc:"Attempts the compliance check refused."`
	Dialled           int            `json:"dialled" example:"1160"`
	Connected         int            `json:"connected" example:"580" doc:"Answered calls."`
	Conversions       int            `json:"conversions" example:"120" doc:"Connected calls that ended as a conversion (see the report settings)."`
	Transfers         int            `json:"transfers" example:"12"`
	DoNotCall         int            `json:"do_not_call" example:"6" doc:"Callees who asked not to be called again."`
	ConnectRate       float64        `json:"connect_rate" example:"0.5" doc:"connected / dialled (接通率)."`
	ConversionRate    float64        `json:"conversion_rate" example:"0.2069" doc:"conversions / connected."`
	AvgTalkSeconds    float64        `json:"avg_talk_seconds" example:"48.2" doc:"Per connected call."`
	AvgSilenceSeconds float64        `json:"avg_silence_seconds" example:"3.1" doc:"Callee silence before speaking, per connected call."`
	TurnsPerCall      float64        `json:"turns_per_call" example:"4.2" doc:"Per connected call."`
	ByOutcome         map[string]int `json:"by_outcome" doc:"Dialled attempts by outcome."`
	RefusedByReason   map[string]int `json:"refused_by_reason" doc:"Refusals by reason: dnc, daily_cap, quiet_hours, …"`
}

// FollowUpsReportBody is how the follow-up messages went.
type FollowUpsReportBody struct {
	Messages       int                     `json:"messages" example:"300" doc:"Follow-ups the filter's calls asked for."`
	Sent           int                     `json:"sent" example:"280" doc:"Taken by the SMS provider."`
	Delivered      int                     `json:"delivered" example:"270" doc:"Reported on the handset by the carrier."`
	Failed         int                     `json:"failed" example:"10"`
	Refused        int                     `json:"refused" example:"12" doc:"Stopped by compliance for good (do-not-call, consent)."`
	Waiting        int                     `json:"waiting" example:"8" doc:"Still queued: quiet hours, the daily cap."`
	Reached        int                     `json:"reached" example:"60" doc:"Sent messages whose contact answered a later call within after_days."`
	Converted      int                     `json:"converted" example:"25" doc:"Sent messages whose contact's later call converted (see the report settings)."`
	DeliveryRate   float64                 `json:"delivery_rate" example:"0.9643" doc:"delivered / sent."`
	ReachRate      float64                 `json:"reach_rate" example:"0.2143" doc:"reached / sent."`
	ConversionRate float64                 `json:"conversion_rate" example:"0.0893" doc:"converted / sent (conversion after an SMS)."`
	AfterDays      int                     `json:"after_days" example:"7"`
	ByTemplate     []TemplateFollowUpsBody `json:"by_template"`
	FailedByReason map[string]int          `json:"failed_by_reason" doc:"Refused and failed messages by reason."`
}

// HygieneReportBody sorts the dialled numbers by what became of them.
type HygieneReportBody struct {
	Numbers     int                 `json:"numbers" example:"1200" doc:"Numbers the filter's calls dialled."`
	Reached     int                 `json:"reached" example:"800" doc:"Numbers where a person answered a call."`
	Dead        int                 `json:"dead" example:"60" doc:"Numbers whose last call its carrier answered as not existing or cut off (invalid_number: 空号, 已停机): never dialled again."`
	Unreachable int                 `json:"unreachable" example:"90" doc:"Numbers whose last call found the phone switched off or out of coverage (unreachable: 已关机, 不在服务区)."`
	Unanswered  int                 `json:"unanswered" example:"250" doc:"Numbers nobody picked up (no answer, busy, a mailbox, declined)."`
	DeadShare   float64             `json:"dead_share" example:"0.05" doc:"dead / numbers."`
	NotReached  []HygieneNumberBody `json:"not_reached" doc:"The numbers nobody was reached at, dead first, then unreachable, then unanswered, most tries first (at most 5,000); masked for viewers."`
}

// HygieneNumberBody is one number nobody was reached at.
type HygieneNumberBody struct {
	Phone       string    `json:"phone" example:"+8613812341234"`
	Category    string    `json:"category" enum:"dead,unreachable,unanswered"`
	Attempts    int       `json:"attempts" example:"3"`
	LastOutcome string    `json:"last_outcome" example:"invalid_number"`
	LastReason  string    `json:"last_reason" example:"carrier announcement (invalid_number): \"是空号\""`
	LastAt      time.Time `json:"last_at"`
}

func hygieneReportBody(r *reports.HygieneReport) HygieneReportBody {
	return HygieneReportBody{Numbers: r.Numbers, Reached: r.Reached, Dead: r.Dead, Unreachable: r.Unreachable, Unanswered: r.Unanswered, DeadShare: r.DeadShare,
		NotReached: bodies(r.NotReached, func(n *reports.HygieneNumber) HygieneNumberBody { return HygieneNumberBody(*n) })}
}

// TemplateFollowUpsBody is one template's share.
type TemplateFollowUpsBody struct {
	Template  string `json:"template" example:"payment_link"`
	Messages  int    `json:"messages"`
	Sent      int    `json:"sent"`
	Delivered int    `json:"delivered"`
	Failed    int    `json:"failed"`
	Reached   int    `json:"reached"`
	Converted int    `json:"converted"`
}

func followUpsReportBody(r *reports.FollowUpsReport) FollowUpsReportBody {
	b := FollowUpsReportBody{Messages: r.Messages, Sent: r.Sent, Delivered: r.Delivered, Failed: r.Failed, Refused: r.Refused, Waiting: r.Waiting,
		Reached: r.Reached, Converted: r.Converted, DeliveryRate: r.DeliveryRate, ReachRate: r.ReachRate, ConversionRate: r.ConversionRate,
		AfterDays: r.AfterDays, ByTemplate: []TemplateFollowUpsBody{}, FailedByReason: r.FailedByReason}
	for _, t := range r.ByTemplate {
		b.ByTemplate = append(b.ByTemplate, TemplateFollowUpsBody{Template: t.Template, Messages: t.Messages, Sent: t.Sent, Delivered: t.Delivered,
			Failed: t.Failed, Reached: t.Reached, Converted: t.Converted})
	}
	return b
}

// FunnelExitBody is one way out of a dialog state.
type FunnelExitBody struct {
	To    string `json:"to" example:"confirm"`
	Calls int    `json:"calls" example:"310"`
}

// FunnelStateBody is how calls went through one dialog state.
type FunnelStateBody struct {
	State     string           `json:"state" example:"greeting"`
	Terminal  bool             `json:"terminal" doc:"The state ends the call (end or transfer)."`
	Entered   int              `json:"entered" example:"580" doc:"Times calls came into the state: the sum of exits, completed and dropped."`
	Exits     []FunnelExitBody `json:"exits" doc:"Moves to each next state, the script's edges included with zero."`
	Completed int              `json:"completed" doc:"Calls that ended here, at a terminal state."`
	Dropped   int              `json:"dropped" example:"90" doc:"Calls that hung up or failed here, at a state that does not end the call."`
	DropRate  float64          `json:"drop_rate" example:"0.155" doc:"dropped / entered (流失率)."`
}

// FunnelReportBody is the drop-off per dialog state of one script version.
type FunnelReportBody struct {
	ScriptVersion string            `json:"script_version"`
	Start         string            `json:"start" example:"greeting"`
	States        []FunnelStateBody `json:"states" doc:"Every state of the script's graph, in its order (zero calls too), then states seen only in calls."`
}

// KeyCountBody is a name and how often it occurred.
type KeyCountBody struct {
	Key   string `json:"key" example:"affirm"`
	Count int    `json:"count" example:"310"`
}

// TopicsReportBody is what callees said.
type TopicsReportBody struct {
	Intents   []KeyCountBody `json:"intents" doc:"Turns by intent, most frequent first."`
	NoMatch   []KeyCountBody `json:"no_match" doc:"The most common utterances not understood: the phrases the script should learn next."`
	Sensitive []KeyCountBody `json:"sensitive" doc:"Sensitive-word hits."`
}

// SentimentCountsBody counts turns or calls by sentiment.
type SentimentCountsBody struct {
	Angry    int `json:"angry"`
	Negative int `json:"negative"`
	Neutral  int `json:"neutral"`
	Positive int `json:"positive"`
}

// StateSentimentBody is the sentiment of the turns in one state.
type StateSentimentBody struct {
	State string `json:"state" example:"objection"`
	SentimentCountsBody
}

// SentimentReportBody is how callees sounded.
type SentimentReportBody struct {
	ByState    []StateSentimentBody `json:"by_state"`
	Calls      SentimentCountsBody  `json:"calls" doc:"Whole calls: angry if any turn was, else by the mean score."`
	AngryShare float64              `json:"angry_share" example:"0.03" doc:"Angry calls / connected calls."`
	Connected  int                  `json:"connected"`
}

// TimeSlotBody is one local hour or weekday.
type TimeSlotBody struct {
	Slot           int     `json:"slot" example:"20" doc:"Hour 0–23, or weekday 0 (Sunday) – 6 (Saturday)."`
	Dialled        int     `json:"dialled" example:"120"`
	Connected      int     `json:"connected" example:"74"`
	Conversions    int     `json:"conversions" example:"18"`
	AnswerRate     float64 `json:"answer_rate" example:"0.6167"`
	ConversionRate float64 `json:"conversion_rate" example:"0.2432"`
	AnswerLift     float64 `json:"answer_lift" example:"0.23" doc:"answer_rate over the overall answer rate, minus one: 0.23 answers 23 % better than average."`
}

// TimeCellBody is one local hour of one weekday.
type TimeCellBody struct {
	Weekday        int     `json:"weekday" example:"3" doc:"0 (Sunday) – 6 (Saturday), in the callee's time zone."`
	Hour           int     `json:"hour" example:"20" doc:"0–23, in the callee's time zone."`
	Dialled        int     `json:"dialled" example:"18"`
	Connected      int     `json:"connected" example:"12"`
	Conversions    int     `json:"conversions" example:"3"`
	AnswerRate     float64 `json:"answer_rate" example:"0.6667"`
	ConversionRate float64 `json:"conversion_rate" example:"0.25"`
	AnswerLift     float64 `json:"answer_lift" example:"0.33" doc:"answer_rate over the overall answer rate, minus one (0 for a cell without calls)."`
}

// TimeReportBody is answer and conversion by the callee's local time.
type TimeReportBody struct {
	Overall   TimeSlotBody   `json:"overall"`
	ByHour    []TimeSlotBody `json:"by_hour" doc:"24 slots, hour 0 first, in the callee's time zone."`
	ByWeekday []TimeSlotBody `json:"by_weekday" doc:"7 slots, Sunday first, in the callee's time zone."`
	Grid      []TimeCellBody `json:"grid" doc:"Every hour of every weekday in the callee's time zone: 168 cells, Sunday 0 h first, then Sunday 1 h, …, Saturday 23 h (index weekday × 24 + hour)."`
}

// ABArmBodyResult is one script version's conversions.
type ABArmBodyResult struct {
	Version        string  `json:"version"`
	Connected      int     `json:"connected" example:"400" doc:"The sample size."`
	Conversions    int     `json:"conversions" example:"88"`
	ConversionRate float64 `json:"conversion_rate" example:"0.22"`
}

// ABComparisonBody compares one arm with the baseline.
type ABComparisonBody struct {
	Version     string  `json:"version"`
	Baseline    string  `json:"baseline"`
	Difference  float64 `json:"difference" example:"0.045" doc:"The arm's conversion rate minus the baseline's."`
	CILow       float64 `json:"ci_low" example:"-0.012" doc:"95 % confidence interval of the difference (normal approximation)."`
	CIHigh      float64 `json:"ci_high" example:"0.102"`
	Z           float64 `json:"z" example:"1.55" doc:"Two-proportion z statistic (pooled)."`
	PValue      float64 `json:"p_value" example:"0.121"`
	Significant bool    `json:"significant" doc:"p_value < 0.05."`
}

// ABReportBody compares script versions.
type ABReportBody struct {
	Arms        []ABArmBodyResult  `json:"arms"`
	Comparisons []ABComparisonBody `json:"comparisons" doc:"Each arm against the baseline: the campaign's first A/B arm, else the first version by name."`
}

// ReportSettingsBody says what counts as a conversion.
type ReportSettingsBody struct {
	ConversionOutcomes []string `json:"conversion_outcomes" maxItems:"50" example:"[\"confirmed\"]" doc:"Script outcomes (a state's end) that count as conversions."`
	ConversionTags     []string `json:"conversion_tags" maxItems:"50" example:"[\"converted\"]" doc:"Call tags that count as conversions."`
}

func keyCounts(kc []reports.KeyCount) []KeyCountBody {
	return bodies(kc, func(k *reports.KeyCount) KeyCountBody { return KeyCountBody{Key: k.Key, Count: k.Count} })
}

func sentimentCounts(c reports.SentimentCounts) SentimentCountsBody {
	return SentimentCountsBody{Angry: c.Angry, Negative: c.Negative, Neutral: c.Neutral, Positive: c.Positive}
}

func timeSlots(ts []reports.TimeSlot) []TimeSlotBody {
	return bodies(ts, func(t *reports.TimeSlot) TimeSlotBody { return TimeSlotBody(*t) })
}

func outcomesReportBody(r *reports.OutcomesReport) OutcomesReportBody {
	return OutcomesReportBody{Attempts: r.Attempts, Refused: r.Refused, Dialled: r.Dialled, Connected: r.Connected, Conversions: r.Conversions,
		Transfers: r.Transfers, DoNotCall: r.DoNotCall, ConnectRate: r.ConnectRate, ConversionRate: r.ConversionRate,
		AvgTalkSeconds: r.AvgTalkSeconds, AvgSilenceSeconds: r.AvgSilenceSeconds, TurnsPerCall: r.TurnsPerCall,
		ByOutcome: r.ByOutcome, RefusedByReason: r.RefusedByReason}
}

func funnelReportBody(r *reports.FunnelReport) FunnelReportBody {
	states := bodies(r.States, func(st *reports.FunnelState) FunnelStateBody {
		exits := bodies(st.Exits, func(e *reports.FunnelExit) FunnelExitBody { return FunnelExitBody(*e) })
		return FunnelStateBody{State: st.State, Terminal: st.Terminal, Entered: st.Entered, Exits: exits,
			Completed: st.Completed, Dropped: st.Dropped, DropRate: st.DropRate}
	})
	return FunnelReportBody{ScriptVersion: r.ScriptVersion, Start: r.Start, States: states}
}

func topicsReportBody(r *reports.TopicsReport) TopicsReportBody {
	return TopicsReportBody{Intents: keyCounts(r.Intents), NoMatch: keyCounts(r.NoMatch), Sensitive: keyCounts(r.Sensitive)}
}

func sentimentReportBody(r *reports.SentimentReport) SentimentReportBody {
	byState := bodies(r.ByState, func(st *reports.StateSentiment) StateSentimentBody {
		return StateSentimentBody{State: st.State, SentimentCountsBody: sentimentCounts(st.SentimentCounts)}
	})
	return SentimentReportBody{ByState: byState, Calls: sentimentCounts(r.Calls), AngryShare: r.AngryShare, Connected: r.Connected}
}

func timeReportBody(r *reports.TimeReport) TimeReportBody {
	return TimeReportBody{Overall: TimeSlotBody(r.Overall), ByHour: timeSlots(r.ByHour), ByWeekday: timeSlots(r.ByWeekday),
		Grid: bodies(r.Grid, func(c *reports.TimeCell) TimeCellBody { return TimeCellBody(*c) })}
}

func abReportBody(r *reports.ABReport) ABReportBody {
	return ABReportBody{
		Arms:        bodies(r.Arms, func(a *reports.ABArmResult) ABArmBodyResult { return ABArmBodyResult(*a) }),
		Comparisons: bodies(r.Comparisons, func(c *reports.ABComparison) ABComparisonBody { return ABComparisonBody(*c) }),
	}
}

// csvReport is a report that can write itself as CSV.
type csvReport interface{ WriteCSV(io.Writer) error }

// reportDef is one report: how to compute it and how to show it as JSON.
// Its get and export methods serve the report's two operations; Go has no
// generic methods, so they hang on the report rather than on the Server.
type reportDef[R csvReport, B any] struct {
	name, summary, desc string
	run                 func(context.Context, tenants.Principal, reports.Filter) (R, error)
	body                func(R) B
	// s is the server the report is registered on (set by registerReport).
	s *Server
}

func registerReport[R csvReport, B any](s *Server, d reportDef[R, B]) {
	d.s = s
	errs := []int{http.StatusNotFound, http.StatusUnprocessableEntity}
	read := requires("calls:read")
	s.register("Reports", authErrors, []operation{
		{id: "report-" + d.name, route: "GET /v1/reports/" + d.name, summary: d.summary, desc: d.desc, security: read, errs: errs, handler: handle(d.get)},
		{id: "export-report-" + d.name, route: "GET /v1/reports/" + d.name + ".csv", summary: d.summary + " as CSV", security: read, errs: errs, more: csvExport(),
			desc: d.desc + " As CSV (UTF-8 with a byte order mark, so a spreadsheet opens Chinese text intact).", handler: handle(d.export)},
	})
}

// get serves the report as JSON.
func (d reportDef[R, B]) get(ctx context.Context, in *reportQuery) (*output[B], error) {
	r, err := d.compute(ctx, in)
	if err != nil {
		return nil, err
	}
	return &output[B]{Body: d.body(r)}, nil
}

// export serves the report as a CSV file.
func (d reportDef[R, B]) export(ctx context.Context, in *reportQuery) (*huma.StreamResponse, error) {
	r, err := d.compute(ctx, in)
	if err != nil {
		return nil, err
	}
	return d.s.bufferedCSV(ctx, d.name+".csv", r.WriteCSV)
}

// compute runs the report over the calls the query selects.
func (d reportDef[R, B]) compute(ctx context.Context, in *reportQuery) (R, error) {
	var none R
	f, err := in.filter()
	if err != nil {
		return none, err
	}
	r, err := d.run(ctx, principal(ctx), f)
	if err != nil {
		return none, d.s.problem(ctx, err)
	}
	return r, nil
}

// ReportsRebuildBody is what a rebuild of the report rollups counted.
type ReportsRebuildBody struct {
	Calls int `json:"calls" example:"1200" doc:"Call records (attempts, refusals included) the rebuilt rollups count. Calls that closed while it ran are folded in by the next report."`
}

type reportSettingsInput struct{ Body ReportSettingsBody }

// registerReports adds the reports, each as JSON and as CSV, the CSV exports
// of call records and turns, and the settings the reports count by.
func (s *Server) registerReports() {
	registerReport(s, reportDef[*reports.OutcomesReport, OutcomesReportBody]{
		name: "outcomes", summary: "Outcomes report",
		desc: "Attempts, connections (接通率), conversions, transfers, do-not-call requests and refusals by reason; average talk time, silence and turns per connected call.",
		run:  s.reports.Outcomes, body: outcomesReportBody,
	})
	registerReport(s, reportDef[*reports.FunnelReport, FunnelReportBody]{
		name: "funnel", summary: "Funnel report per dialog state",
		desc: "For each state of a script version's graph: how many calls entered, where they went next, how many completed or dropped there (流失率). " +
			"Give script_version when the calls ran more than one (422 otherwise).",
		run: s.reports.Funnel, body: funnelReportBody,
	})
	registerReport(s, reportDef[*reports.TopicsReport, TopicsReportBody]{
		name: "topics", summary: "Topics report",
		desc: "Intent frequencies, the most common utterances the script did not understand (no_match), and sensitive-word hits.",
		run:  s.reports.Topics, body: topicsReportBody,
	})
	registerReport(s, reportDef[*reports.SentimentReport, SentimentReportBody]{
		name: "sentiment", summary: "Sentiment report",
		desc: "Sentiment of the turns per dialog state and of whole calls, and the share of connected calls that turned angry.",
		run:  s.reports.Sentiment, body: sentimentReportBody,
	})
	registerReport(s, reportDef[*reports.TimeReport, TimeReportBody]{
		name: "time", summary: "Best hours report",
		desc: "Answer and conversion rates by hour of day, by weekday, and by both (a weekday × hour grid) in the callee's local time, with counts and each slot's lift over the average.",
		run:  s.reports.Time, body: timeReportBody,
	})
	registerReport(s, reportDef[*reports.FollowUpsReport, FollowUpsReportBody]{
		name: "follow-ups", summary: "Follow-up messages report",
		desc: "The SMS follow-ups of the calls in the filter: how many were sent, delivered, failed, refused by compliance or still waiting, by template, " +
			"and what came of them: the contacts who answered a later call within after_days of the message, and those whose later call converted.",
		run: s.reports.FollowUps, body: followUpsReportBody,
	})
	registerReport(s, reportDef[*reports.HygieneReport, HygieneReportBody]{
		name: "list-hygiene", summary: "List hygiene report",
		desc: "The numbers the filter's calls dialled (give list_id for one list), sorted by what became of them: reached, dead (its carrier says it does not exist or is cut off; " +
			"never dialled again), unreachable (switched off, out of coverage) or unanswered, with the numbers nobody was reached at, to clean a list with.",
		run: s.reports.ListHygiene, body: hygieneReportBody,
	})
	registerReport(s, reportDef[*reports.ABReport, ABReportBody]{
		name: "ab", summary: "A/B report",
		desc: "Conversion per script version and each version against the baseline: the difference, its 95 % confidence interval and a two-proportion z-test, with the sample sizes.",
		run:  s.reports.AB, body: abReportBody,
	})

	read, manage := requires("calls:read"), requires("settings:manage")
	csvErrs := []int{http.StatusNotFound, http.StatusUnprocessableEntity}
	s.register("Reports", authErrors, []operation{
		{id: "export-calls", route: "GET /v1/reports/calls.csv", summary: "Export call records as CSV", security: read, errs: csvErrs, more: csvExport(),
			desc: "Every call in the filter, oldest call first, as CSV (UTF-8 with a byte order mark). Numbers are masked (138****1234) for viewers.", handler: handle(s.exportCalls)},
		{id: "export-turns", route: "GET /v1/reports/turns.csv", summary: "Export dialog turns as CSV", security: read, errs: csvErrs, more: csvExport(),
			desc: "Every turn in the filter, oldest call first, as CSV (UTF-8 with a byte order mark).", handler: handle(s.exportTurns)},
		{id: "get-report-settings", route: "GET /v1/reports/settings", summary: "Get the report settings", security: read,
			desc: "What counts as a conversion (default: the script outcome confirmed or the tag converted).", handler: handle(s.getReportSettings)},
		{id: "set-report-settings", route: "PUT /v1/reports/settings", summary: "Replace the report settings", security: manage, errs: []int{http.StatusUnprocessableEntity},
			desc: "Applies to calls that close from now on; POST /v1/reports/rebuild recounts the earlier ones. Needs the admin role.", handler: handle(s.setReportSettings)},
		{id: "rebuild-reports", route: "POST /v1/reports/rebuild", summary: "Rebuild the report figures from the call records", security: manage, handler: handle(s.rebuildReports),
			desc: "Recounts every report of the tenant from its call records, by the report settings in force now: " +
				"after changing what counts as a conversion, earlier calls count by the new settings too. " +
				"Safe while calls are closing and safe to repeat (the same records give the same figures). Needs the admin role."},
	})
}

func (s *Server) exportCalls(ctx context.Context, in *reportQuery) (*huma.StreamResponse, error) {
	return s.exportRecords(ctx, in, "calls.csv", s.reports.ExportCalls)
}

func (s *Server) exportTurns(ctx context.Context, in *reportQuery) (*huma.StreamResponse, error) {
	return s.exportRecords(ctx, in, "turns.csv", s.reports.ExportTurns)
}

// exportRecords serves the records the query selects as a CSV file written
// by export.
func (s *Server) exportRecords(ctx context.Context, in *reportQuery, filename string,
	export func(context.Context, tenants.Principal, reports.Filter, io.Writer) error) (*huma.StreamResponse, error) {
	f, err := in.filter()
	if err != nil {
		return nil, err
	}
	return s.bufferedCSV(ctx, filename, func(w io.Writer) error { return export(ctx, principal(ctx), f, w) })
}

func (s *Server) getReportSettings(ctx context.Context, _ *struct{}) (*output[ReportSettingsBody], error) {
	rs, err := s.reports.Settings(ctx, principal(ctx))
	return reply(s, ctx, reportSettingsBody, rs, err)
}

func (s *Server) setReportSettings(ctx context.Context, in *reportSettingsInput) (*output[ReportSettingsBody], error) {
	rs, err := s.reports.SetSettings(ctx, principal(ctx), reports.Settings{
		ConversionOutcomes: in.Body.ConversionOutcomes, ConversionTags: in.Body.ConversionTags})
	return reply(s, ctx, reportSettingsBody, rs, err)
}

func reportSettingsBody(rs reports.Settings) ReportSettingsBody { return ReportSettingsBody(rs) }

func (s *Server) rebuildReports(ctx context.Context, _ *struct{}) (*output[ReportsRebuildBody], error) {
	n, err := s.reports.Rebuild(ctx, principal(ctx))
	return reply(s, ctx, func(calls int) ReportsRebuildBody { return ReportsRebuildBody{Calls: calls} }, n, err)
}
