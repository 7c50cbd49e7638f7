package scripting

import (
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// NoMatchThreshold is the confidence below which an utterance is
// understood as `no_match`.
const NoMatchThreshold = 0.45

// Understanding is what the engine made of one utterance.
type Understanding struct {
	Intent     string  `json:"intent"`
	Confidence float64 `json:"confidence"`
	// RunnerUp is the second most likely intent, so a script or a person
	// can see how close the call was.
	RunnerUp           string    `json:"runnerUp,omitempty"`
	RunnerUpConfidence float64   `json:"runnerUpConfidence,omitempty"`
	Negated            bool      `json:"negated,omitempty"`
	Slots              Slots     `json:"slots,omitempty"`
	Sentiment          Sentiment `json:"sentiment"`
}

// Classifier recognises intents from examples: the built-in ones plus a
// tenant's. It matches example phrases inside the utterance (keyword
// rules) and compares character n-grams with every example (a nearest
// neighbour over TF-IDF vectors, which suits Chinese without a word
// segmenter), then applies negation. A Classifier is safe for concurrent use.
type Classifier struct {
	examples []example
	index    map[string][]posting
	idf      map[string]float64
	intents  []string
	// unknownIDF weighs features no example has.
	unknownIDF float64
}

type example struct {
	intent  string
	text    string // normalised
	compact string // without spaces, for Chinese containment
	padded  string // " text ", for English whole-word containment
	runes   int
	latin   bool
}

type posting struct {
	ex int
	w  float64
}

var (
	classifiersMu sync.Mutex
	classifiers   = map[string]*Classifier{}
)

// classifierFor returns the shared classifier for a set of tenant intents.
func classifierFor(lang string, extra map[string][]string) *Classifier {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strings.Join(extra[k], "\x00"))
		b.WriteByte('\x01')
	}
	key := b.String()
	classifiersMu.Lock()
	defer classifiersMu.Unlock()
	if c, ok := classifiers[key]; ok {
		return c
	}
	if len(classifiers) > 1024 {
		clear(classifiers)
	}
	c := NewClassifier(extra)
	classifiers[key] = c
	return c
}

// NewClassifier builds a classifier from the built-in examples plus extra,
// a map of intent name → example phrases (new intents or more examples for
// built-in ones).
func NewClassifier(extra map[string][]string) *Classifier {
	c := &Classifier{index: map[string][]posting{}, idf: map[string]float64{}}
	seen := map[string]bool{}
	add := func(intent string, texts []string) {
		if !seen[intent] {
			seen[intent] = true
			c.intents = append(c.intents, intent)
		}
		for _, t := range texts {
			n := normalize(t)
			if n == "" {
				continue
			}
			compact := strings.ReplaceAll(n, " ", "")
			c.examples = append(c.examples, example{intent: intent, text: n, compact: compact, padded: " " + n + " ", runes: utf8.RuneCountInString(compact), latin: isLatin(n)})
		}
	}
	for _, in := range BuiltinIntents {
		add(in, builtinExamples[in])
	}
	names := make([]string, 0, len(extra))
	for k := range extra {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		add(k, extra[k])
	}
	df := map[string]int{}
	vecs := make([]map[string]float64, len(c.examples))
	for i, e := range c.examples {
		vecs[i] = features(e.text)
		for f := range vecs[i] {
			df[f]++
		}
	}
	n := float64(len(c.examples))
	c.unknownIDF = math.Log(1+n) + 0.1
	for f, d := range df {
		c.idf[f] = math.Log(1+n/float64(d)) + 0.1
	}
	for i, v := range vecs {
		var norm float64
		for f, tf := range v {
			v[f] = tf * c.idf[f]
			norm += v[f] * v[f]
		}
		norm = math.Sqrt(norm)
		for f, w := range v {
			c.index[f] = append(c.index[f], posting{ex: i, w: w / norm})
		}
	}
	return c
}

