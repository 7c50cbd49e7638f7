package api

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/scripting"
)

// ScriptBody describes a script.
type ScriptBody struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name" example:"订单确认"`
	Kind        string    `json:"kind" enum:"dialog,segment"`
	Description string    `json:"description"`
	Latest      int       `json:"latest_version" doc:"The newest version's number; 0 before the first save."`
	Published   int       `json:"published_version" doc:"The newest published version's number; 0 when none is."`
	CreatedAt   time.Time `json:"created_at"`
}

func scriptBody(s *scripting.StoredScript) ScriptBody {
	return ScriptBody{ID: s.ID, Name: s.Name, Kind: s.Kind, Description: s.Description, Latest: s.Latest, Published: s.Published, CreatedAt: s.CreatedAt}
}

// VersionBody describes a script version.
type VersionBody struct {
	ID          uuid.UUID              `json:"id" doc:"Pin this id in a campaign's script_version."`
	ScriptID    uuid.UUID              `json:"script_id"`
	Number      int                    `json:"number"`
	Source      string                 `json:"source,omitempty" doc:"The JavaScript source (left out of lists)."`
	Hash        string                 `json:"hash"`
	Graph       *scripting.Graph       `json:"graph,omitempty" doc:"The dialog's states and edges."`
	Warnings    []scripting.Diagnostic `json:"warnings"`
	PublishedAt *time.Time             `json:"published_at,omitempty"`
	CreatedAt   time.Time              `json:"created_at"`
}

func versionBody(v *scripting.StoredVersion) VersionBody {
	w := v.Warnings
	if w == nil {
		w = []scripting.Diagnostic{}
	}
	return VersionBody{ID: v.ID, ScriptID: v.ScriptID, Number: v.Number, Source: v.Source, Hash: v.Hash, Graph: v.Graph, Warnings: w, PublishedAt: v.PublishedAt, CreatedAt: v.CreatedAt}
}

type scriptPath struct {
	ScriptID uuid.UUID `path:"script_id" doc:"The script's id."`
}

type versionPath struct {
	ScriptID uuid.UUID `path:"script_id" doc:"The script's id."`
	Version  int       `path:"version" minimum:"1" doc:"The version's number."`
}

type createScriptInput struct {
	Body struct {
		Name        string `json:"name" minLength:"1" maxLength:"200" example:"订单确认"`
		Kind        string `json:"kind,omitempty" enum:"dialog,segment" default:"dialog"`
		Description string `json:"description,omitempty" maxLength:"2000"`
		Source      string `json:"source,omitempty" maxLength:"262144" doc:"Save this as version 1 right away."`
	}
}

type scriptOutput struct {
	Body struct {
		ScriptBody
		Version *VersionBody `json:"version,omitempty" doc:"Version 1, when a source was given."`
	}
}

type listScriptsInput struct {
	PageInput
	Kind string `query:"kind" enum:"dialog,segment," doc:"Only scripts of this kind."`
}

type listScriptsOutput struct {
	Body struct {
		Items      []ScriptBody `json:"items"`
		NextCursor string       `json:"next_cursor"`
	}
}

type sourceInput struct {
	Body struct {
		Source string `json:"source" minLength:"1" maxLength:"262144" example:"export default { start: \"greeting\", states: { greeting: { say: \"您好\", end: \"done\" } } };"`
	}
}

// createVersionInput is an alias of an unnamed struct, not a type of its
// own: huma names the body schema of an unnamed input after the operation
// (Create-script-versionRequest), the name the published document and its
// clients use.
type createVersionInput = struct {
	ScriptID uuid.UUID `path:"script_id" doc:"The script's id."`
	sourceInput
}

type checkInput struct {
	Body struct {
		Kind   string `json:"kind,omitempty" enum:"dialog,segment" default:"dialog"`
		Source string `json:"source" minLength:"1" maxLength:"262144"`
	}
}

type checkOutput struct {
	Body struct {
		OK          bool                   `json:"ok" doc:"True when the script has no errors (it may have warnings)."`
		Diagnostics []scripting.Diagnostic `json:"diagnostics"`
		Graph       *scripting.Graph       `json:"graph,omitempty"`
	}
}

type versionsOutput struct {
	Body struct {
		Items []VersionBody `json:"items"`
	}
}

