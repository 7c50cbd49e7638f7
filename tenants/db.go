package tenants

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AppRole is the database role every pooled connection runs as. It matches
// migrations.AppRole; it is repeated here so this package need not import
// the migrations.
const AppRole = "outcall_app"

// DB is outcall's connection pool, running as AppRole.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to the database at url. Whatever role url names, every
// connection switches to AppRole first, so even a superuser URL cannot
// bypass row-level security through this pool.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns()
	}
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		registerUUIDs(conn.TypeMap())
		if conn.Config().User == AppRole {
			return nil
		}
		_, err := conn.Exec(ctx, "SET ROLE "+AppRole)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &DB{pool: pool}, nil
}

// DefaultMaxConns is the pool size when the database URL does not set
// pool_max_conns. pgx's own default (four, or one per CPU) is too small for a
// process whose API requests and job workers share the pool: a few requests
// that each need a second connection could take them all and wait forever.
func DefaultMaxConns() int32 {
	return int32(max(20, 4*runtime.NumCPU()))
}

// Pool returns the underlying pool, for River and for queries that are not
// a tenant's (health checks).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close closes every connection.
func (db *DB) Close() { db.pool.Close() }

// Ping checks that the database answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.pool.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// InTenant runs fn in a transaction that sees only tenantID's rows. It
// commits when fn returns nil and rolls back otherwise, so a failed request
// leaves nothing half-written.
func (db *DB) InTenant(ctx context.Context, tenantID uuid.UUID, fn func(tx pgx.Tx) error) error {
	if tenantID == uuid.Nil {
		return errors.New("tenant-scoped transaction without a tenant")
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := SetTenant(ctx, tx, tenantID); err != nil {
			return err
		}
		return fn(tx)
	})
}

// SetTenant scopes an open transaction to tenantID. Use it where a
// transaction begins elsewhere (a River worker's job transaction, say).
func SetTenant(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	_, err := tx.Exec(ctx, `SELECT set_config('app.tenant_id', $1, true)`, tenantID.String())
	return err
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation on
// the named constraint (any constraint when name is "").
func isUniqueViolation(err error, name string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && (name == "" || pgErr.ConstraintName == name)
}

// PageAfter is the keyset condition of one page of a tenant's rows of
// table, oldest first: the query passes the tenant as $1 and the id of the
// previous page's last row as $2 (NULL for the first page), and orders by
// created_at, id. A row added while a caller pages is never shown twice.
func PageAfter(table string) string {
	return `($2::uuid IS NULL OR (created_at, id) > (SELECT created_at, id FROM ` + table + ` WHERE tenant_id = $1 AND id = $2))`
}

// CollectAll reads every row of rows with scan (the scanning function of
// one table's columns, shared with its single-row reads) and closes rows:
// pgx's CollectRows for scanners that return a pointer.
func CollectAll[T any](rows pgx.Rows, scan func(pgx.Row) (*T, error)) ([]T, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) {
		v, err := scan(row)
		if err != nil {
			var zero T
			return zero, err
		}
		return *v, nil
	})
}

// QueryOne runs query, which returns one row (a SELECT by id, or a write
// with RETURNING), in a transaction of tenantID and reads the row with scan.
// scan says what a missing row means (see NotFound).
func QueryOne[T any](ctx context.Context, db *DB, tenantID uuid.UUID, scan func(pgx.Row) (*T, error), query string, args ...any) (*T, error) {
	var v *T
	err := db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		v, err = scan(tx.QueryRow(ctx, query, args...))
		return err
	})
	return v, err
}

// QueryAll runs query in a transaction of tenantID and reads every row it
// returns with scan.
func QueryAll[T any](ctx context.Context, db *DB, tenantID uuid.UUID, scan func(pgx.Row) (*T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		out, err = CollectAll(rows, scan)
		return err
	})
	return out, err
}

// DeleteByID deletes the row id of table, one of tenantID's, in a
// transaction of tenantID. When the tenant has no such row it returns an
// ENotFound error saying notFound ("trunk not found").
func (db *DB) DeleteByID(ctx context.Context, tenantID uuid.UUID, table string, id uuid.UUID, notFound string) error {
	return db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return &Error{Code: ENotFound, Message: notFound}
		}
		return err
	})
}
