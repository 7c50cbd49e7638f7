package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/spf13/cobra"
)

// The "calls" benchmark group dials a callee-sim process on loopback:
//
//   - call_setup_rate: INVITE to 200 OK and ACK as fast as 64 callers go
//   - concurrent_calls: calls ramped up at 100 setups/s and held with
//     RTP both ways (prompts out, the persona's speech in)
//   - rtp_jitter_p99_ms: send-interval deviation from 20 ms while held
//   - cpu_per_call_pct: this process's CPU while held, per call
//   - failed_calls: calls of every phase that did not go as planned
//   - amd_accuracy_pct, amd_people_hung_up_pct: answering-machine
//     verdicts over calleesim.AMDPersonas (people answering short or with
//     a sentence, mailboxes, carriers' announcements, AI assistants, in
//     Mandarin and English), read through the simulated recogniser
//   - amd_decided_p50_ms, amd_decided_p90_ms, amd_within_2500ms_pct (and
//     the same over the people alone, amd_people_…): how
//     soon after the answer the verdict came
//
// Everything runs on 127.0.0.1 and stops by itself in about a minute.
func init() {
	benchGroups["calls"] = benchCalls
}

func benchPersonas() []calleesim.Persona {
	return append([]calleesim.Persona{
		{Name: "quick", Numbers: []string{"100"}, Kind: calleesim.KindHuman, HoldMS: 2000},
		{Name: "talker", Numbers: []string{"200"}, Kind: calleesim.KindHuman, Voice: "en", HoldMS: 120000,
			Lines: []calleesim.Line{{Say: "yes", PauseMS: 300}, {Say: "tell me more", PauseMS: 500}, {Say: "okay", PauseMS: 300}}},
	}, calleesim.AMDPersonas(amdFirstNumber, 3000)...)
}

// amdFirstNumber is the number of the first answering-machine persona.
const amdFirstNumber = 4000

var simListening = regexp.MustCompile(`listening on udp 127\.0\.0\.1:(\d+)`)

