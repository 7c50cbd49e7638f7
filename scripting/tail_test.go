package scripting

import (
	"fmt"
	"strings"
	"testing"
)

func TestAHostCrashIsToldByItsLineWhereverItSitsInTheDump(t *testing.T) {
	var tl tail
	// Output before the crash, longer than any fixed head or tail window.
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&tl, "goroutine %d [running]:\n\tsome/frame.go:%d +0x48\n", i, i)
	}
	// The crash line arrives split over writes.
	tl.Write([]byte("fatal error: out of "))
	tl.Write([]byte("memory\n"))
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&tl, "goroutine %d [chan receive]:\n", i)
	}
	if got := tl.reason(); got != "fatal error: out of memory" {
		t.Errorf("reason %q, want the fatal error line", got)
	}

	// Under the memory limit a new thread's stack may be what fails.
	var thread tail
	thread.Write([]byte("runtime/cgo: pthread_create failed: Resource temporarily unavailable\nSIGABRT: abort\n"))
	if got := thread.reason(); got != "runtime/cgo: pthread_create failed: Resource temporarily unavailable" || !outOfMemory(got) {
		t.Errorf("reason %q, want the failed thread's line, read as running out of memory", got)
	}
	if outOfMemory("panic: runtime error: index out of range") {
		t.Error("a panic is not running out of memory")
	}

	var other tail
	other.Write([]byte("signal: something unusual\nmore"))
	if got := other.reason(); !strings.HasPrefix(got, "signal: something unusual") {
		t.Errorf("without a crash line the reason is the first line, got %q", got)
	}
	var silent tail
	if got := silent.reason(); got != "" {
		t.Errorf("a host that wrote nothing has no reason, got %q", got)
	}
}
