package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/calls"
)

// QueueBody is a queue of the agent desk.
type QueueBody struct {
	ID              uuid.UUID   `json:"id"`
	Name            string      `json:"name" example:"collections" doc:"Scripts hand a callee to the queue with transfer: \"queue:<name>\"."`
	TimeoutSeconds  int         `json:"timeout_seconds" doc:"How long a callee waits for an agent before the overflow."`
	RingSeconds     int         `json:"ring_seconds" doc:"How long one agent's desk rings before the next agent is tried; an agent who lets it ring out is set offline."`
	OverflowNumber  string      `json:"overflow_number" doc:"Where the call goes on the trunk when nobody answered in time; empty: the robot says overflow_message, hangs up and the callee is called back in 30 minutes."`
	OverflowMessage string      `json:"overflow_message" doc:"What the robot says when nobody answered in time and there is no overflow number; empty: a built-in polite message."`
	AgentIDs        []uuid.UUID `json:"agent_ids" doc:"The users who take this queue's calls."`
	CreatedAt       time.Time   `json:"created_at"`
	UpdatedAt       time.Time   `json:"updated_at"`
}

func queueBody(q *calls.Queue) QueueBody {
	ids := q.AgentIDs
	if ids == nil {
		ids = []uuid.UUID{}
	}
	return QueueBody{ID: q.ID, Name: q.Name, TimeoutSeconds: q.TimeoutSeconds, RingSeconds: q.RingSeconds, OverflowNumber: q.OverflowNumber,
		OverflowMessage: q.OverflowMessage, AgentIDs: ids, CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt}
}

type queueFields struct {
	Name            *string      `json:"name,omitempty" maxLength:"63" example:"collections"`
	TimeoutSeconds  *int         `json:"timeout_seconds,omitempty" minimum:"5" maximum:"600" doc:"Omitted on create: 60."`
	RingSeconds     *int         `json:"ring_seconds,omitempty" minimum:"5" maximum:"120" doc:"Omitted on create: 20."`
	OverflowNumber  *string      `json:"overflow_number,omitempty" maxLength:"32" example:"+8613800138000"`
	OverflowMessage *string      `json:"overflow_message,omitempty" maxLength:"500"`
	AgentIDs        *[]uuid.UUID `json:"agent_ids,omitempty" maxItems:"1000"`
}

func (f queueFields) input() calls.QueueInput {
	return calls.QueueInput{Name: f.Name, TimeoutSeconds: f.TimeoutSeconds, RingSeconds: f.RingSeconds, OverflowNumber: f.OverflowNumber,
		OverflowMessage: f.OverflowMessage, AgentIDs: f.AgentIDs}
}

type createQueueInput struct{ Body queueFields }

type queuePath struct {
	QueueID uuid.UUID `path:"queue_id" doc:"The queue's id."`
}

type updateQueueInput struct {
	QueueID uuid.UUID `path:"queue_id" doc:"The queue's id."`
	Body    queueFields
}

type queuesOutput struct {
	Body struct {
		Items      []QueueBody `json:"items"`
		NextCursor string      `json:"next_cursor"`
	}
}

// OfferContactBody is the callee on an agent's screen.
type OfferContactBody struct {
	ID    *uuid.UUID `json:"id"`
	Name  string     `json:"name"`
	Phone string     `json:"phone" doc:"Masked (138****1234) unless the user may see numbers in full (operator and stronger)."`
}

// OfferTurnBody is one turn of the call before the transfer.
type OfferTurnBody struct {
	Seq            int      `json:"seq"`
	State          string   `json:"state"`
	Said           string   `json:"said" doc:"What the robot said."`
	Heard          string   `json:"heard" doc:"What the callee said."`
	Intent         string   `json:"intent"`
	Sentiment      *float32 `json:"sentiment"`
	SentimentLabel string   `json:"sentiment_label"`
}

// OfferBody is a call a script handed to a queue, as the agent's desk
// shows it: the screen pop.
type OfferBody struct {
	ID            uuid.UUID        `json:"id"`
	CallID        uuid.UUID        `json:"call_id"`
	CampaignID    *uuid.UUID       `json:"campaign_id"`
	CampaignName  string           `json:"campaign_name"`
	Queue         string           `json:"queue"`
	State         string           `json:"state" enum:"waiting,ringing,answering,connected,ended,overflowed,abandoned"`
	OfferedAt     *time.Time       `json:"offered_at"`
	AnsweredAt    *time.Time       `json:"answered_at"`
	EndedAt       *time.Time       `json:"ended_at"`
	Contact       OfferContactBody `json:"contact"`
	Target        string           `json:"target" example:"queue:collections"`
	TransferState string           `json:"transfer_state" doc:"The script's state that handed the call over."`
	LastIntent    string           `json:"last_intent" doc:"The last intent the script heard: why it handed the call over."`
	Transcript    []OfferTurnBody  `json:"transcript"`
	Vars          json.RawMessage  `json:"vars" doc:"What the script captured (c.vars), secrets redacted."`
	Slots         map[string]any   `json:"slots" doc:"Dates, amounts and the like the call heard."`
}

