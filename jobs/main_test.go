package jobs_test

import (
	"os"
	"testing"
)

// TestMain lets this test binary double as the worker process a test kills
// (see runDoomedWorker).
func TestMain(m *testing.M) {
	if url := os.Getenv(doomedWorkerEnv); url != "" {
		os.Exit(runDoomedWorker(url))
	}
	os.Exit(m.Run())
}
