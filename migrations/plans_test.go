package migrations_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/tern/v2/migrate"

	"github.com/outcall/outcall/migrations"
	"github.com/outcall/outcall/migrations/dbtest"
)

// Migration 021 makes plans data without changing any tenant's limits: a
// tenant on a built-in plan keeps it, and one on a plan the code had since
// forgotten (which had the trial's limits) keeps those limits as a plan of
// that name; from then on tenants.plan must name a plan.
func TestMigration021KeepsEveryTenantsPlan(t *testing.T) {
	ctx := context.Background()
	su := dbtest.New(t)
	conn := connect(t, su)
	dbName := "test_plans_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	exec(t, conn, `CREATE DATABASE `+dbName)
	t.Cleanup(func() { conn.Exec(context.Background(), `DROP DATABASE IF EXISTS `+dbName+` WITH (FORCE)`) })
	db := connect(t, withUser(t, su, currentUser(t, conn), dbName))

	m, err := migrate.NewMigrator(ctx, db, "outcall_schema_version")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadMigrations(migrations.Files()); err != nil {
		t.Fatal(err)
	}
	if err := m.MigrateTo(ctx, 20); err != nil {
		t.Fatal(err)
	}
	pro, legacy := uuid.New(), uuid.New()
	exec(t, db, `INSERT INTO tenants (id, name, plan) VALUES ($1, 'On pro', 'pro'), ($2, 'On a retired plan', 'starter-2025')`, pro, legacy)
	if err := m.MigrateTo(ctx, 21); err != nil {
		t.Fatalf("migrate to 021 with a tenant on a retired plan: %v", err)
	}
	var lines, daily, cpu int
	var minutes int64
	err = db.QueryRow(ctx, `SELECT concurrent_lines, daily_calls, script_cpu_ms, included_minutes FROM plans WHERE id = 'starter-2025'`).
		Scan(&lines, &daily, &cpu, &minutes)
	if err != nil || lines != 2 || daily != 200 || cpu != 50 || minutes != 60 {
		t.Fatalf("the retired plan became %d lines, %d calls a day, %d ms, %d minutes (%v); want the trial's limits", lines, daily, cpu, minutes, err)
	}
	var plans []string
	rows, err := db.Query(ctx, `SELECT id FROM plans ORDER BY id`)
	if err == nil {
		plans, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil || strings.Join(plans, ",") != "payg,pro,starter-2025,trial" {
		t.Fatalf("plans %v (%v)", plans, err)
	}
	var forced bool
	if err := db.QueryRow(ctx, `SELECT relforcerowsecurity FROM pg_class WHERE oid = 'tenants'::regclass`).Scan(&forced); err != nil || !forced {
		t.Fatalf("tenants no longer forces row-level security after 021 (%v)", err)
	}
	_, err = db.Exec(ctx, `UPDATE tenants SET plan = 'no-such-plan' WHERE id = $1`, pro)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.Code != "23503" {
		t.Fatalf("tenants.plan set to a name that is no plan: %v, want a foreign key violation", err)
	}
}

func currentUser(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var u string
	if err := conn.QueryRow(context.Background(), `SELECT current_user`).Scan(&u); err != nil {
		t.Fatal(err)
	}
	return u
}
