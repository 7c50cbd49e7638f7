// Package migrations holds outcall's database schema as numbered SQL files,
// embedded in the binary, and Up, which brings a database to the newest
// schema: it creates the application role, applies our migrations with tern,
// applies River's own migrations with rivermigrate, and grants the
// application role what it needs. Run it with `outcall migrate`; `outcall dev`
// runs it at every start.
//
// Two roles meet the database. The migrating role (the one in the
// connection URL) owns the tables. The application role, AppRole, owns
// nothing and cannot bypass row-level security; the service switches to it
// on every connection, so a missing tenant setting shows no rows rather than
// every tenant's rows.
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

	return grantAppRole(ctx, conn)
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
