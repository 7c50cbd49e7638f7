package contacts_test

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestANumberPutOnTheDoNotCallListRaisesOneWebhookEvent(t *testing.T) {
	w := newWorld(t)
	if _, err := w.svc.AddDNC(w.ctx, w.p, []string{"13812341234"}, "asked by phone"); err != nil {
		t.Fatal(err)
	}
	// Adding it again changes nothing, so raises nothing.
	if _, err := w.svc.AddDNC(w.ctx, w.p, []string{"13812341234"}, "again"); err != nil {
		t.Fatal(err)
	}
	var n int
	var data string
	err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(w.ctx, `SELECT count(*), coalesce(max(data::text), '') FROM webhook_events WHERE type = 'contact.do_not_call'`).Scan(&n, &data)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || !strings.Contains(data, "+8613812341234") || !strings.Contains(data, "asked by phone") {
		t.Fatalf("%d contact.do_not_call events, data %s", n, data)
	}
}