func offerBody(ctx context.Context, o *calls.Offer) OfferBody {
	s := o.Screen
	b := OfferBody{ID: o.ID, CallID: o.CallID, CampaignID: o.CampaignID, CampaignName: s.CampaignName, Queue: o.Queue, State: o.State,
		OfferedAt: o.OfferedAt, AnsweredAt: o.AnsweredAt, EndedAt: o.EndedAt,
		Contact: OfferContactBody{ID: s.Contact.ID, Name: s.Contact.Name, Phone: showPhone(ctx, s.Contact.Phone)},
		Target:  s.Target, TransferState: s.TransferState, LastIntent: s.LastIntent, Transcript: []OfferTurnBody{}, Vars: s.Vars, Slots: s.Slots}
	for _, t := range s.Transcript {
		b.Transcript = append(b.Transcript, OfferTurnBody(t))
	}
	if len(b.Vars) == 0 {
		b.Vars = json.RawMessage(`{}`)
	}
	if b.Slots == nil {
		b.Slots = map[string]any{}
	}
	return b
}

// QueueRefBody names a queue.
type QueueRefBody struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// DeskBody is where the signed-in agent stands.
type DeskBody struct {
	Status      string         `json:"status" enum:"offline,available,ringing,busy"`
	StatusSince time.Time      `json:"status_since,omitzero"`
	Queues      []QueueRefBody `json:"queues" doc:"The queues the agent serves."`
	Offer       *OfferBody     `json:"offer" doc:"The call ringing the desk or on it; null when none."`
}

func deskBody(ctx context.Context, d *calls.AgentDesk) DeskBody {
	b := DeskBody{Status: d.Status, StatusSince: d.StatusSince, Queues: []QueueRefBody{}}
	for _, q := range d.Queues {
		b.Queues = append(b.Queues, QueueRefBody(q))
	}
	if d.Offer != nil {
		o := offerBody(ctx, d.Offer)
		b.Offer = &o
	}
	return b
}

type setDeskStatusInput struct {
	Body struct {
		Status string `json:"status" enum:"available,offline" doc:"available: calls may ring this desk; offline: they do not."`
	}
}

type waitOfferInput struct {
	Wait int `query:"wait" minimum:"0" maximum:"30" default:"0" doc:"Seconds to wait for a call to ring the desk when none does now."`
}

type waitOfferOutput struct {
	Body struct {
		Offer *OfferBody `json:"offer" doc:"The call ringing the desk or on it; null when none came in time."`
	}
}

type offerPath struct {
	OfferID uuid.UUID `path:"offer_id" doc:"The offer's id."`
}

type answerOfferInput struct {
	OfferID uuid.UUID `path:"offer_id" doc:"The offer's id."`
	Body    struct {
		SDP string `json:"sdp" minLength:"1" maxLength:"65536" doc:"The browser's SDP offer (RTCPeerConnection.createOffer, ICE gathering complete): one audio stream with PCMU."`
	}
}

type sdpOutput struct {
	Body struct {
		SDP string `json:"sdp" doc:"The call's SDP answer, for setRemoteDescription."`
	}
}

// LiveQueueBody counts a queue's calls and agents.
type LiveQueueBody struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Waiting   int       `json:"waiting" doc:"Calls waiting or ringing a desk."`
	Available int       `json:"available"`
	Busy      int       `json:"busy" doc:"Agents ringing or on a call."`
}

// LiveAgentBody is one person at the desk.
type LiveAgentBody struct {
	UserID      uuid.UUID  `json:"user_id"`
	Email       string     `json:"email"`
	Status      string     `json:"status" enum:"offline,available,ringing,busy"`
	StatusSince time.Time  `json:"status_since"`
	CallID      *uuid.UUID `json:"call_id"`
	Queues      []string   `json:"queues"`
}

// LiveCallBody is a call at the desk.
type LiveCallBody struct {
	OfferID     uuid.UUID  `json:"offer_id"`
	CallID      uuid.UUID  `json:"call_id"`
	Queue       string     `json:"queue"`
	State       string     `json:"state" enum:"waiting,ringing,answering,connected"`
	Since       time.Time  `json:"since"`
	AgentID     *uuid.UUID `json:"agent_id"`
	ContactName string     `json:"contact_name"`
}

