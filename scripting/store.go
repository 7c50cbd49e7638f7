package scripting

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outcall/outcall/tenants"
)

// Store keeps tenants' scripts and their immutable versions in PostgreSQL.
// It checks and simulates scripts through a Runner (a HostPool in the
// service), so tenant code never runs in the API's process.
type Store struct {
	DB     *tenants.DB
	Runner Runner
	// Jobs, when set, queues a RenderPromptsArgs job in the transaction
	// that publishes a version, so its prompts are made in the tenant's
	// voice before its first call; nil leaves them to their first use.
	Jobs JobInserter
}

// JobInserter inserts a River job inside a caller's transaction; a
// *river.Client[pgx.Tx] is one.
type JobInserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// RenderPromptsArgs asks to make a published version's fixed prompts in
// the tenant's voice (jobs/ gives it a worker that calls
// calls.Service.RenderPrompts).
type RenderPromptsArgs struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	VersionID uuid.UUID `json:"version_id"`
}

// Kind names the job.
func (RenderPromptsArgs) Kind() string { return "render_prompts" }

// InsertOpts: a few tries; the prompts are made on first use anyway.
func (RenderPromptsArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

// Runner runs tenant code somewhere safe. *HostPool is one.
type Runner interface {
	Check(ctx context.Context, name, source string) (*Graph, []Diagnostic, error)
	Segment(ctx context.Context, name, source string, contacts []Contact) ([]SegmentResult, []Diagnostic, error)
	Simulate(ctx context.Context, name, source string, contact Contact, utterances []string, opts SessionOptions, model Model, fetch Fetcher) (*Transcript, []Diagnostic, error)
}

// Script kinds.
const (
	KindDialog  = "dialog"
	KindSegment = "segment"
)

// MaxSourceBytes caps a script's source.
const MaxSourceBytes = 256 << 10

// StoredScript is a tenant's script.
type StoredScript struct {
	ID          uuid.UUID
	Name        string
	Kind        string
	Description string
	CreatedAt   time.Time
	// Latest and Published are version numbers (0: none).
	Latest, Published int
}

// StoredVersion is one immutable version of a script.
type StoredVersion struct {
	ID          uuid.UUID
	ScriptID    uuid.UUID
	Number      int
	Source      string
	Hash        string
	Graph       *Graph
	Warnings    []Diagnostic
	PublishedAt *time.Time
	CreatedAt   time.Time
}

// DiagnosticsError is a script that cannot be saved or published, with
// every finding at its line and column.
type DiagnosticsError struct {
	Message     string
	Diagnostics []Diagnostic
}

func (e *DiagnosticsError) Error() string {
	parts := make([]string, 0, len(e.Diagnostics))
	for _, d := range e.Diagnostics {
		parts = append(parts, d.String())
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

const scriptColumns = `s.id, s.name, s.kind, s.description, s.created_at,
	coalesce((SELECT max(number) FROM script_versions v WHERE v.script_id = s.id), 0),
	coalesce((SELECT max(number) FROM script_versions v WHERE v.script_id = s.id AND v.published_at IS NOT NULL), 0)`

func scanScript(row pgx.Row) (*StoredScript, error) {
	s := &StoredScript{}
	if err := row.Scan(&s.ID, &s.Name, &s.Kind, &s.Description, &s.CreatedAt, &s.Latest, &s.Published); err != nil {
		return nil, tenants.NotFound(err, "script not found")
	}
	return s, nil
}

const versionColumns = `id, script_id, number, source, hash, graph, warnings, published_at, created_at`

func scanVersion(row pgx.Row) (*StoredVersion, error) {
	v := &StoredVersion{}
	var graph, warnings []byte
	if err := row.Scan(&v.ID, &v.ScriptID, &v.Number, &v.Source, &v.Hash, &graph, &warnings, &v.PublishedAt, &v.CreatedAt); err != nil {
		return nil, tenants.NotFound(err, "script version not found")
	}
	if graph != nil {
		v.Graph = &Graph{}
		if err := json.Unmarshal(graph, v.Graph); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal(warnings, &v.Warnings); err != nil {
		return nil, err
	}
	return v, nil
}

// CreateScript makes an empty script; versions hold its source.
func (st *Store) CreateScript(ctx context.Context, p tenants.Principal, name, kind, description string) (*StoredScript, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, tenants.FieldError("body.name", "the script needs a name")
	}
	if kind == "" {
		kind = KindDialog
	}
	if kind != KindDialog && kind != KindSegment {
		return nil, tenants.FieldError("body.kind", "unknown kind %q (want dialog or segment)", kind)
	}
	var s *StoredScript
	err := st.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		id := uuid.New()
		if _, err := tx.Exec(ctx, `INSERT INTO scripts (id, tenant_id, name, kind, description) VALUES ($1, $2, $3, $4, $5)`, id, p.TenantID, name, kind, description); err != nil {
			return err
		}
		s, err = scanScript(tx.QueryRow(ctx, `SELECT `+scriptColumns+` FROM scripts s WHERE s.tenant_id = $1 AND s.id = $2`, p.TenantID, id))
		return err
	})
	return s, err
}

// ListScripts returns the tenant's scripts, oldest first.
func (st *Store) ListScripts(ctx context.Context, p tenants.Principal, kind string, limit int, after *uuid.UUID) ([]StoredScript, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	return tenants.QueryAll(ctx, st.DB, p.TenantID, scanScript, `SELECT `+scriptColumns+` FROM scripts s
		WHERE s.tenant_id = $1 AND ($2 = '' OR s.kind = $2)
		  AND ($3::uuid IS NULL OR (s.created_at, s.id) > (SELECT created_at, id FROM scripts WHERE tenant_id = $1 AND id = $3))
		ORDER BY s.created_at, s.id LIMIT $4`, p.TenantID, kind, after, limit)
}

// GetScript returns one script.
func (st *Store) GetScript(ctx context.Context, p tenants.Principal, id uuid.UUID) (*StoredScript, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	return tenants.QueryOne(ctx, st.DB, p.TenantID, scanScript, `SELECT `+scriptColumns+` FROM scripts s WHERE s.tenant_id = $1 AND s.id = $2`, p.TenantID, id)
}

// Check validates source of kind without saving it: the dialog graph (for
// dialog scripts) and every finding with line and column.
func (st *Store) Check(ctx context.Context, kind, source string) (*Graph, []Diagnostic, error) {
	if len(source) > MaxSourceBytes {
		return nil, nil, tenants.FieldError("body.source", "the script is %d bytes; the limit is %d", len(source), MaxSourceBytes)
	}
	if st.Runner == nil {
		return nil, nil, tenants.Errorf(tenants.EUnavailable, "script checking is not available")
	}
	if kind == KindSegment {
		_, ds, err := st.Runner.Segment(ctx, "segment.js", source, nil)
		return nil, ds, err
	}
	return st.Runner.Check(ctx, "script.js", source)
}

// CreateVersion checks source and saves it as the script's next version.
// A script with errors is refused with every finding; warnings are kept on
// the version.
func (st *Store) CreateVersion(ctx context.Context, p tenants.Principal, scriptID uuid.UUID, source string) (*StoredVersion, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return nil, err
	}
	script, err := st.GetScript(ctx, p, scriptID)
	if err != nil {
		return nil, err
	}
	graph, ds, err := st.Check(ctx, script.Kind, source)
	if err != nil && !HasErrors(ds) {
		return nil, err
	}
	if HasErrors(ds) {
		return nil, &DiagnosticsError{Message: "the script has errors", Diagnostics: ds}
	}
	var graphJSON []byte
	if graph != nil {
		if graphJSON, err = json.Marshal(graph); err != nil {
			return nil, err
		}
	}
	warnings, _ := json.Marshal(orNoDiagnostics(ds))
	var v *StoredVersion
	err = st.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		// Lock the script so two saves get consecutive numbers.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM scripts WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, p.TenantID, scriptID); err != nil {
			return err
		}
		v, err = scanVersion(tx.QueryRow(ctx, `INSERT INTO script_versions (id, tenant_id, script_id, number, source, hash, graph, warnings, created_by)
			VALUES ($1, $2, $3, (SELECT coalesce(max(number), 0) + 1 FROM script_versions WHERE script_id = $3), $4, $5, $6, $7, $8)
			RETURNING `+versionColumns, uuid.New(), p.TenantID, scriptID, source, Version(source), graphJSON, warnings, p.UserID))
		return err
	})
	return v, err
}

