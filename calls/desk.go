package calls

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// Desk is the agent desk: the queues a script's transfer: "queue:<name>"
// hands a callee to, the people who serve them, and each handed-over
// call from the transfer until the agent or the callee hangs up. The
// call's worker process drives a handed-over call (HandOff); the agent's
// browser reaches it through the API process (WaitOffer, Answer, Decline,
// Hangup), the two meeting in agent_offers and PostgreSQL notifications.
type Desk struct {
	DB *tenants.DB
	// Events sends agent.call_offered and agent.call_answered.
	Events *webhooks.Emitter
	// Hub wakes this process's waiters; nil: they look every second.
	Hub *DeskHub
	// WebRTC is how a worker answers agents' browsers.
	WebRTC telephony.WebRTCConfig
	Logger *slog.Logger
}

// Agent states.
const (
	AgentOffline   = "offline"
	AgentAvailable = "available"
	AgentRinging   = "ringing"
	AgentBusy      = "busy"
)

// Offer states (agent_offers.state).
const (
	OfferWaiting    = "waiting"
	OfferRinging    = "ringing"
	OfferAnswering  = "answering"
	OfferConnected  = "connected"
	OfferEnded      = "ended"
	OfferOverflowed = "overflowed"
	OfferAbandoned  = "abandoned"
)

// liveOffer is the SQL list of the states of a call still at the desk.
const liveOffer = `('waiting', 'ringing', 'answering', 'connected')`

// Queue is where a script's transfer: "queue:<name>" goes.
type Queue struct {
	ID   uuid.UUID
	Name string
	// TimeoutSeconds is how long a callee waits for an agent before the
	// overflow; RingSeconds how long one agent's desk rings.
	TimeoutSeconds, RingSeconds int
	// OverflowNumber takes the call after the timeout ("" none: the
	// robot says OverflowMessage, hangs up and the callee is called back).
	OverflowNumber, OverflowMessage string
	AgentIDs                        []uuid.UUID
	CreatedAt, UpdatedAt            time.Time
}

// QueueInput creates or changes a queue; nil fields keep (or default).
type QueueInput struct {
	Name                            *string
	TimeoutSeconds, RingSeconds     *int
	OverflowNumber, OverflowMessage *string
	AgentIDs                        *[]uuid.UUID
}

var queueName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

const queueColumns = `q.id, q.name, q.timeout_seconds, q.ring_seconds, q.overflow_number, q.overflow_message, q.created_at, q.updated_at,
	COALESCE((SELECT array_agg(m.user_id ORDER BY m.user_id) FROM agent_queue_members m WHERE m.queue_id = q.id), '{}')`

func scanQueue(row pgx.Row) (*Queue, error) {
	var q Queue
	err := row.Scan(&q.ID, &q.Name, &q.TimeoutSeconds, &q.RingSeconds, &q.OverflowNumber, &q.OverflowMessage, &q.CreatedAt, &q.UpdatedAt, &q.AgentIDs)
	if err != nil {
		return nil, tenants.NotFound(err, "queue not found")
	}
	return &q, nil
}

// ListQueues lists the tenant's queues, oldest first.
func (d *Desk) ListQueues(ctx context.Context, p tenants.Principal, limit int, after *uuid.UUID) ([]Queue, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	var out []Queue
	err := d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+queueColumns+` FROM agent_queues q WHERE q.tenant_id = $1 AND `+strings.ReplaceAll(tenants.PageAfter("agent_queues"), "(created_at, id)", "(q.created_at, q.id)")+`
			ORDER BY q.created_at, q.id LIMIT $3`, p.TenantID, after, limit)
		if err != nil {
			return err
		}
		out, err = tenants.CollectAll(rows, scanQueue)
		return err
	})
	return out, err
}

