package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// TrunkBody describes a SIP trunk; its password is never shown.
type TrunkBody struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name" example:"电信中继"`
	Host        string    `json:"host" example:"sip.carrier.example"`
	Port        int       `json:"port" example:"5060" doc:"0: 5060 (5061 for TLS)."`
	Transport   string    `json:"transport" enum:"udp,tcp,tls"`
	Username    string    `json:"username"`
	HasPassword bool      `json:"has_password" doc:"The password is stored encrypted and never shown."`
	FromDomain  string    `json:"from_domain"`
	CallerIDs   []string  `json:"caller_ids" example:"[\"+862150001234\"]" doc:"The numbers shown to callees (number masking); masked (215****1234) for viewers, as transfer targets that are numbers."`
	// TransferTargets: see trunkFields.
	TransferTargets map[string]string `json:"transfer_targets" doc:"Where a script's transfer goes: a script saying transfer: \"agent\" calls the number or SIP URI named agent here."`
	Enabled         bool              `json:"enabled"`
	Priority        int               `json:"priority" doc:"Calls try the tenant's enabled trunks by priority, the lowest first; a call a trunk cannot place (5xx, 408, no answer to the INVITE) goes to the next."`
	Weight          int               `json:"weight" doc:"Among trunks of one priority, calls are spread by weight."`
	MaxCalls        int               `json:"max_calls" doc:"The carrier's cap on the trunk's calls in progress (0: none). A trunk at its cap is passed over for the next; when every trunk is, a call waits up to 30 s for a place."`
	CallsPerSecond  float64           `json:"calls_per_second" doc:"The carrier's cap on new calls per second over the trunk (0: none)."`
	Register        bool              `json:"register" doc:"The workers REGISTER the trunk with its username and password, and renew it halfway through what the carrier grants."`
	RegisteredUntil *time.Time        `json:"registered_until,omitempty" doc:"Until when the carrier granted the last registration; absent when it has not."`
	RegisterDetail  string            `json:"register_detail" doc:"What the carrier last answered a REGISTER (\"registered\", or why not)."`
	LastCheckAt     *time.Time        `json:"last_check_at,omitempty"`
	LastCheckUp     *bool             `json:"last_check_up,omitempty" doc:"Whether the trunk answered the last SIP OPTIONS ping."`
	LastCheck       string            `json:"last_check_detail"`
	CreatedAt       time.Time         `json:"created_at"`
}

func trunkBody(ctx context.Context, t *telephony.StoredTrunk) TrunkBody {
	ids := make([]string, 0, len(t.CallerIDs))
	for _, n := range t.CallerIDs {
		ids = append(ids, showPhone(ctx, n))
	}
	targets := make(map[string]string, len(t.TransferTargets))
	for name, target := range t.TransferTargets {
		if !strings.HasPrefix(target, "sip:") {
			target = showPhone(ctx, target)
		}
		targets[name] = target
	}
	return TrunkBody{ID: t.ID, Name: t.Name, Host: t.Host, Port: t.Port, Transport: t.Transport, Username: t.Username, HasPassword: t.HasPassword,
		FromDomain: t.FromDomain, CallerIDs: ids, TransferTargets: targets, Enabled: t.Enabled, Priority: t.Priority, Weight: t.Weight, MaxCalls: t.MaxCalls, CallsPerSecond: t.CallsPerSecond,
		Register: t.Register, RegisteredUntil: t.RegisteredUntil, RegisterDetail: t.RegisterDetail, LastCheckAt: t.LastCheckAt, LastCheckUp: t.LastCheckUp, LastCheck: t.LastCheck, CreatedAt: t.CreatedAt}
}

