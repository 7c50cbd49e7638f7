package calls_test

import (
	"os"
	"testing"

	"github.com/outcall/outcall/scripting"
)

// TestMain lets the test binary double as a script host, so calls run their
// scripts in real child processes, as the service does.
func TestMain(m *testing.M) {
	scripting.ServeHostIfAsked()
	os.Exit(m.Run())
}

// hostCommand and hostEnv start this test binary as a script host.
var hostCommand, hostEnv = scripting.TestHostCommand()
