package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/reports"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

// benchBestTime measures what best-time ordering gains, with the product's
// own dial path against the callee simulator over SIP on loopback: the
// pacer (Service.Pace, best_time ordering included), the dial worker
// (DialWorker.Work: compliance check and attempt, the call, the close),
// the call placer (the tenant's published script in a script host, prompts
// spoken by espeak-ng as RTP) and callee-sim answering by the callee's
// local hour. River's scheduling is the one piece left out: the bench
// runs the dial worker itself on each job the pacer queued, so that a
// round of dials ends before the next simulated hour starts.
//
// What is simulated, and said in the output: the clock. The pacer, the
// call records and callee-sim all read one simulated clock (the wall
// clock shifted by an offset). Each simulated hour is one round of real
// calls that takes a second or two of wall time; then the clock jumps to
// the next hour. Calls ring at most a second before they count as not
// answered (a real carrier rings for 30 s or more), and each answered
// call hears one short prompt.
//
// Contacts have numbers of six countries and cities; the product derives
// each contact's time zone from its number, and callee-sim derives the
// callee's from the number it is dialled at, each on its own. Callees
// answer 65 % at 19–21 h local, 45 % at lunch, 30 % by day, 15 % early and
// late, 5 % at night (bestTimePersona). A first campaign teaches the
// tenant's history (24 hours, 50 dials an hour). Then two campaigns over
// the same 1,200 contacts run through the same 24 simulated hours, 25
// dials an hour each (so each reaches about half its contacts), side by
// side: one in due order, one with best_time. Figures: both answer rates,
// the lift of the second over the first, and what the first report after
// the history pays to fold its calls into the rollups.
func init() {
	benchGroups["besttime"] = func(cmd *cobra.Command, report func(string, float64, string)) error {
		return benchBestTime(cmd.Context(), report)
	}
}

