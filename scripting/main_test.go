package scripting

import (
	"os"
	"testing"
)

// TestMain lets the test binary double as a script host, so host tests
// run real child processes without building the outcall binary.
func TestMain(m *testing.M) {
	ServeHostIfAsked()
	os.Exit(m.Run())
}

func testPool(t testing.TB, cfg HostConfig) *HostPool {
	t.Helper()
	command, env := TestHostCommand()
	cfg.Command, cfg.Env = command, append(cfg.Env, env...)
	p, err := NewHostPool(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}
