package calls

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// HandOff is a call a script hands to a queue of the desk.
type HandOff struct {
	TenantID, CallID uuid.UUID
	Queue            string
	// Transferring is the call so far, for the agent's screen.
	Transferring campaigns.Transferring
	// Lang is the script's language: the hold and overflow messages'.
	Lang string
}

// HandOffResult is how a hand-off ended.
type HandOffResult struct {
	// Agent names who took the call ("" nobody).
	Agent string
	// Overflow is the queue's overflow number, when nobody answered in
	// time and the call should go there.
	Overflow string
	// CallbackIn is set when nobody answered, the robot said the
	// overflow message and hung up: the callee is called back then.
	CallbackIn time.Duration
	// Abandoned: the callee hung up while waiting.
	Abandoned bool
}

// overflowCallback is when a callee nobody could take is called back.
const overflowCallback = 30 * time.Minute

// ErrNoQueue is a transfer to a queue the tenant does not have.
var ErrNoQueue = errors.New("no such queue")

// HandOff waits, with the callee on hold, for an agent of the queue and
// joins the call to the agent's browser once they answer: the longest-idle
// available agent's desk rings for the queue's ring time; one who lets it
// ring out is set offline and the next is tried, until the queue's timeout
// passes. It returns when the agent's part of the call is over, or how the
// call should overflow.
func (d *Desk) HandOff(ctx context.Context, call telephony.Call, h HandOff) (HandOffResult, error) {
	offerID := uuid.New()
	var q *Queue
	if err := d.DB.InTenant(ctx, h.TenantID, func(tx pgx.Tx) (err error) {
		q, err = scanQueue(tx.QueryRow(ctx, `SELECT `+queueColumns+` FROM agent_queues q WHERE q.tenant_id = $1 AND q.name = $2`, h.TenantID, h.Queue))
		if err != nil {
			var te *tenants.Error
			if errors.As(err, &te) && te.Code == tenants.ENotFound {
				return fmt.Errorf("%w %q: add it under the agent desk's queues", ErrNoQueue, h.Queue)
			}
			return err
		}
		screen, err := screenOf(ctx, tx, h)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO agent_offers (id, tenant_id, call_id, queue_id, queue, screen) VALUES ($1, $2, $3, $4, $5, $6)`,
			offerID, h.TenantID, h.CallID, q.ID, q.Name, screen); err != nil {
			return err
		}
		return notifyDesk(ctx, tx, "t:"+h.TenantID.String())
	}); err != nil {
		return HandOffResult{}, err
	}

	holdCtx, stopHold := context.WithCancel(ctx)
	holdDone := make(chan struct{})
	go func() { defer close(holdDone); hold(holdCtx, call, h.Lang) }()
	defer func() { stopHold(); <-holdDone }()

	ended := call.Done()
	tenantCh, stopT := d.Hub.Wait("t:" + h.TenantID.String())
	defer stopT()
	offerCh, stopO := d.Hub.Wait("o:" + offerID.String())
	defer stopO()
	deadline := time.Now().Add(time.Duration(q.TimeoutSeconds) * time.Second)

	for {
		if isClosed(ended) {
			d.logged(ctx, h, "record the abandoned wait", d.finishWaiting(ctx, h.TenantID, offerID, OfferAbandoned, "the callee hung up while waiting for an agent"))
			return HandOffResult{Abandoned: true}, nil
		}
		if !time.Now().Before(deadline) {
			break
		}
		agent, rang, err := d.ring(ctx, h.TenantID, offerID, q.ID)
		if err != nil {
			// The database away: the callee stays on hold and the desk is
			// tried again until the queue's wait is over.
			d.logged(ctx, h, "ring a desk", err)
			wait(ctx, time.Second, nil, ended)
			continue
		}
		if !rang {
			wait(ctx, time.Until(deadline), tenantCh, ended)
			continue
		}
		ringUntil := time.Now().Add(time.Duration(q.RingSeconds) * time.Second)
		if ringUntil.After(deadline) {
			ringUntil = deadline
		}
		for {
			var state, sdp string
			if err := d.DB.InTenant(ctx, h.TenantID, func(tx pgx.Tx) error {
				return tx.QueryRow(ctx, `SELECT state, sdp_offer FROM agent_offers WHERE tenant_id = $1 AND id = $2`, h.TenantID, offerID).Scan(&state, &sdp)
			}); err != nil {
				d.logged(ctx, h, "read the desk's answer", err)
				if !time.Now().Before(ringUntil) {
					break
				}
				wait(ctx, time.Second, nil, ended)
				continue
			}
			if state == OfferAnswering {
				stopHold()
				<-holdDone
				res, joined, err := d.connect(ctx, call, h, offerID, agent, sdp, offerCh)
				if err != nil || joined {
					return res, err
				}
				break // the browser could not be joined: the next agent
			}
			if state != OfferRinging {
				break // declined
			}
			if isClosed(ended) {
				break
			}
			if !time.Now().Before(ringUntil) {
				d.logged(ctx, h, "take the call back from a desk that rang out", d.missed(ctx, h.TenantID, offerID, agent.id))
				break
			}
			wait(ctx, time.Until(ringUntil), offerCh, ended)
		}
		if ctx.Err() != nil {
			return HandOffResult{}, ctx.Err()
		}
	}
	// Nobody answered in time.
	reason := fmt.Sprintf("no agent of queue %s answered within %ds", q.Name, q.TimeoutSeconds)
	// The callee goes on to the overflow even when the database cannot
	// record it now (the desk's sweep ends the wait once the call is
	// recorded).
	d.logged(ctx, h, "record the overflow", d.finishWaiting(ctx, h.TenantID, offerID, OfferOverflowed, reason))
	stopHold()
	<-holdDone
	if q.OverflowNumber != "" {
		return HandOffResult{Overflow: q.OverflowNumber}, nil
	}
	msg := q.OverflowMessage
	if msg == "" {
		msg = overflowMessage(h.Lang)
	}
	if _, err := call.SayWhole(ctx, msg, telephony.EmotionNeutral); err != nil && !errors.Is(err, telephony.ErrCallEnded) {
		return HandOffResult{}, err
	}
	_ = call.Hangup(ctx)
	return HandOffResult{CallbackIn: overflowCallback}, nil
}

func isClosed(ch <-chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// wait waits for a notification on ch, the call's end, at most d (and at
// most deskLook) or ctx's end.
func wait(ctx context.Context, d time.Duration, ch <-chan struct{}, ended <-chan struct{}) {
	t := time.NewTimer(min(max(d, time.Millisecond), deskLook))
	defer t.Stop()
	select {
	case <-ch:
	case <-ended:
	case <-t.C:
	case <-ctx.Done():
	}
}

// hold tells the callee, while they wait, that a person is coming.
func hold(ctx context.Context, call telephony.Call, lang string) {
	first, again := "请稍候，正在为您转接人工服务。", "坐席正在接通中，请您继续稍候。"
	if isEnglish(lang) {
		first, again = "Please hold, I am connecting you to a colleague.", "Thank you for waiting, a colleague will be with you shortly."
	}
	msg := first
	for ctx.Err() == nil {
		if _, err := call.SayWhole(ctx, msg, telephony.EmotionNeutral); err != nil {
			return
		}
		msg = again
		select {
		case <-ctx.Done():
			return
		case <-time.After(12 * time.Second):
		}
	}
}

func overflowMessage(lang string) string {
	if isEnglish(lang) {
		return "I'm sorry, all of our colleagues are busy right now. We will call you back shortly. Goodbye."
	}
	return "非常抱歉，现在坐席都在忙，我们稍后给您回电，再见。"
}

func isEnglish(lang string) bool { return len(lang) >= 2 && lang[:2] == "en" }

// screenOf is what the agent's screen shows of the call.
func screenOf(ctx context.Context, tx pgx.Tx, h HandOff) (Screen, error) {
	t := h.Transferring
	s := Screen{Target: t.Target, TransferState: t.State, LastIntent: t.LastIntent, Vars: t.Vars, Slots: t.Slots, Transcript: []ScreenTurn{}}
	if len(s.Vars) == 0 {
		s.Vars = []byte(`{}`)
	}
	if s.Slots == nil {
		s.Slots = map[string]any{}
	}
	for _, turn := range t.Turns {
		s.Transcript = append(s.Transcript, ScreenTurn{Seq: turn.Seq, State: turn.State, Said: turn.Said, Heard: turn.Heard, Intent: turn.Intent,
			Sentiment: turn.Sentiment, SentimentLabel: turn.SentimentLabel})
	}
	err := tx.QueryRow(ctx, `SELECT c.contact_id, c.phone, COALESCE(ct.name, ''), COALESCE(cp.name, '')
		FROM calls c LEFT JOIN contacts ct ON ct.id = c.contact_id LEFT JOIN campaigns cp ON cp.id = c.campaign_id
		WHERE c.tenant_id = $1 AND c.id = $2`, h.TenantID, h.CallID).Scan(&s.Contact.ID, &s.Contact.Phone, &s.Contact.Name, &s.CampaignName)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("call %s is not recorded", h.CallID)
	}
	return s, err
}

type ringing struct {
	id    uuid.UUID
	email string
}

// ring rings the desk of the queue's longest-idle available agent who has
// not passed on this call; false when none is free.
func (d *Desk) ring(ctx context.Context, tenantID, offerID, queueID uuid.UUID) (ringing, bool, error) {
	var a ringing
	var rang bool
	err := d.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT a.user_id, u.email FROM agents a
			JOIN agent_queue_members m ON m.user_id = a.user_id AND m.queue_id = $2
			JOIN users u ON u.id = a.user_id
			WHERE a.tenant_id = $1 AND a.status = 'available'
			  AND NOT a.user_id = ANY ((SELECT declined_by FROM agent_offers WHERE id = $3)::uuid[])
			ORDER BY a.status_since, a.user_id LIMIT 1 FOR UPDATE OF a SKIP LOCKED`, tenantID, queueID, offerID).Scan(&a.id, &a.email)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE agent_offers SET state = 'ringing', user_id = $3, offered_at = now(), sdp_offer = '', sdp_answer = '', reason = ''
			WHERE tenant_id = $1 AND id = $2 AND state = 'waiting'`, tenantID, offerID, a.id)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE agents SET status = 'ringing', status_since = now(), offer_id = $3 WHERE tenant_id = $1 AND user_id = $2`,
			tenantID, a.id, offerID); err != nil {
			return err
		}
		o, err := scanOffer(tx.QueryRow(ctx, `SELECT `+offerColumns+` FROM agent_offers o JOIN calls c ON c.id = o.call_id WHERE o.tenant_id = $1 AND o.id = $2`, tenantID, offerID))
		if err != nil {
			return err
		}
		if _, err := d.Events.Emit(ctx, tx, tenantID, webhooks.AgentCallOffered, offerEvent(o, a.id)); err != nil {
			return err
		}
		rang = true
		return notifyDesk(ctx, tx, "u:"+a.id.String(), "o:"+offerID.String(), "t:"+tenantID.String())
	})
	return a, rang, err
}

