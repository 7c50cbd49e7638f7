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
	gen     uint64
	tid     int
	start   time.Duration // the thread's CPU time at arm
	armedAt time.Time
	fired   bool
	locked  bool
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
	if !b.locked {
		runtime.LockOSThread()
	}
	tid, cpu, ok := threadCPU()
	b.gen++
	b.fired = false
	b.locked = true
	b.tid, b.start, b.armedAt = tid, cpu, time.Now()
	if !ok {
		b.tid = 0
	}
	gen := b.gen
	if b.timer == nil {
		b.timer = time.AfterFunc(b.limit, func() { b.check(gen) })
	} else {
		b.timer.Stop()
		b.timer = time.AfterFunc(b.limit, func() { b.check(gen) })
	}
	b.mu.Unlock()
}

func (b *budget) check(gen uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if gen != b.gen || b.fired {
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
		b.timer = time.AfterFunc(max(b.limit-used, time.Millisecond), func() { b.check(gen) })
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
	b.gen++
	if b.timer != nil {
		b.timer.Stop()
	}
	fired := b.fired
	unlock := b.locked
	b.locked = false
	b.mu.Unlock()
	if unlock {
		runtime.UnlockOSThread()
	}
	return !fired
}
