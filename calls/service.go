package calls

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/scripting/llm"
	"github.com/outcall/outcall/telephony"
)

// Options is what the conversation service needs. SIP, Scripts and Hosts
// are required.
type Options struct {
	SIP     telephony.Dialer
	Scripts *scripting.Store
	Hosts   *scripting.HostPool
	// Trunks holds tenants' own trunks; a tenant without one uses Trunk.
	Trunks *telephony.TrunkStore
	// CallerIDs, when set, keeps resting numbers out of the calls.
	CallerIDs *telephony.CallerIDs
	// Trunk carries the calls of tenants without a trunk of their own
	// (the callee simulator in development); zero means none.
	Trunk telephony.Trunk
	// RingTimeout is how long a call may ring (0: the dialer's default).
	RingTimeout time.Duration
	// DetectMachine turns answering-machine detection on.
	DetectMachine bool
	Logger        *slog.Logger

	// Speech holds tenants' choices of speech providers; a tenant on
	// "default" (or with no store) uses the SIP dialer's own.
	Speech *telephony.SpeechStore
	// SpeechClient calls tenants' HTTP speech services (guarded against
	// internal addresses in production); nil: http.DefaultClient.
	SpeechClient *http.Client
	// Espeak and Pocketsphinx are shared by the tenants that choose them
	// (nil: made on first use).
	Espeak       telephony.TTS
	Pocketsphinx telephony.Recognizer
	// Metrics, when set, counts the calls in progress and each call's
	// outcome (NewMetrics).
	Metrics *Metrics
	// Models are tenants' language models, asked by scripts' llm states
	// (nil: no tenant has one).
	Models *llm.Tenants
	// Desk takes the calls scripts transfer to a queue ("queue:<name>");
	// nil: such transfers are refused.
	Desk *Desk
	// Endpoints make the requests of scripts' http states to the tenant's
	// registered endpoints (nil: every such request fails).
	Endpoints *Endpoints
}

// Service places campaign calls and holds their conversations: a SIP call
// through the tenant's trunk, and when someone answers, the campaign's
// published dialog script running turn by turn in a script host — speak,
// listen, understand, decide — until the script ends the call or hands it
// to a person. It is the campaigns.Placer the dial jobs use.
type Service struct {
	Options
	speech tenantSpeech
}

// New returns the service built from o.
func New(o Options) *Service { return &Service{Options: o} }

// Place places req's call and runs its script when it is answered.
func (d *Service) Place(ctx context.Context, req campaigns.Placement) (campaigns.Ending, error) {
	if d.Metrics == nil {
		return d.place(ctx, req)
	}
	d.Metrics.active.Inc()
	defer d.Metrics.active.Dec()
	res, err := d.place(ctx, req)
	outcome := string(res.Outcome)
	if err != nil {
		outcome = "error"
	}
	d.Metrics.calls.WithLabelValues(outcome).Inc()
	return res, err
}

