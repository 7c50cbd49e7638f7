package localpg_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants/localpg"
)

// A cluster asked for no port listens on its Unix socket alone, so no
// other program can take its address before it starts; a second Cluster
// on the folder finds it running and reaches it there, and one asked for a
// TCP port is told where it really runs instead of waiting on that port.
func TestAClusterWithoutAPortListensOnItsSocketAlone(t *testing.T) {
	if _, err := localpg.FindBinDir(); err != nil {
		t.Skip("PostgreSQL server binaries are not installed:", err)
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "outcall-localpg-test-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755) // the PostgreSQL user must reach it when tests run as root
	t.Cleanup(func() { os.RemoveAll(dir) })
	pgDir := filepath.Join(dir, "pg")

	c, err := localpg.New(pgDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	if !strings.HasPrefix(c.Addr(), c.Dir) {
		t.Errorf("the server listens on %s, want a socket in %s", c.Addr(), c.Dir)
	}
	listens := func(c *localpg.Cluster) string {
		t.Helper()
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err != nil {
			t.Fatalf("connect to %s: %v", c.URL("postgres"), err)
		}
		defer conn.Close(ctx)
		var addrs string
		if err := conn.QueryRow(ctx, `SHOW listen_addresses`).Scan(&addrs); err != nil {
			t.Fatal(err)
		}
		return addrs
	}
	if addrs := listens(c); addrs != "" {
		t.Errorf("the server listens on TCP addresses %q, want none", addrs)
	}

	again, err := localpg.New(pgDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Start(ctx); err != nil {
		t.Fatalf("start the running cluster again: %v", err)
	}
	listens(again)

	tcp, err := localpg.New(pgDir, 54399)
	if err != nil {
		t.Fatal(err)
	}
	if err := tcp.Start(ctx); err == nil || !strings.Contains(err.Error(), "already runs on its Unix socket alone") {
		t.Errorf("start the running cluster on a TCP port: %v, want an error that says where it runs", err)
	}
}
