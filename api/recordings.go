package api

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/tenants"
)

type recordingInput struct {
	CallID uuid.UUID `path:"call_id" doc:"The call's id."`
}

// registerRecordings adds the download of a call's recording.
func (s *Server) registerRecordings() {
	s.register("Calls", authErrors, []operation{
		{id: "get-call-recording", route: "GET /v1/calls/{call_id}/recording", summary: "Download a call's recording", security: requires("calls:read"), errs: []int{http.StatusNotFound},
			more: huma.Operation{Responses: map[string]*huma.Response{"200": {Description: "The recording", Content: map[string]*huma.MediaType{
				"audio/wav": {Schema: &huma.Schema{Type: "string", Format: "binary"}}}}}},
			desc:    "The two-channel WAV recording of the call (left: the robot, right: the callee). Only the call's tenant can fetch it; recordings past the tenant's retention are deleted and answer 404.",
			handler: handle(s.getCallRecording)},
	})
}

func (s *Server) getCallRecording(ctx context.Context, in *recordingInput) (*huma.StreamResponse, error) {
	p := principal(ctx)
	call, err := s.campaigns.GetCall(ctx, p, in.CallID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	if call.RecordingRef == "" || s.cfg.Recordings == nil {
		return nil, s.problem(ctx, tenants.Errorf(tenants.ENotFound, "this call has no recording (not answered, recording off, or past retention)"))
	}
	rc, err := s.cfg.Recordings.Open(ctx, call.RecordingRef)
	if err != nil {
		return nil, s.problem(ctx, tenants.Errorf(tenants.ENotFound, "the recording is no longer stored"))
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		defer rc.Close()
		hctx.SetHeader("Content-Type", "audio/wav")
		hctx.SetHeader("Content-Disposition", `inline; filename="`+call.ID.String()+`.wav"`)
		hctx.SetHeader("Cache-Control", "private, max-age=3600")
		// A known length lets a browser's audio player show the duration.
		if st, ok := rc.(interface{ Size() int64 }); ok {
			hctx.SetHeader("Content-Length", strconv.FormatInt(st.Size(), 10))
		} else if f, ok := rc.(interface{ Stat() (fs.FileInfo, error) }); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				hctx.SetHeader("Content-Length", strconv.FormatInt(fi.Size(), 10))
			}
		}
		io.Copy(hctx.BodyWriter(), rc)
	}}, nil
}
