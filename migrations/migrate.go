// Package migrations holds outcall's database schema as numbered SQL files,
// embedded in the binary, and Up, which brings a database to the newest
// schema: it creates the application role, applies our migrations with tern,
// applies River's own migrations with rivermigrate, and grants the
// application role what it needs. Run it with `outcall migrate`; `outcall dev`
// runs it at every start.
//
// Three roles meet the database. The migrating role (the one in the
// connection URL) owns the tables, and every table with row-level security
// forces it, so the owner too sees only the tenant its setting names. The
// application role, AppRole, owns nothing and cannot bypass row-level
// security; the service switches to it on every connection, so a missing
// tenant setting shows no rows rather than every tenant's rows. DefinerRole
// logs in to nothing and owns only the SECURITY DEFINER functions that must
// read across tenants (finding a credential before its tenant is known, the
// periodic jobs that look for work in every tenant); it bypasses row-level
// security and holds just the table privileges those functions use.
package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// AppRole is the PostgreSQL role the service runs its queries as.
const AppRole = "outcall_app"

// DefinerRole is the PostgreSQL role that owns the SECURITY DEFINER
// functions: NOLOGIN, BYPASSRLS, and granted only what those functions
// read and delete. A migration that adds such a function gives it to this
// role (ALTER FUNCTION … OWNER TO outcall_definer), sets its search_path to
// public, pg_temp, revokes EXECUTE from PUBLIC and grants it to AppRole.
const DefinerRole = "outcall_definer"

//go:embed *.sql
var files embed.FS

// Files returns the embedded SQL migrations.
func Files() fs.FS { return files }

// Up migrates the database at url to the newest schema. It is safe to run
// concurrently and repeatedly: tern and rivermigrate take advisory locks, and
// every step is idempotent.
func Up(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	defer conn.Close(context.Background())

	if err := ensureAppRole(ctx, conn); err != nil {
		return err
	}
	if err := ensureDefinerRole(ctx, conn); err != nil {
		return err
	}

	m, err := migrate.NewMigrator(ctx, conn, "outcall_schema_version")
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	if err := m.LoadMigrations(files); err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}

	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	defer pool.Close()
	rm, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("prepare job queue migrations: %w", err)
	}
	if _, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("apply job queue migrations: %w", err)
	}

	if err := grantAppRole(ctx, conn); err != nil {
		return err
	}
	// The service would refuse to start with an application role that
	// bypasses row-level security; say so now rather than at its start.
	return checkRole(ctx, conn, AppRole)
}

// ensureAppRole creates AppRole once per cluster. Roles are shared by every
// database of a cluster, so two databases migrating at once may race here;
// the loser's duplicate is harmless.
func ensureAppRole(ctx context.Context, conn *pgx.Conn) error {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, AppRole).Scan(&exists); err != nil {
		return fmt.Errorf("look up role %s: %w", AppRole, err)
	}
	if exists {
		return nil
	}
	_, err := conn.Exec(ctx, `CREATE ROLE `+AppRole+` LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42710" || pgErr.Code == "23505") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create role %s (the migrating role needs CREATEROLE, or create it yourself): %w", AppRole, err)
	}
	return nil
}

// ensureDefinerRole creates DefinerRole once per cluster, checks that it is
// what it must be, and makes the migrating role a member of it, which
// moving a function to it (and replacing that function later) requires.
// Only a superuser may create a role with BYPASSRLS (on PostgreSQL 15), so
// a migrating role that is none gets an error saying what to run.
func ensureDefinerRole(ctx context.Context, conn *pgx.Conn) error {
	var me string
	var super bool
	if err := conn.QueryRow(ctx, `SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&me, &super); err != nil {
		return fmt.Errorf("look up the migrating role: %w", err)
	}
	howTo := fmt.Sprintf("as a superuser, run: CREATE ROLE %s NOLOGIN NOSUPERUSER BYPASSRLS; GRANT %s TO %s;",
		DefinerRole, DefinerRole, pgx.Identifier{me}.Sanitize())
	role, err := lookUpRole(ctx, conn, DefinerRole)
	if err != nil {
		return err
	}
	if role == nil {
		_, err := conn.Exec(ctx, `CREATE ROLE `+DefinerRole+` NOLOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE`)
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42710" || pgErr.Code == "23505")) {
			return fmt.Errorf("create role %s, which owns the functions that read across tenants and so must bypass row-level security (%s): %w", DefinerRole, howTo, err)
		}
		if role, err = lookUpRole(ctx, conn, DefinerRole); err != nil {
			return err
		}
		if role == nil {
			return fmt.Errorf("role %s was created but cannot be found", DefinerRole)
		}
	}
	if !role.bypassRLS || role.super || role.login {
		return fmt.Errorf("role %s must be NOLOGIN NOSUPERUSER BYPASSRLS (it is login %v, superuser %v, bypassrls %v): as a superuser, run ALTER ROLE %s NOLOGIN NOSUPERUSER BYPASSRLS",
			DefinerRole, role.login, role.super, role.bypassRLS, DefinerRole)
	}
	if super {
		return nil
	}
	var member bool
	if err := conn.QueryRow(ctx, `SELECT pg_has_role(current_user, $1, 'MEMBER')`, DefinerRole).Scan(&member); err != nil {
		return fmt.Errorf("look up role %s: %w", DefinerRole, err)
	}
	if member {
		return nil
	}
	if _, err := conn.Exec(ctx, `GRANT `+DefinerRole+` TO `+pgx.Identifier{me}.Sanitize()); err != nil {
		return fmt.Errorf("make the migrating role %s a member of %s, which it needs to hand functions to it (%s): %w", me, DefinerRole, howTo, err)
	}
	return nil
}

type roleAttrs struct{ super, bypassRLS, login bool }

// lookUpRole returns name's attributes, or nil when there is no such role.
func lookUpRole(ctx context.Context, conn *pgx.Conn, name string) (*roleAttrs, error) {
	var r roleAttrs
	err := conn.QueryRow(ctx, `SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1`, name).Scan(&r.super, &r.bypassRLS, &r.login)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up role %s: %w", name, err)
	}
	return &r, nil
}

func grantAppRole(ctx context.Context, conn *pgx.Conn) error {
	var db string
	if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		return err
	}
	stmts := []string{
		fmt.Sprintf(`GRANT CONNECT, TEMPORARY ON DATABASE %s TO %s`, pgx.Identifier{db}.Sanitize(), AppRole),
		`GRANT USAGE ON SCHEMA public TO ` + AppRole,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ` + AppRole,
		`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ` + AppRole,
		`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ` + AppRole,
		// The version table is the migrator's business alone.
		`REVOKE ALL ON outcall_schema_version FROM ` + AppRole,
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("grant %s: %s: %w", AppRole, s, err)
		}
	}
	return nil
}
