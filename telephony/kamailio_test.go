package telephony_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/outcall/outcall/telephony"
)

// startKamailio runs Debian's kamailio as a carrier edge proxy in front of
// callee, demanding digest credentials user/password, and returns its
// address.
func startKamailio(t *testing.T, callee, user, password string) (string, int) {
	t.Helper()
	bin, err := exec.LookPath("kamailio")
	if err != nil {
		t.Skip("kamailio is not installed (apt-get install kamailio): the authenticating-proxy test needs it")
	}
	modules, _ := filepath.Glob("/usr/lib/*/kamailio/modules/tm.so")
	if len(modules) == 0 {
		t.Skip("kamailio's modules (tm.so) were not found under /usr/lib/*/kamailio/modules")
	}
	tmpl := template.Must(template.ParseFiles("testdata/kamailio.cfg"))
	dir := t.TempDir()
	pinger := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	// The proxy is up when it answers OPTIONS.
	port, _ := startPeer(t, "kamailio", func(port int, logs io.Writer) *exec.Cmd {
		var cfg bytes.Buffer
		if err := tmpl.Execute(&cfg, map[string]any{"Port": port, "Modules": filepath.Dir(modules[0]) + "/", "Callee": callee,
			"Username": user, "Password": password}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "kamailio.cfg"), cfg.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-f", filepath.Join(dir, "kamailio.cfg"), "-DD", "-E", "-Y", dir, "-P", filepath.Join(dir, "pid"))
		cmd.Stdout, cmd.Stderr = logs, logs
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return cmd
	}, func(port int) bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		h, err := pinger.Ping(ctx, telephony.Trunk{ID: "kamailio", Host: "127.0.0.1", Port: port})
		return err == nil && h.Up
	})
	return "127.0.0.1", port
}

// TestCallsGoThroughAnAuthenticatingProxy puts kamailio in the path as the
// trunk: it challenges the INVITE, our dialer answers with the trunk's
// digest credentials, and the whole dialog (the callee's BYE included)
// crosses the proxy. Wrong credentials end the call as failed, saying why.
func TestCallsGoThroughAnAuthenticatingProxy(t *testing.T) {
	sim := startSim(t)
	host, port := startKamailio(t, sim.Addr(), "acct", "digest-s3cret")
	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	trunk := telephony.Trunk{ID: "kamailio", Host: host, Port: port, Username: "acct", Password: "digest-s3cret"}

	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: trunk, To: "2002", RingTimeout: 5 * time.Second, DetectMachine: true},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			c.Say(ctx, "Hello through the proxy.", telephony.EmotionNeutral)
			c.Listen(ctx)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || res.HangupBy != "callee" {
		t.Fatalf("through kamailio: %s by %q (%s)", res.Outcome, res.HangupBy, res.Reason)
	}
	rec, err := sim.WaitRecord(ctx, res.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Persona != "hangs-up" || rec.Result != "answered" || rec.Heard == 0 {
		t.Fatalf("the callee behind the proxy saw %+v", rec)
	}

	bad := trunk
	bad.Password = "wrong"
	res, err = d.Dial(ctx, telephony.DialRequest{Trunk: bad, To: "2002", RingTimeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeFailed || !strings.Contains(res.Reason, "rejected credentials") {
		t.Fatalf("wrong password: %s (%s), want failed with the credentials named", res.Outcome, res.Reason)
	}
}
