package scripting

import (
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// Sentiment is how the callee sounded: Score in [-1, 1] and a Label,
// one of angry, negative, neutral or positive.
type Sentiment struct {
	Score float64 `json:"score"`
	Label string  `json:"label"`
}

type lexEntry struct {
	word   string
	weight float64
	angry  bool
}

var zhLexicon, enLexicon = buildLexicons()

// zhByRune indexes the Chinese lexicon by first character, longest first.
var zhByRune = func() map[rune][]lexEntry {
	m := map[rune][]lexEntry{}
	for _, e := range zhLexicon {
		r, _ := utf8.DecodeRuneInString(e.word)
		m[r] = append(m[r], e)
	}
	return m
}()

func buildLexicons() ([]lexEntry, map[string]lexEntry) {
	var zh []lexEntry
	addZh := func(w float64, angry bool, words ...string) {
		for _, s := range words {
			zh = append(zh, lexEntry{s, w, angry})
		}
	}
	addZh(1, false, "好", "满意", "喜欢", "谢谢", "感谢", "不错", "棒", "开心", "高兴", "挺好", "赞", "优秀", "愿意", "方便", "没问题", "期待", "放心", "划算", "实惠", "专业", "贴心", "及时")
	addZh(-1, false, "差", "失望", "麻烦", "讨厌", "烦", "不满意", "糟糕", "慢", "贵", "担心", "难受", "不行", "问题", "不好", "坏了", "郁闷", "无语", "后悔", "退货", "太贵")
	addZh(-2, true, "滚", "骚扰", "烦死了", "有病", "神经病", "妈的", "他妈", "骗子", "去死", "闭嘴", "混蛋", "垃圾", "别烦我", "恶心", "气死", "报警", "投诉你们", "什么玩意", "傻", "坑人", "烦不烦", "受够了")
	// Longest first, so 不满意 wins over 满意 and 烦死了 over 烦.
	sort.SliceStable(zh, func(i, j int) bool { return len(zh[i].word) > len(zh[j].word) })
	en := map[string]lexEntry{}
	addEn := func(w float64, angry bool, words ...string) {
		for _, s := range words {
			en[s] = lexEntry{s, w, angry}
		}
	}
	addEn(1, false, "good", "great", "thanks", "thank", "happy", "love", "excellent", "satisfied", "nice", "wonderful", "perfect", "helpful", "awesome", "pleased", "fine", "glad", "fantastic", "amazing", "like", "enjoyed", "friendly", "fast")
	addEn(-1, false, "bad", "poor", "disappointed", "disappointing", "problem", "slow", "expensive", "unhappy", "annoying", "annoyed", "terrible", "awful", "worse", "worst", "hate", "broken", "late", "rude", "wrong", "upset", "complain", "complaint")
	addEn(-2, true, "fuck", "fucking", "shit", "damn", "idiot", "idiots", "stupid", "harass", "harassing", "harassment", "scam", "scammer", "scammers", "furious", "pissed", "useless", "hell", "ridiculous", "sue", "bastard", "bastards", "outrageous")
	return zh, en
}

var zhIntensifiers = []string{"很", "非常", "太", "特别", "真", "超", "极其", "十分", "好"}

// AnalyzeSentiment scores an utterance in Chinese or English (or both
// mixed) with a lexicon, intensifiers (很, 非常, very, so) and negation
// (不满意 is negative, "not good" is negative, "not bad" is mildly positive).
func AnalyzeSentiment(text string) Sentiment {
	norm := width_lower(text)
	var sum float64
	angry := false
	// Chinese: greedy longest match over the text.
	for i := 0; i < len(norm); {
		matched := false
		r, size := utf8.DecodeRuneInString(norm[i:])
		rest := norm[i:]
		for _, e := range zhByRune[r] {
			if !strings.HasPrefix(rest, e.word) {
				continue
			}
			w := e.weight
			before := norm[max(0, i-6):i]
			if e.weight > 0 && (strings.HasSuffix(before, "不") || strings.HasSuffix(before, "没")) {
				w = -w * 0.8
			}
			for _, in := range zhIntensifiers {
				if strings.HasSuffix(before, in) && in != e.word {
					w *= 1.5
					break
				}
			}
			sum += w
			angry = angry || e.angry
			i += len(e.word)
			matched = true
			break
		}
		if !matched {
			i += size
		}
	}
	// English: words with the two before them for negation and intensity.
	words := strings.FieldsFunc(norm, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r == '\'')
	})
	for i, w := range words {
		e, ok := enLexicon[w]
		if !ok {
			continue
		}
		x := e.weight
		for j := max(0, i-2); j < i; j++ {
			switch p := words[j]; p {
			case "not", "no", "never", "don't", "isn't", "wasn't", "didn't", "doesn't", "aren't":
				x = -x * 0.6
			case "very", "so", "really", "extremely", "too", "super":
				x *= 1.5
			default:
				if strings.HasSuffix(p, "n't") {
					x = -x * 0.6
				}
			}
		}
		sum += x
		angry = angry || (e.angry && x < 0)
	}
	if sum < 0 && (strings.Contains(text, "!") || strings.Contains(text, "!")) {
		sum *= 1.3
	}
	score := math.Round(math.Tanh(sum/2)*1000) / 1000
	label := "neutral"
	switch {
	case (angry && score <= -0.3) || score <= -0.8:
		label = "angry"
	case score < -0.2:
		label = "negative"
	case score > 0.2:
		label = "positive"
	}
	return Sentiment{Score: score, Label: label}
}

func width_lower(s string) string { return normalizeKeepPunct(s) }
