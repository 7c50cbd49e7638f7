package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/outcall/outcall/migrations"
	"github.com/outcall/outcall/tenants/localpg"
)

// A worker started while PostgreSQL is away (a deploy during a restart or
// a failover) waits for it instead of exiting, and starts its workers once
// it is back.
func TestAWorkerStartedWhileTheDatabaseIsAwayWaitsForIt(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster of its own; -short skips it")
	}
	if _, err := localpg.FindBinDir(); err != nil {
		t.Skip("PostgreSQL's server binaries are not installed: the test needs a cluster of its own to stop")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "outcall-outage-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// PostgreSQL runs as its own user under root: let it reach its folder.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cluster, err := localpg.New(filepath.Join(dir, "pg"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop(context.Background())
	if err := cluster.CreateDatabase(ctx, "outcall"); err != nil {
		t.Fatal(err)
	}
	url := cluster.URL("outcall")
	if err := migrations.Up(ctx, url); err != nil {
		t.Fatal(err)
	}
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "worker", "--database-url", url, "--asr", "simulation", "--spool-dir", filepath.Join(dir, "spool"),
		"--log-level", "info", "--metrics-addr", "127.0.0.1:0", "--recordings-dir", filepath.Join(dir, "recordings"))
	cmd.Env = append(os.Environ(), asOutcallEnv+"=1")
	logPath := filepath.Join(dir, "worker.log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited, gone := make(chan error, 1), make(chan struct{})
	go func() { exited <- cmd.Wait(); close(gone) }()
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-gone
	}()
	logged := func() string { b, _ := os.ReadFile(logPath); return string(b) }

	// Five seconds without a database: still running, not yet started.
	select {
	case err := <-exited:
		t.Fatalf("the worker exited while the database was away: %v\n%s", err, logged())
	case <-time.After(5 * time.Second):
	}
	if strings.Contains(logged(), "workers started") {
		t.Fatalf("the worker says it started without a database:\n%s", logged())
	}

	// The database comes back: the workers start within a few seconds.
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logged(), "workers started") {
		select {
		case err := <-exited:
			t.Fatalf("the worker exited once the database was back: %v\n%s", err, logged())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the workers did not start within 30 s of the database's return:\n%s", logged())
		}
	}
	// And a deploy's SIGTERM still stops it cleanly.
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the worker stopped with %v after SIGTERM:\n%s", err, logged())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the worker did not stop within 30 s of SIGTERM:\n%s", logged())
	}

	// A database that answers but refuses (here: no such database) is not
	// waited for: the worker says why and exits.
	wrongCtx, cancelWrong := context.WithTimeout(ctx, 30*time.Second)
	defer cancelWrong()
	wrong := exec.CommandContext(wrongCtx, os.Args[0], "worker", "--database-url", cluster.URL("no_such_database"), "--asr", "simulation",
		"--spool-dir", filepath.Join(dir, "spool"), "--metrics-addr", "127.0.0.1:0", "--recordings-dir", filepath.Join(dir, "recordings"))
	wrong.Env = append(os.Environ(), asOutcallEnv+"=1")
	out, err := wrong.CombinedOutput()
	if err == nil || wrongCtx.Err() != nil || !strings.Contains(string(out), "the database refused the connection") {
		t.Fatalf("a worker given a database that does not exist: %v (timed out: %v)\n%s", err, wrongCtx.Err() != nil, out)
	}
}
