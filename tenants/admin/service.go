package admin

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// Options is what a Service is built from. Only DB is required.
type Options struct {
	DB *tenants.DB
	// Now is the clock the audit trail, tokens and usage periods read;
	// nil means time.Now.
	Now func() time.Time
}

// Service holds the operators' operations.
type Service struct {
	db  *tenants.DB
	now func() time.Time
}

// New returns the service o describes.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{db: o.DB, now: o.Now}
}

// DB returns the database the service uses.
func (s *Service) DB() *tenants.DB { return s.db }

// Operator is who acts: a platform-admin token, or a person at the command
// line (which has the database and needs no token).
type Operator struct {
	// TokenID is the token's id; nil for the command line.
	TokenID *uuid.UUID
	// Name says who for the audit trail: "token oca_1a2b3c4d (ops laptop)"
	// or "cli (alice)".
	Name string
}

// CLI is the operator at the command line, named by the system user.
func CLI(user string) Operator {
	if user == "" {
		user = "unknown user"
	}
	return Operator{Name: "cli (" + user + ")"}
}

// operatorKey is the context key of the Operator an admin request acts as.
type operatorKey struct{}

// WithOperator returns ctx carrying op.
func WithOperator(ctx context.Context, op Operator) context.Context {
	return context.WithValue(ctx, operatorKey{}, op)
}

// OperatorFrom returns the Operator ctx carries.
func OperatorFrom(ctx context.Context) (Operator, bool) {
	op, ok := ctx.Value(operatorKey{}).(Operator)
	return op, ok
}

// Audit actions.
const (
	ActionPlanCreate    = "plan.create"
	ActionPlanUpdate    = "plan.update"
	ActionTenantPlan    = "tenant.plan"
	ActionTenantSuspend = "tenant.suspend"
	ActionTenantResume  = "tenant.resume"
	ActionTokenCreate   = "token.create"
	ActionTokenRevoke   = "token.revoke"
	ActionScriptRelease = "script.release"
)

// AuditEntry is one change an operator made.
type AuditEntry struct {
	ID     uuid.UUID
	At     time.Time
	Actor  string
	Action string
	// Plan and TenantID name what the change was about, where it was.
	Plan     *string
	TenantID *uuid.UUID
	// Detail says what changed: a plan's fields before and after, a
	// tenant's previous plan, a suspension's reason.
	Detail json.RawMessage
}

// record writes an audit entry in tx, the transaction that makes the
// change, so the entry exists if and only if the change does.
func (s *Service) record(ctx context.Context, tx pgx.Tx, by Operator, at time.Time, action string, plan *string, tenantID *uuid.UUID, detail any) error {
	if by.Name == "" {
		return errors.New("admin: a change without an operator")
	}
	d, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO admin_audit (id, at, actor, action, plan_id, target_tenant_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		uuid.Must(uuid.NewV7()), at, by.Name, action, plan, tenantID, d)
	return err
}

// Audit returns the audit trail, newest first: all of it, or what was about
// tenantID. after is the id of the last entry of the previous page.
func (s *Service) Audit(ctx context.Context, tenantID, after *uuid.UUID, limit int) ([]AuditEntry, error) {
	rows, err := s.db.Pool().Query(ctx, `SELECT id, at, actor, action, plan_id, target_tenant_id, detail FROM admin_audit
		WHERE ($1::uuid IS NULL OR target_tenant_id = $1)
		  AND ($2::uuid IS NULL OR (at, id) < (SELECT at, id FROM admin_audit WHERE id = $2))
		ORDER BY at DESC, id DESC LIMIT $3`, tenantID, after, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		return e, r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Plan, &e.TenantID, &e.Detail)
	})
}
