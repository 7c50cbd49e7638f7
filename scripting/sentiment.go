package scripting

import (
	"math"
	"regexp"
	"slices"
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
	addZh(1, false, "好的", "好啊", "好呀", "好嘞", "挺好", "很好", "真好", "太好了", "好极了", "好棒", "满意", "喜欢", "谢谢", "感谢", "不错", "棒", "开心", "高兴", "赞", "优秀",
		"没问题", "没什么问题", "期待", "划算", "非常好", "特别好", "真不错", "五星", "满分", "好评", "实惠", "专业", "贴心", "及时", "舒服", "细心", "到位", "给力", "点赞", "没得说", "靠谱", "周到", "耐心", "辛苦了", "热情", "快捷", "省心", "速度快", "很快", "挺快")
	addZh(0.3, false, "放心")
	// Words that look like moods and are not: polite formulas, 差不多, 不方便.
	addZh(0, false, "不认识", "贵不贵", "好不好", "满不满意", "行不行", "说好", "不好意思", "麻烦你", "麻烦您", "麻烦问", "麻烦帮", "差不多", "不方便", "方便", "好几", "好多", "好像", "好好", "好久", "问题", "什么问题", "好的吧")
	addZh(-1, false, "差", "失望", "麻烦", "讨厌", "烦", "不满意", "糟糕", "慢", "贵", "担心", "难受", "有问题", "出问题", "质量问题", "不好", "坏了", "坏的", "郁闷", "无语", "后悔", "退货", "太贵",
		"太高", "投诉", "骚扰", "推销", "不耐烦", "不怎么样", "一般般", "差劲", "不好用", "没效果", "没用", "太复杂", "复杂", "忙死", "累死", "活人", "差评", "坑", "烂", "迟到",
		"别再打", "别打", "不要再打", "不要打", "别给我打", "不要给我打", "别联系", "不要联系", "不要再联系", "别再联系", "拉黑", "黑名单", "退订", "免打扰", "删掉", "删了", "删除", "打扰",
		"谁要", "干嘛", "干啥", "不跟机器", "跟机器说不", "不负责", "不认真", "白花",
		"困难", "失业", "没钱", "拿不出", "周转不开", "还不起", "还不上", "亏了", "手头紧", "不认", "查不到", "不更新", "还没送到", "还没到", "一直没到", "还没收到", "等了半天", "等了好久",
		"说了多少", "都说了", "多少次", "多少遍", "又没", "怎么这么多",
		"一塌糊涂", "乱七八糟", "裁员", "被裁", "辞退", "花光", "出了点事", "出事", "住院", "没修好", "没解决", "又坏了",
		"有个洞", "破洞", "打不通", "没人接", "生病", "赔了", "亏本", "忽悠", "言而无信", "不给退",
		"闹心", "没人管", "莫得人管", "一地都是", "名不副实", "不够用", "送错", "算得不对", "拖着不发", "没开工资", "丢了工作", "工作都丢了", "精光", "不感冒", "浪费口舌", "省省吧", "虚假宣传", "高了一大截")
	addZh(-2, true, "滚", "烦死了", "有病", "神经病", "妈的", "他妈", "骗子", "去死", "闭嘴", "混蛋", "垃圾", "别烦我", "烦我", "恶心", "气死", "报警", "什么玩意", "傻", "坑人", "烦不烦", "受够了",
		"有完没完", "脑子有问题", "骂人", "欺诈", "破服务", "你妈", "王八蛋", "告你们", "举报你们", "靠,", "弄死", "老子")
	// Longest first, so 不满意 wins over 满意 and 烦死了 over 烦.
	sort.SliceStable(zh, func(i, j int) bool { return len(zh[i].word) > len(zh[j].word) })
	en := map[string]lexEntry{}
	addEn := func(w float64, angry bool, words ...string) {
		for _, s := range words {
			en[s] = lexEntry{s, w, angry}
		}
	}
	addEn(1, false, "good", "great", "thanks", "thank", "happy", "love", "excellent", "satisfied", "nice", "wonderful", "perfect", "helpful", "awesome", "pleased", "glad", "fantastic", "amazing", "enjoyed", "friendly", "fast", "appreciate", "pleasantly", "perfectly")
	addEn(0.4, false, "fine", "ok")
	addEn(-1, false, "bad", "poor", "disappointed", "disappointing", "problem", "slow", "expensive", "unhappy", "annoying", "annoyed", "terrible", "awful", "worse", "worst", "hate", "broken", "late", "rude", "upset", "complain", "complaint",
		"hassle", "letdown", "worried", "worry", "damaged", "overcharged", "unacceptable", "bugging", "bothering", "bother", "harass", "harassing", "unsubscribe", "desist",
		"tight", "broke", "disability", "stole", "charged", "unemployed",
		"joke", "threw", "tossed", "ripped", "torn", "scratched", "dented", "ruined", "lied", "misled", "ignored",
		"robbery", "struggling", "shocking", "dreadful", "rubbish", "shoddy", "appalling", "skint")
	addEn(-2, true, "scam", "fuck", "fucking", "shit", "bullshit", "damn", "idiot", "idiots", "stupid", "scammer", "scammers", "furious", "pissed", "useless", "hell", "ridiculous", "sue", "bastard", "bastards", "outrageous", "moron", "morons", "crap", "solicitor", "lawyer")
	return zh, en
}

