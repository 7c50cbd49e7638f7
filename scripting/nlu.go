package scripting

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
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
	RunnerUp           string  `json:"runnerUp,omitempty"`
	RunnerUpConfidence float64 `json:"runnerUpConfidence,omitempty"`
	// Negated is set when a negation governs what the callee said
	// (不需要, "not interested") and is not itself negated (不是不想).
	Negated   bool      `json:"negated,omitempty"`
	Slots     Slots     `json:"slots,omitempty"`
	Sentiment Sentiment `json:"sentiment"`
}

// Classifier recognises intents: the built-in ones with a model learned
// from examples (see nlu_model.go), and a tenant's own from the few
// examples its script gives, by similarity. Both read the utterance the
// same way (nlu_text.go): rewritten to one spelling, without fillers, with
// its concepts (synonym classes, negation applied), so a tenant intent
// taught with "已经还了" also hears "上礼拜就还清了". A Classifier is safe
// for concurrent use.
type Classifier struct {
	model    *intentModel
	examples []example
	// words and meaning compare an utterance with the examples: words by
	// characters and English words, meaning by concepts.
	words, meaning simChannel
	intents        []string
	// topics holds, for each tenant intent, the content features of its
	// examples (see content).
	topics map[string]map[string]bool
	// readAs holds, for each tenant intent, the share of its examples the
	// model reads as each built-in intent (stop aside). From shadowMinShare
	// the tenant intent shadows that built-in intent (see shadows).
	readAs map[string]map[string]float64
	// tenses holds the tense most of a tenant intent's examples share
	// (see tense), for the intents whose examples never say the other.
	tenses map[string]int
	// accept is the model's probability from which a built-in intent is
	// answered: its Accept, or AcceptTenant beside intents of the script's own.
	accept float64
}

// tenseMismatch is what an intent's similarity is multiplied by when the
// utterance speaks of the past and the intent's examples of the future, or
// the other way round: "my wife paid it on monday" is no promise to pay on
// a day, however like "i'll pay on friday" its words are.
var tenseMismatch = 0.6

// tense says whether an utterance speaks of what has happened (-1) or of
// what will (1); one that does both, or neither, has none (0). With perf
// false, only words of time and completion count: a clause-final 了 or an
// English "-ed" marks the past too loosely for judging an intent by its
// examples ("不需要了", "satisfied").
func tense(h *heard, perf bool) int {
	past := (perf && h.concepts["PERF"] > 0) || h.concepts["DONE"] > 0 || h.concepts["PAST_DAY"] > 0
	future := h.concepts["WILL"] > 0 || h.concepts["FUTURE_DAY"] > 0
	switch {
	case past && !future:
		return -1
	case future && !past:
		return 1
	}
	return 0
}

// simChannel is a TF-IDF index of the examples over one kind of feature,
// with each intent's examples averaged.
type simChannel struct {
	index     map[string][]posting
	idf       map[string]float64
	centroids map[string]map[string]float64
	// unknownIDF weighs features no example has.
	unknownIDF float64
}

type example struct {
	intent  string
	compact string // as heard, without spaces, for containment
	runes   int
}

// zhFunctionChars and enStopwords carry grammar rather than a subject: a
// tenant intent needs more in common with an utterance than these.
const zhFunctionChars = "的了吗呢吧啊呀嘛哦是我你他她它们这那个有在什么怎么哪几多少要会能可以就还也都很太再说一下问请吗喂嗯得到去来给把被让"

var enStopwords = map[string]bool{"a": true, "an": true, "the": true, "is": true, "are": true, "was": true, "be": true, "it": true, "it's": true, "this": true, "that": true, "what": true, "what's": true, "who": true, "who's": true,
	"how": true, "do": true, "does": true, "did": true, "i": true, "i'm": true, "me": true, "my": true, "you": true, "your": true, "we": true, "our": true, "to": true, "of": true, "in": true, "on": true, "at": true, "for": true,
	"and": true, "or": true, "can": true, "could": true, "will": true, "would": true, "there": true, "there's": true, "here": true, "hello": true, "hi": true, "yes": true, "no": true, "so": true, "just": true, "please": true,
	"again": true, "about": true, "with": true, "have": true, "has": true, "get": true, "if": true, "any": true, "up": true, "out": true, "now": true, "right": true, "say": true, "said": true, "sorry": true, "huh": true}