func (d *Service) place(ctx context.Context, req campaigns.Placement) (campaigns.Ending, error) {
	versionID, err := uuid.Parse(req.ScriptVersion)
	if err != nil {
		return campaigns.Ending{Outcome: telephony.OutcomeFailed, Reason: "the campaign's script version is not a saved version id"}, nil
	}
	version, err := d.Scripts.PublishedSource(ctx, req.TenantID, versionID)
	if err != nil {
		return campaigns.Ending{Outcome: telephony.OutcomeFailed, Reason: "the campaign's script version is not published"}, nil
	}
	// The tenant's plan sets its script's CPU budget per turn, and on a
	// trial how long the call may last.
	var (
		limits    billing.TenantLimits
		allowance time.Duration
	)
	if err := d.Scripts.DB.InTenant(ctx, req.TenantID, func(tx pgx.Tx) (err error) {
		limits, allowance, err = billing.CallLimits(ctx, tx, req.TenantID)
		return err
	}); err != nil {
		return campaigns.Ending{}, fmt.Errorf("the tenant's plan: %w", err)
	}
	caller := scripting.Caller{Tenant: req.TenantID.String(), Budget: limits.ScriptCPUPerTurn}
	contact := scripting.CallContact(req.ContactName, phone.Mask(req.Phone), req.Attributes)
	// The tenant's trunks in the order this call tries them (by priority,
	// spread by weight), else the platform's.
	trunks, ownTrunk := []telephony.Trunk{d.Trunk}, false
	if d.Trunks != nil {
		own, err := d.Trunks.TrunksFor(ctx, req.TenantID)
		if err != nil {
			return campaigns.Ending{Outcome: telephony.OutcomeFailed, Reason: "the tenant's trunk: " + err.Error()}, nil
		}
		if len(own) > 0 {
			trunks, ownTrunk = own, true
		}
	}
	trunk := trunks[0] // the one dialling: the handler's transfers go through it
	if trunk.Host == "" {
		return campaigns.Ending{Outcome: telephony.OutcomeFailed, Reason: "no SIP trunk: add one under trunks (POST /v1/trunks)"}, nil
	}
	settings, err := d.tenantSettings(ctx, req.TenantID)
	if err != nil {
		return campaigns.Ending{Outcome: telephony.OutcomeFailed, Reason: "the tenant's speech settings: " + err.Error()}, nil
	}
	tts, asr, err := d.speechFor(req.TenantID, settings)
	if err != nil {
		return campaigns.Ending{Outcome: telephony.OutcomeFailed, Reason: "the tenant's speech settings: " + err.Error()}, nil
	}
	lang := ""
	if version.Graph != nil {
		lang = version.Graph.Lang
	}
	if why := d.cannotHear(asr, lang, ownTrunk); why != "" {
		return campaigns.Ending{Outcome: telephony.OutcomeFailed, Reason: why, EndedAt: time.Now()}, nil
	}
	// The tenant's language model, when it has one, from the same
	// settings.
	model := d.Models.Client(req.TenantID, modelOf(settings))

	var (
		script          *scripting.Result
		turns           []campaigns.Turn
		silence         time.Duration
		transferRefused error
		redacted        int
		modelTokens     int
		followUps       []string // the SMS templates the script's states asked for
		handOff         HandOffResult
		talkedTo        bool // the conversation began
	)
	// talk holds the conversation of an answered call, until the script
	// ends it or hands the callee over.
	talk := func(ctx context.Context, call telephony.Call) error {
		talkedTo = true
		if req.Answered != nil {
			// The callee hears the greeting whether or not the database
			// takes the mark at once; the close records a mark that never
			// landed (campaigns.Ending.Talked).
			at := time.Now()
			go func() {
				if err := req.Answered(at); err != nil && d.Logger != nil {
					d.Logger.WarnContext(ctx, "cannot mark call answered", slog.String("call", req.CallID.String()), slog.Any("error", err))
				}
			}()
		}
		fetch := d.Endpoints.For(req.TenantID)
		sess, ds, err := d.Hosts.Open(ctx, caller, "script.js", version.Source, contact, scripting.SessionOptions{Segment: req.Segment, SensitiveWords: req.SensitiveWords, TimeZone: req.TimeZone,
			AskModel: model != nil, HTTP: fetch != nil})
		if err != nil {
			if scripting.HasErrors(ds) {
				return fmt.Errorf("open the script: %s", ds[0])
			}
			return fmt.Errorf("open the script: %w", err)
		}
		defer sess.Close()
		// finish carries a step that waits to its end: the model asked
		// (within the state's budget, its tokens counted) and the tenant's
		// endpoints called (within the request's timeout), while the
		// callee waits.
		finish := func(step *scripting.Step, err error) (*scripting.Step, error) {
			for err == nil && (step.Ask != nil || step.Request != nil) {
				if step.Ask != nil {
					a := scripting.Answer{Failure: "no model"}
					streaming, streams := model.(scripting.StreamingModel)
					switch {
					case streams && step.Ask.Speak != nil:
						// A reply that would be spoken is spoken as the
						// model writes it.
						a = SpeakReply(ctx, call, streaming, step.Ask, req.SensitiveWords)
					case model != nil:
						a = model.Answer(ctx, step.Ask)
					}
					modelTokens += a.Tokens
					step, err = sess.Resolve(ctx, a)
					continue
				}
				step, err = sess.Respond(ctx, fetch.Fetch(ctx, step.Request))
			}
			return step, err
		}
		step, err := finish(sess.Start(ctx))
		// The callee is told first that an AI is calling, whatever they
		// say meanwhile; the words go with the greeting's turn.
		disclosure := campaigns.DisclosureWords(req.AIDisclosure, lang)
		if err == nil && disclosure != "" {
			_, err = call.SayWhole(ctx, disclosure, telephony.EmotionNeutral)
		}
		for err == nil {
			turnStart := time.Now()
			// What the model's reply already said as it streamed is not
			// said again.
			if rest := step.Unspoken(); rest != "" {
				say := call.Say
				if step.NoBargeIn {
					// The state's words play to the end (bargeIn: false).
					say = call.SayWhole
				}
				if _, err = say(ctx, rest, telephony.Emotion(step.Emotion)); err != nil {
					break
				}
			}
			// A code, password or card number the callee read out (or the
			// script read back) is kept out of everything stored or sent.
			said := step.Say
			if len(turns) == 0 && disclosure != "" {
				said = strings.TrimSpace(disclosure + " " + said)
			}
			keptSaid, n1 := scripting.RedactSecrets(said)
			keptHeard, n2 := scripting.RedactSecrets(step.Heard)
			redacted += n1 + n2
			rec := campaigns.Turn{Seq: len(turns) + 1, State: step.State, Said: keptSaid, Heard: keptHeard, Intent: step.Intent, Emotion: step.Emotion,
				StartedAt: turnStart, EndedAt: time.Now()}
			if step.Sentiment != nil {
				score := float32(step.Sentiment.Score)
				rec.Sentiment, rec.SentimentLabel = &score, step.Sentiment.Label
			}
			if step.Intent != "" {
				conf := float32(step.Confidence)
				rec.Confidence = &conf
			}
			for _, f := range step.Review {
				rec.Sensitive = append(rec.Sensitive, f.Word)
			}
			if step.Model != nil {
				rec.Model, _ = json.Marshal(step.Model)
			}
			if len(step.Requests) > 0 {
				rec.Requests, _ = json.Marshal(step.Requests)
			}
			turns = append(turns, rec)
			if step.FollowUp != "" && !slices.Contains(followUps, step.FollowUp) {
				followUps = append(followUps, step.FollowUp)
			}
			if step.Done || sess.Done() {
				break
			}
			var heard telephony.Utterance
			var listen telephony.ListenOptions
			if l := step.Listen; l != nil {
				// The state's own end-of-turn silence and no-input wait.
				listen.EndSilence, listen.Timeout, listen.EarlyIntent = l.EndSilence, l.Timeout, l.Early
			}
			if heard, err = call.ListenFor(ctx, listen); err != nil {
				break
			}
			silence += heard.SilenceBefore
			text := heard.Text
			if text == "" {
				text = heard.DTMF
			}
			step, err = finish(sess.Turn(ctx, text))
		}
		script = sess.Result()
		if queue, ok := isQueueTarget(transferOf(script)); ok && err == nil && d.Desk != nil {
			t := transferring(req.CallID, script, turns)
			d.transferring(ctx, req, t)
			res, herr := d.Desk.HandOff(ctx, call, HandOff{TenantID: req.TenantID, CallID: req.CallID, Queue: queue, Transferring: t, Lang: lang})
			if herr != nil {
				transferRefused = herr
				_ = call.Hangup(ctx)
				return herr
			}
			handOff = res
			if res.Overflow != "" {
				target, terr := d.allowedTarget(ctx, req.TenantID, limits.Destinations, "the overflow of queue "+queue, res.Overflow)
				if terr != nil {
					transferRefused = terr
					_ = call.Hangup(ctx)
					return terr
				}
				return call.Transfer(ctx, target)
			}
			return nil
		}
		if script != nil && script.Transfer != "" && err == nil {
			target, terr := d.transferTarget(ctx, req.TenantID, trunk, limits.Destinations, script.Transfer)
			if terr != nil {
				transferRefused = terr
				_ = call.Hangup(ctx)
				return terr
			}
			d.transferring(ctx, req, transferring(req.CallID, script, turns))
			return call.Transfer(ctx, target)
		}
		if errors.Is(err, telephony.ErrCallEnded) {
			return nil // the callee hung up: the call record says where
		}
		if err != nil {
			return err
		}
		return call.Hangup(ctx)
	}

	// A trunk that cannot place the call (the carrier's 5xx or 408, or no
	// answer to the INVITE) hands it to the next; the reason keeps why.
	var (
		res        telephony.CallResult
		failedOver []string
		rested     map[string]bool // caller IDs resting: left out while others are awake
	)
	// Resting can only change the pick from a pool of two numbers or more:
	// only then is it read, once per call.
	if d.CallerIDs != nil && slices.ContainsFunc(trunks, func(t telephony.Trunk) bool { return len(t.CallerIDs) > 1 }) {
		if rested, err = d.CallerIDs.Rested(ctx, req.TenantID); err != nil && d.Logger != nil {
			d.Logger.WarnContext(ctx, "resting caller IDs unknown: the whole pool is used", slog.Any("error", err))
		}
	}
	// Each attempt first claims its trunk, under the carrier's caps on
	// calls in progress and calls per second: a trunk at its cap is passed
	// over for the next, and when every trunk is, the call waits for a
	// place (up to trunkWait).
	// Only a capped trunk is claimed (Claim decides the others without a
	// query): a tenant whose trunks have no caps spends no round trip on
	// giving a claim back at every call's end.
	capped := ownTrunk && slices.ContainsFunc(trunks, func(t telephony.Trunk) bool { return t.MaxCalls > 0 || t.CallsPerSecond > 0 })
	if capped {
		defer func() {
			if err := d.Trunks.Release(context.WithoutCancel(ctx), req.TenantID, req.CallID); err != nil && d.Logger != nil {
				d.Logger.WarnContext(ctx, "a trunk's claim not given back: it lapses when the call's record ends", slog.Any("error", err))
			}
		}()
	}
	tried := make([]bool, len(trunks))
	deadline := time.Now().Add(trunkWait)
	dialled := false
	for {
		next, soonest, full := -1, 500*time.Millisecond, []string(nil)
		for i, t := range trunks {
			if tried[i] {
				continue
			}
			ok := true
			if capped {
				var wait time.Duration
				var cerr error
				if ok, wait, cerr = d.Trunks.Claim(ctx, req.TenantID, req.CallID, t); cerr != nil {
					// The caps cannot be read: the carrier's own limits
					// still hold, and a call is not lost over this.
					ok = true
					if d.Logger != nil {
						d.Logger.WarnContext(ctx, "a trunk's caps unknown: the call goes without them", slog.Any("error", cerr))
					}
				}
				if !ok && wait > 0 {
					soonest = min(soonest, wait)
				}
			}
			if ok {
				next = i
				break
			}
			full = append(full, fmt.Sprintf("%q", trunkName(t)))
		}
		if next < 0 {
			if dialled {
				break // failed over to the last trunk that had room
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return campaigns.Ending{Outcome: telephony.OutcomeFailed, EndedAt: time.Now(),
					Reason: fmt.Sprintf("every trunk is at its carrier's cap on calls in progress or calls per second (%s) for %s: not dialled", strings.Join(full, ", "), trunkWait)}, nil
			}
			select {
			case <-time.After(soonest):
			case <-ctx.Done():
			}
			continue
		}
		if dialled {
			// Failing over: the trunk before could not place the call.
			why := res.Reason
			if err != nil {
				why = err.Error()
			}
			failedOver = append(failedOver, fmt.Sprintf("trunk %q: %s", trunkName(trunk), why))
		}
		tried[next], dialled = true, true
		trunk = trunks[next]
		var live telephony.LiveCall
		live, res, err = d.SIP.Start(ctx, telephony.DialRequest{
			Trunk: trunk, To: req.Phone, CallerID: trunk.PickCallerIDLeaving(rested), RingTimeout: d.RingTimeout, MaxDuration: allowance, Language: lang, DetectMachine: d.DetectMachine,
			RecordingKey: fmt.Sprintf("%s/%s.wav", req.TenantID, req.CallID),
			Headers:      map[string]string{"X-Outcall-Call": req.CallID.String()},
			TTS:          tts, ASR: asr, Hotwords: callHotwords(req.ContactName), Phrases: scriptPhrases(version),
		})
		if live != nil {
			res = live.End(talked(live, talk))
		}
		if !slices.Contains(tried, false) || ctx.Err() != nil || !trunkFailed(res, err) {
			break
		}
	}
	if err != nil {
		return campaigns.Ending{Outcome: telephony.OutcomeFailed, Reason: withFailover(err.Error(), trunk, failedOver), EndedAt: time.Now()}, nil
	}
	res.Reason = withFailover(res.Reason, trunk, failedOver)
	out := campaigns.Ending{
		Outcome:      res.Outcome,
		Reason:       res.Reason,
		RingTime:     res.RingTime,
		AnsweredAt:   res.Answered,
		EndedAt:      res.Ended,
		Turns:        turns,
		RecordingRef: res.RecordingKey,
		Silence:      silence,
		ModelTokens:  modelTokens,
		CallerID:     res.CallerID,
		FollowUps:    followUps,
		Talked:       talkedTo,
	}
	if out.EndedAt.IsZero() {
		out.EndedAt = time.Now()
	}
	if transferRefused != nil {
		out.Reason = "transfer refused: " + transferRefused.Error()
	}
	switch {
	case handOff.Agent != "":
		out.Reason = "talked with agent " + handOff.Agent
	case handOff.Abandoned:
		out.Reason = "the callee hung up while waiting for an agent"
	case handOff.CallbackIn > 0:
		out.Reason = "no agent was free: the callee is called back"
	}
	if allowance > 0 && !res.Answered.IsZero() && res.Ended.Sub(res.Answered) >= allowance {
		out.Reason = fmt.Sprintf("ended after %v: the call's share of the trial's minutes left", allowance.Round(time.Second))
	}
	if res.HandlerErr != nil && d.Logger != nil {
		d.Logger.WarnContext(ctx, "the call's dialog failed", slog.String("call", req.CallID.String()), slog.Any("error", res.HandlerErr))
	}
	if script != nil {
		out.FinalState = script.State
		out.Tags = append(out.Tags, script.Tags...)
		if script.Outcome != "" {
			out.Tags = append(out.Tags, "outcome:"+script.Outcome)
		}
		out.OptOut = script.DoNotCall
		if handOff.CallbackIn > 0 {
			out.CallbackIn = handOff.CallbackIn
		}
		if script.CallbackIn != "" {
			if after, err := scripting.ParseCallbackIn(script.CallbackIn); err == nil {
				out.CallbackIn = after
			}
		}
		if at, err := time.Parse(time.RFC3339, script.CallbackAt); err == nil {
			out.CallbackAt = at
		}
		// What the call captured is kept, with any secret in it redacted
		// as in the turns.
		var n1, n2, n3 int
		out.Vars, n1 = scripting.RedactJSON(script.Vars)
		if len(script.Slots) > 0 {
			slots, n := scripting.RedactValue(map[string]any(script.Slots))
			out.Slots, n2 = slots.(map[string]any), n
		}
		if len(script.Contact) > 0 {
			out.ContactFields = map[string]json.RawMessage{}
			for k, v := range script.Contact {
				var n int
				out.ContactFields[k], n = scripting.RedactJSON(v)
				n3 += n
			}
		}
		redacted += n1 + n2 + n3
		out.LastIntent = script.LastIntent
		for _, f := range script.Review {
			out.SensitiveHits = append(out.SensitiveHits, campaigns.SensitiveHit{Word: f.Word, Turn: f.Turn, Where: f.Where})
		}
		if len(script.Review) > 0 {
			out.Tags = append(out.Tags, campaigns.TagReviewRequired)
		}
	}
	if redacted > 0 {
		out.Tags = append(out.Tags, TagSecretRedacted)
	}
	return out, nil
}

