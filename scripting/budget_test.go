package scripting

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/grafana/sobek"
)

func TestTheBudgetCountsCPUNotTimeOffTheCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("thread CPU clocks are read on Linux only; elsewhere the budget counts wall time")
	}
	vm := sobek.New()
	b := newBudget(vm, 20*time.Millisecond)

	// A turn kept off the CPU (a loaded machine, not the script) for five
	// times its budget is not interrupted.
	b.arm()
	time.Sleep(100 * time.Millisecond)
	if !b.disarm() {
		t.Fatal("the budget fired while the turn used no CPU")
	}

	// A script that spins is.
	b.arm()
	start := time.Now()
	_, err := vm.RunString(`for (;;) {}`)
	if b.disarm() {
		t.Fatal("an endless loop ended without the budget firing")
	}
	var ie *sobek.InterruptedError
	if !errors.As(err, &ie) || ie.Value() != ErrBudget {
		t.Fatalf("the loop ended with %v", err)
	}
	if took := time.Since(start); took > 20*hardWallFactor*time.Millisecond {
		t.Fatalf("the loop ran %v, past the hard wall limit", took)
	}
}
