package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/outcall/outcall/migrations/dbtest"
)

// A worker runs no API; with --metrics-addr it shows its script hosts (and
// calls, when it places them) on an address of its own.
func TestAWorkerServesItsMetricsOnItsOwnAddress(t *testing.T) {
	s := &settings{DatabaseURL: dbtest.New(t), Workers: true, MetricsAddr: "127.0.0.1:0", LogLevel: "error", MaxWorkers: 2,
		scriptHost: hostCommand, scriptHostEnv: hostEnv}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var metricsAddr func() string
	s.listening, metricsAddr = listenAddr(t, done, 30*time.Second)
	go func() { done <- runService(ctx, s, nil) }()
	addr := metricsAddr()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the worker ended with %v", err)
		}
	}()

	var body string
	for deadline := time.Now().Add(30 * time.Second); ; {
		res, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				body = string(b)
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /metrics on %s within 30s: %v", addr, err)
		}
		select {
		case err := <-done:
			t.Fatalf("the worker stopped early: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	// Each of the two script hosts for calls answered its first request;
	// a worker serves no API, so it runs no API pool.
	for _, line := range []string{`outcall_script_request_seconds_count{op="ping",pool="calls"} 2`, `outcall_script_host_deaths_total{pool="calls"} 0`, "go_goroutines "} {
		if !strings.Contains(body, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	if strings.Contains(body, `pool="api"`) {
		t.Error("a worker started API script hosts")
	}
}
