package api

import (
	"context"
	"time"

	"github.com/google/uuid"
)

type noticesOutput struct {
	Body struct {
		Items []NoticeBody `json:"items"`
	}
}

// NoticeBody is a message to the tenant.
type NoticeBody struct {
	ID        uuid.UUID `json:"id"`
	Kind      string    `json:"kind" example:"webhook endpoint disabled"`
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"created_at"`
}

// registerNotices adds the messages outcall leaves for the tenant; they are
// kept by the webhooks service, which registerWebhooks sets up.
func (s *Server) registerNotices() {
	s.register("Tenants", authErrors, []operation{
		{id: "list-notices", route: "GET /v1/notices", summary: "List notices", security: authenticated,
			desc: "Messages that need the tenant's attention (an endpoint disabled, a payment failed), newest first.", handler: handle(s.listNotices)},
	})
}

func (s *Server) listNotices(ctx context.Context, _ *struct{}) (*noticesOutput, error) {
	list, err := s.cfg.Webhooks.Notices(ctx, principal(ctx), 100)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &noticesOutput{}
	out.Body.Items = make([]NoticeBody, 0, len(list))
	for _, n := range list {
		out.Body.Items = append(out.Body.Items, NoticeBody(n))
	}
	return out, nil
}