// GetQueue reads one queue.
func (d *Desk) GetQueue(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Queue, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	return tenants.QueryOne(ctx, d.DB, p.TenantID, scanQueue, `SELECT `+queueColumns+` FROM agent_queues q WHERE q.tenant_id = $1 AND q.id = $2`, p.TenantID, id)
}

// CreateQueue adds a queue (admin).
func (d *Desk) CreateQueue(ctx context.Context, p tenants.Principal, in QueueInput) (*Queue, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, tenants.FieldError("body.name", "a queue needs a name; scripts transfer to it as queue:<name>")
	}
	q := &Queue{ID: uuid.New(), TimeoutSeconds: 60, RingSeconds: 20}
	if err := applyQueue(q, in); err != nil {
		return nil, err
	}
	err := d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO agent_queues (id, tenant_id, name, timeout_seconds, ring_seconds, overflow_number, overflow_message)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, q.ID, p.TenantID, q.Name, q.TimeoutSeconds, q.RingSeconds, q.OverflowNumber, q.OverflowMessage); err != nil {
			return queueConflict(err, q.Name)
		}
		var err error
		q, err = d.saveQueue(ctx, tx, p.TenantID, q.ID, in.AgentIDs)
		return err
	})
	return q, err
}

// UpdateQueue changes a queue (admin).
func (d *Desk) UpdateQueue(ctx context.Context, p tenants.Principal, id uuid.UUID, in QueueInput) (*Queue, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, err
	}
	var q *Queue
	err := d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		q, err = scanQueue(tx.QueryRow(ctx, `SELECT `+queueColumns+` FROM agent_queues q WHERE q.tenant_id = $1 AND q.id = $2 FOR UPDATE`, p.TenantID, id))
		if err != nil {
			return err
		}
		if err := applyQueue(q, in); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE agent_queues SET name = $3, timeout_seconds = $4, ring_seconds = $5, overflow_number = $6, overflow_message = $7, updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, p.TenantID, id, q.Name, q.TimeoutSeconds, q.RingSeconds, q.OverflowNumber, q.OverflowMessage); err != nil {
			return queueConflict(err, q.Name)
		}
		q, err = d.saveQueue(ctx, tx, p.TenantID, id, in.AgentIDs)
		return err
	})
	return q, err
}

// DeleteQueue removes a queue (admin); calls waiting in it keep waiting
// under its name until they overflow.
func (d *Desk) DeleteQueue(ctx context.Context, p tenants.Principal, id uuid.UUID) error {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return err
	}
	return d.DB.DeleteByID(ctx, p.TenantID, "agent_queues", id, "queue not found")
}

// applyQueue checks in and applies it to q.
func applyQueue(q *Queue, in QueueInput) error {
	if in.Name != nil {
		if !queueName.MatchString(*in.Name) {
			return tenants.FieldError("body.name", "queue name %q: use lower-case letters, digits, _ and -, starting with a letter", *in.Name)
		}
		q.Name = *in.Name
	}
	if in.TimeoutSeconds != nil {
		if *in.TimeoutSeconds < 5 || *in.TimeoutSeconds > 600 {
			return tenants.FieldError("body.timeout_seconds", "a callee waits 5 to 600 seconds for an agent; %d is outside", *in.TimeoutSeconds)
		}
		q.TimeoutSeconds = *in.TimeoutSeconds
	}
	if in.RingSeconds != nil {
		if *in.RingSeconds < 5 || *in.RingSeconds > 120 {
			return tenants.FieldError("body.ring_seconds", "a desk rings 5 to 120 seconds; %d is outside", *in.RingSeconds)
		}
		q.RingSeconds = *in.RingSeconds
	}
	if in.OverflowNumber != nil {
		n := strings.TrimSpace(*in.OverflowNumber)
		if n != "" {
			e164, err := phone.Normalise(n, "")
			if err != nil || !strings.HasPrefix(e164, "+") {
				return tenants.FieldError("body.overflow_number", "overflow number %q: give it in international form (+8613812345678)", n)
			}
			if why := phone.Blocked(e164); why != "" {
				return tenants.FieldError("body.overflow_number", "overflow number %s: %s", phone.Mask(e164), why)
			}
			n = e164
		}
		q.OverflowNumber = n
	}
	if in.OverflowMessage != nil {
		q.OverflowMessage = strings.TrimSpace(*in.OverflowMessage)
	}
	return nil
}

