package scripting

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sync"
)

// The built-in intents are recognised by a linear model (multinomial
// logistic regression) over the features of [heard]: characters, words,
// concepts, pairs of concepts, cue phrases, and the slots and shape of the
// utterance. Its weights are learned from builtinExamples, noneExamples and
// the dev split of the evaluation set (scripting/testdata/nlu, never its
// held-out split) by TestTrainIntentModel, and ship in nlu_weights.json, so
// understanding runs offline, in Go, in tens of microseconds. To retrain
// after changing the lexicon, the features, the examples or the dev split:
//
//	go test ./scripting/ -run TestTrainIntentModel -nlu.train
//
// The model has one class per built-in intent plus "none": what a tenant's
// intents or no_match are for.

//go:embed nlu_weights.json
var intentWeightsJSON []byte

// noneClass is the model's class for "no built-in intent".
const noneClass = "none"

type intentModel struct {
	Classes []string  `json:"classes"`
	Bias    []float64 `json:"bias"`
	// Weights maps a feature to one weight per class.
	Weights map[string][]float64 `json:"weights,omitempty"`
	// Accept is the probability from which a built-in intent is answered;
	// below it the utterance is no_match (or a tenant's intent).
	Accept float64 `json:"accept"`
	// AcceptTenant is the same where the script also listens for intents
	// of its own: there a built-in intent must be surer to be answered
	// instead of one of them. Zero means Accept.
	AcceptTenant float64 `json:"acceptTenant,omitempty"`
	// Arbiter weighs a tenant's intents against the built-in ones; without
	// one, fixed thresholds do (see rank).
	Arbiter *arbiter `json:"arbiter,omitempty"`
	// TrainedOn records the SHA-256 of each training input, so a test can
	// tell when the weights are older than the data.
	TrainedOn map[string]string `json:"trainedOn"`
}

var (
	builtinModelOnce sync.Once
	builtinModel     *intentModel
)

// defaultIntentModel returns the shipped model.
func defaultIntentModel() *intentModel {
	builtinModelOnce.Do(func() {
		m := &intentModel{}
		if err := json.Unmarshal(intentWeightsJSON, m); err != nil || len(m.Classes) == 0 {
			// A build without weights (while they are being retrained)
			// answers no built-in intent rather than failing.
			m = &intentModel{Classes: []string{noneClass}, Bias: []float64{0}, Weights: map[string][]float64{}, Accept: 1}
			if err != nil {
				panic(fmt.Sprintf("scripting: nlu_weights.json: %v", err))
			}
		}
		builtinModel = m
	})
	return builtinModel
}

// modelFeatures are the features the model reads: those of heard plus cue
// phrases, which slots were found, and the utterance's length and kind.
func modelFeatures(h *heard, slots Slots, add func(string, float64)) {
	h.features(add)
	for _, c := range h.cues {
		add("cue:"+c, 1)
	}
	for _, k := range []string{"date", "time", "number", "amount"} {
		if _, ok := slots[k]; ok {
			add("slot:"+k, 1)
		}
	}
	if h.negated {
		add("neg", 1)
	}
	if h.dneg {
		add("dneg", 1)
	}
	n := len([]rune(h.compact))
	if !h.hasHan {
		n = 0
		for _, w := range h.words {
			if w != "," {
				n += 2
			}
		}
	}
	switch {
	case n <= 1:
		add("len:1", 1)
	case n <= 3:
		add("len:3", 1)
	case n <= 6:
		add("len:6", 1)
	case n <= 10:
		add("len:10", 1)
	default:
		add("len:long", 1)
	}
	add("bias:"+map[bool]string{true: "zh", false: "en"}[h.hasHan], 1)
}

// predict returns the model's probability for each class.
func (m *intentModel) predict(h *heard, slots Slots) []float64 {
	z := append([]float64(nil), m.Bias...)
	modelFeatures(h, slots, func(f string, v float64) {
		if w, ok := m.Weights[f]; ok {
			for i := range z {
				z[i] += v * w[i]
			}
		}
	})
	return softmax(z)
}

func softmax(z []float64) []float64 {
	hi := math.Inf(-1)
	for _, v := range z {
		hi = max(hi, v)
	}
	var sum float64
	for i, v := range z {
		z[i] = math.Exp(v - hi)
		sum += z[i]
	}
	for i := range z {
		z[i] /= sum
	}
	return z
}
