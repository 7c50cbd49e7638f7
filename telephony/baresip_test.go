package telephony_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
)

// freeUDPPort returns a port free on loopback right now; whoever binds it
// later may lose it to another program, so callers retry on a clash.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// lockedBuffer is a bytes.Buffer a process writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startPeer starts a SIP peer on a free port, telling start the port to
// use, and waits until up says it answers. baresip and kamailio cannot be
// handed a socket or told to bind port 0 and say which, so a start that
// finds its ports taken (another program bound them after we looked) is
// tried again on others. It returns the port and the peer's output.
func startPeer(t *testing.T, name string, start func(port int, out io.Writer) *exec.Cmd, up func(port int) bool) (int, *lockedBuffer) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := freeUDPPort(t)
		logs := &lockedBuffer{}
		cmd := start(port, logs)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() {
			if cmd.Process != nil {
				syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			}
			select {
			case <-exited:
			case <-time.After(3 * time.Second):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-exited
			}
		}
		clash := false
		for deadline := time.Now().Add(10 * time.Second); ; {
			if strings.Contains(logs.String(), "already in use") {
				clash = true
				break
			}
			// An answer counts only while our own peer runs: another
			// program that took the port may answer SIP too.
			if up(port) && !exitedYet(exited) && !strings.Contains(logs.String(), "already in use") {
				t.Cleanup(func() {
					stop()
					if t.Failed() {
						t.Logf("%s said:\n%s", name, logs.String())
					}
				})
				return port, logs
			}
			select {
			case <-exited:
				clash = strings.Contains(logs.String(), "already in use")
			case <-time.After(100 * time.Millisecond):
				if time.Now().Before(deadline) {
					continue
				}
			}
			break
		}
		stop()
		if !clash || attempt == 5 {
			t.Fatalf("%s did not come up on port %d (attempt %d):\n%s", name, port, attempt, logs.String())
		}
		t.Logf("%s found port %d or its neighbour taken; trying another", name, port)
	}
}

// exitedYet reports whether the channel closed when the process ended is
// closed.
func exitedYet(exited <-chan struct{}) bool {
	select {
	case <-exited:
		return true
	default:
		return false
	}
}