func queueConflict(err error, name string) error {
	if isUniqueViolation(err) {
		return tenants.FieldError("body.name", "a queue named %q exists already", name)
	}
	return err
}

// saveQueue replaces the queue's agents when agents is given, tells the
// desk, and reads the queue back.
func (d *Desk) saveQueue(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID, agents *[]uuid.UUID) (*Queue, error) {
	if agents != nil {
		if _, err := tx.Exec(ctx, `DELETE FROM agent_queue_members WHERE queue_id = $1`, id); err != nil {
			return nil, err
		}
		for i, u := range *agents {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2)`, tenantID, u).Scan(&ok); err != nil {
				return nil, err
			}
			if !ok {
				return nil, tenants.FieldError(fmt.Sprintf("body.agent_ids[%d]", i), "user %s is not a member of this tenant", u)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO agent_queue_members (tenant_id, queue_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, tenantID, id, u); err != nil {
				return nil, err
			}
		}
	}
	if err := notifyDesk(ctx, tx, "t:"+tenantID.String()); err != nil {
		return nil, err
	}
	return scanQueue(tx.QueryRow(ctx, `SELECT `+queueColumns+` FROM agent_queues q WHERE q.tenant_id = $1 AND q.id = $2`, tenantID, id))
}

func isUniqueViolation(err error) bool {
	var pe interface{ SQLState() string }
	return errors.As(err, &pe) && pe.SQLState() == "23505"
}

// Offer is a call handed to a queue, as the agent's desk shows it.
type Offer struct {
	ID, CallID   uuid.UUID
	CampaignID   *uuid.UUID
	Queue, State string
	UserID       *uuid.UUID
	Reason       string
	CreatedAt    time.Time
	OfferedAt    *time.Time
	AnsweredAt   *time.Time
	EndedAt      *time.Time
	Screen       Screen
}

// Screen is what the agent sees as their desk rings: who, from which
// campaign, why the script handed the call over, and the call so far.
type Screen struct {
	Contact       ScreenContact   `json:"contact"`
	CampaignName  string          `json:"campaign_name"`
	Target        string          `json:"target"`
	TransferState string          `json:"transfer_state"`
	LastIntent    string          `json:"last_intent"`
	Transcript    []ScreenTurn    `json:"transcript"`
	Vars          json.RawMessage `json:"vars"`
	Slots         map[string]any  `json:"slots"`
}

// ScreenContact is the callee.
type ScreenContact struct {
	ID    *uuid.UUID `json:"id"`
	Name  string     `json:"name"`
	Phone string     `json:"phone"`
}

// ScreenTurn is one turn of the call so far.
type ScreenTurn struct {
	Seq            int      `json:"seq"`
	State          string   `json:"state"`
	Said           string   `json:"said"`
	Heard          string   `json:"heard"`
	Intent         string   `json:"intent"`
	Sentiment      *float32 `json:"sentiment"`
	SentimentLabel string   `json:"sentiment_label"`
}

const offerColumns = `o.id, o.call_id, c.campaign_id, o.queue, o.state, o.user_id, o.reason, o.created_at, o.offered_at, o.answered_at, o.ended_at, o.screen`

func scanOffer(row pgx.Row) (*Offer, error) {
	var o Offer
	if err := row.Scan(&o.ID, &o.CallID, &o.CampaignID, &o.Queue, &o.State, &o.UserID, &o.Reason, &o.CreatedAt, &o.OfferedAt, &o.AnsweredAt, &o.EndedAt, &o.Screen); err != nil {
		return nil, tenants.NotFound(err, "offer not found")
	}
	return &o, nil
}

// AgentDesk is where the signed-in agent stands.
type AgentDesk struct {
	Status      string
	StatusSince time.Time
	Queues      []QueueRef
	Offer       *Offer
}

// QueueRef names a queue.
type QueueRef struct {
	ID   uuid.UUID
	Name string
}

// deskUser is the person at the desk: a signed-in user, never an API key.
func deskUser(p tenants.Principal) (uuid.UUID, error) {
	if err := p.Require(tenants.RoleAgent); err != nil {
		return uuid.Nil, err
	}
	if p.UserID == nil || p.KeyID != nil {
		return uuid.Nil, tenants.Errorf(tenants.EForbidden, "the agent desk is for people signed in to the portal: an API key cannot take calls")
	}
	return *p.UserID, nil
}

// Me returns the signed-in agent's desk.
func (d *Desk) Me(ctx context.Context, p tenants.Principal) (*AgentDesk, error) {
	user, err := deskUser(p)
	if err != nil {
		return nil, err
	}
	var out *AgentDesk
	err = d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		out, err = d.me(ctx, tx, p.TenantID, user)
		return err
	})
	return out, err
}

func (d *Desk) me(ctx context.Context, tx pgx.Tx, tenantID, user uuid.UUID) (*AgentDesk, error) {
	if err := sweepDesk(ctx, tx, tenantID); err != nil {
		return nil, err
	}
	out := &AgentDesk{Status: AgentOffline, Queues: []QueueRef{}}
	err := tx.QueryRow(ctx, `SELECT status, status_since FROM agents WHERE tenant_id = $1 AND user_id = $2`, tenantID, user).Scan(&out.Status, &out.StatusSince)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT q.id, q.name FROM agent_queues q JOIN agent_queue_members m ON m.queue_id = q.id
		WHERE q.tenant_id = $1 AND m.user_id = $2 ORDER BY q.name`, tenantID, user)
	if err != nil {
		return nil, err
	}
	if out.Queues, err = pgx.CollectRows(rows, pgx.RowToStructByPos[QueueRef]); err != nil {
		return nil, err
	}
	out.Offer, err = currentOffer(ctx, tx, tenantID, user)
	return out, err
}

