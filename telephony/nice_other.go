//go:build !linux

package telephony

import (
	"errors"
	"time"
)

func setThreadNice(nice int) error { return errors.New("thread priority is only supported on Linux") }

func setThreadRealtime(prio int) error {
	return errors.New("real-time threads are only supported on Linux")
}

func setProcessRealtime(prio int) error {
	return errors.New("real-time threads are only supported on Linux")
}

func sleepUntilKernel(deadline time.Time) bool { return false }