// startSimProcess runs `outcall callee-sim` as a separate process so the
// CPU figures are the dialer's own.
func startSimProcess(ctx context.Context, dir string, nice, rtPrio int) (port int, proc *exec.Cmd, err error) {
	data, _ := json.Marshal(calleesim.PersonaFile{Personas: benchPersonas()})
	pf := filepath.Join(dir, "personas.json")
	if err := os.WriteFile(pf, data, 0o600); err != nil {
		return 0, nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return 0, nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "callee-sim", "--listen", "127.0.0.1:0", "--personas", pf, "--media-nice", strconv.Itoa(nice), "--media-rt-priority", strconv.Itoa(rtPrio))
	cmd.Stderr = os.Stderr
	detachSim(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	if nice < 0 {
		if err := raiseSimGroup(cmd.Process.Pid, nice); err != nil {
			fmt.Fprintf(os.Stderr, "bench calls: callee-sim runs at normal weight: %v\n", err)
		}
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := simListening.FindStringSubmatch(sc.Text()); m != nil {
			port, _ = strconv.Atoi(m[1])
			go func() {
				for sc.Scan() {
				}
			}()
			return port, cmd, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return 0, nil, errors.New("callee-sim did not start")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchCalls(cmd *cobra.Command, report func(name string, value float64, unit string)) error {
	var (
		rate = 100.0
		hold = 20 * time.Second
	)
	concurrent, err := benchEnvInt("BENCH_CALLS_CONCURRENT", 1000, 1, 100000, "the calls held at once")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 150*time.Second)
	defer cancel()
	dir, err := os.MkdirTemp("", "outcall-bench-calls-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// Media threads run at raised priority, as media servers run theirs
	// (Asterisk -p, FreeSWITCH -rp). This process is the dialer under test:
	// its pacing threads run in the real-time class and the rest of it
	// just below, so the Go scheduler's hand-overs to a pacing thread are
	// not left waiting behind the machine's other work (root can; else
	// they fall back to nice -10, else run normally; the log says which).
	// callee-sim stands for the far end, another machine in real life: it
	// runs in the normal class in a scheduling group of its own weighted
	// as nice -10, its pacing threads at nice -10 within it, so it gets
	// most of what is left.
	nice, rtPrio, procRT, simRT := -10, 20, 10, 0
	for _, e := range []struct {
		name string
		v    *int
	}{{"BENCH_CALLS_NICE", &nice}, {"BENCH_CALLS_RT", &rtPrio}, {"BENCH_CALLS_PROC_RT", &procRT}, {"BENCH_CALLS_SIM_RT", &simRT}} {
		if v := os.Getenv(e.name); v != "" {
			*e.v, _ = strconv.Atoi(v)
		}
	}
	port, sim, err := startSimProcess(ctx, dir, nice, simRT)
	if err != nil {
		return err
	}
	defer func() {
		sim.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { sim.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			sim.Process.Kill()
		}
	}()
	trunk := telephony.Trunk{ID: "callee-sim", Host: "127.0.0.1", Port: port, CallerIDs: []string{"+10000000001"}}

	// Warm the prompt cache so synthesis is not part of call setup (and
	// espeak-ng runs before this process enters the real-time class).
	tts := telephony.NewCachedTTS(telephony.EspeakTTS{}, 64)
	prompt := "Hello, this is a reminder about your appointment tomorrow at ten."
	if _, err := tts.Synthesize(ctx, prompt, "en", telephony.EmotionNeutral); err != nil {
		return fmt.Errorf("espeak-ng is needed for the calls benchmark: %w", err)
	}

	shards, _ := strconv.Atoi(os.Getenv("BENCH_CALLS_SHARDS"))
	slots, _ := strconv.Atoi(os.Getenv("BENCH_CALLS_SLOTS"))
	clock := telephony.NewMediaClockWith(telephony.ClockOptions{Shards: shards, Slots: slots, Nice: nice, RealtimePriority: rtPrio, ProcessRealtimePriority: procRT,
		DedicatedThreads: os.Getenv("BENCH_CALLS_DEDICATED") != "0"})
	defer clock.Close()
	d, err := telephony.NewSIPDialer(telephony.DialerConfig{Clock: clock, TTS: tts, ASR: telephony.SimulationRecognizer{}, RTPTimeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer d.Close()
	var failed atomic.Int64
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench calls: "+format+"\n", a...) }

	only := os.Getenv("BENCH_CALLS_ONLY") // setup, hold or amd: run one phase

	// 1. Setup rate: 1,000 short calls by 64 callers.
	if only == "" || only == "setup" {
		const total, workers = 1000, 64
		var next, ok atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= total && ctx.Err() == nil {
					res, err := d.Dial(ctx, telephony.DialRequest{Trunk: trunk, To: "100", RingTimeout: 10 * time.Second}, nil)
					if err != nil || res.Outcome != telephony.OutcomeAnswered {
						failed.Add(1)
						if err == nil {
							err = errors.New(string(res.Outcome) + ": " + res.Reason)
						}
						logf("setup call failed: %v", err)
						continue
					}
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		el := time.Since(start)
		report("call_setup_rate", float64(ok.Load())/el.Seconds(), "calls/s")
		logf("setup: %d calls answered and hung up in %s by %d callers", ok.Load(), el.Round(time.Millisecond), workers)
	}

	// 2. Concurrency with media: ramp at `rate` setups/s, hold, hang up.
	if only == "" || only == "hold" {
		holdCtx, stopAll := context.WithCancel(ctx)
		var up, answered atomic.Int64
		var wg sync.WaitGroup
		interval := time.Duration(float64(time.Second) / rate)
		rampStart := time.Now()
		handler := telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			up.Add(1)
			defer up.Add(-1)
			for ctx.Err() == nil {
				if _, err := c.Say(ctx, prompt, telephony.EmotionNeutral); err != nil {
					return nil
				}
				if _, err := c.Listen(ctx); err != nil {
					return nil
				}
			}
			return nil
		})
		for i := 0; i < concurrent && ctx.Err() == nil; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := d.Dial(holdCtx, telephony.DialRequest{Trunk: trunk, To: "200", RingTimeout: 10 * time.Second, ListenTimeout: 3 * time.Second}, handler)
				if err == nil && res.Outcome == telephony.OutcomeAnswered {
					answered.Add(1)
				}
				if err != nil || res.Outcome != telephony.OutcomeAnswered || res.Reason != "dial context cancelled" {
					failed.Add(1)
					if err == nil {
						err = fmt.Errorf("%s %d: %s", res.Outcome, res.SIPCode, res.Reason)
					}
					logf("held call failed: %v", err)
				}
			}()
			time.Sleep(time.Until(rampStart.Add(time.Duration(i+1) * interval)))
		}
		for time.Since(rampStart) < 30*time.Second && int(up.Load()) < concurrent && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
		}
		rampTook := time.Since(rampStart)
		logf("ramp: %d calls up after %s (%.0f setups/s offered)", up.Load(), rampTook.Round(time.Millisecond), rate)
		time.Sleep(2 * time.Second)
		clock.ResetJitter()
		cpu0, wall0 := cpuTime(), time.Now()
		minUp := up.Load()
		for end := time.Now().Add(hold); time.Now().Before(end) && ctx.Err() == nil; {
			time.Sleep(200 * time.Millisecond)
			minUp = min(minUp, up.Load())
		}
		cpu := cpuTime() - cpu0
		wall := time.Since(wall0)
		js := clock.SendJitter()
		late, pass := clock.TickStats()
		logf("clock: pacing threads real-time at %d: %v, rest of the process at %d: %v; priority raised: %v",
			rtPrio, clock.Realtime(), procRT, clock.ProcessRealtime(), clock.PriorityRaised())
		logf("clock: wake-up lateness p50 %s p99 %s max %s; pass over a slot's sessions p50 %s p99 %s max %s",
			late.P50, late.P99, late.Max.Round(time.Microsecond), pass.P50, pass.P99, pass.Max.Round(time.Microsecond))
		held := minUp
		stopAll()
		wg.Wait()
		report("concurrent_calls", float64(held), "calls")
		report("rtp_jitter_p99_ms", float64(js.P99)/float64(time.Millisecond), "ms")
		pct := 100 * cpu.Seconds() / wall.Seconds()
		if held > 0 {
			report("cpu_per_call_pct", pct/float64(held), "%")
		}
		logf("held %d calls for %s: process CPU %.0f%% of one core (%d cores), send jitter p50 %s p99 %s max %s over %d intervals",
			held, wall.Round(time.Millisecond), pct, runtime.NumCPU(), js.P50, js.P99, js.Max.Round(time.Microsecond), js.Samples)
	}

	// 3. Answering-machine detection over the personas.
	if only == "" || only == "amd" {
		type amdCase struct {
			to      string
			machine bool
		}
		var cases []amdCase
		for _, p := range calleesim.AMDPersonas(amdFirstNumber, 3000) {
			cases = append(cases, amdCase{p.Numbers[0], p.Kind.IsMachine()})
		}
		var people atomic.Int64
		var decidedMu sync.Mutex
		var decided, decidedPeople []time.Duration
		var correct, humansLost atomic.Int64
		var wg sync.WaitGroup
		for _, c := range cases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := d.Dial(ctx, telephony.DialRequest{Trunk: trunk, To: c.to, RingTimeout: 10 * time.Second, DetectMachine: true},
					telephony.CallHandlerFunc(func(ctx context.Context, call telephony.Call) error { return nil }))
				if err != nil || res.AMD == nil {
					failed.Add(1)
					logf("amd call to persona %s: %v %s %s", c.to, err, res.Outcome, res.Reason)
					return
				}
				saidMachine := res.AMD.Verdict == telephony.AMDMachine
				if saidMachine == c.machine {
					correct.Add(1)
				} else {
					logf("amd wrong for persona %s: %s (%s)", c.to, res.AMD.Verdict, res.AMD.Reason)
				}
				if !c.machine {
					people.Add(1)
					if saidMachine {
						humansLost.Add(1)
					}
				}
				decidedMu.Lock()
				decided = append(decided, res.AMD.Decided)
				if !c.machine {
					decidedPeople = append(decidedPeople, res.AMD.Decided)
				}
				decidedMu.Unlock()
			}()
			time.Sleep(100 * time.Millisecond) // the simulator synthesises each greeting as it answers
		}
		wg.Wait()
		report("amd_accuracy_pct", 100*float64(correct.Load())/float64(len(cases)), "%")
		report("amd_people_hung_up_pct", 100*float64(humansLost.Load())/float64(max(people.Load(), 1)), "%")
		// How soon the verdict came: over every answer, and over the
		// people's alone (who wait for the robot meanwhile).
		for _, k := range []struct {
			name string
			ds   []time.Duration
		}{{"amd", decided}, {"amd_people", decidedPeople}} {
			if len(k.ds) == 0 {
				continue
			}
			slices.Sort(k.ds)
			within := 0
			for _, d := range k.ds {
				if d <= 2500*time.Millisecond {
					within++
				}
			}
			report(k.name+"_decided_p50_ms", float64(k.ds[len(k.ds)/2].Milliseconds()), "ms")
			report(k.name+"_decided_p90_ms", float64(k.ds[len(k.ds)*9/10].Milliseconds()), "ms")
			report(k.name+"_within_2500ms_pct", 100*float64(within)/float64(len(k.ds)), "%")
		}
		logf("amd: %d of %d right over %d personas, %d of %d people taken for machines", correct.Load(), len(cases), len(cases), humansLost.Load(), people.Load())
	}
	report("failed_calls", float64(failed.Load()), "calls")
	return nil
}