// missed takes the call back from an agent who let it ring out: they are
// set offline (they are not at their desk) and not rung for it again.
func (d *Desk) missed(ctx context.Context, tenantID, offerID, user uuid.UUID) error {
	return d.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE agent_offers SET state = 'waiting', user_id = NULL, offered_at = NULL, declined_by = array_append(declined_by, $3)
			WHERE tenant_id = $1 AND id = $2 AND state = 'ringing' AND user_id = $3`, tenantID, offerID, user)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE agents SET status = 'offline', status_since = now(), offer_id = NULL WHERE tenant_id = $1 AND user_id = $2 AND offer_id = $3`,
			tenantID, user, offerID); err != nil {
			return err
		}
		return notifyDesk(ctx, tx, "u:"+user.String(), "o:"+offerID.String(), "t:"+tenantID.String())
	})
}

// finishWaiting ends a call's wait at the desk (overflowed, abandoned);
// an agent whose desk was ringing for it is freed.
func (d *Desk) finishWaiting(ctx context.Context, tenantID, offerID uuid.UUID, state, reason string) error {
	ctx = context.WithoutCancel(ctx)
	return d.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var user *uuid.UUID
		err := tx.QueryRow(ctx, `UPDATE agent_offers SET state = $3, reason = $4, ended_at = now()
			WHERE tenant_id = $1 AND id = $2 AND state IN ('waiting', 'ringing', 'answering') RETURNING user_id`,
			tenantID, offerID, state, reason).Scan(&user)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		keys := []string{"o:" + offerID.String(), "t:" + tenantID.String()}
		if user != nil {
			if err := freeAgent(ctx, tx, tenantID, *user, offerID); err != nil {
				return err
			}
			keys = append(keys, "u:"+user.String())
		}
		return notifyDesk(ctx, tx, keys...)
	})
}

