package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

type statusBody struct {
	Status string `json:"status" example:"ok"`
}

func (s *Server) registerSystem() {
	s.register("System", nil, []operation{
		{id: "healthz", route: "GET /healthz", summary: "Liveness", desc: "Answers 200 while the process serves.", handler: handle(s.healthz)},
		{id: "readyz", route: "GET /readyz", summary: "Readiness", desc: "Answers 200 when the database answers, 503 otherwise.", errs: []int{http.StatusServiceUnavailable}, handler: handle(s.readyz)},
	})
}

func (s *Server) healthz(ctx context.Context, _ *struct{}) (*output[statusBody], error) {
	return &output[statusBody]{Body: statusBody{Status: "ok"}}, nil
}

func (s *Server) readyz(ctx context.Context, _ *struct{}) (*output[statusBody], error) {
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.tenants.DB().Ping(pctx); err != nil {
		s.log.WarnContext(ctx, "database not ready", slog.Any("error", err))
		return nil, huma.NewError(http.StatusServiceUnavailable, "the database does not answer")
	}
	return &output[statusBody]{Body: statusBody{Status: "ready"}}, nil
}
