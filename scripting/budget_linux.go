package scripting

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU returns the calling thread's id and CPU time.
func threadCPU() (int, time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, 0, false
	}
	return unix.Gettid(), time.Duration(ts.Nano()), true
}

// cpuOfThread returns another thread's CPU time from its schedstat (the
// same nanosecond clock as CLOCK_THREAD_CPUTIME_ID).
func cpuOfThread(tid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/schedstat")
	if err != nil {
		return 0, false
	}
	f, _, _ := bytes.Cut(b, []byte(" "))
	n, err := strconv.ParseInt(string(f), 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(n), true
}
