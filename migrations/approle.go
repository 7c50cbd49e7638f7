package migrations

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrBypassesRLS is wrapped by the error CheckAppRole returns for a role
// that row-level security would not hold.
var ErrBypassesRLS = errors.New("the database role bypasses row-level security")

// Querier runs one query: a *pgx.Conn, a *pgxpool.Pool or a pgx.Tx.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// CheckAppRole returns an error wrapping ErrBypassesRLS when the role that
// q's queries run as (current_user: AppRole, on the service's pool) could
// read or write past row-level security: a superuser, a role with
// BYPASSRLS, a member of such a role, or a role with the privileges of the
// owner of a table that has row-level security. The service calls it on its
// pool before it serves; Up calls it for AppRole after migrating.
func CheckAppRole(ctx context.Context, q Querier) error { return checkRole(ctx, q, "") }

// checkRole checks the role name, or current_user when name is "".
func checkRole(ctx context.Context, q Querier, name string) error {
	var role string
	var super, bypass bool
	var via, owns []string
	err := q.QueryRow(ctx, `SELECT r.rolname::text, r.rolsuper, r.rolbypassrls,
			ARRAY(SELECT b.rolname::text FROM pg_roles b
				WHERE b.oid <> r.oid AND (b.rolsuper OR b.rolbypassrls) AND pg_has_role(r.oid, b.oid, 'MEMBER') ORDER BY 1),
			ARRAY(SELECT c.oid::regclass::text FROM pg_class c
				WHERE c.relrowsecurity AND pg_has_role(r.oid, c.relowner, 'USAGE') ORDER BY 1)
		FROM pg_roles r WHERE r.rolname = coalesce(nullif($1, ''), current_user)`, name).Scan(&role, &super, &bypass, &via, &owns)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("role %q does not exist", name)
	}
	if err != nil {
		return fmt.Errorf("look up the database role: %w", err)
	}
	var why []string
	switch {
	case super:
		why = append(why, "it is a superuser")
	default:
		if bypass {
			why = append(why, "it has BYPASSRLS")
		}
		if len(via) > 0 {
			why = append(why, "it is a member of "+strings.Join(via, ", ")+", which bypass row-level security")
		}
		if len(owns) > 0 {
			if len(owns) > 5 {
				owns = append(owns[:5:5], fmt.Sprintf("and %d more", len(owns)-5))
			}
			why = append(why, "it owns (or acts as the owner of) tables with row-level security: "+strings.Join(owns, ", "))
		}
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w: role %s: %s; the service must run as a role that is NOSUPERUSER NOBYPASSRLS, owns no table and is a member of no such role (`outcall migrate` creates %s so)",
		ErrBypassesRLS, role, strings.Join(why, "; "), AppRole)
}