// currentOffer is the call ringing the user's desk or on it, if any.
func currentOffer(ctx context.Context, tx pgx.Tx, tenantID, user uuid.UUID) (*Offer, error) {
	o, err := scanOffer(tx.QueryRow(ctx, `SELECT `+offerColumns+` FROM agent_offers o JOIN calls c ON c.id = o.call_id
		WHERE o.tenant_id = $1 AND o.user_id = $2 AND o.state IN ('ringing', 'answering', 'connected') ORDER BY o.offered_at DESC LIMIT 1`, tenantID, user))
	var te *tenants.Error
	if errors.As(err, &te) && te.Code == tenants.ENotFound {
		return nil, nil
	}
	return o, err
}

// sweepDesk lets go of calls at the desk whose call ended without its
// worker saying so (a worker that died: the lease reaper closed the call)
// and frees their agents.
func sweepDesk(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	rows, err := tx.Query(ctx, `UPDATE agent_offers o SET state = 'abandoned', ended_at = now(), reason = 'the call ended without its worker (the worker stopped)'
		FROM calls c WHERE o.tenant_id = $1 AND c.id = o.call_id AND c.state = 'ended' AND o.state IN `+liveOffer+` RETURNING o.user_id`, tenantID)
	if err != nil {
		return err
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[*uuid.UUID])
	if err != nil {
		return err
	}
	for _, u := range users {
		if u != nil {
			if _, err := tx.Exec(ctx, `UPDATE agents SET status = 'available', status_since = now(), offer_id = NULL
				WHERE tenant_id = $1 AND user_id = $2 AND status IN ('ringing', 'busy')`, tenantID, *u); err != nil {
				return err
			}
		}
	}
	return nil
}

