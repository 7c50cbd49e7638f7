package scripting

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// The NLU evaluation set lives in scripting/testdata/nlu: utterances written
// the way callees talk, labelled with the intent a person would read in them
// and, where a person would be sure, the mood. Each kind comes in two files,
// KIND_dev.jsonl (for tuning and training) and KIND_heldout.jsonl (for the
// figures only, never for tuning):
//
//   - builtin_*.jsonl: the built-in intents and no_match, Chinese and English;
//   - tenant_*.jsonl: utterances for the tenant suites in tenant_suites.json,
//     each suite a script's own intents taught with 3–5 examples, plus a few
//     built-in intents said in the same call;
//   - sentiment_*.jsonl: more utterances labelled with a mood only.
//
// [LoadNLUEval] reads one split and [EvaluateNLU] scores the classifier on it;
// `make bench BENCH=nlu` prints the held-out figures, and a unit test holds
// the dev figures above a floor.

// NLUCase is one labelled utterance of the evaluation set.
type NLUCase struct {
	// Suite names the tenant suite the utterance belongs to; empty for the
	// built-in and sentiment sets.
	Suite string `json:"suite,omitempty"`
	Text  string `json:"text"`
	Lang  string `json:"lang"`
	// Intent is what the classifier should answer (a built-in intent, a
	// suite's own, or no_match); empty in the sentiment set.
	Intent string `json:"intent,omitempty"`
	// Sentiment is the mood label (positive, neutral, negative, angry),
	// empty where people would disagree.
	Sentiment string `json:"sentiment,omitempty"`
	Split     string `json:"split"`
}

// NLUSuite is a tenant's set of intents, each taught with a few examples.
type NLUSuite struct {
	Name    string `json:"name"`
	Lang    string `json:"lang"`
	About   string `json:"about"`
	Intents []struct {
		Name     string   `json:"name"`
		Examples []string `json:"examples"`
	} `json:"intents"`
}

// Extra returns the suite's intents as a script's `intents`, with at most
// n examples each (all of them when n <= 0).
func (s NLUSuite) Extra(n int) map[string][]string {
	m := map[string][]string{}
	for _, in := range s.Intents {
		ex := in.Examples
		if n > 0 && len(ex) > n {
			ex = ex[:n]
		}
		m[in.Name] = ex
	}
	return m
}

// NLUEvalSet is one split of the evaluation set.
type NLUEvalSet struct {
	Split     string
	Builtin   []NLUCase
	Tenant    []NLUCase
	Sentiment []NLUCase
	Suites    []NLUSuite
}

// LoadNLUEval reads the split ("dev" or "heldout") of the evaluation set in
// dir (scripting/testdata/nlu in the repository).
func LoadNLUEval(dir, split string) (*NLUEvalSet, error) {
	if split != "dev" && split != "heldout" {
		return nil, fmt.Errorf("unknown split %q: use dev or heldout", split)
	}
	set := &NLUEvalSet{Split: split}
	for _, f := range []struct {
		kind string
		into *[]NLUCase
	}{{"builtin", &set.Builtin}, {"tenant", &set.Tenant}, {"sentiment", &set.Sentiment}} {
		cases, err := readNLUCases(filepath.Join(dir, f.kind+"_"+split+".jsonl"), split)
		if err != nil {
			return nil, err
		}
		*f.into = cases
	}
	b, err := os.ReadFile(filepath.Join(dir, "tenant_suites.json"))
	if err != nil {
		return nil, fmt.Errorf("the NLU evaluation set: %w (run from the repository root, or pass its folder)", err)
	}
	if err := json.Unmarshal(b, &set.Suites); err != nil {
		return nil, fmt.Errorf("tenant_suites.json: %w", err)
	}
	return set, nil
}