// Intents lists every intent the classifier can return, besides no_match.
func (c *Classifier) Intents() []string { return append([]string(nil), c.intents...) }

// Classify understands one utterance with the built-in intents plus extra
// (which may be nil). lang is "zh-CN" or "en" (or "zh"); it guides slot
// parsing. Classifiers are cached by extra, so repeated calls are cheap.
func Classify(lang, text string, extra map[string][]string) Understanding {
	return classifierFor(normLang(lang), extra).Understand(normLang(lang), text, time.Now())
}

func normLang(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		return "en"
	}
	return "zh-CN"
}

// Understand returns intent, confidence, runner-up, slots and sentiment.
// now anchors relative dates such as 明天 or "tomorrow".
func (c *Classifier) Understand(lang, text string, now time.Time) Understanding {
	u := Understanding{Intent: "no_match"}
	norm := normalize(text)
	u.Sentiment = AnalyzeSentiment(text)
	u.Slots = ParseSlots(text, now)
	if norm == "" {
		return u
	}
	scores := c.scores(norm)
	type kv struct {
		k string
		v float64
	}
	ranked := make([]kv, 0, len(scores))
	for k, v := range scores {
		ranked = append(ranked, kv{k, v})
	}
	sort.Slice(ranked, func(i, j int) bool {
		if ranked[i].v != ranked[j].v {
			return ranked[i].v > ranked[j].v
		}
		return tieRank(ranked[i].k) < tieRank(ranked[j].k)
	})
	if len(ranked) == 0 {
		return u
	}
	top, topScore := ranked[0].k, ranked[0].v
	run, runScore := "", 0.0
	if len(ranked) > 1 {
		run, runScore = ranked[1].k, ranked[1].v
	}
	if negated(norm) {
		switch top {
		case "affirm":
			u.Negated = true
			top, run = "deny", "affirm"
			topScore, runScore = math.Max(topScore, scores["deny"]), topScore*0.5
		case "busy":
			// "现在不忙", "I'm not busy": the callee has time.
			if !notBusy.MatchString(norm) {
				break
			}
			u.Negated = true
			top, run = "affirm", "busy"
			topScore, runScore = topScore*0.8, topScore*0.5
		}
	}
	// "明天下午三点" names a time and little else: the callee wants a call later.
	_, dated := u.Slots["date"]
	_, timed := u.Slots["time"]
	if (dated || timed) && topScore < 0.6 && !u.Negated {
		if top != "later" {
			run, runScore = top, topScore
		}
		top, topScore = "later", 0.7
	}
	u.Confidence = round3(topScore)
	u.RunnerUp, u.RunnerUpConfidence = run, round3(runScore)
	if topScore >= NoMatchThreshold {
		u.Intent = top
	} else {
		u.RunnerUp, u.RunnerUpConfidence = top, round3(topScore)
	}
	return u
}

var notBusy = regexp.MustCompile(`不忙|没忙|不在忙|没在忙|不在开会|没在开会|not busy|i'm free|有空`)

// tiePriority breaks ties in favour of the intent that matters most to
// the callee: a request to stop outranks everything.
var tiePriority = []string{"stop", "human", "busy", "wrong_number", "complaint", "later", "deny", "affirm"}

func tieRank(intent string) int {
	for i, in := range tiePriority {
		if in == intent {
			return i
		}
	}
	return len(tiePriority) + int(intent[0])
}

