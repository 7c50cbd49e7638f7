package jobs_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/outcall/outcall/scripting"
)

// TestMain lets the test binary double as a script host, so calls run their
// scripts in real child processes, as the service does.
func TestMain(m *testing.M) {
	if os.Getenv("OUTCALL_TEST_SCRIPT_HOST") == "1" {
		if err := scripting.ServeHost(os.Stdin, os.Stdout, scripting.HostOptionsFromEnv()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
