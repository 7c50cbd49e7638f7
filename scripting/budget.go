package scripting

import (
	"runtime"
	"sync"
	"time"

	"github.com/grafana/sobek"
)

// budget interrupts a runtime that spends more than its CPU budget on one
// turn. A wall-clock timer wakes it after the budget; it then asks how much
// CPU the turn's thread really used and, when a busy machine kept the
// script off the CPU, waits for the rest rather than punish the script for
// the machine's load. A hard wall limit (hardWallFactor × budget) still
// stops a turn that never gets the CPU to finish.
type budget struct {
	mu      sync.Mutex
	vm      *sobek.Runtime
	limit   time.Duration
	timer   *time.Timer
	armed   bool
	tid     int
	start   time.Duration // the thread's CPU time at arm
	armedAt time.Time
	fired   bool
}

const hardWallFactor = 20

func newBudget(vm *sobek.Runtime, limit time.Duration) *budget {
	return &budget{vm: vm, limit: limit}
}

// arm starts the budget for the calling goroutine's work: the goroutine
// keeps its OS thread until disarm, so the thread's CPU clock is the
// turn's.
func (b *budget) arm() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.armed {
		runtime.LockOSThread()
	}
	tid, cpu, ok := threadCPU()
	if !ok {
		tid = 0
	}
	b.armed, b.fired = true, false
	b.tid, b.start, b.armedAt = tid, cpu, time.Now()
	if b.timer == nil {
		b.timer = time.AfterFunc(b.limit, b.check)
	} else {
		b.timer.Reset(b.limit)
	}
}

// check runs when the timer fires. A firing left over from an earlier arm
// finds the budget disarmed, or measures the current arm from its start,
// so it can only be early, never wrong.
func (b *budget) check() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.armed || b.fired {
		return
	}
	wall := time.Since(b.armedAt)
	used := wall
	if b.tid != 0 {
		if cpu, ok := cpuOfThread(b.tid); ok {
			used = cpu - b.start
		}
	}
	if used < b.limit && wall < hardWallFactor*b.limit {
		b.timer.Reset(max(b.limit-used, time.Millisecond))
		return
	}
	b.fired = true
	b.vm.Interrupt(ErrBudget)
}

// disarm ends the budget. It reports false when the budget fired, in
// which case an interrupt may be pending and the runtime must not be
// reused.
func (b *budget) disarm() bool {
	b.mu.Lock()
	wasArmed := b.armed
	b.armed = false
	if b.timer != nil {
		b.timer.Stop()
	}
	fired := b.fired
	b.mu.Unlock()
	if wasArmed {
		runtime.UnlockOSThread()
	}
	return !fired
}
