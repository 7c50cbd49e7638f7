package scripting

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/width"
)

// heard is an utterance made ready for understanding: rewritten to one
// spelling, without fillers, cut into clauses at punctuation, with its
// concepts and cue phrases found.
type heard struct {
	// han holds the Chinese clauses, each between '#' marks: "#是的#我在家#".
	han string
	// words holds the English words; "," stands between clauses.
	words []string
	// compact is the text without spaces or clause marks, for containment.
	compact string
	// concepts maps a concept ("PAY", or "!PAY" when negated) to its weight:
	// 1 for a word of two or more characters, 0.5 for a single character.
	concepts map[string]float64
	// cues lists the built-in intents whose cue phrases occur.
	cues []string
	// negated: a negation governs something the callee said; dneg: a
	// negation is itself negated (不是不想, "I didn't say no").
	negated, dneg bool
	hasHan        bool
	// parts are the clauses as said, for reading them one by one when the
	// whole says nothing clear ("是的,要我把验证码告诉你吗").
	parts []string
}

var (
	zhRewriter   = newLongestReplacer(zhRewrites)
	enRewriteMap = func() map[string][][2][]string {
		m := map[string][][2][]string{}
		for i := 0; i+1 < len(enRewrites); i += 2 {
			from, to := strings.Fields(enRewrites[i]), strings.Fields(enRewrites[i+1])
			m[from[0]] = append(m[from[0]], [2][]string{from, to})
		}
		for _, v := range m {
			sort.SliceStable(v, func(i, j int) bool { return len(v[i][0]) > len(v[j][0]) })
		}
		return m
	}()
	zhConceptIndex, zhConceptMax = conceptIndex(func(c struct{ id, zh, en string }) string { return c.zh })
	enConceptIndex, enConceptMax = conceptIndex(func(c struct{ id, zh, en string }) string { return c.en })
)

// newLongestReplacer rewrites pairs (from, to), the longest from first.
func newLongestReplacer(pairs []string) *strings.Replacer {
	type pair struct{ from, to string }
	ps := make([]pair, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		ps = append(ps, pair{pairs[i], pairs[i+1]})
	}
	sort.SliceStable(ps, func(i, j int) bool { return utf8.RuneCountInString(ps[i].from) > utf8.RuneCountInString(ps[j].from) })
	flat := make([]string, 0, len(pairs))
	for _, p := range ps {
		flat = append(flat, p.from, p.to)
	}
	return strings.NewReplacer(flat...)
}

func conceptIndex(side func(struct{ id, zh, en string }) string) (map[string][]string, int) {
	m := map[string][]string{}
	longest := 0
	for _, c := range concepts {
		for _, w := range strings.Split(side(c), "|") {
			if w == "" {
				continue
			}
			m[w] = append(m[w], c.id)
			if side(c) == c.en {
				longest = max(longest, len(strings.Fields(w)))
			} else {
				longest = max(longest, utf8.RuneCountInString(w))
			}
		}
	}
	return m, longest
}