// SetStatus puts the signed-in agent available or offline; an agent on a
// call cannot go offline until it ends.
func (d *Desk) SetStatus(ctx context.Context, p tenants.Principal, status string) (*AgentDesk, error) {
	user, err := deskUser(p)
	if err != nil {
		return nil, err
	}
	if status != AgentAvailable && status != AgentOffline {
		return nil, tenants.FieldError("body.status", "status %q: want available or offline", status)
	}
	var out *AgentDesk
	err = d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		if err := sweepDesk(ctx, tx, p.TenantID); err != nil {
			return err
		}
		var cur string
		err := tx.QueryRow(ctx, `SELECT status FROM agents WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE`, p.TenantID, user).Scan(&cur)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			cur = AgentOffline
			if _, err := tx.Exec(ctx, `INSERT INTO agents (user_id, tenant_id) VALUES ($1, $2)`, user, p.TenantID); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if cur == AgentRinging || cur == AgentBusy {
			return tenants.Errorf(tenants.EConflict, "you are %s with a call: answer or decline it, or hang up, first", cur)
		}
		if cur != status {
			if _, err := tx.Exec(ctx, `UPDATE agents SET status = $3, status_since = now(), offer_id = NULL WHERE tenant_id = $1 AND user_id = $2`,
				p.TenantID, user, status); err != nil {
				return err
			}
			if err := notifyDesk(ctx, tx, "t:"+p.TenantID.String(), "u:"+user.String()); err != nil {
				return err
			}
		}
		out, err = d.me(ctx, tx, p.TenantID, user)
		return err
	})
	return out, err
}

// WaitOffer returns the call ringing the agent's desk or on it, waiting
// up to wait for one; nil when none came.
func (d *Desk) WaitOffer(ctx context.Context, p tenants.Principal, wait time.Duration) (*Offer, error) {
	user, err := deskUser(p)
	if err != nil {
		return nil, err
	}
	ch, stop := d.Hub.Wait("u:" + user.String())
	defer stop()
	var o *Offer
	_, err = await(ctx, ch, wait, func() (bool, error) {
		err := d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
			o, err = currentOffer(ctx, tx, p.TenantID, user)
			return err
		})
		return o != nil, err
	})
	if ctx.Err() != nil {
		return nil, nil // the agent's browser went away
	}
	return o, err
}

// answerWait bounds how long an agent's answer waits for the call's
// worker to join the browser.
const answerWait = 10 * time.Second

// Answer takes the call ringing the agent's desk: offerSDP is the
// browser's offer; the answer is the call's worker's.
func (d *Desk) Answer(ctx context.Context, p tenants.Principal, offerID uuid.UUID, offerSDP string) (string, error) {
	user, err := deskUser(p)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(offerSDP) == "" || !strings.HasPrefix(strings.TrimSpace(offerSDP), "v=0") {
		return "", tenants.FieldError("body.sdp", "the browser's SDP offer is needed (it starts with v=0)")
	}
	ch, stop := d.Hub.Wait("o:" + offerID.String())
	defer stop()
	if err := d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE agent_offers SET state = 'answering', sdp_offer = $4, sdp_answer = '', reason = ''
			WHERE tenant_id = $1 AND id = $2 AND user_id = $3 AND state = 'ringing'`, p.TenantID, offerID, user, offerSDP)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notOnDesk(ctx, tx, p.TenantID, offerID, user, "this call is not ringing your desk any more")
		}
		return notifyDesk(ctx, tx, "o:"+offerID.String())
	}); err != nil {
		return "", err
	}
	var answer string
	done, err := await(ctx, ch, answerWait, func() (bool, error) {
		var state, reason string
		if err := d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT state, sdp_answer, reason FROM agent_offers WHERE tenant_id = $1 AND id = $2`, p.TenantID, offerID).Scan(&state, &answer, &reason)
		}); err != nil {
			return false, err
		}
		switch {
		case state == OfferConnected && answer != "":
			return true, nil
		case state != OfferAnswering && reason != "":
			return false, tenants.Errorf(tenants.EConflict, "the call could not be joined: %s", reason)
		case state != OfferAnswering:
			return false, tenants.Errorf(tenants.EConflict, "the call is %s", state)
		}
		return false, nil
	})
	if err == nil && !done {
		err = tenants.Errorf(tenants.EUnavailable, "the call's worker did not answer within %v", answerWait)
	}
	return answer, err
}

