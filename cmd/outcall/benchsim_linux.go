package main

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// detachSim starts callee-sim in a session of its own, so that Linux puts
// it in a scheduling group (autogroup) of its own, and ends it with this
// process.
func detachSim(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGTERM}
}

// raiseSimGroup gives callee-sim's scheduling group the weight of this
// nice value against the machine's other sessions (needs CAP_SYS_NICE for
// a negative one). A thread's own nice value only ranks it within its
// group, so without this a busy machine's other sessions would each get
// as much CPU as the whole far end of a thousand calls.
func raiseSimGroup(pid, nice int) error {
	return os.WriteFile("/proc/"+strconv.Itoa(pid)+"/autogroup", []byte(strconv.Itoa(nice)), 0)
}
