package api_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/outcall/outcall/scripting"
)

// TestMain lets the test binary double as a script host, so the scripts
// API runs tenant code in real child processes, as the service does.
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

var (
	hostPool    *scripting.HostPool
	hostPoolErr error
)

// testHosts returns one script-host pool shared by the package's tests.
func testHosts(t *testing.T) *scripting.HostPool {
	if hostPool == nil && hostPoolErr == nil {
		hostPool, hostPoolErr = scripting.NewHostPool(scripting.HostConfig{
			Command: []string{os.Args[0]}, Env: []string{"OUTCALL_TEST_SCRIPT_HOST=1"}, Hosts: 1,
		})
	}
	if hostPoolErr != nil {
		t.Fatal(hostPoolErr)
	}
	return hostPool
}