// transferring is the call so far as its script hands the callee to a
// person, with what it captured redacted as at the close.
func transferring(callID uuid.UUID, script *scripting.Result, turns []campaigns.Turn) campaigns.Transferring {
	t := campaigns.Transferring{CallID: callID, Target: script.Transfer, StartedAt: time.Now(), State: script.State,
		LastIntent: script.LastIntent, Turns: slices.Clone(turns), Slots: map[string]any{}}
	t.Vars, _ = scripting.RedactJSON(script.Vars)
	if len(script.Slots) > 0 {
		slots, _ := scripting.RedactValue(map[string]any(script.Slots))
		t.Slots = slots.(map[string]any)
	}
	return t
}

// TagSecretRedacted marks a call whose turns had a secret replaced by
// scripting.Redacted: the fact stays, the secret does not.
const TagSecretRedacted = "secret_redacted"

// transferTarget resolves where a script's transfer goes: only a target
// the trunk names (telephony.Trunk.TransferTarget), never a premium-rate
// or forwarding number, and never a number on the tenant's do-not-call
// list, nor one of a country the tenant's plan does not let it call
// (destinations, none: any). Named targets are the tenant's own agents, so
// the callee-side rules of a dial (quiet hours, consent, caps) do not
// apply to them.
func (d *Service) transferTarget(ctx context.Context, tenantID uuid.UUID, trunk telephony.Trunk, destinations []string, name string) (string, error) {
	target, err := trunk.TransferTarget(name)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(target, "+") {
		return target, nil // an extension or a SIP URI the trunk named
	}
	return d.allowedTarget(ctx, tenantID, destinations, fmt.Sprintf("transfer target %q", name), target)
}