func orNoDiagnostics(ds []Diagnostic) []Diagnostic {
	if ds == nil {
		return []Diagnostic{}
	}
	return ds
}

// ListVersions returns a script's versions, newest first, without sources.
func (st *Store) ListVersions(ctx context.Context, p tenants.Principal, scriptID uuid.UUID) ([]StoredVersion, error) {
	if _, err := st.GetScript(ctx, p, scriptID); err != nil {
		return nil, err
	}
	out, err := tenants.QueryAll(ctx, st.DB, p.TenantID, scanVersion,
		`SELECT `+versionColumns+` FROM script_versions WHERE tenant_id = $1 AND script_id = $2 ORDER BY number DESC LIMIT 500`, p.TenantID, scriptID)
	for i := range out {
		out[i].Source = "" // the list shows versions, not their sources
	}
	return out, err
}

// GetVersion returns one version with its source and graph.
func (st *Store) GetVersion(ctx context.Context, p tenants.Principal, scriptID uuid.UUID, number int) (*StoredVersion, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	return tenants.QueryOne(ctx, st.DB, p.TenantID, scanVersion,
		`SELECT `+versionColumns+` FROM script_versions WHERE tenant_id = $1 AND script_id = $2 AND number = $3`, p.TenantID, scriptID, number)
}

