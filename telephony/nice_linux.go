package telephony

import (
	"syscall"
	"time"
	"unsafe"
)

// setThreadNice sets the calling OS thread's nice value (on Linux,
// setpriority with a thread id affects just that thread).
func setThreadNice(nice int) error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice)
}

// sleepUntilKernel sleeps the calling thread in the kernel until the
// monotonic deadline, keeping its Go scheduler slot, so the thread runs the
// moment the kernel wakes it instead of waiting for the Go scheduler. Only
// for shard threads locked to their goroutine; the clock adds their slots
// to GOMAXPROCS. Returns false when the call is not available.
func sleepUntilKernel(deadline time.Time) bool {
	if clockNanosleepNR < 0 {
		return false
	}
	d := time.Until(deadline)
	if d <= 0 {
		return true
	}
	for {
		ts := syscall.NsecToTimespec(int64(d))
		_, _, errno := syscall.RawSyscall6(uintptr(clockNanosleepNR), 1 /* CLOCK_MONOTONIC */, 0, uintptr(unsafe.Pointer(&ts)), uintptr(unsafe.Pointer(&ts)), 0, 0)
		if errno != syscall.EINTR {
			return true
		}
		// Interrupted (the Go runtime's preemption signal): sleep the rest.
		if d = time.Until(deadline); d <= 0 {
			return true
		}
	}
}