// await calls check until it reports done or fails, looking again when ch
// says something changed (and every deskLook), for at most limit; it
// reports whether check was done. ch must be waited on before the change
// it tells of can happen.
func await(ctx context.Context, ch <-chan struct{}, limit time.Duration, check func() (bool, error)) (bool, error) {
	deadline := time.Now().Add(limit)
	for {
		done, err := check()
		if err != nil || done {
			return done, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		t := time.NewTimer(min(left, deskLook))
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		}
		t.Stop()
	}
}

// freeAgent makes user available again (the longest idle from now) once
// offerID no longer holds them.
func freeAgent(ctx context.Context, tx pgx.Tx, tenantID, user, offerID uuid.UUID) error {
	_, err := tx.Exec(ctx, `UPDATE agents SET status = 'available', status_since = now(), offer_id = NULL WHERE tenant_id = $1 AND user_id = $2 AND offer_id = $3`,
		tenantID, user, offerID)
	return err
}

// notOnDesk is the error for an offer the agent cannot act on: not found
// (another agent's, another tenant's, or none) or no longer in the state
// the action needs.
func notOnDesk(ctx context.Context, tx pgx.Tx, tenantID, offerID, user uuid.UUID, what string) error {
	var mine bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM agent_offers WHERE tenant_id = $1 AND id = $2 AND user_id = $3)`, tenantID, offerID, user).Scan(&mine); err != nil {
		return err
	}
	if !mine {
		return tenants.Errorf(tenants.ENotFound, "offer not found")
	}
	return tenants.Errorf(tenants.EConflict, "%s", what)
}

// Decline passes the call ringing the agent's desk to the next agent.
func (d *Desk) Decline(ctx context.Context, p tenants.Principal, offerID uuid.UUID) error {
	user, err := deskUser(p)
	if err != nil {
		return err
	}
	return d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE agent_offers SET state = 'waiting', user_id = NULL, declined_by = array_append(declined_by, $3), offered_at = NULL
			WHERE tenant_id = $1 AND id = $2 AND user_id = $3 AND state = 'ringing'`, p.TenantID, offerID, user)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notOnDesk(ctx, tx, p.TenantID, offerID, user, "this call is not ringing your desk any more")
		}
		if err := freeAgent(ctx, tx, p.TenantID, user, offerID); err != nil {
			return err
		}
		return notifyDesk(ctx, tx, "o:"+offerID.String(), "u:"+user.String(), "t:"+p.TenantID.String())
	})
}

