package billing_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

// BenchmarkReserveDial measures the billing gate every billed dial passes
// (suspension, payment, trial minutes, budget, daily cap), each in its own
// tenant transaction, as the dial check runs it.
func BenchmarkReserveDial(b *testing.B) {
	ctx := context.Background()
	url := dbtest.New(b)
	db, err := tenants.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(ctx)
	ten := uuid.New()
	if _, err := admin.Exec(ctx, `INSERT INTO tenants (id, name, plan) VALUES ($1, 'Bench', 'pro')`, ten); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ResetTimer()
	for b.Loop() {
		err := db.InTenant(ctx, ten, func(tx pgx.Tx) error { return billing.ReserveDial(ctx, tx, ten, now) })
		if err != nil {
			b.Fatal(err)
		}
	}
}