// connect answers the agent's browser and joins the call to it until
// either hangs up. joined is false when the browser could not be joined
// (the call goes back to waiting, for the next agent).
func (d *Desk) connect(ctx context.Context, call telephony.Call, h HandOff, offerID uuid.UUID, agent ringing, sdp string, offerCh <-chan struct{}) (HandOffResult, bool, error) {
	leg, answer, err := telephony.NewWebRTCLeg(ctx, d.WebRTC, sdp)
	if err != nil {
		reason := "the browser's audio: " + err.Error()
		if d.Logger != nil {
			d.Logger.WarnContext(ctx, "an agent's browser could not be joined", slog.String("call", h.CallID.String()), slog.Any("error", err))
		}
		return HandOffResult{}, false, d.DB.InTenant(ctx, h.TenantID, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE agent_offers SET state = 'waiting', user_id = NULL, offered_at = NULL, reason = $4, declined_by = array_append(declined_by, $3)
				WHERE tenant_id = $1 AND id = $2 AND state = 'answering'`, h.TenantID, offerID, agent.id, reason); err != nil {
				return err
			}
			if err := freeAgent(ctx, tx, h.TenantID, agent.id, offerID); err != nil {
				return err
			}
			return notifyDesk(ctx, tx, "o:"+offerID.String(), "u:"+agent.id.String(), "t:"+h.TenantID.String())
		})
	}
	defer leg.Close()
	if err := d.DB.InTenant(ctx, h.TenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE agent_offers SET state = 'connected', sdp_answer = $3, answered_at = now() WHERE tenant_id = $1 AND id = $2 AND state = 'answering'`,
			h.TenantID, offerID, answer)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE agents SET status = 'busy', status_since = now() WHERE tenant_id = $1 AND user_id = $2`, h.TenantID, agent.id); err != nil {
			return err
		}
		o, err := scanOffer(tx.QueryRow(ctx, `SELECT `+offerColumns+` FROM agent_offers o JOIN calls c ON c.id = o.call_id WHERE o.tenant_id = $1 AND o.id = $2`, h.TenantID, offerID))
		if err != nil {
			return err
		}
		if _, err := d.Events.Emit(ctx, tx, h.TenantID, webhooks.AgentCallAnswered, offerEvent(o, agent.id)); err != nil {
			return err
		}
		return notifyDesk(ctx, tx, "o:"+offerID.String(), "u:"+agent.id.String(), "t:"+h.TenantID.String())
	}); err != nil {
		return HandOffResult{}, false, err
	}

	label := "queue:" + h.Queue + "/" + agent.email
	// Supervisors may listen in while the agent talks.
	m := &monitored{AudioLeg: leg}
	var listeners []*telephony.WebRTCLeg
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	joined := make(chan error, 1)
	talkStart := time.Now()
	go func() { joined <- call.Join(ctx, m, label) }()
	var joinErr error
	reason := "the agent hung up"
wait:
	for {
		select {
		case joinErr = <-joined:
			break wait
		case <-offerCh:
		case <-time.After(deskLook):
		}
		// One look at the offer: a hang-up asked for, supervisors waiting
		// to listen in.
		var hangup, listen bool
		if err := d.DB.InTenant(ctx, h.TenantID, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT hangup, EXISTS (SELECT 1 FROM agent_listeners l WHERE l.offer_id = o.id AND l.state = 'requested')
				FROM agent_offers o WHERE o.tenant_id = $1 AND o.id = $2`, h.TenantID, offerID).Scan(&hangup, &listen)
		}); err != nil {
			continue // the database away: the call goes on
		}
		if hangup {
			_ = leg.Close()
		}
		if listen {
			d.serveListeners(ctx, h.TenantID, offerID, m, &listeners)
		}
	}
	if errors.Is(joinErr, telephony.ErrCallEnded) {
		reason, joinErr = "the callee hung up", nil
	}
	// The agent's part is recorded whatever ended it, once, timed by this
	// process's clock (a record delayed by a database outage bills the
	// talk, not the wait); while the database is away it is tried again
	// for up to endRetry.
	at := time.Now()
	seconds := int64(math.Ceil(at.Sub(talkStart).Seconds()))
	end := context.WithoutCancel(ctx)
	err = retryFor(end, endRetry, func() error { return d.recordEnd(end, h, offerID, agent.id, reason, seconds, at) })
	if err != nil {
		return HandOffResult{Agent: label}, true, err
	}
	return HandOffResult{Agent: label}, true, joinErr
}

