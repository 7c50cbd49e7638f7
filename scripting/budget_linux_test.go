package scripting

import (
	"testing"
	"time"
)

func TestAThreadsCPUIsReadFromItsStatWhereThereIsNoSchedstat(t *testing.T) {
	// utime 250 and stime 37 ticks; the command name holds a space and a
	// parenthesis of its own.
	line := []byte("14951 (sh (x) R 14948 14948 13971 0 -1 4194304 98 0 1 0 250 37 0 0 20 0 1 0 4318085 3133440 381\n")
	got, ok := statCPU(line)
	if !ok || got != 2870*time.Millisecond {
		t.Errorf("statCPU = %v, %v; want 2.87s", got, ok)
	}
	for _, bad := range []string{"", "1 (x", "1 (x) R 1 2", "1 (x) R 1 2 3 4 5 6 7 8 9 u s 0"} {
		if _, ok := statCPU([]byte(bad)); ok {
			t.Errorf("statCPU(%q) read a CPU time from a broken line", bad)
		}
	}
}