// Publish makes a version usable by campaigns. Every fixed `say` text is
// checked against the tenant's sensitive words first: a hit refuses the
// publish with the state and line, or, when allowSensitive, is returned as
// warnings and the version is published anyway.
func (st *Store) Publish(ctx context.Context, p tenants.Principal, scriptID uuid.UUID, number int, sensitiveWords []string, allowSensitive bool) (*StoredVersion, []Diagnostic, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, nil, err
	}
	v, err := st.GetVersion(ctx, p, scriptID, number)
	if err != nil {
		return nil, nil, err
	}
	hits := SensitiveSaysInGraph(v.Graph, sensitiveWords, allowSensitive)
	if len(hits) > 0 && !allowSensitive {
		return nil, hits, &DiagnosticsError{Message: "fixed prompts contain sensitive words; change them or allow sensitive prompts", Diagnostics: hits}
	}
	err = st.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		v, err = scanVersion(tx.QueryRow(ctx, `UPDATE script_versions SET published_at = coalesce(published_at, now())
			WHERE tenant_id = $1 AND script_id = $2 AND number = $3 RETURNING `+versionColumns, p.TenantID, scriptID, number))
		if err != nil || st.Jobs == nil || v.Graph == nil {
			return err
		}
		_, err = st.Jobs.InsertTx(ctx, tx, RenderPromptsArgs{TenantID: p.TenantID, VersionID: v.ID}, nil)
		return err
	})
	return v, hits, err
}

// SensitiveSaysInGraph finds sensitive words in the fixed prompts of a
// dialog graph, as errors (or warnings when allow) at each state's line.
func SensitiveSaysInGraph(g *Graph, words []string, allow bool) []Diagnostic {
	if g == nil {
		return nil
	}
	if words == nil {
		words = DefaultSensitiveWords
	}
	sev := "error"
	if allow {
		sev = "warning"
	}
	var out []Diagnostic
	for _, s := range g.States {
		texts := append([]string{s.Say}, s.SayTexts...)
		for _, w := range words {
			for _, text := range texts {
				if w != "" && strings.Contains(text, w) {
					out = append(out, Diagnostic{Severity: sev, Line: s.Line, Column: 1, State: s.Name,
						Message: fmt.Sprintf("state %q says the sensitive word %q", s.Name, w)})
					break
				}
			}
		}
	}
	return out
}

// Simulate runs a conversation with a saved version, in a script host;
// with the tenant's model and endpoints (nil: none), as a call would.
func (st *Store) Simulate(ctx context.Context, p tenants.Principal, scriptID uuid.UUID, number int, contact Contact, utterances []string, opts SessionOptions, model Model, fetch Fetcher) (*Transcript, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	v, err := st.GetVersion(ctx, p, scriptID, number)
	if err != nil {
		return nil, err
	}
	if v.Graph == nil {
		return nil, tenants.Errorf(tenants.EInvalid, "only dialog scripts can be simulated")
	}
	if st.Runner == nil {
		return nil, tenants.Errorf(tenants.EUnavailable, "script simulation is not available")
	}
	tr, ds, err := st.Runner.Simulate(ctx, "script.js", v.Source, contact, utterances, opts, model, fetch)
	if HasErrors(ds) {
		return nil, &DiagnosticsError{Message: "the script failed", Diagnostics: ds}
	}
	return tr, err
}

// PublishedSource returns the source of a published version by its id, for
// the workers that run calls.
func (st *Store) PublishedSource(ctx context.Context, tenantID, versionID uuid.UUID) (*StoredVersion, error) {
	return tenants.QueryOne(ctx, st.DB, tenantID, scanVersion,
		`SELECT `+versionColumns+` FROM script_versions WHERE tenant_id = $1 AND id = $2 AND published_at IS NOT NULL`, tenantID, versionID)
}
