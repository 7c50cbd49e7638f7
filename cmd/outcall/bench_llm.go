package main

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/scripting/llm"
	"github.com/outcall/outcall/scripting/llm/llmtest"
)

// The "llm" group measures what asking a tenant's model adds to a turn
// beyond the model's own latency: a dialog turn through a script host
// whose state asks the model to classify (Turn, the request to an
// OpenAI-compatible endpoint, Resolve). The endpoint is the repository's
// test double answering after a fixed delay that stands for the model's
// own time, so the figures are outcall's share (host round trips, the
// prompt, JSON, HTTP on loopback), not any model's latency. Sequential
// turns first, then many calls at once.
func init() {
	benchGroups["llm"] = benchLLM
}

const benchLLMScript = `export default {
  start: "reminder",
  intents: { paid: ["已经还了"], promise: ["我会还"] },
  states: {
    reminder: { say: "请问您什么时候方便还款?", on: { paid: "done", promise: "done" }, llm: { classify: true, budget: "2s" } },
    done: { say: "好的,再见。", end: "ok" },
  },
};`

// benchModelDelay stands for the model's own time to answer.
const benchModelDelay = 20 * time.Millisecond

func benchLLM(cmd *cobra.Command, report func(name string, value float64, unit string)) error {
	double := llmtest.New("sk-bench")
	defer double.Close()
	double.Respond(func(llmtest.Request) llmtest.Response {
		return llmtest.Response{Content: `{"intent":"paid"}`, Delay: benchModelDelay}
	})
	model := llm.New(llm.Config{BaseURL: double.BaseURL(), APIKey: "sk-bench", Model: "bench"})
	pool, err := scripting.NewHostPool(scripting.HostConfig{Hosts: runtime.GOMAXPROCS(0)})
	if err != nil {
		return err
	}
	defer pool.Close()
	ctx := cmd.Context()
	turn := func() (time.Duration, error) {
		s, _, err := pool.Open(ctx, scripting.Caller{}, "bench.js", benchLLMScript, scripting.Contact{"name": "王先生"}, scripting.SessionOptions{AskModel: true})
		if err != nil {
			return 0, err
		}
		defer s.Close()
		if _, err := s.Start(ctx); err != nil {
			return 0, err
		}
		start := time.Now()
		step, err := s.Turn(ctx, "那个事情我上礼拜弄好了")
		if err != nil {
			return 0, err
		}
		if step.Ask == nil {
			return 0, fmt.Errorf("the turn did not ask the model (intent %s at %.2f)", step.Intent, step.Confidence)
		}
		step, err = s.Resolve(ctx, model.Answer(ctx, step.Ask))
		if err != nil {
			return 0, err
		}
		took := time.Since(start)
		if step.Model == nil || !step.Model.Used || step.State != "done" {
			return 0, fmt.Errorf("the model's answer was not used: %+v", step.Model)
		}
		return took, nil
	}
	// Warm the hosts and the connection pool.
	for range 20 {
		if _, err := turn(); err != nil {
			return err
		}
	}
	seq := make([]time.Duration, 0, 300)
	for range 300 {
		d, err := turn()
		if err != nil {
			return err
		}
		seq = append(seq, d-benchModelDelay)
	}
	p50, p95 := quantiles(seq)
	fmt.Fprintf(cmd.OutOrStdout(), "classify turns against the test double answering after %v (the model's own time, subtracted)\n", benchModelDelay)
	report("llm_classify_overhead_p50_ms", p50, "ms")
	report("llm_classify_overhead_p95_ms", p95, "ms")

	const calls, turns = 100, 3
	var (
		mu   sync.Mutex
		conc []time.Duration
		errs []error
		wg   sync.WaitGroup
	)
	for range calls {
		wg.Go(func() {
			for range turns {
				d, err := turn()
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					conc = append(conc, d-benchModelDelay)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d concurrent turns failed, the first: %w", len(errs), calls*turns, errs[0])
	}
	p50, p95 = quantiles(conc)
	report("llm_classify_overhead_100calls_p50_ms", p50, "ms")
	report("llm_classify_overhead_100calls_p95_ms", p95, "ms")
	return nil
}

// quantiles returns the p50 and p95 of ds, in milliseconds.
func quantiles(ds []time.Duration) (p50, p95 float64) {
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return ms(ds[len(ds)/2]), ms(ds[len(ds)*95/100])
}
