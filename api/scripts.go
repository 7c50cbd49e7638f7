package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
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

type versionOutput struct {
	Body VersionBody
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

type simulateOutput struct {
	Body *scripting.Transcript
}

// registerScripts adds the operations on scripts and their versions:
// checking, saving, publishing and simulating.
func (s *Server) registerScripts() {
	tags := []string{"Scripts"}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}
	read, write := requires("scripts:read"), requires("scripts:write")

	huma.Register(s.api, huma.Operation{
		OperationID: "check-script", Method: http.MethodPost, Path: "/v1/scripts/check",
		Summary: "Check a script without saving it", Tags: tags, Security: read,
		Description: "Validates a dialog script or segmentation rules: syntax errors and bad references with line and column, unreachable states as warnings, and the dialog graph.",
		Errors:      append(errs, http.StatusUnprocessableEntity),
	}, s.checkScript)

	huma.Register(s.api, huma.Operation{
		OperationID: "create-script", Method: http.MethodPost, Path: "/v1/scripts", DefaultStatus: http.StatusCreated,
		Summary: "Create a script", Tags: tags, Security: write,
		Description: "Creates a dialog script or segmentation rules, and with a source saves version 1 (refused with line:column diagnostics when the source has errors; then nothing is created).",
		Errors:      append(errs, http.StatusUnprocessableEntity),
	}, s.createScript)

	huma.Register(s.api, huma.Operation{
		OperationID: "list-scripts", Method: http.MethodGet, Path: "/v1/scripts",
		Summary: "List scripts", Tags: tags, Security: read, Errors: append(errs, http.StatusUnprocessableEntity),
	}, s.listScripts)

	huma.Register(s.api, huma.Operation{
		OperationID: "get-script", Method: http.MethodGet, Path: "/v1/scripts/{script_id}",
		Summary: "Get a script", Tags: tags, Security: read, Errors: append(errs, http.StatusNotFound),
	}, s.getScript)

	huma.Register(s.api, huma.Operation{
		OperationID: "create-script-version", Method: http.MethodPost, Path: "/v1/scripts/{script_id}/versions", DefaultStatus: http.StatusCreated,
		Summary: "Save a new version", Tags: tags, Security: write,
		Description: "Checks the source and saves it as the next, immutable version. Errors are refused with line:column diagnostics; warnings are kept on the version.",
		Errors:      append(errs, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, s.createScriptVersion)

	huma.Register(s.api, huma.Operation{
		OperationID: "list-script-versions", Method: http.MethodGet, Path: "/v1/scripts/{script_id}/versions",
		Summary: "List a script's versions", Tags: tags, Security: read, Errors: append(errs, http.StatusNotFound),
	}, s.listScriptVersions)

	huma.Register(s.api, huma.Operation{
		OperationID: "get-script-version", Method: http.MethodGet, Path: "/v1/scripts/{script_id}/versions/{version}",
		Summary: "Get a version with its source and graph", Tags: tags, Security: read, Errors: append(errs, http.StatusNotFound),
	}, s.getScriptVersion)

	huma.Register(s.api, huma.Operation{
		OperationID: "publish-script-version", Method: http.MethodPost, Path: "/v1/scripts/{script_id}/versions/{version}/publish",
		Summary: "Publish a version", Tags: tags, Security: write,
		Description: "Makes the version usable by campaigns, after checking every fixed prompt against the tenant's sensitive words (refused with state and line unless allow_sensitive). Needs the admin role.",
		Errors:      append(errs, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, s.publishScriptVersion)

	huma.Register(s.api, huma.Operation{
		OperationID: "simulate-script-version", Method: http.MethodPost, Path: "/v1/scripts/{script_id}/versions/{version}/simulate",
		Summary: "Talk to a script", Tags: tags, Security: read,
		Description: "Runs a conversation with the version in the sandbox: one turn per utterance (greeting first) with state, what the robot says, the intent, confidence, runner-up and sentiment, and the outcome when the call ends.",
		Errors:      append(errs, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, s.simulateScriptVersion)
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
	after, err := in.after()
	if err != nil {
		return nil, err
	}
	list, err := s.scripts.ListScripts(ctx, principal(ctx), in.Kind, in.limit(), after)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &listScriptsOutput{}
	out.Body.Items, out.Body.NextCursor = page(list, in.limit(), func(x *scripting.StoredScript) uuid.UUID { return x.ID }, scriptBody)
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

func (s *Server) createScriptVersion(ctx context.Context, in *createVersionInput) (*versionOutput, error) {
	v, err := s.scripts.CreateVersion(ctx, principal(ctx), in.ScriptID, in.Body.Source)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &versionOutput{Body: versionBody(v)}, nil
}

func (s *Server) listScriptVersions(ctx context.Context, in *scriptPath) (*versionsOutput, error) {
	list, err := s.scripts.ListVersions(ctx, principal(ctx), in.ScriptID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &versionsOutput{}
	out.Body.Items = make([]VersionBody, 0, len(list))
	for i := range list {
		out.Body.Items = append(out.Body.Items, versionBody(&list[i]))
	}
	return out, nil
}

func (s *Server) getScriptVersion(ctx context.Context, in *versionPath) (*versionOutput, error) {
	v, err := s.scripts.GetVersion(ctx, principal(ctx), in.ScriptID, in.Version)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &versionOutput{Body: versionBody(v)}, nil
}

func (s *Server) publishScriptVersion(ctx context.Context, in *publishInput) (*versionOutput, error) {
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
	return &versionOutput{Body: body}, nil
}

func (s *Server) simulateScriptVersion(ctx context.Context, in *simulateInput) (*simulateOutput, error) {
	opts := scripting.SessionOptions{Segment: in.Body.Segment}
	if s.campaigns != nil {
		if comp, err := s.campaigns.Compliance(ctx, principal(ctx)); err == nil {
			opts.SensitiveWords = comp.SensitiveWords
		}
	}
	tr, err := s.scripts.Simulate(ctx, principal(ctx), in.ScriptID, in.Version, scripting.Contact(in.Body.Contact), in.Body.Utterances, opts)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &simulateOutput{Body: tr}, nil
}