// endRetry bounds how long the end of an agent's part of a call waits for
// the database.
const endRetry = 2 * time.Minute

// retryFor calls try until it succeeds or limit passes, a second apart
// at first and five at most.
func retryFor(ctx context.Context, limit time.Duration, try func() error) error {
	deadline, pause := time.Now().Add(limit), time.Second
	for {
		err := try()
		if err == nil || !time.Now().Add(pause).Before(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// recordEnd ends the agent's part of h's call: the offer ended, the agent
// free, their seconds metered.
func (d *Desk) recordEnd(ctx context.Context, h HandOff, offerID, agent uuid.UUID, reason string, seconds int64, at time.Time) error {
	end := ctx
	return d.DB.InTenant(end, h.TenantID, func(tx pgx.Tx) error {
		var campaignID *uuid.UUID
		err := tx.QueryRow(end, `UPDATE agent_offers o SET state = 'ended', ended_at = now(), reason = $3
			FROM calls c WHERE o.tenant_id = $1 AND o.id = $2 AND c.id = o.call_id AND o.state = 'connected'
			RETURNING c.campaign_id`, h.TenantID, offerID, reason).Scan(&campaignID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := freeAgent(end, tx, h.TenantID, agent, offerID); err != nil {
			return err
		}
		if err := billing.RecordAgentTime(end, tx, h.TenantID, h.CallID, campaignID, seconds, at); err != nil {
			return err
		}
		return notifyDesk(end, tx, "o:"+offerID.String(), "u:"+agent.String(), "t:"+h.TenantID.String())
	})
}

// logged logs a failure of the desk's bookkeeping for h's call, which the
// call itself survives.
func (d *Desk) logged(ctx context.Context, h HandOff, what string, err error) {
	if err != nil && d.Logger != nil && ctx.Err() == nil {
		d.Logger.WarnContext(ctx, "the desk could not "+what, slog.String("call", h.CallID.String()), slog.Any("error", err))
	}
}
