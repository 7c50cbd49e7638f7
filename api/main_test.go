package api_test

import (
	"os"
	"testing"

	"github.com/outcall/outcall/scripting"
)

// TestMain lets the test binary double as a script host, so the scripts
// API runs tenant code in real child processes, as the service does.
func TestMain(m *testing.M) {
	scripting.ServeHostIfAsked()
	os.Exit(m.Run())
}

var (
	hostPool    *scripting.HostPool
	hostPoolErr error
)

// testHosts returns one script-host pool shared by the package's tests.
func testHosts(t *testing.T) *scripting.HostPool {
	if hostPool == nil && hostPoolErr == nil {
		command, env := scripting.TestHostCommand()
		hostPool, hostPoolErr = scripting.NewHostPool(scripting.HostConfig{Command: command, Env: env, Hosts: 1})
	}
	if hostPoolErr != nil {
		t.Fatal(hostPoolErr)
	}
	return hostPool
}