type publishInput struct {
	ScriptID uuid.UUID `path:"script_id" doc:"The script's id."`
	Version  int       `path:"version" minimum:"1" doc:"The version's number."`
	Body     *struct {
		AllowSensitive bool `json:"allow_sensitive,omitempty" doc:"Publish even when fixed prompts contain the tenant's sensitive words (they come back as warnings)."`
	}
}

type simulateInput struct {
	ScriptID uuid.UUID `path:"script_id" doc:"The script's id."`
	Version  int       `path:"version" minimum:"1" doc:"The version's number."`
	Body     struct {
		Contact    map[string]any `json:"contact,omitempty" doc:"The contact's fields, as c.contact sees them." example:"{\"name\":\"王先生\",\"vip\":true}"`
		Utterances []string       `json:"utterances" maxItems:"50" example:"[\"是的\",\"明天吧\"]" doc:"What the callee says, turn by turn."`
		Segment    string         `json:"segment,omitempty" maxLength:"100"`
	}
}

// registerScripts adds the operations on scripts and their versions:
// checking, saving, publishing and simulating.
func (s *Server) registerScripts() {
	read, write := requires("scripts:read"), requires("scripts:write")
	s.register("Scripts", authErrors, []operation{
		{id: "check-script", route: "POST /v1/scripts/check", summary: "Check a script without saving it", security: read, errs: []int{http.StatusUnprocessableEntity},
			desc: "Validates a dialog script or segmentation rules: syntax errors and bad references with line and column, unreachable states as warnings, and the dialog graph.", handler: handle(s.checkScript)},
		{id: "create-script", route: "POST /v1/scripts", status: http.StatusCreated, summary: "Create a script", security: write, errs: []int{http.StatusUnprocessableEntity},
			desc: "Creates a dialog script or segmentation rules, and with a source saves version 1 (refused with line:column diagnostics when the source has errors; then nothing is created).", handler: handle(s.createScript)},
		{id: "list-scripts", route: "GET /v1/scripts", summary: "List scripts", security: read, errs: []int{http.StatusUnprocessableEntity}, handler: handle(s.listScripts)},
		{id: "get-script", route: "GET /v1/scripts/{script_id}", summary: "Get a script", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.getScript)},
		{id: "create-script-version", route: "POST /v1/scripts/{script_id}/versions", status: http.StatusCreated, summary: "Save a new version", security: write, errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
			desc: "Checks the source and saves it as the next, immutable version. Errors are refused with line:column diagnostics; warnings are kept on the version.", handler: handle(s.createScriptVersion)},
		{id: "list-script-versions", route: "GET /v1/scripts/{script_id}/versions", summary: "List a script's versions", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.listScriptVersions)},
		{id: "get-script-version", route: "GET /v1/scripts/{script_id}/versions/{version}", summary: "Get a version with its source and graph", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.getScriptVersion)},
		{id: "publish-script-version", route: "POST /v1/scripts/{script_id}/versions/{version}/publish", summary: "Publish a version", security: write, errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
			desc: "Makes the version usable by campaigns, after checking every fixed prompt against the tenant's sensitive words (refused with state and line unless allow_sensitive). Needs the admin role.", handler: handle(s.publishScriptVersion)},
		{id: "simulate-script-version", route: "POST /v1/scripts/{script_id}/versions/{version}/simulate", summary: "Talk to a script", security: read, errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
			desc: "Runs a conversation with the version in the sandbox: one turn per utterance (greeting first) with state, what the robot says, the intent, confidence, runner-up and sentiment, and the outcome when the call ends.", handler: handle(s.simulateScriptVersion)},
	})
}

func (s *Server) checkScript(ctx context.Context, in *checkInput) (*checkOutput, error) {
	g, ds, err := s.scripts.Check(ctx, in.Body.Kind, in.Body.Source)
	if err != nil && !scripting.HasErrors(ds) {
		return nil, s.problem(ctx, err)
	}
	out := &checkOutput{}
	out.Body.OK = !scripting.HasErrors(ds)
	out.Body.Diagnostics = ds
	if out.Body.Diagnostics == nil {
		out.Body.Diagnostics = []scripting.Diagnostic{}
	}
	out.Body.Graph = g
	return out, nil
}

