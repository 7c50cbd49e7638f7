package tenants_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

func TestThePoolIsSizedForAPIAndWorkersUnlessTheURLSaysOtherwise(t *testing.T) {
	ctx := context.Background()
	url := dbtest.New(t)
	db, err := tenants.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, want := db.Pool().Config().MaxConns, tenants.DefaultMaxConns(); got != want || got < 20 {
		t.Errorf("default pool: %d connections, want %d (at least 20)", got, want)
	}

	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	small, err := tenants.Open(ctx, url+sep+"pool_max_conns=3")
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	if got := small.Pool().Config().MaxConns; got != 3 {
		t.Errorf("pool_max_conns=3 in the URL gave %d connections", got)
	}
}

// Ids travel as the 16 bytes they are, one by one, in arrays and back, and
// a NULL reads as no id: the zero UUID, or a nil pointer.
func TestUUIDsRoundTripThroughThePool(t *testing.T) {
	ctx := context.Background()
	db, err := tenants.Open(ctx, dbtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, b := uuid.New(), uuid.Must(uuid.NewV7())
	var one uuid.UUID
	var many []uuid.UUID
	var text string
	var none uuid.UUID
	var nonePtr *uuid.UUID
	some := &a
	err = db.Pool().QueryRow(ctx, `SELECT $1::uuid, $2::uuid[], $1::uuid::text, NULL::uuid, NULL::uuid, $3::uuid`, a, []uuid.UUID{b, a}, some).
		Scan(&one, &many, &text, &none, &nonePtr, &some)
	if err != nil {
		t.Fatal(err)
	}
	if one != a || len(many) != 2 || many[0] != b || many[1] != a || text != a.String() || none != uuid.Nil || nonePtr != nil || some == nil || *some != a {
		t.Fatalf("read back %s %v %s %s %v %v", one, many, text, none, nonePtr, some)
	}
	var null *uuid.UUID
	var isNull bool
	if err := db.Pool().QueryRow(ctx, `SELECT $1::uuid IS NULL`, null).Scan(&isNull); err != nil || !isNull {
		t.Fatalf("a nil *uuid.UUID was sent as %v (%v)", isNull, err)
	}
}