// readNLUCases reads one JSON Lines file of the set; every line must be of
// split, unless split is "" (any).
func readNLUCases(path, split string) ([]NLUCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("the NLU evaluation set: %w (run from the repository root, or pass its folder)", err)
	}
	defer f.Close()
	var out []NLUCase
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var c NLUCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", filepath.Base(path), line, err)
		}
		if split != "" && c.Split != split {
			return nil, fmt.Errorf("%s:%d: split %q in the %s file", filepath.Base(path), line, c.Split, split)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// NLUMiss is one utterance the classifier got wrong.
type NLUMiss struct {
	NLUCase
	Got        string
	Confidence float64
}

// NLUReport holds the figures of one evaluation.
type NLUReport struct {
	Split string
	// BuiltinAccuracy is the share of built-in set utterances (built-in
	// intents and no_match) understood right, in percent; BuiltinN counts them.
	BuiltinAccuracy float64
	BuiltinN        int
	// MacroF1 is the mean F1 over the built-in set's intents, no_match included.
	MacroF1 float64
	// TenantAccuracy is the share of tenant-suite utterances understood
	// right with every example of each intent (3–5), Tenant3Accuracy with
	// only the first three.
	TenantAccuracy  float64
	Tenant3Accuracy float64
	TenantN         int
	// TenantRankedFirst is the share of tenant-suite utterances meaning one
	// of their suite's intents whose intent the similarity to the examples
	// ranks first among the suite's, in percent: how often the answer was
	// within reach before deciding between it, a built-in intent and
	// no_match. TenantMissKinds counts the tenant misses by where they went
	// (see tenantMissKind).
	TenantRankedFirst float64
	TenantMissKinds   map[string]int
	// BesideTenantAccuracy is the share of the built-in set's utterances
	// with an intent ("yes", "stop calling me") answered right in a state
	// that also listens for a suite's intents, over every suite of their
	// language; BesideTenantN counts those hearings.
	BesideTenantAccuracy float64
	BesideTenantN        int
	// SentimentAccuracy is the share of mood labels matched, over every
	// labelled utterance of the split.
	SentimentAccuracy float64
	SentimentN        int
	// Confusion counts the built-in set's answers: Confusion[want][got].
	Confusion map[string]map[string]int
	// TenantConfusion does the same for the tenant suites (all examples).
	TenantConfusion map[string]map[string]int
	// SentimentConfusion counts mood labels: [want][got].
	SentimentConfusion map[string]map[string]int
	Misses             []NLUMiss
	SentimentMisses    []NLUMiss
}

// nluEvalNow anchors relative dates in the evaluation (a Monday morning).
var nluEvalNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// EvaluateNLU scores the built-in classifier and each tenant suite on set.
func EvaluateNLU(set *NLUEvalSet) NLUReport {
	r := NLUReport{Split: set.Split, Confusion: map[string]map[string]int{}, TenantConfusion: map[string]map[string]int{}, SentimentConfusion: map[string]map[string]int{}}
	count := func(m map[string]map[string]int, want, got string) {
		if m[want] == nil {
			m[want] = map[string]int{}
		}
		m[want][got]++
	}
	sentiment := func(c NLUCase, got Sentiment) {
		if c.Sentiment == "" {
			return
		}
		r.SentimentN++
		count(r.SentimentConfusion, c.Sentiment, got.Label)
		if got.Label == c.Sentiment {
			r.SentimentAccuracy++
		} else {
			r.SentimentMisses = append(r.SentimentMisses, NLUMiss{NLUCase: c, Got: got.Label, Confidence: got.Score})
		}
	}
	builtin := NewClassifier(nil)
	for _, c := range set.Builtin {
		u := builtin.Understand(c.Lang, c.Text, nluEvalNow)
		count(r.Confusion, c.Intent, u.Intent)
		r.BuiltinN++
		if u.Intent == c.Intent {
			r.BuiltinAccuracy++
		} else {
			r.Misses = append(r.Misses, NLUMiss{NLUCase: c, Got: u.Intent, Confidence: u.Confidence})
		}
		sentiment(c, u.Sentiment)
	}
	r.MacroF1 = macroF1(r.Confusion)
	suites := map[string]NLUSuite{}
	for _, s := range set.Suites {
		suites[s.Name] = s
	}
	full, three := map[string]*Classifier{}, map[string]*Classifier{}
	r.TenantMissKinds = map[string]int{}
	var ownN int
	for _, c := range set.Tenant {
		s, ok := suites[c.Suite]
		if !ok {
			r.Misses = append(r.Misses, NLUMiss{NLUCase: c, Got: "(unknown suite)"})
			continue
		}
		if full[s.Name] == nil {
			full[s.Name], three[s.Name] = NewClassifier(s.Extra(0)), NewClassifier(s.Extra(3))
		}
		u := full[s.Name].Understand(c.Lang, c.Text, nluEvalNow)
		count(r.TenantConfusion, c.Intent, u.Intent)
		r.TenantN++
		own, first := s.owns(c.Intent), false
		if own {
			ownN++
			if first = full[s.Name].rankedFirst(c.Text) == c.Intent; first {
				r.TenantRankedFirst++
			}
		}
		if u.Intent == c.Intent {
			r.TenantAccuracy++
		} else {
			r.Misses = append(r.Misses, NLUMiss{NLUCase: c, Got: u.Intent, Confidence: u.Confidence})
			r.TenantMissKinds[tenantMissKind(c.Intent, u.Intent, own, first, s.owns(u.Intent))]++
		}
		if three[s.Name].Understand(c.Lang, c.Text, nluEvalNow).Intent == c.Intent {
			r.Tenant3Accuracy++
		}
		sentiment(c, u.Sentiment)
	}
	for _, s := range set.Suites {
		if full[s.Name] == nil {
			full[s.Name] = NewClassifier(s.Extra(0))
		}
		for _, c := range set.Builtin {
			if c.Lang != s.Lang || c.Intent == "no_match" {
				continue
			}
			r.BesideTenantN++
			if full[s.Name].Understand(c.Lang, c.Text, nluEvalNow).Intent == c.Intent {
				r.BesideTenantAccuracy++
			}
		}
	}
	for _, c := range set.Sentiment {
		sentiment(c, AnalyzeSentiment(c.Text))
	}
	pct := func(n float64, of int) float64 {
		if of == 0 {
			return 0
		}
		return 100 * n / float64(of)
	}
	r.BuiltinAccuracy = pct(r.BuiltinAccuracy, r.BuiltinN)
	r.TenantAccuracy = pct(r.TenantAccuracy, r.TenantN)
	r.Tenant3Accuracy = pct(r.Tenant3Accuracy, r.TenantN)
	r.TenantRankedFirst = pct(r.TenantRankedFirst, ownN)
	r.BesideTenantAccuracy = pct(r.BesideTenantAccuracy, r.BesideTenantN)
	r.SentimentAccuracy = pct(r.SentimentAccuracy, r.SentimentN)
	return r
}

// owns reports whether intent is one of the suite's own.
func (s NLUSuite) owns(intent string) bool {
	for _, in := range s.Intents {
		if in.Name == intent {
			return true
		}
	}
	return false
}

// rankedFirst is the tenant intent whose examples the utterance is most
// like, before any decision against built-in intents and no_match ("" when
// none is like it at all).
func (c *Classifier) rankedFirst(text string) string {
	sims, _ := c.similar(hear(text))
	if len(sims) == 0 {
		return ""
	}
	best := slices.MinFunc(sims, byScore)
	if best.score <= 0 {
		return ""
	}
	return best.intent
}

// tenantMissKind says where a tenant-suite utterance meaning want went
// when it was understood as got: own says whether want is one of the
// suite's intents, first whether the similarity ranked it first, gotOwn
// whether got is one of the suite's.
func tenantMissKind(want, got string, own, first, gotOwn bool) string {
	switch {
	case own && first && got == "no_match":
		return "a script intent ranked first, answered no_match"
	case own && first && !gotOwn:
		return "a script intent ranked first, answered a built-in intent"
	case own && gotOwn:
		return "a script intent ranked below another, answered that one"
	case own && got == "no_match":
		return "a script intent ranked below another, answered no_match"
	case own:
		return "a script intent ranked below another, answered a built-in intent"
	case want == "no_match" && gotOwn:
		return "no_match answered as a script intent"
	case want == "no_match":
		return "no_match answered as a built-in intent"
	default:
		return "a built-in intent missed"
	}
}

// macroF1 averages F1 over the intents that appear as a right answer.
func macroF1(conf map[string]map[string]int) float64 {
	if len(conf) == 0 {
		return 0
	}
	predicted := map[string]int{}
	for _, row := range conf {
		for got, n := range row {
			predicted[got] += n
		}
	}
	var sum float64
	for want, row := range conf {
		gold := 0
		for _, n := range row {
			gold += n
		}
		tp := row[want]
		if tp == 0 {
			continue
		}
		p, rc := float64(tp)/float64(predicted[want]), float64(tp)/float64(gold)
		sum += 2 * p * rc / (p + rc)
	}
	return sum / float64(len(conf))
}

// FormatConfusion writes a confusion table, one row per right answer,
// one column per answer given, with each row's recall.
func FormatConfusion(conf map[string]map[string]int) string {
	var rows []string
	colSet := map[string]bool{}
	for want, row := range conf {
		rows = append(rows, want)
		colSet[want] = true
		for got := range row {
			colSet[got] = true
		}
	}
	order := func(xs []string) {
		sort.Slice(xs, func(i, j int) bool {
			ri, rj := intentOrder(xs[i]), intentOrder(xs[j])
			if ri != rj {
				return ri < rj
			}
			return xs[i] < xs[j]
		})
	}
	order(rows)
	cols := make([]string, 0, len(colSet))
	for c := range colSet {
		cols = append(cols, c)
	}
	order(cols)
	if len(cols) > 12 {
		// Too wide for a table (tenant suites): each row's recall and what
		// it was taken for instead.
		var b strings.Builder
		for _, want := range rows {
			total := 0
			var wrong []string
			for _, c := range cols {
				n := conf[want][c]
				total += n
				if n > 0 && c != want {
					wrong = append(wrong, fmt.Sprintf("%s×%d", c, n))
				}
			}
			fmt.Fprintf(&b, "%-20s %6.1f%% of %3d", want, 100*float64(conf[want][want])/float64(max(total, 1)), total)
			if len(wrong) > 0 {
				fmt.Fprintf(&b, "  taken for %s", strings.Join(wrong, ", "))
			}
			b.WriteByte('\n')
		}
		return b.String()
	}
	w := 12
	for _, c := range cols {
		w = max(w, len(c)+1)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s", w+2, "want\\got")
	for _, c := range cols {
		fmt.Fprintf(&b, "%*s", w, c)
	}
	fmt.Fprintf(&b, "%*s\n", 9, "recall")
	for _, want := range rows {
		fmt.Fprintf(&b, "%-*s", w+2, want)
		total := 0
		for _, c := range cols {
			n := conf[want][c]
			total += n
			if n == 0 {
				fmt.Fprintf(&b, "%*s", w, ".")
			} else {
				fmt.Fprintf(&b, "%*d", w, n)
			}
		}
		fmt.Fprintf(&b, "%8.1f%%\n", 100*float64(conf[want][want])/float64(max(total, 1)))
	}
	return b.String()
}

// intentOrder lists built-in intents first, in their own order, then no_match.
func intentOrder(intent string) int {
	for i, in := range BuiltinIntents {
		if in == intent {
			return i
		}
	}
	if intent == "no_match" {
		return len(BuiltinIntents) + 1
	}
	return len(BuiltinIntents)
}
