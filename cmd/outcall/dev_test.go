package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outcall/outcall/tenants/localpg"
)

// listenAddr returns a hook for settings.listening and a function that
// waits (up to d) for the address it is told, or for the run to end.
func listenAddr(t *testing.T, done <-chan error, d time.Duration) (func(string), func() string) {
	addrs := make(chan string, 2)
	return func(a string) { addrs <- a }, func() string {
		t.Helper()
		select {
		case a := <-addrs:
			return a
		case err := <-done:
			t.Fatalf("stopped before it listened: %v", err)
		case <-time.After(d):
			t.Fatalf("did not listen within %v", d)
		}
		return ""
	}
}

// TestDevStartsEverythingOnAFreshFolderAndStopsItsDatabase is what a
// newcomer's `make run` does: a local cluster is created, migrated and
// seeded, the API answers, and the cluster stops on exit; the second start
// reuses the cluster and the demo tenant.
func TestDevStartsEverythingOnAFreshFolderAndStopsItsDatabase(t *testing.T) {
	if _, err := localpg.FindBinDir(); err != nil {
		t.Skip("PostgreSQL server binaries are not installed:", err)
	}
	dir, err := os.MkdirTemp("", "outcall-dev-test-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755) // the PostgreSQL user must reach it when tests run as root
	defer os.RemoveAll(dir)
	for round := 1; round <= 2; round++ {
		// Port 0: the cluster listens on its Unix socket alone, and the API
		// takes a free port.
		s := &settings{DataDir: filepath.Join(dir, ".data"), Addr: "127.0.0.1:0", LogLevel: "error", MaxWorkers: 5,
			scriptHost: hostCommand, scriptHostEnv: hostEnv,
			// What dev's flag defaults give: the callee simulator as carrier.
			Telephony: telephonySettings{CalleeSim: true, ASR: "simulation", SIPAddr: "127.0.0.1", Recordings: filepath.Join(dir, "recordings")}}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		var apiAddr func() string
		s.listening, apiAddr = listenAddr(t, done, 90*time.Second)
		go func() { done <- runDev(ctx, s) }()

		base := "http://" + apiAddr()
		deadline := time.Now().Add(90 * time.Second)
		for {
			res, err := http.Get(base + "/readyz")
			if err == nil && res.StatusCode == 200 {
				res.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("round %d: /readyz did not answer 200 within 90s (%v)", round, err)
			}
			select {
			case err := <-done:
				cancel()
				t.Fatalf("round %d: dev stopped early: %v", round, err)
			case <-time.After(200 * time.Millisecond):
			}
		}
		key, err := os.ReadFile(filepath.Join(s.DataDir, "demo-api-key"))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", base+"/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var me struct {
			Tenant struct{ Name string } `json:"tenant"`
		}
		json.NewDecoder(res.Body).Decode(&me)
		res.Body.Close()
		if res.StatusCode != 200 || me.Tenant.Name != demoTenant {
			t.Fatalf("round %d: demo key on /v1/me: %d, tenant %q", round, res.StatusCode, me.Tenant.Name)
		}
		if round == 1 {
			runDemoCampaign(t, base, strings.TrimSpace(string(key)))
			// The API's /metrics shows the calls and script hosts too.
			res, err := http.Get(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			exposition, _ := io.ReadAll(res.Body)
			res.Body.Close()
			for _, name := range []string{"outcall_http_requests_total", "outcall_calls_active", `outcall_script_request_seconds_count{op="ping",pool="calls"}`, `outcall_script_request_seconds_count{op="ping",pool="api"}`} {
				if !strings.Contains(string(exposition), name) {
					t.Errorf("/metrics lacks %s", name)
				}
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("round %d: dev ended with %v", round, err)
		}
		pg, err := localpg.New(filepath.Join(s.DataDir, "pg"), s.PGPort)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := net.DialTimeout("unix", pg.Addr(), time.Second); err == nil {
			c.Close()
			t.Fatalf("round %d: the local PostgreSQL still listens on %s after dev stopped", round, pg.Addr())
		}
	}
}

// runDemoCampaign starts the seeded demo campaign and waits for calls to the
// in-process callee simulator to end with outcomes.
func runDemoCampaign(t *testing.T, base, key string) {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Log("espeak-ng is not installed: the demo campaign cannot speak, so it is not run here")
		return
	}
	call := func(method, path string, out any) int {
		req, _ := http.NewRequest(method, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if out != nil {
			json.NewDecoder(res.Body).Decode(out)
		}
		return res.StatusCode
	}
	var list struct {
		Items []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	if st := call("GET", "/v1/campaigns", &list); st != 200 || len(list.Items) != 1 {
		t.Fatalf("the demo campaign: %d %+v", st, list)
	}
	id := list.Items[0].ID
	// The demo contacts are imported by a job that runs once the workers
	// start; until then the campaign has no one to call.
	for start := time.Now(); ; {
		var problem map[string]any
		st := call("POST", "/v1/campaigns/"+id+"/start", &problem)
		if st == 200 {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("start the demo campaign: %d %v", st, problem)
		}
		time.Sleep(300 * time.Millisecond)
	}
	// The demo's callees are drawn at random (a mailbox, a callee who asks
	// for a person and holds, one who never answers and rings out): three
	// calls take 30–50 s on a quiet machine, and longer on a busy one.
	deadline := time.Now().Add(150 * time.Second)
	for {
		var calls struct {
			Items []struct {
				Outcome string `json:"outcome"`
				State   string `json:"state"`
			} `json:"items"`
		}
		call("GET", "/v1/campaigns/"+id+"/calls", &calls)
		ended := 0
		for _, c := range calls.Items {
			if c.State == "ended" && c.Outcome != "" {
				ended++
			}
		}
		if ended >= 3 {
			t.Logf("demo campaign: %d calls ended", ended)
			call("POST", "/v1/campaigns/"+id+"/pause", nil)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo campaign ended %d calls in 150s: %+v", ended, calls.Items)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