func (s *Server) createScript(ctx context.Context, in *createScriptInput) (*scriptOutput, error) {
	p := principal(ctx)
	if in.Body.Source != "" {
		// Check first, so a bad source creates nothing.
		if _, ds, err := s.scripts.Check(ctx, in.Body.Kind, in.Body.Source); scripting.HasErrors(ds) {
			return nil, s.problem(ctx, &scripting.DiagnosticsError{Message: "the script has errors", Diagnostics: ds})
		} else if err != nil {
			return nil, s.problem(ctx, err)
		}
	}
	sc, err := s.scripts.CreateScript(ctx, p, in.Body.Name, in.Body.Kind, in.Body.Description)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &scriptOutput{}
	if in.Body.Source != "" {
		v, err := s.scripts.CreateVersion(ctx, p, sc.ID, in.Body.Source)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		vb := versionBody(v)
		out.Body.Version = &vb
		sc.Latest = v.Number
	}
	out.Body.ScriptBody = scriptBody(sc)
	return out, nil
}

func (s *Server) listScripts(ctx context.Context, in *listScriptsInput) (*listScriptsOutput, error) {
	out := &listScriptsOutput{}
	scripts := func(limit int, after *uuid.UUID) ([]scripting.StoredScript, error) {
		return s.scripts.ListScripts(ctx, principal(ctx), in.Kind, limit, after)
	}
	if err := listPage(s, ctx, in.PageInput, scripts, func(x *scripting.StoredScript) uuid.UUID { return x.ID }, scriptBody, &out.Body.Items, &out.Body.NextCursor); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) getScript(ctx context.Context, in *scriptPath) (*scriptOutput, error) {
	sc, err := s.scripts.GetScript(ctx, principal(ctx), in.ScriptID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &scriptOutput{}
	out.Body.ScriptBody = scriptBody(sc)
	return out, nil
}

func (s *Server) createScriptVersion(ctx context.Context, in *createVersionInput) (*output[VersionBody], error) {
	v, err := s.scripts.CreateVersion(ctx, principal(ctx), in.ScriptID, in.Body.Source)
	return reply(s, ctx, versionBody, v, err)
}

func (s *Server) listScriptVersions(ctx context.Context, in *scriptPath) (*versionsOutput, error) {
	list, err := s.scripts.ListVersions(ctx, principal(ctx), in.ScriptID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &versionsOutput{}
	out.Body.Items = bodies(list, versionBody)
	return out, nil
}

func (s *Server) getScriptVersion(ctx context.Context, in *versionPath) (*output[VersionBody], error) {
	v, err := s.scripts.GetVersion(ctx, principal(ctx), in.ScriptID, in.Version)
	return reply(s, ctx, versionBody, v, err)
}

func (s *Server) publishScriptVersion(ctx context.Context, in *publishInput) (*output[VersionBody], error) {
	p := principal(ctx)
	var words []string
	if s.campaigns != nil {
		comp, err := s.campaigns.Compliance(ctx, p)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		words = comp.SensitiveWords
	}
	allow := in.Body != nil && in.Body.AllowSensitive
	v, hits, err := s.scripts.Publish(ctx, p, in.ScriptID, in.Version, words, allow)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	body := versionBody(v)
	body.Warnings = append(body.Warnings, hits...)
	return &output[VersionBody]{Body: body}, nil
}

func (s *Server) simulateScriptVersion(ctx context.Context, in *simulateInput) (*output[*scripting.Transcript], error) {
	opts := scripting.SessionOptions{Segment: in.Body.Segment}
	if s.campaigns != nil {
		if comp, err := s.campaigns.Compliance(ctx, principal(ctx)); err == nil {
			opts.SensitiveWords = comp.SensitiveWords
		}
	}
	// The tenant's language model answers the simulation's llm states as
	// it would a call's; a model that cannot be read leaves it out.
	model, err := s.cfg.Models.For(ctx, principal(ctx).TenantID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	// Its http states call the tenant's endpoints for real, as a call's do.
	fetch := s.cfg.Endpoints.For(principal(ctx).TenantID)
	tr, err := s.scripts.Simulate(ctx, principal(ctx), in.ScriptID, in.Version, scripting.Contact(in.Body.Contact), in.Body.Utterances, opts, model, fetch)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &output[*scripting.Transcript]{Body: tr}, nil
}
