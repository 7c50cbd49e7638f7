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
// same nanosecond clock as CLOCK_THREAD_CPUTIME_ID). Kernels built without
// scheduler statistics have no schedstat; there it falls back to the
// thread's stat (user and system time, in clock ticks).
func cpuOfThread(tid int) (time.Duration, bool) {
	dir := "/proc/self/task/" + strconv.Itoa(tid)
	if b, err := os.ReadFile(dir + "/schedstat"); err == nil {
		f, _, _ := bytes.Cut(b, []byte(" "))
		if n, err := strconv.ParseInt(string(f), 10, 64); err == nil {
			return time.Duration(n), true
		}
	}
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return 0, false
	}
	return statCPU(b)
}

// statCPU reads utime and stime (fields 14 and 15) from a /proc stat line.
// The command name (field 2) is in parentheses and may hold spaces, so
// fields are counted from its closing parenthesis.
func statCPU(b []byte) (time.Duration, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	s, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	// USER_HZ is 100 on every Linux architecture Go supports.
	return time.Duration(u+s) * (time.Second / 100), true
}
