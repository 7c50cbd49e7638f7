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

type statusOutput struct {
	Body statusBody
}

func (s *Server) registerSystem() {
	huma.Register(s.api, huma.Operation{
		OperationID: "healthz", Method: http.MethodGet, Path: "/healthz",
		Summary: "Liveness", Description: "Answers 200 while the process serves.", Tags: []string{"System"},
	}, s.healthz)
	huma.Register(s.api, huma.Operation{
		OperationID: "readyz", Method: http.MethodGet, Path: "/readyz",
		Summary: "Readiness", Description: "Answers 200 when the database answers, 503 otherwise.", Tags: []string{"System"},
		Errors: []int{http.StatusServiceUnavailable},
	}, s.readyz)
}

func (s *Server) healthz(ctx context.Context, _ *struct{}) (*statusOutput, error) {
	return &statusOutput{Body: statusBody{Status: "ok"}}, nil
}

func (s *Server) readyz(ctx context.Context, _ *struct{}) (*statusOutput, error) {
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.tenants.DB().Ping(pctx); err != nil {
		s.log.WarnContext(ctx, "database not ready", slog.Any("error", err))
		return nil, huma.NewError(http.StatusServiceUnavailable, "the database does not answer")
	}
	return &statusOutput{Body: statusBody{Status: "ready"}}, nil
}