// content reports whether a similarity feature names a subject: a concept
// that is not a weak one, Chinese characters beyond grammar, an English
// word that is not a stopword.
func content(f string) bool {
	kind, v, _ := strings.Cut(f, ":")
	switch kind {
	case "k":
		return !weakConcepts[strings.TrimPrefix(v, "!")]
	case "c2", "c3":
		n := 0
		for _, r := range v {
			if r == '#' {
				return false
			}
			if !strings.ContainsRune(zhFunctionChars, r) {
				n++
			}
		}
		return n > 0
	case "w":
		return !enStopwords[v]
	case "w2":
		a, b, _ := strings.Cut(v, " ")
		return a != "#" && b != "#" && (!enStopwords[a] || !enStopwords[b])
	}
	return false
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

// NewClassifier builds a classifier from the built-in intents plus extra,
// a map of intent name → example phrases (new intents or more examples for
// built-in ones).
func NewClassifier(extra map[string][]string) *Classifier {
	return newClassifier(defaultIntentModel(), extra)
}

// similarity weighs each kind of feature when an utterance is compared
// with a tenant's examples, in two channels: the words it uses and the
// concepts it means.
var similarity = map[string]float64{"c1": 0.5, "c2": 1, "c3": 1, "w": 1, "w2": 0.7, "k": 1}

// meaningShare is how much of a tenant intent's similarity comes from
// concepts, the rest from words.
var meaningShare = 0.7

// weakConcepts say how something is said more than what: they count for
// little when utterances are compared by meaning.
var weakConcepts = map[string]bool{"REPEAT": true, "QUESTION": true, "POLITE": true, "NOW": true, "TALK": true, "WAIT": true, "KNOW": true, "THANKS": true, "AGAIN": true}

func similarityFeatures(h *heard) (words, meaning map[string]float64) {
	words, meaning = map[string]float64{}, map[string]float64{}
	h.features(func(name string, v float64) {
		kind, id, _ := strings.Cut(name, ":")
		w := similarity[kind]
		switch {
		case w == 0:
		case kind == "k":
			if weakConcepts[strings.TrimPrefix(id, "!")] {
				w *= 0.3
			}
			meaning[name] += v * w
		default:
			words[name] += v * w
		}
	})
	return words, meaning
}

// backgroundDF counts, over the built-in examples, the examples each
// similarity feature occurs in: how common a feature is in what callees say.
var backgroundDF = sync.OnceValues(func() (map[string]int, int) {
	df := map[string]int{}
	n := 0
	var texts []string
	for _, in := range BuiltinIntents {
		texts = append(texts, builtinExamples[in]...)
	}
	for _, t := range slices.Concat(texts, noneExamples) {
		w, m := similarityFeatures(hear(t))
		for f := range w {
			df[f]++
		}
		for f := range m {
			df[f]++
		}
		n++
	}
	return df, n
})

func newClassifier(m *intentModel, extra map[string][]string) *Classifier {
	c := &Classifier{model: m, topics: map[string]map[string]bool{}, tenses: map[string]int{}, accept: m.Accept}
	c.intents = append(c.intents, BuiltinIntents...)
	names := make([]string, 0, len(extra))
	for k := range extra {
		names = append(names, k)
	}
	sort.Strings(names)
	var words, meaning []map[string]float64
	for _, k := range names {
		if !slices.Contains(c.intents, k) {
			c.intents = append(c.intents, k)
		}
		if !slices.Contains(BuiltinIntents, k) && m.AcceptTenant > 0 {
			c.accept = m.AcceptTenant
		}
		past, future := 0, 0
		for _, t := range extra[k] {
			h := hear(t)
			switch tense(h, false) {
			case -1:
				past++
			case 1:
				future++
			}
			if h.compact == "" {
				continue
			}
			c.examples = append(c.examples, example{intent: k, compact: h.compact, runes: utf8.RuneCountInString(h.compact)})
			w, mn := similarityFeatures(h)
			words, meaning = append(words, w), append(meaning, mn)
			if c.topics[k] == nil {
				c.topics[k] = map[string]bool{}
			}
			for f := range w {
				if content(f) {
					c.topics[k][f] = true
				}
			}
			for f := range mn {
				if content(f) {
					c.topics[k][f] = true
				}
			}
		}
		if n := len(extra[k]); 5*past >= 3*n && future == 0 {
			c.tenses[k] = -1
		} else if 5*future >= 3*n && past == 0 {
			c.tenses[k] = 1
		}
	}
	c.words = newSimChannel(c.examples, words)
	c.meaning = newSimChannel(c.examples, meaning)
	c.readAs = map[string]map[string]float64{}
	for _, k := range names {
		if slices.Contains(BuiltinIntents, k) {
			continue
		}
		seen := map[string]int{}
		for _, t := range extra[k] {
			h := hear(t)
			p := m.predict(h, ParseSlots(t, time.Time{}))
			best := 0
			for i := range p {
				if p[i] > p[best] {
					best = i
				}
			}
			// Stop is never shadowed: a request to stop calling is always one.
			if cl := m.Classes[best]; cl != noneClass && cl != "stop" && p[best] >= c.accept {
				seen[cl]++
			}
		}
		c.readAs[k] = map[string]float64{}
		for in, n := range seen {
			c.readAs[k][in] = float64(n) / float64(len(extra[k]))
		}
	}
	return c
}

// shadows reports whether the tenant intent shadows the built-in one: the
// model reads enough of its examples as that built-in intent. A script's
// "reschedule" taught with "push it to next week" is its own kind of
// later, and takes what the model hears as later when it is at all like it.
func (c *Classifier) shadows(tenantIntent, builtinIntent string) bool {
	return c.readAs[tenantIntent][builtinIntent] >= shadowMinShare
}

func newSimChannel(examples []example, vecs []map[string]float64) simChannel {
	ch := simChannel{index: map[string][]posting{}, idf: map[string]float64{}, centroids: map[string]map[string]float64{}}
	bg, nbg := backgroundDF()
	df := map[string]int{}
	for _, v := range vecs {
		for f := range v {
			df[f]++
		}
	}
	n := float64(nbg + len(vecs))
	ch.unknownIDF = math.Log(1+n) + 0.1
	for i, v := range vecs {
		var norm float64
		for f, tf := range v {
			idf, ok := ch.idf[f]
			if !ok {
				idf = math.Log(1+n/float64(df[f]+bg[f])) + 0.1
				ch.idf[f] = idf
			}
			v[f] = tf * idf
			norm += v[f] * v[f]
		}
		if norm == 0 {
			continue
		}
		norm = math.Sqrt(norm)
		in := examples[i].intent
		if ch.centroids[in] == nil {
			ch.centroids[in] = map[string]float64{}
		}
		for f, w := range v {
			ch.index[f] = append(ch.index[f], posting{ex: i, w: w / norm})
			ch.centroids[in][f] += w / norm
		}
	}
	for _, cen := range ch.centroids {
		var norm float64
		for _, w := range cen {
			norm += w * w
		}
		norm = math.Sqrt(norm)
		for f := range cen {
			cen[f] /= norm
		}
	}
	return ch
}

// score returns, for each intent, the blend of the cosine with its
// nearest example and with its examples averaged.
func (ch *simChannel) score(q map[string]float64, examples []example, into map[string]float64, share float64) {
	var qnorm float64
	for f, tf := range q {
		idf, known := ch.idf[f]
		if !known {
			idf = ch.unknownIDF
		}
		q[f] = tf * idf
		qnorm += q[f] * q[f]
	}
	if qnorm == 0 {
		return
	}
	qnorm = math.Sqrt(qnorm)
	dots := make([]float64, len(examples))
	for f, w := range q {
		for _, p := range ch.index[f] {
			dots[p.ex] += w * p.w
		}
	}
	near := map[string]float64{}
	for ex, d := range dots {
		in := examples[ex].intent
		near[in] = max(near[in], d/qnorm)
	}
	for in, cen := range ch.centroids {
		var d float64
		for f, w := range q {
			d += w * cen[f]
		}
		into[in] += share * ((1-centroidShare)*near[in] + centroidShare*d/qnorm)
	}
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

// How a tenant's intents and the built-in ones are weighed against each
// other where the model has no arbiter (tuned on the dev split): a tenant
// intent is answered when its similarity reaches tenantAccept and is not
// far below the best built-in intent's probability, or, when no built-in
// intent is sure enough, from tenantFloor. tenantAccept and tenantFloor
// also map a tenant intent's similarity to its confidence.
var (
	tenantAccept = 0.5
	tenantMargin = 0.3
	tenantFloor  = 0.1
	// shadowFloor is the similarity from which a tenant intent takes what
	// the model hears as the built-in intent it shadows, and shadowMinShare
	// the share of its examples that must read as that built-in intent.
	shadowFloor    = 0.25
	shadowMinShare = 0.2
	// centroidShare is how much of a tenant intent's similarity comes from
	// its examples averaged, the rest from the nearest example.
	centroidShare = 0.4
)

type scored struct {
	intent string
	score  float64
}

// byScore orders the best first, ties by name.
func byScore(a, b scored) int {
	if a.score != b.score {
		if a.score > b.score {
			return -1
		}
		return 1
	}
	return strings.Compare(a.intent, b.intent)
}

// Understand returns intent, confidence, runner-up, slots and sentiment.
// now anchors relative dates such as 明天 or "tomorrow".
func (c *Classifier) Understand(lang, text string, now time.Time) Understanding {
	u := Understanding{Intent: "no_match"}
	h := hear(text)
	u.Slots = ParseSlots(text, now)
	if h.compact == "" {
		u.Sentiment = analyzeSentiment(text, h, "")
		return u
	}
	u.Negated = h.negated && !h.dneg
	ranked := c.rank(h, u.Slots)
	top := ranked[0]
	if top.score < NoMatchThreshold && len(h.parts) > 1 {
		// Nothing clear in the whole: a clause may still answer, as in
		// "是的,要我把验证码告诉你吗" or "yes, what is this about?".
		for _, part := range h.parts[:min(len(h.parts), 4)] {
			ph := hear(part)
			if ph.compact == "" {
				continue
			}
			if r := c.rank(ph, ParseSlots(part, now)); r[0].score*0.9 >= NoMatchThreshold && r[0].score*0.9 > top.score {
				top = scored{r[0].intent, r[0].score * 0.9}
				ranked = append([]scored{top}, slices.DeleteFunc(ranked, func(s scored) bool { return s.intent == top.intent })...)
			}
		}
	}
	if len(ranked) > 1 {
		u.RunnerUp, u.RunnerUpConfidence = ranked[1].intent, round3(ranked[1].score)
	}
	u.Confidence = round3(min(top.score, 1))
	if top.score >= NoMatchThreshold {
		u.Intent = top.intent
	} else {
		u.RunnerUp, u.RunnerUpConfidence = top.intent, round3(top.score)
	}
	u.Sentiment = analyzeSentiment(text, h, u.Intent)
	return u
}

// rank weighs the model's built-in intents against the tenant's, best
// first, each with its confidence.
func (c *Classifier) rank(h *heard, slots Slots) []scored {
	cd := c.candidates(h, slots)
	builtin, tenant := cd.builtin, cd.tenant
	var ranked []scored
	if a := c.model.Arbiter; a != nil && len(tenant) > 0 && (builtin[0].intent != "stop" || builtin[0].score < NoMatchThreshold) {
		// A request to stop calling is heard as surely in every state,
		// and never where the model is not sure of it: only the rest is
		// weighed by the arbiter.
		choice := a.choose(cd.features())
		if choice == choiceBuiltin && builtin[0].intent == "stop" {
			choice = choiceNone
		}
		switch choice {
		case choiceTenant:
			best := tenant[0]
			best.score = tenantConfidence(best.score)
			ranked = append([]scored{best}, slices.Concat(tenant[1:], builtin)...)
		case choiceBuiltin:
			best := builtin[0]
			best.score = max(best.score, NoMatchThreshold)
			ranked = append([]scored{best}, slices.Concat(builtin[1:], tenant)...)
		default:
			// No intent: each keeps its confidence, below the threshold.
			ranked = slices.Concat(builtin, tenant)
			for i := range ranked {
				ranked[i].score = min(ranked[i].score, math.Nextafter(NoMatchThreshold, 0))
			}
			slices.SortStableFunc(ranked, byScore)
			return ranked
		}
		slices.SortStableFunc(ranked[1:], byScore)
		return ranked
	}
	shadow := -1
	if b := builtin[0]; b.score >= NoMatchThreshold {
		for i, t := range tenant {
			if t.score >= shadowFloor && c.shadows(t.intent, b.intent) {
				shadow = i
				break
			}
		}
	}
	switch {
	case len(tenant) > 0 && tenant[0].score >= tenantAccept && tenant[0].score+tenantMargin >= builtin[0].score:
		ranked = slices.Concat(tenant, builtin)
	case shadow >= 0:
		best := tenant[shadow]
		best.score = max(best.score, builtin[0].score)
		ranked = append([]scored{best}, slices.Concat(slices.Delete(slices.Clone(tenant), shadow, shadow+1), builtin)...)
	case len(tenant) > 0 && tenant[0].score >= tenantFloor && builtin[0].score < NoMatchThreshold:
		// No built-in intent fits, and one of the tenant's fits best: its
		// similarity, low as it may be, is the answer's confidence on the
		// scale from tenantFloor (NoMatchThreshold) to tenantAccept.
		best := tenant[0]
		best.score = tenantConfidence(best.score)
		ranked = append([]scored{best}, slices.Concat(tenant[1:], builtin)...)
	default:
		ranked = slices.Concat(builtin, tenant)
	}
	slices.SortStableFunc(ranked[1:], byScore)
	return ranked
}

// tenantConfidence maps a tenant intent's similarity to a confidence: a
// similarity from tenantAccept is its own confidence, one below it lies on
// the scale from tenantFloor (NoMatchThreshold) to tenantAccept.
func tenantConfidence(s float64) float64 {
	if s >= tenantAccept {
		return s
	}
	return NoMatchThreshold + (tenantAccept-NoMatchThreshold)*max(s-tenantFloor, 0)/(tenantAccept-tenantFloor)
}

// candidates are the built-in intents with their confidences and the
// tenant's with their similarities, each best first, with what the
// arbiter reads to weigh the best of each against the other.
type candidates struct {
	builtin, tenant []scored
	// pNone is the model's probability of no built-in intent.
	pNone float64
	// shadowed says whether the best tenant intent shadows the best
	// built-in one, readAs the share of its examples the model reads as it.
	shadowed bool
	readAs   float64
	sim      simInfo
	runes    int
	// tenseAgrees says whether the utterance speaks of the past or the
	// future as the best tenant intent's examples do.
	tenseAgrees bool
}

func (c *Classifier) candidates(h *heard, slots Slots) candidates {
	// The model's built-in intents, as confidences: accept maps to
	// NoMatchThreshold.
	p := c.model.predict(h, slots)
	var cd candidates
	for i, cl := range c.model.Classes {
		if cl == noneClass {
			cd.pNone = p[i]
			continue
		}
		accept := c.accept
		if cl == "stop" {
			// A request to stop calling is heard as surely in every
			// state: an opt-out may never pass for a tenant's intent.
			accept = c.model.Accept
		}
		cd.builtin = append(cd.builtin, scored{cl, confidence(p[i], accept)})
	}
	tenant, sim := c.similar(h)
	// A tenant's examples for a built-in intent add to the model's.
	for i := range cd.builtin {
		for j, t := range tenant {
			if t.intent == cd.builtin[i].intent {
				cd.builtin[i].score = max(cd.builtin[i].score, t.score)
				tenant = slices.Delete(tenant, j, j+1)
				break
			}
		}
	}
	if len(cd.builtin) == 0 {
		cd.builtin = []scored{{"no_match", 0}}
	}
	slices.SortFunc(cd.builtin, byScore)
	slices.SortFunc(tenant, byScore)
	cd.tenant, cd.sim, cd.runes = tenant, sim, utf8.RuneCountInString(h.compact)
	if len(tenant) > 0 {
		cd.shadowed = c.shadows(tenant[0].intent, cd.builtin[0].intent)
		cd.readAs = c.readAs[tenant[0].intent][cd.builtin[0].intent]
		if sim.content > 0 {
			cd.sim.cover = sim.shared[tenant[0].intent] / sim.content
		}
		cd.tenseAgrees = sim.tense != 0 && c.tenses[tenant[0].intent] == sim.tense
	}
	return cd
}

// confidence maps the model's probability to a confidence on the scale
// where NoMatchThreshold separates an answer from no_match.
func confidence(p, accept float64) float64 {
	if p >= accept {
		return NoMatchThreshold + (1-NoMatchThreshold)*(p-accept)/max(1-accept, 1e-9)
	}
	return NoMatchThreshold * p / max(accept, 1e-9)
}

// simInfo is what an utterance's words have in common with a tenant's
// examples beyond the similarities.
type simInfo struct {
	// shared holds, for each tenant intent, the rarity (IDF) summed over
	// the utterance's content its examples share, and content that summed
	// over all of it; cover is the share the best intent's examples share
	// and coverAny the share any intent's examples share.
	shared          map[string]float64
	content         float64
	cover, coverAny float64
	// question says whether the utterance asks something, tense what
	// tense says of it.
	question bool
	tense    int
}

// similar scores each tenant intent by its examples: an example found
// inside the utterance, or the TF-IDF cosines (words and meaning) with the
// nearest example and with the intent's examples averaged.
func (c *Classifier) similar(h *heard) ([]scored, simInfo) {
	var info simInfo
	if len(c.examples) == 0 {
		return nil, info
	}
	contained := map[string]float64{}
	total := utf8.RuneCountInString(h.compact)
	for _, e := range c.examples {
		if (e.runes >= 2 || !h.hasHan) && strings.Contains(h.compact, e.compact) {
			contained[e.intent] = max(contained[e.intent], 0.55+0.45*float64(e.runes)/float64(max(total, e.runes)))
		}
	}
	sim := map[string]float64{}
	w, m := similarityFeatures(h)
	// What the utterance shares with each intent beyond grammar: without
	// it, "what?" is like no intent however like its words are.
	shared := map[string]float64{}
	var all, anyShared float64
	for _, ch := range []struct {
		fs  map[string]float64
		sim *simChannel
	}{{w, &c.words}, {m, &c.meaning}} {
		for f := range ch.fs {
			if f == "k:QUESTION" {
				info.question = true
			}
			if !content(f) {
				continue
			}
			idf, known := ch.sim.idf[f]
			if !known {
				idf = ch.sim.unknownIDF
			}
			all += idf
			found := false
			for in, topic := range c.topics {
				if topic[f] {
					shared[in] += idf
					found = true
				}
			}
			if found {
				anyShared += idf
			}
		}
	}
	info.shared, info.content = shared, all
	if all > 0 {
		info.coverAny = anyShared / all
	}
	c.words.score(w, c.examples, sim, 1-meaningShare)
	c.meaning.score(m, c.examples, sim, meaningShare)
	out := make([]scored, 0, len(sim))
	ut := tense(h, true)
	info.tense = ut
	for in := range c.words.centroids {
		s := sim[in]
		if shared[in] == 0 {
			s = 0
		}
		if ut != 0 && c.tenses[in] == -ut {
			s *= tenseMismatch
		}
		out = append(out, scored{in, max(s, contained[in])})
	}
	return out, info
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// The arbiter's choices.
const (
	choiceTenant = iota
	choiceBuiltin
	choiceNone
	nChoices
)

// arbiter decides, in a state that also listens for a script's own
// intents, between the best of them, the best built-in intent and
// no_match. It is a softmax over the three from features that name no
// script or intent of a script's (see candidates.features), learned from
// the dev split's cross-validated predictions: what it learns carries over
// to any tenant's script.
type arbiter struct {
	// Weights holds one row of weights per choice, one per feature.
	Weights [nChoices][]float64 `json:"weights"`
}

func (a *arbiter) choose(x []float64) int {
	best, bestScore := choiceNone, math.Inf(-1)
	for k := range nChoices {
		var s float64
		for i, v := range x {
			if i < len(a.Weights[k]) {
				s += a.Weights[k][i] * v
			}
		}
		if s > bestScore {
			best, bestScore = k, s
		}
	}
	return best
}

// arbiterIntents are the built-in intents the arbiter tells apart when
// one is the best.
var arbiterIntents = []string{"affirm", "deny", "later", "busy", "human", "stop", "wrong_number", "complaint"}

// features are what the arbiter reads: the best tenant similarity and the
// runner-up's, the best built-in confidences and the model's no-intent
// probability, whether the best tenant intent shadows the best built-in
// one and how many of its examples read as it, how much of the
// utterance's content the best tenant intent's examples and all of them
// share, whether it asks something, its length, whether it speaks of the
// past or the future as the best tenant intent's examples do, which
// built-in intent is best, and products of these.
func (cd *candidates) features() []float64 {
	var s1, s2, b1 float64
	if len(cd.tenant) > 0 {
		s1 = cd.tenant[0].score
	}
	if len(cd.tenant) > 1 {
		s2 = cd.tenant[1].score
	}
	b0 := min(cd.builtin[0].score, 1)
	if len(cd.builtin) > 1 {
		b1 = min(cd.builtin[1].score, 1)
	}
	x := []float64{1, s1, s2, b0, b1, cd.pNone, b2f(cd.shadowed), cd.readAs, cd.sim.cover, cd.sim.coverAny, b2f(cd.sim.question), math.Log1p(float64(cd.runes)) / 4, s1 * b0,
		s1 - s2, s1 * cd.sim.cover, s1 * cd.pNone, b0 * cd.pNone, s1 * s1, b0 * b0, b2f(cd.tenseAgrees)}
	for _, in := range arbiterIntents {
		is := b2f(cd.builtin[0].intent == in)
		x = append(x, is, b0*is, s1*is)
	}
	return x
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