// DeskLiveBody is the desk as a supervisor watches it.
type DeskLiveBody struct {
	Queues []LiveQueueBody `json:"queues"`
	Agents []LiveAgentBody `json:"agents"`
	Calls  []LiveCallBody  `json:"calls"`
}

func deskLiveBody(l *calls.Live) DeskLiveBody {
	b := DeskLiveBody{Queues: []LiveQueueBody{}, Agents: []LiveAgentBody{}, Calls: []LiveCallBody{}}
	for _, q := range l.Queues {
		b.Queues = append(b.Queues, LiveQueueBody(q))
	}
	for _, a := range l.Agents {
		if a.Queues == nil {
			a.Queues = []string{}
		}
		b.Agents = append(b.Agents, LiveAgentBody(a))
	}
	for _, c := range l.Calls {
		b.Calls = append(b.Calls, LiveCallBody(c))
	}
	return b
}

// registerDesk adds the agent desk: queues, the agent's own desk, and the
// supervisors' live view.
func (s *Server) registerDesk() {
	read, manage, desk := requires("calls:read"), requires("settings:manage"), requires("desk:use")
	s.register("Agent desk", authErrors, []operation{
		{id: "list-queues", route: "GET /v1/queues", summary: "List the desk's queues", security: read, errs: []int{http.StatusUnprocessableEntity},
			desc: "The queues scripts hand callees to (transfer: \"queue:<name>\"), oldest first.", handler: handle(s.listQueues)},
		{id: "create-queue", route: "POST /v1/queues", status: http.StatusCreated, summary: "Create a queue", security: manage, errs: []int{http.StatusUnprocessableEntity},
			desc: "A queue, its agents, how long callees wait and ring, and where a call goes when nobody answers. Needs the admin role.", handler: handle(s.createQueue)},
		{id: "get-queue", route: "GET /v1/queues/{queue_id}", summary: "Get a queue", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.getQueue)},
		{id: "update-queue", route: "PATCH /v1/queues/{queue_id}", summary: "Change a queue", security: manage, errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
			desc: "Changes the fields given; agent_ids, when given, replaces the queue's agents. Needs the admin role.", handler: handle(s.updateQueue)},
		{id: "delete-queue", route: "DELETE /v1/queues/{queue_id}", status: http.StatusNoContent, summary: "Delete a queue", security: manage, errs: []int{http.StatusNotFound},
			desc: "Calls waiting in it wait on until they overflow. Needs the admin role.", handler: handle(s.deleteQueue)},
		{id: "get-desk", route: "GET /v1/desk", summary: "Get your desk", security: desk, errs: []int{http.StatusNotFound},
			desc: "The signed-in agent's status, queues and the call ringing or on the desk. The desk is for people signed in: API keys get 403.", handler: handle(s.getDesk)},
		{id: "set-desk-status", route: "PUT /v1/desk/status", summary: "Go available or offline", security: desk, errs: []int{http.StatusConflict, http.StatusUnprocessableEntity},
			desc: "available: the queues' calls may ring this desk, the longest-idle agent first; offline: they do not. 409 while a call rings or is on the desk.", handler: handle(s.setDeskStatus)},
		{id: "wait-desk-offer", route: "GET /v1/desk/offer", summary: "Wait for a call", security: desk, errs: []int{http.StatusUnprocessableEntity},
			desc: "Long poll: the call ringing the desk or on it, at once when there is one, else as soon as one rings within wait seconds; offer is null when none did. " +
				"The screen pop: contact, campaign, why the script handed the call over, the transcript so far and what the call captured.", handler: handle(s.waitOffer)},
		{id: "answer-desk-offer", route: "POST /v1/desk/offers/{offer_id}/answer", summary: "Answer a call in the browser", security: desk,
			errs: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
			desc: "Takes the call ringing the desk: sdp is the browser's WebRTC offer (non-trickle, PCMU audio); the answer joins the browser to the callee " +
				"(the call's recording keeps both voices). 409 when it stopped ringing.", handler: handle(s.answerOffer)},
		{id: "decline-desk-offer", route: "POST /v1/desk/offers/{offer_id}/decline", status: http.StatusNoContent, summary: "Pass a call on", security: desk,
			errs: []int{http.StatusNotFound, http.StatusConflict}, desc: "The call rings the next available agent.", handler: handle(s.declineOffer)},
		{id: "hangup-desk-offer", route: "POST /v1/desk/offers/{offer_id}/hangup", status: http.StatusNoContent, summary: "Hang up", security: desk,
			errs: []int{http.StatusNotFound, http.StatusConflict}, desc: "Ends the call on the desk (closing the browser's connection does too).", handler: handle(s.hangupOffer)},
		{id: "listen-desk-call", route: "POST /v1/desk/live/{offer_id}/listen", summary: "Listen in on a call", security: desk,
			errs: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
			desc: "Supervisors (operator and stronger, signed in): sdp is the browser's receive-only WebRTC offer (non-trickle, PCMU audio); the answer sends " +
				"the callee and the agent mixed, as they talk, until the browser closes its connection. 409 unless the call is connected to an agent.", handler: handle(s.listenCall)},
		{id: "get-desk-live", route: "GET /v1/desk/live", summary: "Watch the desk", security: read,
			desc: "Supervisors (operator and stronger): each queue's calls waiting and agents free or busy, every agent's status, and the calls waiting or connected.", handler: handle(s.deskLive)},
	})
}

