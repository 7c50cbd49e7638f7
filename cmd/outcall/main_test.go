package main

import (
	"os"
	"testing"

	"github.com/outcall/outcall/scripting"
)

// asOutcallEnv, set to 1, makes this test binary run as the outcall
// command with its arguments (a worker process of the chaos test, and the
// script hosts such a worker starts).
const asOutcallEnv = "OUTCALL_TEST_AS_COMMAND"

// TestMain lets the test binary double as a script host for the commands
// that start script hosts, and as the outcall command itself.
func TestMain(m *testing.M) {
	scripting.ServeHostIfAsked()
	// A worker process started so starts its script hosts as this binary
	// with the argument script-host, in an environment of their own.
	if os.Getenv(asOutcallEnv) == "1" || len(os.Args) == 2 && os.Args[1] == "script-host" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// hostCommand and hostEnv start this test binary as a script host.
var hostCommand, hostEnv = scripting.TestHostCommand()
