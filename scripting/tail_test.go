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