func (s *Server) desk() *calls.Desk {
	if s.cfg.Desk != nil {
		return s.cfg.Desk
	}
	return &calls.Desk{DB: s.tenants.DB()}
}

func (s *Server) listQueues(ctx context.Context, in *PageInput) (*queuesOutput, error) {
	out := &queuesOutput{}
	err := listPage(s, ctx, *in, func(limit int, after *uuid.UUID) ([]calls.Queue, error) {
		return s.desk().ListQueues(ctx, principal(ctx), limit, after)
	}, func(q *calls.Queue) uuid.UUID { return q.ID }, queueBody, &out.Body.Items, &out.Body.NextCursor)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) createQueue(ctx context.Context, in *createQueueInput) (*output[QueueBody], error) {
	q, err := s.desk().CreateQueue(ctx, principal(ctx), in.Body.input())
	return reply(s, ctx, queueBody, q, err)
}

func (s *Server) getQueue(ctx context.Context, in *queuePath) (*output[QueueBody], error) {
	q, err := s.desk().GetQueue(ctx, principal(ctx), in.QueueID)
	return reply(s, ctx, queueBody, q, err)
}

func (s *Server) updateQueue(ctx context.Context, in *updateQueueInput) (*output[QueueBody], error) {
	q, err := s.desk().UpdateQueue(ctx, principal(ctx), in.QueueID, in.Body.input())
	return reply(s, ctx, queueBody, q, err)
}

func (s *Server) deleteQueue(ctx context.Context, in *queuePath) (*struct{}, error) {
	return nil, s.problem(ctx, s.desk().DeleteQueue(ctx, principal(ctx), in.QueueID))
}

func (s *Server) getDesk(ctx context.Context, _ *struct{}) (*output[DeskBody], error) {
	d, err := s.desk().Me(ctx, principal(ctx))
	return reply(s, ctx, forCaller(ctx, deskBody), d, err)
}

func (s *Server) setDeskStatus(ctx context.Context, in *setDeskStatusInput) (*output[DeskBody], error) {
	d, err := s.desk().SetStatus(ctx, principal(ctx), in.Body.Status)
	return reply(s, ctx, forCaller(ctx, deskBody), d, err)
}

func (s *Server) waitOffer(ctx context.Context, in *waitOfferInput) (*waitOfferOutput, error) {
	o, err := s.desk().WaitOffer(ctx, principal(ctx), time.Duration(in.Wait)*time.Second)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &waitOfferOutput{}
	if o != nil {
		b := offerBody(ctx, o)
		out.Body.Offer = &b
	}
	return out, nil
}

func (s *Server) answerOffer(ctx context.Context, in *answerOfferInput) (*sdpOutput, error) {
	answer, err := s.desk().Answer(ctx, principal(ctx), in.OfferID, in.Body.SDP)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &sdpOutput{}
	out.Body.SDP = answer
	return out, nil
}

func (s *Server) listenCall(ctx context.Context, in *answerOfferInput) (*sdpOutput, error) {
	answer, err := s.desk().Listen(ctx, principal(ctx), in.OfferID, in.Body.SDP)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &sdpOutput{}
	out.Body.SDP = answer
	return out, nil
}

func (s *Server) declineOffer(ctx context.Context, in *offerPath) (*struct{}, error) {
	return nil, s.problem(ctx, s.desk().Decline(ctx, principal(ctx), in.OfferID))
}

func (s *Server) hangupOffer(ctx context.Context, in *offerPath) (*struct{}, error) {
	return nil, s.problem(ctx, s.desk().Hangup(ctx, principal(ctx), in.OfferID))
}

func (s *Server) deskLive(ctx context.Context, _ *struct{}) (*output[DeskLiveBody], error) {
	l, err := s.desk().Live(ctx, principal(ctx))
	return reply(s, ctx, deskLiveBody, l, err)
}