// hear prepares text for understanding.
func hear(text string) *heard {
	h := &heard{concepts: map[string]float64{}}
	// Clauses of tokens: punctuation ends a clause, spaces end a token.
	s := width.Fold.String(strings.ToLower(text))
	s = strings.ReplaceAll(s, "’", "'")
	var clauses [][]string
	var clause []string
	var tok strings.Builder
	tokHan, tokLatin := false, false
	endTok := func() {
		if tok.Len() > 0 {
			clause = append(clause, tok.String())
			tok.Reset()
		}
		tokHan, tokLatin = false, false
	}
	endClause := func() {
		endTok()
		if len(clause) > 0 {
			clauses = append(clauses, clause)
			clause = nil
		}
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '-':
			// Chinese and English written together ("OK的", "AI吗") are two
			// tokens; digits go with either ("打12315", "after 5").
			han := unicode.Is(unicode.Han, r)
			latin := !han && unicode.IsLetter(r)
			if (han && tokLatin) || (latin && tokHan) {
				endTok()
			}
			tokHan, tokLatin = tokHan || han, tokLatin || latin
			tok.WriteRune(r)
		case unicode.IsSpace(r):
			endTok()
		default:
			endClause()
		}
	}
	endClause()
	for _, cl := range clauses {
		h.parts = append(h.parts, strings.Join(cl, " "))
	}

	// Split each clause into Chinese parts and English words, rewrite both.
	var hanClauses []string
	var enClauses [][]string
	for _, cl := range clauses {
		var han strings.Builder
		var words []string
		for _, t := range cl {
			if isHanToken(t) {
				han.WriteString(t)
				continue
			}
			t = strings.Trim(t, "'-")
			if t != "" {
				words = append(words, t)
			}
		}
		if han.Len() > 0 {
			hanClauses = append(hanClauses, zhRewriter.Replace(han.String()))
		}
		if len(words) > 0 {
			enClauses = append(enClauses, rewriteWords(words))
		}
	}
	// Whole-clause rewrites, then fillers (unless nothing else is said).
	for i, c := range hanClauses {
		if r, ok := zhClauses[strings.TrimRight(c, "啊吧呀呢嘛哦啦哈的了嘞")]; ok {
			hanClauses[i] = r
		} else if r, ok := zhClauses[c]; ok {
			hanClauses[i] = r
		}
	}
	hanKept := dropZhFillers(hanClauses)
	enKept := dropEnFillers(enClauses)
	if len(hanKept) > 0 || len(enKept) > 0 {
		hanClauses, enClauses = hanKept, enKept
	}
	h.hasHan = len(hanClauses) > 0
	if h.hasHan {
		h.han = "#" + strings.Join(hanClauses, "#") + "#"
	}
	var compact strings.Builder
	for _, c := range hanClauses {
		compact.WriteString(c)
	}
	for i, c := range enClauses {
		if i > 0 {
			h.words = append(h.words, ",")
		}
		h.words = append(h.words, c...)
		for _, w := range c {
			compact.WriteString(w)
		}
	}
	h.compact = compact.String()
	for _, c := range hanClauses {
		h.tagZh([]rune("#" + c + "#"))
		// 了 at the end and 过 after a verb mark what has happened.
		if strings.HasSuffix(c, "了") || strings.HasSuffix(c, "过") {
			h.concepts["PERF"] = 1
		}
	}
	for _, c := range enClauses {
		h.tagEn(c)
		for _, w := range c {
			if enPast[w] || (len(w) > 4 && strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "eed")) {
				h.concepts["PERF"] = 1
			}
		}
	}
	h.cues = findCues(h)
	return h
}