// makeCalleeWAV speaks text with espeak-ng and writes an 8 kHz mono WAV
// (baresip's aufile source must be 8 kHz) with lead and tail silence.
func makeCalleeWAV(t *testing.T, path, text string, lead, tail time.Duration) {
	t.Helper()
	pcm, err := telephony.EspeakTTS{}.Synthesize(context.Background(), text, "en", telephony.EmotionNeutral)
	if err != nil {
		t.Fatal(err)
	}
	var samples []int
	for i := 0; i < int(lead.Seconds()*8000); i++ {
		samples = append(samples, 0)
	}
	for _, s := range pcm {
		samples = append(samples, int(s))
	}
	for i := 0; i < int(tail.Seconds()*8000); i++ {
		samples = append(samples, 0)
	}
	data, err := telephony.EncodeWAV(samples, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBaresipInterop calls Debian's baresip, an independent SIP stack: it
// auto-answers and plays "yes please" from a WAV; the dialog must move on
// those words as pocketsphinx hears them, our recording must hold
// baresip's audio and baresip's recording must hold our prompt.
func TestBaresipInterop(t *testing.T) {
	for _, bin := range []string{"baresip", "espeak-ng", "pocketsphinx_continuous"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (apt-get install baresip-core espeak-ng pocketsphinx pocketsphinx-en-us); skipping the baresip interop test", bin)
		}
	}
	dir := t.TempDir()
	// baresip 1.0's aufile module is a source only; its sndfile filter
	// dumps what it sends and receives as dump-*-enc.wav and -dec.wav.
	in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "dumps")
	os.MkdirAll(out, 0o755)
	makeCalleeWAV(t, in, "yes please", 2500*time.Millisecond, 15*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	store := telephony.LocalRecordingStore{Dir: dir}
	asr := &telephony.PocketsphinxRecognizer{}
	// baresip names its default interface's address in its SDP but, on
	// loopback, sends from 127.0.0.1 (the same port): RTP is taken from
	// there only by latching on to it. Latching is automatic when that
	// address is private or unrouted, and this machine's may be neither.
	d := newDialer(t, telephony.DialerConfig{ASR: asr, Recordings: store, SymmetricRTP: true})
	// baresip listens for SIP on UDP and TCP at the port and for TLS on the
	// next one; it is up once it answers OPTIONS.
	port, _ := startPeer(t, "baresip", func(port int, logs io.Writer) *exec.Cmd {
		config := fmt.Sprintf(`sip_listen 127.0.0.1:%d
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module account.so
module menu.so
module sndfile.so
snd_path %s
audio_source aufile,%s
sip_trans_def udp
`, port, out, in)
		os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o644)
		os.WriteFile(filepath.Join(dir, "accounts"), []byte(fmt.Sprintf("<sip:5001@127.0.0.1:%d>;regint=0;answermode=auto\n", port)), 0o644)
		cmd := exec.Command("baresip", "-f", dir)
		cmd.Stdout, cmd.Stderr = logs, logs
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return cmd
	}, func(port int) bool {
		pingCtx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		h, _ := d.Ping(pingCtx, telephony.Trunk{ID: "baresip", Host: "127.0.0.1", Port: port})
		return h.Up
	})
	trunk := telephony.Trunk{ID: "baresip", Host: "127.0.0.1", Port: port}
	var heard telephony.Utterance
	var path []string
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: trunk, To: "5001", RingTimeout: 10 * time.Second, Language: "en", ListenTimeout: 8 * time.Second},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			if _, err := c.Say(ctx, "Hello, this is the interop test. Do you want the offer?", telephony.EmotionNeutral); err != nil {
				return err
			}
			u, err := c.Listen(ctx, "yes please", "no thanks")
			if err != nil {
				return err
			}
			heard = u
			if strings.Contains(u.Text, "yes") {
				path = append(path, "accepted")
				_, err = c.Say(ctx, "Great, goodbye.", telephony.EmotionHappy)
			} else {
				path = append(path, "fallback")
				_, err = c.Say(ctx, "Sorry, goodbye.", telephony.EmotionApologetic)
			}
			return err
		}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || res.HandlerErr != nil || res.HangupBy != "us" {
		t.Fatalf("call: %s (%s) handler %v hangup %q", res.Outcome, res.Reason, res.HandlerErr, res.HangupBy)
	}
	if h, _, _ := net.SplitHostPort(res.Media.LatchedTo); h != "127.0.0.1" || res.Media.ForeignPacketsIn != 0 {
		t.Errorf("media %+v: want baresip's RTP latched on to at 127.0.0.1, nothing dropped", res.Media)
	}
	if len(path) != 1 || path[0] != "accepted" {
		t.Fatalf("dialog took %v on %+v; want accepted on \"yes please\"", path, heard)
	}
	f, err := store.Open(ctx, res.RecordingKey)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(f)
	f.Close()
	w, err := telephony.DecodeWAV(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if s := activeSeconds(w.Channel(1)); s < 0.3 {
		t.Fatalf("our recording's callee channel has %.2fs of baresip's audio", s)
	}
	// baresip writes its recording when the call ends.
	var theirs []int16
	for i := 0; i < 30; i++ {
		decs, _ := filepath.Glob(filepath.Join(out, "dump-*-dec.wav"))
		if len(decs) == 0 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if data, err := os.ReadFile(decs[0]); err == nil && len(data) > 44 {
			if a, err := telephony.DecodeWAV(data); err == nil {
				theirs = a.Channel(0)
				if a.SampleRate != 8000 {
					theirs = telephony.Resample(theirs, a.SampleRate, 8000)
				}
				if activeSeconds(theirs) > 1 {
					break
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s := activeSeconds(theirs); s < 1 {
		t.Fatalf("baresip's recording holds %.2fs of our prompt, want more than 1s", s)
	}
}
