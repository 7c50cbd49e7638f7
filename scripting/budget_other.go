//go:build !linux

package scripting

import "time"

// Elsewhere the budget counts wall time.
func threadCPU() (int, time.Duration, bool)     { return 0, 0, false }
func cpuOfThread(tid int) (time.Duration, bool) { return 0, false }