func isHanToken(t string) bool {
	for _, r := range t {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func rewriteWords(words []string) []string {
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); {
		done := false
		for _, rw := range enRewriteMap[words[i]] {
			from := rw[0]
			if i+len(from) <= len(words) && equalWords(words[i:i+len(from)], from) {
				out = append(out, rw[1]...)
				i += len(from)
				done = true
				break
			}
		}
		if !done {
			out = append(out, words[i])
			i++
		}
	}
	// Rewrites may produce two words ("gonna" → "going to"); keep them apart.
	return strings.Fields(strings.Join(out, " "))
}

func equalWords(a, b []string) bool {
	for i := range b {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func dropZhFillers(clauses []string) []string {
	var out []string
	for _, c := range clauses {
		for changed := true; changed && c != ""; {
			changed = false
			for _, f := range zhFillers {
				if strings.HasPrefix(c, f) {
					c = c[len(f):]
					changed = true
				}
			}
		}
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

func dropEnFillers(clauses [][]string) [][]string {
	var out [][]string
	for _, c := range clauses {
		var kept []string
		for i, w := range c {
			if enFillers[w] || (len(kept) == 0 && enLeadFillers[w] && i+1 < len(c)) {
				continue
			}
			if w == "know" && len(kept) > 0 && kept[len(kept)-1] == "you" && i == len(c)-1 {
				kept = kept[:len(kept)-1] // a trailing "you know"
				continue
			}
			kept = append(kept, w)
		}
		if len(kept) > 0 {
			out = append(out, kept)
		}
	}
	return out
}

// tagZh finds the concepts of one clause ("#…#"), the longest word first
// at each place, with the negation that governs it.
func (h *heard) tagZh(rs []rune) {
	end := 0
	for i := range rs {
		for l := min(zhConceptMax, len(rs)-i); l >= 1; l-- {
			if i+l <= end {
				break // inside a longer word already read
			}
			ids, ok := zhConceptIndex[string(rs[i:i+l])]
			if !ok {
				continue
			}
			neg, dneg := zhNegation(rs, i)
			if strings.ContainsRune(zhNegators, rs[i]) {
				// A negative word itself negated: 没说不同意, 不是不要.
				before := string(rs[max(0, i-3):i])
				for _, n := range []string{"不是", "没说", "没有说", "并非", "不是说"} {
					if strings.HasSuffix(before, n) {
						neg, dneg = true, true
					}
				}
			}
			h.dneg = h.dneg || dneg
			h.negated = h.negated || neg || strings.ContainsRune(zhNegators, rs[i])
			w := 1.0
			if l == 1 || (l == 2 && (rs[i] == '#' || rs[i+1] == '#')) {
				w = 0.5
			}
			for _, id := range ids {
				if neg {
					id = "!" + id
				}
				h.concepts[id] = max(h.concepts[id], w)
			}
			end = i + l
			break
		}
	}
}

// zhNegation reports whether the word at rs[i] is negated (不需要's 需要,
// 不太想's 想), and whether that negation is itself negated (不是不想).
func zhNegation(rs []rune, i int) (neg, dneg bool) {
	at := -1
	if i >= 1 && strings.ContainsRune(zhNegators, rs[i-1]) {
		at = i - 1
	} else {
		for _, b := range zhNegationBridge {
			br := []rune(b)
			j := i - len(br)
			if j >= 1 && string(rs[j:i]) == b && strings.ContainsRune(zhNegators, rs[j-1]) {
				at = j - 1
				break
			}
		}
	}
	if at < 0 {
		return false, false
	}
	before := string(rs[max(0, at-3):at])
	if strings.HasSuffix(before, "不是") || strings.HasSuffix(before, "没说") || strings.HasSuffix(before, "没有说") || strings.HasSuffix(before, "并非") {
		return false, true
	}
	return true, false
}

// tagEn finds the concepts of one English clause, phrases first, with
// the negation (not, never, n't) among the three words before.
func (h *heard) tagEn(ws []string) {
	end := 0
	for i := range ws {
		for l := min(enConceptMax, len(ws)-i); l >= 1; l-- {
			if i+l <= end {
				break
			}
			ids, ok := enConceptIndex[strings.Join(ws[i:i+l], " ")]
			if !ok {
				continue
			}
			neg := false
			for j := max(0, i-3); j < i; j++ {
				if enNegators[ws[j]] || strings.HasSuffix(ws[j], "n't") {
					neg = !neg
				}
			}
			if neg && i >= 2 && (ws[i-2] == "didn't" || ws[i-2] == "not") && (ws[i-1] == "say" || ws[i-1] == "that") {
				// "I didn't say no", "it's not that I don't want it".
				neg, h.dneg = false, true
			}
			h.negated = h.negated || neg || enNegators[ws[i]] || strings.HasSuffix(ws[i], "n't")
			for _, id := range ids {
				if neg {
					id = "!" + id
				}
				h.concepts[id] = 1
			}
			end = i + l
			break
		}
	}
}

// enPast are irregular past forms (and "already"); regular ones end in -ed.
var enPast = map[string]bool{"paid": true, "sent": true, "made": true, "did": true, "took": true, "went": true, "got": true, "was": true, "were": true, "had": true, "gave": true, "came": true, "bought": true, "left": true, "told": true, "said": true, "already": true}

// cues are phrases that say a built-in intent in so many words. They are
// features of the model, not verdicts: the model weighs them against
// everything else the callee said.
var cues = []struct {
	intent string
	zh, en *alternatives
}{
	{"stop",
		mustAlternatives(`(别|不要|不许|不准|禁止|拜托别|求求你们别|求你别|不用)再?(来|给我|往我这|跟我)?(打|来电|联系|骚扰|打扰|推销|发短信|烦我)|(删|删掉|删除|去掉|注销|移除).{0,5}(号码|号|信息|电话|名单)|(号码|电话|手机号|信息).{0,10}(删掉|删了|删除|去掉|移除)|把我.{0,4}(删|拉黑|去掉|移除)|拉黑|黑名单|免打扰|退订|再打.{0,3}就(报警|投诉|骂)|(再也|永远|以后都?)(别|不要)|不要打我电话|别打我电话|有完没完`),
		mustAlternatives(`\b(stop|quit|cease|don't|never|no more)\b( \w+){0,3} (call|calling|calls|contact|contacting|ring|bother|bothering|harass|harassing|bugging|phoning)\b|\b(take|remove|delete|lose|drop)\b( \w+){0,3} (number|list|database)\b|\btake me off\b|do not call|unsubscribe|\bopt (me )?out\b|leave me alone|if you call (me )?again|cease and desist|don't want (any more|you) call|never call|no more calls`)},
	{"human",
		mustAlternatives(`人工|真人|活人|(转|接|换|找|叫|让|要|跟|和|给我).{0,4}(客服|经理|领导|主管|负责人|工作人员|专员|顾问|销售|业务员|老板|接线员|值班经理|能做主|懂的人|师傅)|机器人|(跟|和)机器|换个人|找个人|叫人来|叫个人|有没有人|让人跟我|你是ai|是不是ai|机器说`),
		mustAlternatives(`\b(person|human|agent|operator|representative|manager|supervisor|customer service|salesperson|dealer|receptionist)\b|\b(robot|machine|bot|computer|recording)\b|\btransfer me\b|put me through|\b(talk|speak|get|put|connect|transfer|have) (\w+ ){0,3}(someone|somebody|anyone)\b|\b(someone|anyone|somebody) (i can|to) (talk|speak)`)},
	{"busy",
		mustAlternatives(`(在|正在|正|在上|再)(开会|开车|上班|上课|忙|工作|加班|值班|吃饭|睡觉|带孩子|做饭|洗澡|出差|面试|考试|干活|送货|跑外卖|开着车|医院|看病|飞机|火车|地铁|高铁|外面|外地|银行|图书馆|课堂|车间|工地|理发|健身|手术|谈事|上夜班|办事)|没空|没时间|没工夫|不方便|腾不出|忙着|很忙|太忙|忙死|正忙|手头有|手上有|有点事#|这边有点事|走不开|开会|开车`),
		mustAlternatives(`\b(busy|swamped|slammed|tied up|bad time|not a good time|in the middle of)\b|\bcan't (really )?talk\b|\bno time\b|\bdon't have time\b|\bi'm (driving|working|eating|sleeping|cooking)\b|\bi'm (at|in|on|with) (the|a|an|my|another|work|class|church)\b|\bin a meeting\b`)},
	{"later",
		mustAlternatives(`(晚点|晚些|稍后|过会|等会|待会|回头|改天|以后|下次|下回|过几天|过两天|过段时间|到时候|有空|明天|后天|下周|下个?周|周末|下个月|月底|过完年|等我|晚上|下午|上午|点以后|点之后|以后)再?(说|打|聊|联系|回复|打给|打过来|吧|再说)|再(说|聊)(吧|呗|哈|啊)?#|考虑|想想|想一想|商量|问问我|先看看|了解一下再|换个时间|改个时间|晚点|改天|回头`),
		mustAlternatives(`\blater\b|another time|some other time|\bcall (\w+ )?back\b|\bi'll call you\b|\btry (me )?(again|later|back)\b|\bafter (payday|work|lunch|dinner|the (holidays|weekend)|\d+)\b|get back to|think (about|it over)|sleep on it|\bdecide\b|\bdiscuss\b|check with|talk to my (wife|husband|partner|boss)|give me (a few|some) (days|time)|\btomorrow\b|next (week|month)|another day|in (an|half an|\d+) (hour|minutes)`)},
	{"wrong_number",
		mustAlternatives(`打错|搞错|找错|弄错|拨错|登记错|错号|号码错|(没|没有)(这个|这|此|叫)(人|号)|查无此人|不认识|不姓|不叫|我不是(他|她|你说|你们找|本人|王|李|张|刘|陈|赵|杨|黄|周|吴)|我不是#|不是本人|新办|刚买的|刚办的|换号|换人了|以前的号|不用这个号|不是他的|不是她的|要找的人不是|不是你(们)?找的`),
		mustAlternatives(`wrong (number|person|guy|house)|\b(no one|nobody|no)\b( \w+){0,3} (by that name|here|named|called)|\bi'm not (\w+)$|\bnot me\b|don't know (who|anyone)|never heard|new number|got this number|doesn't (have|live)|isn't (his|her) number|this isn't \w+|name's not|someone else|not who you're|not the \w+ residence|wrong numb|\bno \w+ (at|on) this (number|line)`)},
	{"complaint",
		mustAlternatives(`投诉|举报|12315|消协|银保监|曝光|差评|维权|(太|真|很|好|忒|特别|非常|服务|态度|质量)(差|烂|坑|慢|失望|垃圾|差劲|恶劣)|坏了|坏的|是坏|有质量问题|发错|少发|漏发|多扣|多收|乱收|乱扣|扣我|没到账|不处理|没人管|没解决|骗|欺诈|坑人|坑惨|破服务|不满意|不认真|迟到|没兑现|没给|收了钱不办事|起球|黑屏|异响|洒了|弄坏|没人处理|没人理|没人回|没效果|没有效果|效果都没有|一点用都没有|烂的`),
		mustAlternatives(`complain|complaint|terrible|awful|damaged|\bbroken?\b|\bbroke\b|\bscam|\brefund|money back|overcharged|charged twice|\brude\b|never (arrived|showed|got)|\blate\b|disappoint|unacceptable|worst|bad review|\bbbb\b|doesn't work|stopped working|wrong item|unhappy|not satisfied|ridiculous|didn't authorize|nobody (helped|has fixed)|\b(wrong|late|broken|broke|charged|overcharged) again\b`)},
	{"deny",
		mustAlternatives(`#(不|不是|不要|不用|不需要|没有|算了|不了|不行|不必|没必要|不对|错了)|(不|没|甭|勿|莫)(太|怎么|是很|大)?(需要|要|用|想|感兴趣|兴趣|考虑|买|办|同意|愿意|乐意|必要|打算|需求|接受|参加|续|报|学|换|去|试驾)|算了|拒绝|取消|免了|没门|谁要|要这.{0,2}(干嘛|干啥)|买不起|用不着|用不上`),
		mustAlternatives(`^(no|nope|nah)\b|not interested|no thanks|no thank you|(don't|do not) (really )?(need|want)|\bpass\b|i'm good|all set|i'm fine|\bcancel\b|decline|rather not|no way|not for me|already have|can't afford|not really|i don't think so|absolutely not|definitely not|say no|not buying|not renewing|no need|don't want any|not gonna happen|that's (not right|wrong)|incorrect|is wrong`)},
	{"affirm",
		mustAlternatives(`#(是|是的|是啊|是呀|对|对的|对啊|对呀|好|好的|好啊|好呀|行|行啊|可以|可以的|嗯|ok|没问题|没错|确认|同意|当然|肯定|妥|收到|明白|了解|知道了|愿意|需要的|要的)(的|啊|呀|吧|嘞|啦|了)?#|没问题|没毛病|就这么|就这样|听你的|都行|都可以|那就|没意见|不反对|有兴趣|感兴趣|是我|我就是|本人|不忙|有空|方便#|方便你|你说吧|你说#|你讲|说吧|请讲`),
		mustAlternatives(`^(yes|yeah|yep|yup|sure|ok|okay|alright|all right|right|correct|absolutely|definitely|of course|certainly|fine|perfect|great|aye)\b|sounds (good|great)|that works|works for me|go ahead|go for it|that's me|speaking|this is (he|she)|i agree|i confirm|let's do it|i'm interested|count me in|why not|not a problem|no problem|i'd (like|love)|you bet|you got it|i think so|i guess so|book it|that's (right|correct|fine)|\bi (have|'ve got|got) (time|a minute|a sec|a second)`)},
}

// alternatives matches a regular expression that is an alternation of many
// phrases quickly: the phrases that are plain text are looked for as text,
// and each other branch runs as its own small expression, only when the
// text holds its literal prefix. One large expression would try every
// branch at every position of the utterance.
type alternatives struct {
	src      string
	literals []string
	branches []branch
}

type branch struct {
	// starts lists what every match begins with (nil: anything).
	starts []string
	re     *regexp.Regexp
}

func mustAlternatives(pattern string) *alternatives {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		panic(err)
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpAlternate {
		subs = re.Sub
	}
	a := &alternatives{src: pattern}
	for _, sub := range subs {
		if sub.Op == syntax.OpLiteral && sub.Flags&syntax.FoldCase == 0 {
			a.literals = append(a.literals, string(sub.Rune))
			continue
		}
		starts, _ := matchStarts(sub)
		a.branches = append(a.branches, branch{starts, regexp.MustCompile(sub.String())})
	}
	return a
}

// MatchString reports whether s holds a match of any alternative.
func (a *alternatives) MatchString(s string) bool {
	for _, l := range a.literals {
		if strings.Contains(s, l) {
			return true
		}
	}
	for _, b := range a.branches {
		if b.starts != nil && !slices.ContainsFunc(b.starts, func(p string) bool { return strings.Contains(s, p) }) {
			continue
		}
		if b.re.MatchString(s) {
			return true
		}
	}
	return false
}

// matchStarts returns texts one of which every match of re begins with,
// when there are few; ok is false when a match may begin with anything.
func matchStarts(re *syntax.Regexp) (starts []string, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 || len(re.Rune) == 0 {
			return nil, false
		}
		return []string{string(re.Rune)}, true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(starts) >= 64 {
					return nil, false
				}
				starts = append(starts, string(r))
			}
		}
		return starts, len(starts) > 0
	case syntax.OpCapture, syntax.OpPlus:
		return matchStarts(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min < 1 {
			return nil, false
		}
		return matchStarts(re.Sub[0])
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			ss, ok := matchStarts(sub)
			if !ok {
				return nil, false
			}
			starts = append(starts, ss...)
		}
		return starts, true
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			switch sub.Op {
			case syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText, syntax.OpEmptyMatch:
				continue
			}
			return matchStarts(sub)
		}
	}
	return nil, false
}

func findCues(h *heard) []string {
	en := strings.Join(h.words, " ")
	var out []string
	for _, c := range cues {
		if (h.han != "" && c.zh.MatchString(h.han)) || (en != "" && c.en.MatchString(en)) {
			out = append(out, c.intent)
		}
	}
	return out
}

// features are what the intent model and the similarity with examples
// read: Chinese character unigrams, bigrams and trigrams within clauses
// (with the clause edges), English words and word pairs, concepts and
// pairs of concepts. Values are weights; the model multiplies them.
func (h *heard) features(add func(f string, v float64)) {
	if h.han != "" {
		for _, c := range strings.Split(strings.Trim(h.han, "#"), "#") {
			rs := []rune("#" + c + "#")
			for i := range rs {
				if rs[i] != '#' {
					add("c1:"+string(rs[i]), 0.5)
				}
				if i+2 <= len(rs) {
					add("c2:"+string(rs[i:i+2]), 1)
				}
				if i+3 <= len(rs) {
					add("c3:"+string(rs[i:i+3]), 1)
				}
			}
		}
	}
	prev := "#"
	for _, w := range h.words {
		if w == "," {
			prev = "#"
			continue
		}
		w = stem(w)
		add("w:"+w, 1)
		add("w2:"+prev+" "+w, 1)
		prev = w
	}
	if prev != "#" && len(h.words) > 0 {
		add("w2:"+prev+" #", 1)
	}
	ids := make([]string, 0, len(h.concepts))
	for id, v := range h.concepts {
		add("k:"+id, v)
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) <= 8 {
		for i := range ids {
			for j := i + 1; j < len(ids); j++ {
				add("kk:"+ids[i]+"+"+ids[j], 1)
			}
		}
	}
}

// stem reduces an English word to its Snowball stem, so that "charges"
// and "charged", "appointments" and "appointment" are one word to the
// model and to a tenant's examples. Stopwords and contractions stay as
// they are.
func stem(w string) string {
	if enStopwords[w] || strings.ContainsRune(w, '\'') || !isASCIIWord(w) {
		return w
	}
	return english.Stem(w, false)
}

func isASCIIWord(w string) bool {
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return w != ""
}