// scores returns each intent's best score: the stronger of a phrase found
// inside the utterance and the n-gram similarity to its nearest example.
func (c *Classifier) scores(norm string) map[string]float64 {
	scores := map[string]float64{}
	compact := strings.ReplaceAll(norm, " ", "")
	bare := strings.TrimRight(compact, "啊吧呀呢嘛哦啦哈的了")
	if bare == "" {
		bare = compact
	}
	total := utf8.RuneCountInString(compact)
	padded := " " + norm + " "
	hasLatin, hasHan := false, false
	for _, r := range compact {
		if r <= unicode.MaxLatin1 {
			hasLatin = true
		} else {
			hasHan = true
		}
	}
	for i := range c.examples {
		e := &c.examples[i]
		var hit bool
		switch {
		case e.latin:
			hit = hasLatin && strings.Contains(padded, e.padded)
		case !hasHan:
		case e.runes == 1:
			// A one-character example ("是", "好", "忙") counts only on its own.
			hit = bare == e.text || strings.Trim(compact, e.text) == ""
		default:
			hit = strings.Contains(compact, e.compact)
		}
		if !hit {
			continue
		}
		s := 0.55 + 0.45*float64(e.runes)/float64(max(total, e.runes))
		if bare != compact && e.text == bare {
			s = 1
		}
		if s > scores[e.intent] {
			scores[e.intent] = s
		}
	}
	q := features(norm)
	var qnorm float64
	for f, tf := range q {
		idf, known := c.idf[f]
		if !known {
			// Words no example has make the utterance less like all of them.
			idf = c.unknownIDF
		}
		w := tf * idf
		q[f] = w
		qnorm += w * w
	}
	if qnorm > 0 {
		qnorm = math.Sqrt(qnorm)
		dots := make([]float64, len(c.examples))
		for f, w := range q {
			for _, p := range c.index[f] {
				dots[p.ex] += w * p.w
			}
		}
		for ex, d := range dots {
			if d == 0 {
				continue
			}
			s := 0.9 * d / qnorm
			in := c.examples[ex].intent
			if s > scores[in] {
				scores[in] = s
			}
		}
	}
	return scores
}

var negationExempt = []string{"没问题", "不错", "没错", "不客气", "没毛病", "不得不", "没关系", "不过", "不好意思", "要不", "不然", "no problem", "not bad", "why not", "no doubt", "not a problem"}

// negated reports whether the utterance negates what it says: 不/没/别 in
// Chinese, not/no/never/n't in English, apart from set phrases such as
// 没问题 or "no problem" that affirm.
func negated(norm string) bool {
	s := norm
	for _, p := range negationExempt {
		s = strings.ReplaceAll(s, p, " ")
	}
	if strings.ContainsAny(s, "不没别甭未") {
		return true
	}
	for _, w := range strings.Fields(s) {
		switch w {
		case "not", "no", "never", "nope", "don't", "dont", "doesn't", "isn't", "wasn't", "can't", "won't", "nothing":
			return true
		}
		if strings.HasSuffix(w, "n't") {
			return true
		}
	}
	return false
}

// normalize folds full-width forms and case, turns punctuation into spaces
// and keeps apostrophes inside English words.
func normalize(s string) string {
	s = width.Fold.String(strings.ToLower(s))
	s = strings.ReplaceAll(s, "’", "'")
	var b strings.Builder
	space := true
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'':
			b.WriteRune(r)
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSpace(b.String())
}

func isLatin(s string) bool {
	for _, r := range s {
		if r > unicode.MaxLatin1 {
			return false
		}
	}
	return true
}

// features are English words and word pairs plus Chinese character
// unigrams, bigrams and trigrams.
func features(norm string) map[string]float64 {
	f := map[string]float64{}
	var han []rune
	flush := func() {
		for i := range han {
			f[string(han[i:i+1])] += 0.5
			if i+2 <= len(han) {
				f[string(han[i:i+2])]++
			}
			if i+3 <= len(han) {
				f[string(han[i:i+3])]++
			}
		}
		han = han[:0]
	}
	var words []string
	for _, w := range strings.Fields(norm) {
		if isLatin(w) {
			flush()
			words = append(words, w)
			continue
		}
		for _, r := range w {
			if r <= unicode.MaxLatin1 {
				continue
			}
			han = append(han, r)
		}
		flush()
	}
	flush()
	for i, w := range words {
		f["w:"+w]++
		if i+1 < len(words) {
			f["w:"+w+" "+words[i+1]] += 1.5
		}
	}
	return f
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
