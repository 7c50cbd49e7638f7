package telephony

import (
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setThreadNice sets the calling OS thread's nice value (on Linux,
// setpriority with a thread id affects just that thread).
func setThreadNice(nice int) error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice)
}

// setThreadRealtime moves the calling OS thread into the SCHED_FIFO
// real-time class at prio (1-99). Processes it starts go back to the
// normal class.
func setThreadRealtime(prio int) error {
	return unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_FIFO, Priority: uint32(prio), Flags: unix.SCHED_FLAG_RESET_ON_FORK}, 0)
}

// setProcessRealtime moves every thread of the process into the SCHED_FIFO
// class at prio; threads the Go runtime starts later inherit it from the
// thread that starts them.
func setProcessRealtime(prio int) error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	attr := unix.SchedAttr{Policy: unix.SCHED_FIFO, Priority: uint32(prio)}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetAttr(tid, &attr, 0); err != nil && err != unix.ESRCH {
			return err
		}
	}
	return nil
}

// sleepUntilKernel sleeps the calling thread in the kernel until the
// monotonic deadline, so the thread runs the moment the kernel wakes it
// instead of waiting for a Go timer and the Go scheduler. Only for shard
// threads locked to their goroutine; the clock adds their slots to
// GOMAXPROCS. The sleep is an ordinary system call to the Go runtime: a
// garbage collection pause or the scheduler can take the thread's slot
// meanwhile without stopping the goroutine, which gets a slot back itself
// when it wakes (with a raw call it would have to be stopped and handed
// back by another thread, which on a busy machine can take long).
// Returns false when the call is not available.
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
		_, _, errno := syscall.Syscall6(uintptr(clockNanosleepNR), 1 /* CLOCK_MONOTONIC */, 0, uintptr(unsafe.Pointer(&ts)), uintptr(unsafe.Pointer(&ts)), 0, 0)
		if errno != syscall.EINTR {
			return true
		}
		// Interrupted (the Go runtime's preemption signal): sleep the rest.
		if d = time.Until(deadline); d <= 0 {
			return true
		}
	}
}
