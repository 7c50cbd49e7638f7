package api

import (
	"context"
	"net/http"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// CallerIDRestBody is a number left out of the tenant's calls for a while.
type CallerIDRestBody struct {
	Until     time.Time `json:"until" doc:"The number is used again from then on."`
	Reason    string    `json:"reason" example:"answered 6% of 48 calls over the last 24 hours, against its own 31% over the week before: likely marked as spam"`
	Automatic bool      `json:"automatic" doc:"Rested by the health check (true) or by hand."`
	CreatedAt time.Time `json:"created_at"`
}

// CallerIDDayBody is one number's calls on one day.
type CallerIDDayBody struct {
	Day     string `json:"day" example:"2026-12-06"`
	Calls   int    `json:"calls" doc:"Calls that reached the network (answered, voicemail, no answer, busy, rejected)."`
	Answers int    `json:"answers" doc:"Calls a person answered."`
}

// CallerIDBody is one caller ID's record.
type CallerIDBody struct {
	Number     string            `json:"number" example:"+862150001234" doc:"Masked (215****1234) for viewers."`
	Days       []CallerIDDayBody `json:"days" doc:"Oldest first, every day present."`
	Calls      int               `json:"calls_24h" doc:"Calls over the last 24 hours that reached the network."`
	Answers    int               `json:"answers_24h"`
	AnswerRate *float64          `json:"answer_rate_24h,omitempty" doc:"answers_24h over calls_24h; absent without calls."`
	Rest       *CallerIDRestBody `json:"rest,omitempty" doc:"Present while the number rests: calls leave it out (unless every number of the trunk rests)."`
}

func callerIDBody(ctx context.Context, h telephony.CallerIDHealth) CallerIDBody {
	b := CallerIDBody{Number: showPhone(ctx, h.Number), Calls: h.Calls, Answers: h.Answers, AnswerRate: h.AnswerRate, Days: make([]CallerIDDayBody, len(h.Days))}
	for i, d := range h.Days {
		b.Days[i] = CallerIDDayBody{Day: d.Day, Calls: d.Calls, Answers: d.Answers}
	}
	if h.Rest != nil {
		b.Rest = restBody(*h.Rest)
	}
	return b
}

func restBody(r telephony.CallerIDRest) *CallerIDRestBody {
	return &CallerIDRestBody{Until: r.Until, Reason: r.Reason, Automatic: r.Automatic, CreatedAt: r.CreatedAt}
}

type callerIDsInput struct {
	Days     int    `query:"days" default:"7" minimum:"1" maximum:"31" doc:"How many days back, today included."`
	TimeZone string `query:"tz" default:"UTC" maxLength:"64" example:"Asia/Shanghai" doc:"The time zone whose days the calls are counted by."`
}

type callerIDsOutput struct {
	Body struct {
		Items []CallerIDBody `json:"items"`
	}
}

type restCallerIDInput struct {
	Body struct {
		Number string `json:"number" minLength:"2" maxLength:"40" example:"+862150001234"`
		Hours  int    `json:"hours" minimum:"1" maximum:"720" example:"72" doc:"How long the number rests: 1 hour to 30 days."`
		Reason string `json:"reason,omitempty" maxLength:"300"`
	}
}

type wakeCallerIDInput struct {
	Body struct {
		Number string `json:"number" minLength:"2" maxLength:"40" example:"+862150001234"`
	}
}

// registerCallerIDs adds the caller IDs' health and rests.
func (s *Server) registerCallerIDs() {
	s.register("Caller IDs", []int{http.StatusUnauthorized, http.StatusForbidden}, []operation{
		{id: "list-caller-ids", route: "GET /v1/caller-ids", summary: "Caller IDs' calls, answer rates and rests", security: requires("calls:read"), errs: []int{http.StatusUnprocessableEntity},
			desc: "Every number of the tenant's trunks and every number its calls went out with: calls and answers by day, the last 24 hours' answer rate, and whether it rests. " +
				"Phone apps mark a number that dials a lot as spam and its answer rate collapses: every ten minutes, a number answered less than half as often as before " +
				"(its own week before, else the tenant's other numbers), over at least 30 calls in a day, is rested for three days.",
			handler: handle(s.listCallerIDs)},
		{id: "rest-caller-id", route: "POST /v1/caller-ids/rest", summary: "Rest a caller ID", security: requires("settings:manage"), errs: []int{http.StatusUnprocessableEntity},
			desc: "Calls leave the number out until the rest ends (while another number of the trunk is awake). Needs the admin role.", handler: handle(s.restCallerID)},
		{id: "wake-caller-id", route: "POST /v1/caller-ids/wake", status: http.StatusNoContent, summary: "Use a resting caller ID again", security: requires("settings:manage"),
			errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity}, desc: "Ends the number's rest now. Needs the admin role.", handler: handle(s.wakeCallerID)},
	})
}

func (s *Server) callerIDs() *telephony.CallerIDs { return &telephony.CallerIDs{DB: s.tenants.DB()} }

func (s *Server) listCallerIDs(ctx context.Context, in *callerIDsInput) (*callerIDsOutput, error) {
	loc, err := time.LoadLocation(in.TimeZone)
	if err != nil || in.TimeZone == "" || in.TimeZone == "Local" {
		return nil, s.problem(ctx, tenants.FieldError("query.tz", "%q is not an IANA time zone such as Asia/Shanghai", in.TimeZone))
	}
	list, err := s.callerIDs().Health(ctx, principal(ctx), in.Days, loc)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &callerIDsOutput{}
	out.Body.Items = make([]CallerIDBody, len(list))
	for i, h := range list {
		out.Body.Items[i] = callerIDBody(ctx, h)
	}
	return out, nil
}

func (s *Server) restCallerID(ctx context.Context, in *restCallerIDInput) (*output[CallerIDRestBody], error) {
	r, err := s.callerIDs().Rest(ctx, principal(ctx), in.Body.Number, time.Duration(in.Body.Hours)*time.Hour, in.Body.Reason)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &output[CallerIDRestBody]{Body: *restBody(*r)}, nil
}

func (s *Server) wakeCallerID(ctx context.Context, in *wakeCallerIDInput) (*struct{}, error) {
	return nil, s.problem(ctx, s.callerIDs().Wake(ctx, principal(ctx), in.Body.Number))
}