type trunkFields struct {
	Name       *string  `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Host       *string  `json:"host,omitempty" minLength:"1" maxLength:"253"`
	Port       *int     `json:"port,omitempty" minimum:"0" maximum:"65535"`
	Transport  *string  `json:"transport,omitempty" enum:"udp,tcp,tls"`
	Username   *string  `json:"username,omitempty" maxLength:"200"`
	Password   *string  `json:"password,omitempty" maxLength:"200" doc:"Digest password; stored encrypted."`
	FromDomain *string  `json:"from_domain,omitempty" maxLength:"253"`
	CallerIDs  []string `json:"caller_ids,omitempty" maxItems:"500"`
	// TransferTargets replaces the whole map when given.
	TransferTargets map[string]string `json:"transfer_targets,omitempty" example:"{\"agent\":\"+862150009999\"}" doc:"Names a script transfers to (transfer: \"agent\"), each a phone number or sip: URI. Replaces the map when given. When the carrier refuses REFER, outcall calls the target itself and bridges the two calls."`
	Enabled         *bool             `json:"enabled,omitempty"`
	Priority        *int              `json:"priority,omitempty" minimum:"0" maximum:"100" doc:"0 (tried first, the default) to 100."`
	Weight          *int              `json:"weight,omitempty" minimum:"1" maximum:"1000" doc:"1 (the default) to 1000."`
	MaxCalls        *int              `json:"max_calls,omitempty" minimum:"0" maximum:"100000" doc:"0 (no cap, the default) to 100000."`
	CallsPerSecond  *float64          `json:"calls_per_second,omitempty" minimum:"0" maximum:"1000" doc:"0 (no cap, the default) to 1000."`
	Register        *bool             `json:"register,omitempty" doc:"Whether the carrier wants the trunk registered (SIP REGISTER); it needs a username."`
}

func (f trunkFields) input() telephony.TrunkInput {
	return telephony.TrunkInput{Name: f.Name, Host: f.Host, Port: f.Port, Transport: f.Transport, Username: f.Username,
		Password: f.Password, FromDomain: f.FromDomain, CallerIDs: f.CallerIDs, TransferTargets: f.TransferTargets, Enabled: f.Enabled,
		Priority: f.Priority, Weight: f.Weight, MaxCalls: f.MaxCalls, CallsPerSecond: f.CallsPerSecond, Register: f.Register}
}

type trunkPath struct {
	TrunkID uuid.UUID `path:"trunk_id" doc:"The trunk's id."`
}

type createTrunkInput struct{ Body trunkFields }

type updateTrunkInput struct {
	TrunkID uuid.UUID `path:"trunk_id" doc:"The trunk's id."`
	Body    trunkFields
}

type trunksOutput struct {
	Body struct {
		Items []TrunkBody `json:"items"`
	}
}

type trunkCheckOutput struct {
	Body struct {
		Up      bool   `json:"up"`
		SIPCode int    `json:"sip_code,omitempty"`
		Detail  string `json:"detail"`
		RTTMS   int64  `json:"rtt_ms"`
	}
}

// registerTrunks adds the operations on the tenant's SIP trunks.
func (s *Server) registerTrunks() {
	read, write := requires("settings:manage"), requires("settings:manage")
	s.register("Trunks", []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusServiceUnavailable}, []operation{
		{id: "list-trunks", route: "GET /v1/trunks", summary: "List SIP trunks", security: read, handler: handle(s.listTrunks)},
		{id: "create-trunk", route: "POST /v1/trunks", status: http.StatusCreated, summary: "Add a SIP trunk", security: write, errs: []int{http.StatusUnprocessableEntity},
			desc: "The tenant's calls try its enabled trunks by priority, spread by weight within a priority, and fail over to the next trunk when a carrier answers 5xx or 408 or not at all; a trunk at its max_calls or calls_per_second is passed over. The password is stored encrypted and never returned. Needs the admin role.", handler: handle(s.createTrunk)},
		{id: "get-trunk", route: "GET /v1/trunks/{trunk_id}", summary: "Get a SIP trunk", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.getTrunk)},
		{id: "update-trunk", route: "PATCH /v1/trunks/{trunk_id}", summary: "Change a SIP trunk", security: write, errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity}, handler: handle(s.updateTrunk)},
		{id: "delete-trunk", route: "DELETE /v1/trunks/{trunk_id}", status: http.StatusNoContent, summary: "Delete a SIP trunk", security: write, errs: []int{http.StatusNotFound}, handler: handle(s.deleteTrunk)},
		{id: "check-trunk", route: "POST /v1/trunks/{trunk_id}/check", summary: "Ping a SIP trunk", security: write, errs: []int{http.StatusNotFound},
			desc: "Sends SIP OPTIONS to the trunk now and records the answer (workers also check every enabled trunk every 5 minutes).", handler: handle(s.checkTrunk)},
	})
}

func (s *Server) listTrunks(ctx context.Context, _ *struct{}) (*trunksOutput, error) {
	st, err := s.trunkStore()
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	list, err := st.List(ctx, principal(ctx))
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &trunksOutput{}
	out.Body.Items = bodies(list, forCaller(ctx, trunkBody))
	return out, nil
}

func (s *Server) createTrunk(ctx context.Context, in *createTrunkInput) (*output[TrunkBody], error) {
	return s.trunkReply(ctx, func(st *telephony.TrunkStore) (*telephony.StoredTrunk, error) {
		return st.Create(ctx, principal(ctx), in.Body.input())
	})
}

func (s *Server) getTrunk(ctx context.Context, in *trunkPath) (*output[TrunkBody], error) {
	return s.trunkReply(ctx, func(st *telephony.TrunkStore) (*telephony.StoredTrunk, error) {
		return st.Get(ctx, principal(ctx), in.TrunkID)
	})
}

func (s *Server) updateTrunk(ctx context.Context, in *updateTrunkInput) (*output[TrunkBody], error) {
	return s.trunkReply(ctx, func(st *telephony.TrunkStore) (*telephony.StoredTrunk, error) {
		return st.Update(ctx, principal(ctx), in.TrunkID, in.Body.input())
	})
}

// trunkReply answers with the trunk do returns from the trunk store, or
// with the problem that trunks being off, or do's error, describes.
func (s *Server) trunkReply(ctx context.Context, do func(*telephony.TrunkStore) (*telephony.StoredTrunk, error)) (*output[TrunkBody], error) {
	st, err := s.trunkStore()
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	t, err := do(st)
	return reply(s, ctx, forCaller(ctx, trunkBody), t, err)
}

func (s *Server) deleteTrunk(ctx context.Context, in *trunkPath) (*struct{}, error) {
	st, err := s.trunkStore()
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return nil, s.problem(ctx, st.Delete(ctx, principal(ctx), in.TrunkID))
}

func (s *Server) checkTrunk(ctx context.Context, in *trunkPath) (*trunkCheckOutput, error) {
	st, err := s.trunkStore()
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	p := principal(ctx)
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, s.problem(ctx, err)
	}
	if _, err := st.Get(ctx, p, in.TrunkID); err != nil {
		return nil, s.problem(ctx, err)
	}
	if s.cfg.TrunkPinger == nil {
		return nil, s.problem(ctx, tenants.Errorf(tenants.EUnavailable, "this process places no calls; the workers check trunks every 5 minutes"))
	}
	h, err := st.Check(ctx, p.TenantID, in.TrunkID, s.cfg.TrunkPinger)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &trunkCheckOutput{}
	out.Body.Up, out.Body.SIPCode, out.Body.Detail, out.Body.RTTMS = h.Up, h.SIPCode, h.Reason, h.RTT.Milliseconds()
	return out, nil
}

// trunkStore returns the trunk store, or the 503 that says why trunks are
// off.
func (s *Server) trunkStore() (*telephony.TrunkStore, error) {
	if s.cfg.Trunks == nil {
		return nil, tenants.Errorf(tenants.EUnavailable, "trunks are off: the service has no secret key to encrypt their passwords (set OUTCALL_SECRET_KEY)")
	}
	return s.cfg.Trunks, nil
}
