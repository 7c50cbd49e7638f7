package tenants_test

import (
	"context"
	"strings"
	"testing"

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
