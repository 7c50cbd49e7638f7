package main

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/outcall/outcall/scripting"
	"github.com/spf13/cobra"
)

// The "nlu" group measures understanding on the held-out split of the
// evaluation set in scripting/testdata/nlu (utterances no tuning has seen):
// built-in intents, tenant intents learned from 3–5 examples, built-in
// intents heard in a state that also listens for a suite's, macro F1 and
// sentiment, how often the right tenant intent is the one most like the
// utterance and where the tenant misses went, with the dev split's figures
// beside them for comparison, a confusion table per kind, and the time one
// turn's understanding takes (intent, slots and sentiment), p50 and p99 in
// microseconds.
func init() {
	benchGroups["nlu"] = benchNLU
}

func benchNLU(cmd *cobra.Command, report func(name string, value float64, unit string)) error {
	dir, err := nluEvalDir()
	if err != nil {
		return err
	}
	held, err := scripting.LoadNLUEval(dir, "heldout")
	if err != nil {
		return err
	}
	dev, err := scripting.LoadNLUEval(dir, "dev")
	if err != nil {
		return err
	}
	h, d := scripting.EvaluateNLU(held), scripting.EvaluateNLU(dev)
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "NLU held-out split: %d built-in, %d tenant-suite and %d mood-labelled utterances (dev: %d, %d, %d)\n",
		h.BuiltinN, h.TenantN, h.SentimentN, d.BuiltinN, d.TenantN, d.SentimentN)
	report("nlu_builtin_accuracy_pct", h.BuiltinAccuracy, "%")
	report("nlu_tenant_accuracy_pct", h.TenantAccuracy, "%")
	report("nlu_tenant3_accuracy_pct", h.Tenant3Accuracy, "%")
	report("nlu_tenant_ranked_first_pct", h.TenantRankedFirst, "%")
	report("nlu_builtin_beside_tenant_accuracy_pct", h.BesideTenantAccuracy, "%")
	report("nlu_macro_f1", h.MacroF1, "f1")
	report("sentiment_accuracy_pct", h.SentimentAccuracy, "%")
	report("nlu_dev_builtin_accuracy_pct", d.BuiltinAccuracy, "%")
	report("nlu_dev_tenant_accuracy_pct", d.TenantAccuracy, "%")
	report("nlu_dev_tenant3_accuracy_pct", d.Tenant3Accuracy, "%")
	report("nlu_dev_tenant_ranked_first_pct", d.TenantRankedFirst, "%")
	report("nlu_dev_builtin_beside_tenant_accuracy_pct", d.BesideTenantAccuracy, "%")
	report("nlu_dev_macro_f1", d.MacroF1, "f1")
	report("sentiment_dev_accuracy_pct", d.SentimentAccuracy, "%")
	fmt.Fprintf(out, "\nbuilt-in intents, held-out (rows: right answer, columns: answer given)\n%s", scripting.FormatConfusion(h.Confusion))
	fmt.Fprintf(out, "\ntenant suites, held-out, all examples\n%s", scripting.FormatConfusion(h.TenantConfusion))
	kinds := slices.Collect(maps.Keys(h.TenantMissKinds))
	misses := 0
	for _, k := range kinds {
		misses += h.TenantMissKinds[k]
	}
	fmt.Fprintf(out, "\ntenant suites, held-out: where the %d misses went\n", misses)
	slices.SortFunc(kinds, func(a, b string) int { return cmp.Or(h.TenantMissKinds[b]-h.TenantMissKinds[a], strings.Compare(a, b)) })
	for _, k := range kinds {
		fmt.Fprintf(out, "  %5d  %s\n", h.TenantMissKinds[k], k)
	}
	fmt.Fprintf(out, "\nsentiment, held-out\n%s\n", scripting.FormatConfusion(h.SentimentConfusion))

	p50, p99, worst := nluTurnTimes(held, dev)
	report("nlu_p50_us", p50, "us")
	report("nlu_p99_us", p99, "us")
	report("nlu_max_us", worst, "us")
	return nil
}

// nluTurnTimes times one turn's understanding (Classifier.Understand:
// intent, slots and sentiment) for every utterance of both splits, with
// each tenant suite's classifier built beforehand as a script's is, and
// returns the p50, p99 and worst in microseconds.
func nluTurnTimes(sets ...*scripting.NLUEvalSet) (p50, p99, worst float64) {
	type job struct {
		c    *scripting.Classifier
		lang string
		text string
	}
	builtin := scripting.NewClassifier(nil)
	suites := map[string]*scripting.Classifier{}
	var jobs []job
	for _, set := range sets {
		for _, s := range set.Suites {
			if suites[s.Name] == nil {
				suites[s.Name] = scripting.NewClassifier(s.Extra(0))
			}
		}
		for _, c := range set.Builtin {
			jobs = append(jobs, job{builtin, c.Lang, c.Text})
		}
		for _, c := range set.Tenant {
			jobs = append(jobs, job{suites[c.Suite], c.Lang, c.Text})
		}
	}
	now := time.Now()
	for _, j := range jobs { // warm up
		j.c.Understand(j.lang, j.text, now)
	}
	runtime.GC()
	const rounds = 20
	times := make([]float64, 0, rounds*len(jobs))
	for range rounds {
		for _, j := range jobs {
			start := time.Now()
			j.c.Understand(j.lang, j.text, now)
			times = append(times, float64(time.Since(start).Nanoseconds())/1000)
		}
	}
	slices.Sort(times)
	at := func(q float64) float64 { return times[min(len(times)-1, int(q*float64(len(times))))] }
	return at(0.50), at(0.99), times[len(times)-1]
}

// nluEvalDir finds scripting/testdata/nlu from the working directory or
// one of its parents (the repository root, as `make bench` runs it).
func nluEvalDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "scripting", "testdata", "nlu")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("the NLU evaluation set scripting/testdata/nlu was not found: run the nlu benchmark from the repository")
		}
	}
}
