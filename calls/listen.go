package calls

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// monitored is the agent's leg as the call is joined to it, with the
// supervisors listening in: each hears the callee and the agent mixed.
type monitored struct {
	telephony.AudioLeg

	// heard counts the listeners, so a call nobody listens in on passes
	// its audio without taking the lock (this runs on the media clock).
	heard     atomic.Int32
	mu        sync.Mutex
	agent     []int16 // the agent's voice not yet mixed in
	mixed     []int16
	listeners []telephony.AudioLeg
}

// maxAgentBacklog bounds the agent's voice waiting for the callee's next
// frame (200 ms): beyond it the listeners would fall behind.
const maxAgentBacklog = telephony.SampleRate / 5

// Hear passes the callee's voice to the agent and, mixed with the
// agent's, to every listener.
func (m *monitored) Hear(pcm []int16) {
	m.AudioLeg.Hear(pcm)
	if m.heard.Load() == 0 {
		return
	}
	m.mu.Lock()
	if len(m.listeners) == 0 {
		m.agent = m.agent[:0]
		m.mu.Unlock()
		return
	}
	mixed := m.mixed[:0]
	for i, v := range pcm {
		s := int32(v)
		if i < len(m.agent) {
			s += int32(m.agent[i])
		}
		mixed = append(mixed, int16(max(min(s, 32767), -32768)))
	}
	n := min(len(pcm), len(m.agent))
	m.agent = m.agent[:copy(m.agent, m.agent[n:])]
	m.mixed = mixed
	for _, l := range m.listeners {
		l.Hear(mixed)
	}
	m.mu.Unlock()
}

// SetSpeaker sends the agent's voice to the callee and keeps it for the
// listeners.
func (m *monitored) SetSpeaker(speak func(pcm []int16)) {
	if speak == nil {
		m.AudioLeg.SetSpeaker(nil)
		return
	}
	m.AudioLeg.SetSpeaker(func(pcm []int16) {
		speak(pcm)
		if m.heard.Load() == 0 {
			return
		}
		m.mu.Lock()
		if len(m.listeners) > 0 && len(m.agent)+len(pcm) <= maxAgentBacklog {
			m.agent = append(m.agent, pcm...)
		}
		m.mu.Unlock()
	})
}

func (m *monitored) add(l telephony.AudioLeg) {
	m.mu.Lock()
	m.listeners = append(m.listeners, l)
	m.heard.Store(int32(len(m.listeners)))
	m.mu.Unlock()
}

func (m *monitored) remove(l telephony.AudioLeg) {
	m.mu.Lock()
	m.listeners = slices.DeleteFunc(m.listeners, func(x telephony.AudioLeg) bool { return x == l })
	m.heard.Store(int32(len(m.listeners)))
	if len(m.listeners) == 0 {
		m.agent = m.agent[:0]
	}
	m.mu.Unlock()
}

// listenWait bounds how long a supervisor's request waits for the call's
// worker.
const listenWait = 10 * time.Second

// Listen lets a supervisor (operator and stronger, signed in) listen in on
// a call connected to an agent: offerSDP is their browser's receive-only
// offer; the answer is the call's worker's, which sends them the callee
// and the agent mixed. Closing the browser's connection stops it.
func (d *Desk) Listen(ctx context.Context, p tenants.Principal, offerID uuid.UUID, offerSDP string) (string, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return "", err
	}
	if p.UserID == nil || p.KeyID != nil {
		return "", tenants.Errorf(tenants.EForbidden, "listening in is for people signed in to the portal, not API keys")
	}
	if !strings.HasPrefix(strings.TrimSpace(offerSDP), "v=0") {
		return "", tenants.FieldError("body.sdp", "the browser's SDP offer is needed (it starts with v=0)")
	}
	id := uuid.New()
	ch, stop := d.Hub.Wait("l:" + id.String())
	defer stop()
	if err := d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		var state string
		err := tx.QueryRow(ctx, `SELECT state FROM agent_offers WHERE tenant_id = $1 AND id = $2`, p.TenantID, offerID).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			return tenants.Errorf(tenants.ENotFound, "offer not found")
		}
		if err != nil {
			return err
		}
		if state != OfferConnected {
			return tenants.Errorf(tenants.EConflict, "only a call connected to an agent can be listened in on; this one is %s", state)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO agent_listeners (id, tenant_id, offer_id, user_id, sdp_offer) VALUES ($1, $2, $3, $4, $5)`,
			id, p.TenantID, offerID, *p.UserID, offerSDP); err != nil {
			return err
		}
		return notifyDesk(ctx, tx, "o:"+offerID.String())
	}); err != nil {
		return "", err
	}
	var answer string
	done, err := await(ctx, ch, listenWait, func() (bool, error) {
		var state, reason string
		if err := d.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT state, sdp_answer, reason FROM agent_listeners WHERE tenant_id = $1 AND id = $2`, p.TenantID, id).Scan(&state, &answer, &reason)
		}); err != nil {
			return false, err
		}
		switch state {
		case "connected":
			return true, nil
		case "requested":
			return false, nil
		}
		return false, tenants.Errorf(tenants.EConflict, "the call could not be listened in on: %s", reason)
	})
	if err == nil && !done {
		d.endListener(context.WithoutCancel(ctx), p.TenantID, id, "failed", "the call's worker did not answer in time")
		err = tenants.Errorf(tenants.EUnavailable, "the call's worker did not answer within %v", listenWait)
	}
	return answer, err
}

// serveListeners answers the supervisors waiting to listen in on the
// call: each gets a WebRTC leg of its own, fed by m until it or the call
// ends.
func (d *Desk) serveListeners(ctx context.Context, tenantID, offerID uuid.UUID, m *monitored, legs *[]*telephony.WebRTCLeg) {
	type request struct {
		ID  uuid.UUID
		SDP string
	}
	var reqs []request
	if err := d.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, sdp_offer FROM agent_listeners WHERE tenant_id = $1 AND offer_id = $2 AND state = 'requested'`, tenantID, offerID)
		if err != nil {
			return err
		}
		reqs, err = pgx.CollectRows(rows, pgx.RowToStructByPos[request])
		return err
	}); err != nil {
		return
	}
	for _, r := range reqs {
		leg, answer, err := telephony.NewWebRTCLeg(ctx, d.WebRTC, r.SDP)
		if err != nil {
			d.endListener(ctx, tenantID, r.ID, "failed", "the browser's audio: "+err.Error())
			continue
		}
		if err := d.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE agent_listeners SET state = 'connected', sdp_answer = $3 WHERE tenant_id = $1 AND id = $2 AND state = 'requested'`,
				tenantID, r.ID, answer); err != nil {
				return err
			}
			return notifyDesk(ctx, tx, "l:"+r.ID.String())
		}); err != nil {
			leg.Close()
			continue
		}
		m.add(leg)
		*legs = append(*legs, leg)
		go func() {
			<-leg.Done()
			m.remove(leg)
			d.endListener(context.WithoutCancel(ctx), tenantID, r.ID, "ended", leg.Reason())
		}()
	}
}

// endListener records how a supervisor's listening ended.
func (d *Desk) endListener(ctx context.Context, tenantID, id uuid.UUID, state, reason string) {
	_ = d.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE agent_listeners SET state = $3, reason = $4, ended_at = now() WHERE tenant_id = $1 AND id = $2 AND state IN ('requested', 'connected')`,
			tenantID, id, state, reason); err != nil {
			return err
		}
		return notifyDesk(ctx, tx, "l:"+id.String())
	})
}