// Hangup ends the agent's call: the callee is hung up on.
func (d *Desk) Hangup(ctx context.Context, p tenants.Principal, offerID uuid.UUID) error {
	user, err := deskUser(p)
	if err != nil {
		return err
	}
	return d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE agent_offers SET hangup = true WHERE tenant_id = $1 AND id = $2 AND user_id = $3 AND state IN ('answering', 'connected')`,
			p.TenantID, offerID, user)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notOnDesk(ctx, tx, p.TenantID, offerID, user, "this call is not on your desk any more")
		}
		return notifyDesk(ctx, tx, "o:"+offerID.String())
	})
}

// Live is the desk as a supervisor watches it.
type Live struct {
	Queues []LiveQueue
	Agents []LiveAgent
	Calls  []LiveCall
}

// LiveQueue counts a queue's calls waiting and its agents.
type LiveQueue struct {
	ID                       uuid.UUID
	Name                     string
	Waiting, Available, Busy int
}

// LiveAgent is one person at the desk.
type LiveAgent struct {
	UserID      uuid.UUID
	Email       string
	Status      string
	StatusSince time.Time
	CallID      *uuid.UUID
	Queues      []string
}

// LiveCall is a call at the desk.
type LiveCall struct {
	OfferID, CallID uuid.UUID
	Queue, State    string
	Since           time.Time
	AgentID         *uuid.UUID
	ContactName     string
}

// Live returns the desk now: queues, agents and the calls waiting or
// connected (operators and stronger).
func (d *Desk) Live(ctx context.Context, p tenants.Principal) (*Live, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return nil, err
	}
	out := &Live{}
	err := d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		if err := sweepDesk(ctx, tx, p.TenantID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT q.id, q.name,
			(SELECT count(*) FROM agent_offers o WHERE o.tenant_id = q.tenant_id AND o.queue = q.name AND o.state IN ('waiting', 'ringing')),
			(SELECT count(*) FROM agents a JOIN agent_queue_members m ON m.user_id = a.user_id WHERE m.queue_id = q.id AND a.status = 'available'),
			(SELECT count(*) FROM agents a JOIN agent_queue_members m ON m.user_id = a.user_id WHERE m.queue_id = q.id AND a.status IN ('ringing', 'busy'))
			FROM agent_queues q WHERE q.tenant_id = $1 ORDER BY q.name`, p.TenantID)
		if err != nil {
			return err
		}
		if out.Queues, err = pgx.CollectRows(rows, pgx.RowToStructByPos[LiveQueue]); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT a.user_id, u.email, a.status, a.status_since,
			(SELECT o.call_id FROM agent_offers o WHERE o.id = a.offer_id),
			COALESCE((SELECT array_agg(q.name ORDER BY q.name) FROM agent_queues q JOIN agent_queue_members m ON m.queue_id = q.id WHERE m.user_id = a.user_id), '{}')
			FROM agents a JOIN users u ON u.id = a.user_id WHERE a.tenant_id = $1 ORDER BY u.email`, p.TenantID)
		if err != nil {
			return err
		}
		if out.Agents, err = pgx.CollectRows(rows, pgx.RowToStructByPos[LiveAgent]); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT o.id, o.call_id, o.queue, o.state, COALESCE(o.answered_at, o.offered_at, o.created_at), o.user_id,
			COALESCE(o.screen->'contact'->>'name', '')
			FROM agent_offers o WHERE o.tenant_id = $1 AND o.state IN `+liveOffer+` ORDER BY o.created_at`, p.TenantID)
		if err != nil {
			return err
		}
		out.Calls, err = pgx.CollectRows(rows, pgx.RowToStructByPos[LiveCall])
		return err
	})
	return out, err
}

// offerEvent is the data of agent.call_offered and agent.call_answered.
func offerEvent(o *Offer, agent uuid.UUID) map[string]any {
	s := o.Screen
	s.Contact.Phone = phone.Mask(s.Contact.Phone)
	data := map[string]any{
		"offer_id": o.ID, "call_id": o.CallID, "campaign_id": o.CampaignID, "queue": o.Queue, "agent_id": agent,
		"offered_at": o.OfferedAt, "contact": s.Contact, "campaign_name": s.CampaignName, "transfer_state": s.TransferState,
		"last_intent": s.LastIntent, "transcript": s.Transcript, "vars": s.Vars, "slots": s.Slots,
	}
	if o.AnsweredAt != nil {
		data["answered_at"] = o.AnsweredAt
	}
	return data
}

// isQueueTarget reports whether a script's transfer target names a queue
// of the desk ("queue:collections"), and which.
func isQueueTarget(target string) (string, bool) {
	name, ok := strings.CutPrefix(target, "queue:")
	return name, ok && name != ""
}
