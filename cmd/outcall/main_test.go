package main

import (
	"os"
	"testing"

	"github.com/outcall/outcall/scripting"
)

// TestMain lets the test binary double as a script host for the commands
// that start script hosts.
func TestMain(m *testing.M) {
	scripting.ServeHostIfAsked()
	os.Exit(m.Run())
}

// hostCommand and hostEnv start this test binary as a script host.
var hostCommand, hostEnv = scripting.TestHostCommand()