var zhIntensifiers = []string{"很", "非常", "太", "特别", "真", "超", "极其", "十分", "好", "挺"}

// sentimentPatterns weigh English phrases a word list cannot: ways of
// saying a mood without a mood word ("I told you", "take me off").
var sentimentPatterns = []struct {
	re     *regexp.Regexp
	weight float64
	angry  bool
}{
	{regexp.MustCompile(`\b(second|third|fourth|fifth) time\b`), -1, false},
	{regexp.MustCompile(`\b(too high|can't pay|can't afford|lost my job|out of work|keep (telling|calling|saying)|i told you)\b`), -1, false},
	{regexp.MustCompile(`\b(nothing left|way off|nobody told me|done with you|sick of|fed up|went up by|behind on|cut my hours|can't cover)\b`), -1, false},
	{regexp.MustCompile(`\breport(ing)? you\b`), -2, true},
	{regexp.MustCompile(`\bcount me in\b|\blove to\b|\bthat's awesome\b`), 1, false},
	{regexp.MustCompile(`(don't|do not) want to (talk|speak) to a (machine|computer|robot|bot)`), -1, false},
	{regexp.MustCompile(`\b(stop|quit|never|don't|do not)( \w+){0,2} (call|calling|contact)|\bleave me alone\b|\btake me off\b|\bremove (me|my|this)\b|\bno more calls\b|\bdon't want any more\b|\bwasting my\b|\bkeeps happening\b`), -1, false},
	{regexp.MustCompile(`\bshut up\b|\bgo to hell\b|\bwhat the hell\b`), -2, true},
}

// sentimentIdioms carry no mood though their words do; they are taken out
// before the words are scored.
var sentimentIdioms = regexp.MustCompile(`\b(bad|good|not a good) time\b|\bno problem\b|\bnot a problem\b|\bno worries\b`)

// AnalyzeSentiment scores an utterance in Chinese or English (or both
// mixed) with a lexicon, intensifiers (很, 非常, very, so) and negation
// (不满意 is negative, "not good" is negative, "not bad" is mildly positive).
// Requests to stop calling and complaints sound negative without a mood
// word; thanks in a refusal ("不用了谢谢", "no thanks") are politeness, and
// polite formulas (麻烦您, 不好意思, 请问…问题) are no mood at all.
func AnalyzeSentiment(text string) Sentiment {
	return analyzeSentiment(text, hear(text), "")
}

// analyzeSentiment scores text as heard; intent is what it was understood
// as ("" when not understood yet).
func analyzeSentiment(text string, h *heard, intent string) Sentiment {
	norm := sentimentIdioms.ReplaceAllString(zhRewriter.Replace(width_lower(text)), " ")
	// In a refusal, kind words are politeness: 不用了谢谢, "no thanks".
	refusal := h.concepts["REFUSE"] > 0
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
			if w > 0 && refusal {
				w = 0
			}
			before := norm[max(0, i-9):i]
			if e.weight > 0 && zhNegatedBefore(before) {
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
		if !ok || (e.weight > 0 && refusal) {
			continue
		}
		x := e.weight
		for j := max(0, i-2); j < i; j++ {
			switch p := words[j]; p {
			case "not", "never", "don't", "isn't", "wasn't", "didn't", "doesn't", "aren't":
				x = -x * 0.6
			case "no":
				// "no good" negates; "no, I'm fine" answers.
				if j == i-1 {
					x = -x * 0.6
				}
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
	for _, p := range sentimentPatterns {
		if p.re.MatchString(norm) && !(p.weight > 0 && refusal) {
			sum += p.weight
			angry = angry || p.angry
		}
	}
	// A request to stop calling, or a complaint, is negative though it
	// names no mood: said in so many words (a cue), or understood as one
	// ("the crown you fitted has cracked").
	if (slices.Contains(h.cues, "stop") || slices.Contains(h.cues, "complaint") || intent == "stop" || intent == "complaint") && sum > -1 {
		sum = min(sum, 0) - 1
	}
	if sum < 0 && (strings.Contains(text, "!") || strings.Contains(text, "!")) {
		sum *= 1.3
	}
	score := math.Round(math.Tanh(sum/2)*1000) / 1000
	label := "neutral"
	switch {
	case (angry && score <= -0.3) || score <= -0.9:
		label = "angry"
	case score < -0.2:
		label = "negative"
	case score > 0.2:
		label = "positive"
	}
	return Sentiment{Score: score, Label: label}
}

// zhNegatedBefore reports whether the text just before a word negates it:
// 不满意, 没满意, 不太满意, 不是很满意.
func zhNegatedBefore(before string) bool {
	for _, n := range []string{"不", "没", "不太", "不是很", "不是太", "不怎么", "没那么", "不够", "没有"} {
		if strings.HasSuffix(before, n) {
			return true
		}
	}
	return false
}

func width_lower(s string) string { return normalizeKeepPunct(s) }
