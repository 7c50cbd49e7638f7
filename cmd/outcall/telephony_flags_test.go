package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestMediaPriorityFlagsRefuseWhatTheKernelWouldNot(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		rt, proc int
		want     string
	}{
		{150, 0, "--media-rt-priority 150: want 1 to 99"},
		{20, 20, "--media-process-rt-priority 20: want 0 (off) or below --media-rt-priority 20"},
		{20, -1, "--media-process-rt-priority -1"},
	} {
		ts := telephonySettings{Trunk: "udp://127.0.0.1:5060", ASR: "simulation", Recordings: t.TempDir(), MediaRTPriority: c.rt, MediaProcessRTPriority: c.proc}
		d, stop, err := ts.placer(context.Background(), log, nil, nil, nil, false, nil)
		stop()
		if err == nil || !strings.Contains(err.Error(), c.want) || d != nil {
			t.Errorf("rt %d, process %d: err %v, want one saying %q", c.rt, c.proc, err, c.want)
		}
	}
}

func TestSymmetricRTPFlagAndEnvironment(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  string
		want bool
	}{
		{nil, "", false},
		{[]string{"--symmetric-rtp"}, "", true},
		{nil, "true", true},
	} {
		t.Setenv("OUTCALL_SYMMETRIC_RTP", c.env)
		cmd := &cobra.Command{Use: "worker"}
		var ts telephonySettings
		addTelephonyFlags(cmd, &ts)
		if err := cmd.ParseFlags(c.args); err != nil {
			t.Fatal(err)
		}
		if ts.SymmetricRTP != c.want {
			t.Errorf("args %q, OUTCALL_SYMMETRIC_RTP=%q: SymmetricRTP %v, want %v", c.args, c.env, ts.SymmetricRTP, c.want)
		}
	}
}
