package scripting

import (
	"fmt"
	"os"
)

// TestHostEnv, set to 1, makes a test binary that calls ServeHostIfAsked
// first in its TestMain serve as a script host: tests then run tenant code
// in real child processes, as the service does, without building the
// outcall binary.
const TestHostEnv = "OUTCALL_TEST_SCRIPT_HOST"

// ServeHostIfAsked serves as a script host on stdin and stdout and exits
// when the process was started with TestHostEnv=1 (see TestHostCommand);
// otherwise it returns at once. Call it first in a TestMain.
func ServeHostIfAsked() {
	if os.Getenv(TestHostEnv) != "1" {
		return
	}
	if err := ServeHost(os.Stdin, os.Stdout, HostOptionsFromEnv()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestHostCommand returns the command and environment of a HostConfig
// that starts the running test binary as a script host.
func TestHostCommand() (command, env []string) {
	return []string{os.Args[0]}, []string{TestHostEnv + "=1"}
}
