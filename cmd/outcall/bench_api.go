package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/outcall/outcall/api"
)

// The "api" group measures an authenticated read end to end: HTTP, API-key
// check, and a tenant-scoped transaction under row-level security, on a
// local PostgreSQL started the way the tests start it.
func init() {
	benchGroups["api"] = func(cmd *cobra.Command, report func(string, float64, string)) error {
		ctx := cmd.Context()
		env, cleanup, err := openBench(ctx, "Bench", "bench@example.com")
		if err != nil {
			return err
		}
		defer cleanup()
		// Rate limits off: this measures the request path, not the limiter.
		unlimited := api.RateLimits{PerKey: 1e9, KeyBurst: 1e9, PerTenant: 1e9, TenantBurst: 1e9, PerAddress: 1e9, AddressBurst: 1e9}
		srv := httptest.NewServer(api.New(api.Config{Tenants: env.Tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RateLimits: unlimited}).Handler())
		defer srv.Close()
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

		const workers, duration = 16, 5 * time.Second
		var (
			mu        sync.Mutex
			latencies []time.Duration
			failed    atomic.Int64
		)
		runCtx, cancel := context.WithTimeout(ctx, duration)
		defer cancel()
		var wg sync.WaitGroup
		start := time.Now()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var local []time.Duration
				for runCtx.Err() == nil {
					req, _ := http.NewRequest("GET", srv.URL+"/v1/me", nil)
					req.Header.Set("Authorization", "Bearer "+env.Signup.Key.Secret)
					t0 := time.Now()
					res, err := client.Do(req)
					if err != nil || res.StatusCode != 200 {
						failed.Add(1)
					}
					if res != nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
					local = append(local, time.Since(t0))
				}
				mu.Lock()
				latencies = append(latencies, local...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
		if len(latencies) == 0 {
			return nil
		}
		report("api_me_rps", float64(len(latencies))/elapsed.Seconds(), "req/s")
		report("api_me_p50_ms", float64(latencies[len(latencies)/2].Microseconds())/1000, "ms")
		report("api_me_p99_ms", float64(latencies[len(latencies)*99/100].Microseconds())/1000, "ms")
		report("api_me_failed", float64(failed.Load()), "requests")
		return nil
	}
}