func benchBestTime(ctx context.Context, report func(string, float64, string)) error {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		return fmt.Errorf("espeak-ng is needed for the best-time benchmark (its calls speak): %w", err)
	}
	// 48 simulated hours of real calls, each hour about four seconds of
	// wall time (a person's answer is judged after about two seconds of
	// their greeting, and the script then talks): the bench ends within
	// six minutes whatever happens.
	ctx, cancel := context.WithTimeout(ctx, 6*time.Minute)
	defer cancel()
	const (
		historyHours, historyPerHour   = 24, 50
		armContacts, armHours, perHour = 1200, 24, 25
		ringTimeout                    = time.Second
	)
	env, cleanup, err := openBench(ctx, "Best time", "best@example.com")
	if err != nil {
		return err
	}
	defer cleanup()
	db, p := env.DB, env.P

	// The simulated clock: the wall clock plus offset, moved between rounds.
	var offset atomic.Int64
	simNow := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	setClock := func(at time.Time) { offset.Store(int64(time.Until(at))) }

	svc := campaigns.New(campaigns.Options{DB: db, Now: simNow})
	ct := contacts.New(contacts.Options{DB: db, Now: simNow})
	rules := campaigns.DefaultCompliance()
	rules.QuietHours, rules.MinRetryInterval, rules.MaxDailyCalls = []string{}, 0, 100
	rules.MaxConcurrentLines, rules.CallsPerSecond = 1000, 1000
	if _, err := svc.SetCompliance(ctx, p, rules); err != nil {
		return err
	}

	quiet := slog.New(slog.DiscardHandler)
	hosts, err := scripting.NewHostPool(scripting.HostConfig{Hosts: 1})
	if err != nil {
		return err
	}
	defer hosts.Close()
	store := &scripting.Store{DB: db, Runner: hosts}
	script, err := store.CreateScript(ctx, p, "reach", scripting.KindDialog, "")
	if err != nil {
		return err
	}
	version, err := store.CreateVersion(ctx, p, script.ID, bestTimeScript)
	if err != nil {
		return err
	}
	if _, _, err := store.Publish(ctx, p, script.ID, version.Number, nil, false); err != nil {
		return err
	}

	tts := telephony.NewCachedTTS(telephony.EspeakTTS{}, 16)
	sim, err := calleesim.Start(ctx, calleesim.Config{Personas: []calleesim.Persona{bestTimePersona()}, TTS: tts, Now: simNow, Seed: 8})
	if err != nil {
		return err
	}
	defer sim.Close()
	sip, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: tts, ASR: telephony.SimulationRecognizer{}, Logger: quiet})
	if err != nil {
		return err
	}
	defer sip.Close()
	worker := &jobs.DialWorker{Campaigns: svc, Logger: quiet, Placer: simulatedClockPlacer{
		Placer: calls.New(calls.Options{SIP: sip, Scripts: store, Hosts: hosts, Trunk: sim.Trunk(), RingTimeout: ringTimeout, Logger: quiet}),
		offset: func() time.Duration { return time.Duration(offset.Load()) },
	}}

	// Mobile numbers of Shanghai, Dubai, Berlin, New York, Los Angeles and
	// Auckland: a prefix and how many digits follow it.
	prefixes := []struct {
		prefix string
		digits int
	}{{"+86139", 8}, {"+97150", 7}, {"+49151", 8}, {"+1212555", 4}, {"+1213555", 4}, {"+6421", 7}}
	next := 0
	newCampaign := func(name string, list uuid.UUID, bestTime bool) (*campaigns.Campaign, error) {
		once := campaigns.RetryRule{After: campaigns.Duration(time.Hour)}
		c, err := svc.CreateCampaign(ctx, p, campaigns.CampaignInput{Name: name, ListIDs: []uuid.UUID{list}, ScriptVersion: version.ID.String(), BestTime: bestTime,
			RetryPolicy: campaigns.RetryPolicy{telephony.OutcomeBusy: once, telephony.OutcomeNoAnswer: once, telephony.OutcomeFailed: once}})
		if err != nil {
			return nil, err
		}
		return svc.StartCampaign(ctx, p, c.ID)
	}
	newList := func(name string, n int) (uuid.UUID, error) {
		list, err := ct.CreateList(ctx, p, name, "")
		if err != nil {
			return uuid.Nil, err
		}
		for i := range n {
			next++
			pre := prefixes[i%len(prefixes)]
			phone := fmt.Sprintf("%s%0*d", pre.prefix, pre.digits, next)
			if _, err := ct.UpsertContact(ctx, p, contacts.ContactInput{Phone: phone, ListIDs: []uuid.UUID{list.ID}}); err != nil {
				return uuid.Nil, fmt.Errorf("contact %s: %w", phone, err)
			}
		}
		return list.ID, nil
	}
	// round runs one simulated hour at at: a pacing round of each campaign
	// with budget dials, then every dial it queued, all at once.
	round := func(at time.Time, budget int, cs ...*campaigns.Campaign) error {
		setClock(at)
		var due []campaigns.DialArgs
		for _, c := range cs {
			if _, err := svc.Pace(ctx, p.TenantID, c.ID, budget); err != nil {
				return err
			}
			err := db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
				rows, err := tx.Query(ctx, `SELECT contact_id, attempt + 1 FROM campaign_contacts WHERE campaign_id = $1 AND state = 'queued'`, c.ID)
				if err != nil {
					return err
				}
				got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (campaigns.DialArgs, error) {
					a := campaigns.DialArgs{TenantID: p.TenantID, CampaignID: c.ID}
					return a, row.Scan(&a.ContactID, &a.Attempt)
				})
				due = append(due, got...)
				return err
			})
			if err != nil {
				return err
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(due))
		for _, a := range due {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := worker.Work(ctx, &river.Job[campaigns.DialArgs]{Args: a}); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		return <-errs
	}

	wall := time.Now()
	monday := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	setClock(monday)
	historyList, err := newList("history", historyHours*historyPerHour)
	if err != nil {
		return err
	}
	armList, err := newList("arms", armContacts)
	if err != nil {
		return err
	}
	// Start the campaigns before the first simulated hour, so its round
	// finds their contacts due.
	setClock(monday.Add(-time.Minute))
	learn, err := newCampaign("history", historyList, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "best time: real SIP calls to callee-sim answering by the callee's local hour, on a SIMULATED clock "+
		"(each simulated hour is one round of calls, then the clock jumps; unanswered calls ring %s): %d history hours of %d calls, then %d hours of %d + %d (due order, best time)\n",
		ringTimeout, historyHours, historyPerHour, armHours, perHour, perHour)
	for h := range historyHours {
		if err := round(monday.Add(time.Duration(h)*time.Hour), historyPerHour, learn); err != nil {
			return err
		}
	}
	historyDone := time.Since(wall)
	// The first report after them folds the history into the rollups.
	t0 := time.Now()
	out, err := reports.New(reports.Options{DB: db}).Outcomes(ctx, p, reports.Filter{})
	if err != nil {
		return err
	}
	report("report_fold_1200_calls_ms", ms(time.Since(t0)), "ms")
	fmt.Fprintf(os.Stderr, "best time: history %d dialled, %d answered (%.1f %%) in %s wall time\n",
		out.Dialled, out.Connected, 100*out.ConnectRate, historyDone.Round(time.Second))

	plain, err := newCampaign("due order", armList, false)
	if err != nil {
		return err
	}
	best, err := newCampaign("best time", armList, true)
	if err != nil {
		return err
	}
	wednesday := monday.AddDate(0, 0, 2)
	for h := range armHours {
		if err := round(wednesday.Add(time.Duration(h)*time.Hour), perHour, plain, best); err != nil {
			return err
		}
	}
	type arm struct{ dialled, answered, connected int }
	arms := map[uuid.UUID]*arm{plain.ID: {}, best.ID: {}}
	err = db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT campaign_id, count(*), count(*) FILTER (WHERE outcome = 'answered'), count(answered_at)
			FROM calls WHERE tenant_id = $1 AND state = 'ended' AND campaign_id = ANY($2) GROUP BY campaign_id`, p.TenantID, []uuid.UUID{plain.ID, best.ID})
		if err != nil {
			return err
		}
		var id uuid.UUID
		var a arm
		_, err = pgx.ForEachRow(rows, []any{&id, &a.dialled, &a.answered, &a.connected}, func() error {
			*arms[id] = a
			return nil
		})
		return err
	})
	if err != nil {
		return err
	}
	off, on := arms[plain.ID], arms[best.ID]
	if off.dialled == 0 || on.dialled == 0 || off.connected == 0 {
		return fmt.Errorf("best time: an arm placed no calls or none was answered (due order %+v, best time %+v)", *off, *on)
	}
	offRate, onRate := float64(off.connected)/float64(off.dialled), float64(on.connected)/float64(on.dialled)

	// What callee-sim saw: its calls by the callee's local hour.
	recs := sim.Records()
	byHour := map[int][2]int{}
	for _, r := range recs {
		c := byHour[r.LocalTime.Hour()]
		c[0]++
		if r.Result == "answered" {
			c[1]++
		}
		byHour[r.LocalTime.Hour()] = c
	}
	hours := make([]int, 0, len(byHour))
	for h := range byHour {
		hours = append(hours, h)
	}
	sort.Ints(hours)
	fmt.Fprintf(os.Stderr, "best time: callee-sim answered by local hour (all %d calls):", len(recs))
	for _, h := range hours {
		fmt.Fprintf(os.Stderr, " %02d:%d/%d", h, byHour[h][1], byHour[h][0])
	}
	fmt.Fprintln(os.Stderr)
	fmt.Fprintf(os.Stderr, "best time: due order %d of %d answered, best time %d of %d (real SIP calls to callee-sim on a simulated clock; %s wall time)\n",
		off.connected, off.dialled, on.connected, on.dialled, time.Since(wall).Round(time.Second))
	report("best_time_off_answer_pct", offRate*100, "%")
	report("best_time_on_answer_pct", onRate*100, "%")
	report("best_time_lift_pct", (onRate/offRate-1)*100, "%")
	report("best_time_sip_calls", float64(len(recs)), "calls")
	return nil
}

// bestTimeScript is the dialog each answered call runs: one short prompt.
const bestTimeScript = `export default {
  start: "hello",
  lang: "en",
  states: {
    hello: { say: "Hello.", end: "reached" },
  },
};
`

// bestTimePersona is the callees: they answer best in the evening, fair at
// lunch, poor at night, by their local hour in the zone of their number.
// A call not answered rings until the dialer gives up.
func bestTimePersona() calleesim.Persona {
	return calleesim.Persona{Name: "answers-by-hour", Kind: calleesim.KindHuman, RingMS: 100, HoldMS: 5000,
		AnswerByHour: map[string]float64{"19-21": 0.65, "12-13": 0.45, "9-11": 0.30, "14-18": 0.30, "6-8": 0.15, "22-23": 0.15, "0-5": 0.05},
		Unanswered:   map[string]float64{"no_answer": 1}}
}

// simulatedClockPlacer moves the times a call reports from the wall clock
// to the simulated clock (the offset is constant while a round's calls
// run), so call records agree with the pacer's clock.
type simulatedClockPlacer struct {
	campaigns.Placer
	offset func() time.Duration
}

func (d simulatedClockPlacer) Place(ctx context.Context, req campaigns.Placement) (campaigns.Ending, error) {
	off := d.offset()
	if answered := req.Answered; answered != nil {
		req.Answered = func(at time.Time) error { return answered(at.Add(off)) }
	}
	res, err := d.Placer.Place(ctx, req)
	shift := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.Add(off)
		}
	}
	shift(&res.AnsweredAt)
	shift(&res.EndedAt)
	for i := range res.Turns {
		shift(&res.Turns[i].StartedAt)
		shift(&res.Turns[i].EndedAt)
	}
	return res, err
}
