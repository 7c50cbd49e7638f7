package scripting

import (
	"fmt"
	"os"
	"testing"
)

// TestMain lets the test binary double as a script host, so host tests
// run real child processes without building the outcall binary.
func TestMain(m *testing.M) {
	if os.Getenv("OUTCALL_TEST_SCRIPT_HOST") == "1" {
		if err := ServeHost(os.Stdin, os.Stdout, HostOptionsFromEnv()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func testPool(t testing.TB, cfg HostConfig) *HostPool {
	t.Helper()
	cfg.Command = []string{os.Args[0]}
	cfg.Env = append(cfg.Env, "OUTCALL_TEST_SCRIPT_HOST=1")
	p, err := NewHostPool(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}