// allowedTarget checks a number a call is handed to (what names it):
// never a premium-rate or forwarding number, one of a country the plan
// does not let the tenant call, or one on its do-not-call list.
func (d *Service) allowedTarget(ctx context.Context, tenantID uuid.UUID, destinations []string, name, n string) (string, error) {
	if why := phone.Blocked(n); why != "" {
		return "", fmt.Errorf("%s (%s): %s", name, phone.Mask(n), why)
	}
	if region := phone.Region(n); len(destinations) > 0 && !slices.Contains(destinations, region) {
		return "", fmt.Errorf("%s (%s) is a number of %s, which the tenant's plan does not let it call (%s)",
			name, phone.Mask(n), cmp.Or(region, "no country"), strings.Join(destinations, ", "))
	}
	var dnc bool
	if err := d.Scripts.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM dnc_numbers WHERE tenant_id = $1 AND phone = $2)`, tenantID, n).Scan(&dnc)
	}); err != nil {
		return "", fmt.Errorf("%s: the do-not-call check failed: %w", name, err)
	}
	if dnc {
		return "", fmt.Errorf("%s (%s) is on the do-not-call list", name, phone.Mask(n))
	}
	return n, nil
}

// transferOf is the script's transfer target, if it ended in one.
func transferOf(r *scripting.Result) string {
	if r == nil {
		return ""
	}
	return r.Transfer
}

// trunkWait is how long a call waits for a place on a trunk when every
// trunk of its tenant is at its carrier's caps.
const trunkWait = 30 * time.Second

// trunkFailed reports whether an attempt failed at its trunk, before any
// callee: the carrier answered 5xx (its trouble, not the callee's 6xx) or
// 408, or nothing answered the INVITE. Such a call goes to the next trunk.
func trunkFailed(res telephony.CallResult, err error) bool {
	if !res.Answered.IsZero() {
		return false // never a second dial for a call someone answered
	}
	if err != nil {
		return true
	}
	switch {
	case res.SIPCode >= 500 && res.SIPCode < 600, res.SIPCode == 408:
		return true
	case res.SIPCode == 0:
		return res.Outcome == telephony.OutcomeFailed
	}
	return false
}

func trunkName(t telephony.Trunk) string {
	if t.Name != "" {
		return t.Name
	}
	return t.ID
}

// withFailover adds to a call's reason the trunks it failed over from.
func withFailover(reason string, used telephony.Trunk, failed []string) string {
	if len(failed) == 0 {
		return reason
	}
	note := fmt.Sprintf("over trunk %q after %s", trunkName(used), strings.Join(failed, "; "))
	if reason == "" {
		return note
	}
	return reason + " (" + note + ")"
}

// talked runs talk on an answered call, a panic in it being its error (the
// call then ends as a failed conversation; the process goes on).
func talked(live telephony.LiveCall, talk func(context.Context, telephony.Call) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the call's conversation panicked: %v", p)
		}
	}()
	return talk(live.Context(), live)
}

// transferring records, when it can, that the call's transfer starts; the
// close records what it could not.
func (d *Service) transferring(ctx context.Context, req campaigns.Placement, t campaigns.Transferring) {
	if req.Transferring == nil {
		return
	}
	if err := req.Transferring(t); err != nil && d.Logger != nil {
		d.Logger.WarnContext(ctx, "cannot mark the call's transfer started", slog.String("call", req.CallID.String()), slog.Any("error", err))
	}
}
