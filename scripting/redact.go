package scripting

import (
	"encoding/json"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces a secret a callee said in what outcall keeps of a call
// (turns, exports, webhooks), so the fact that something was said stays
// and the secret does not.
const Redacted = "[redacted]"

// secretCue is a word after which a callee reads out something secret: a
// one-time code, a password or PIN, a card or ID number.
var secretCue = regexp.MustCompile(`验证码|校验码|动态码|动态密码|短信码|取件码|支付密码|交易密码|取款密码|密码|口令|安全码|银行卡号?|信用卡号?|卡号|身份证号?码?|证件号码?|(?i)\b(?:verification code|security code|one[- ]time (?:code|password)|passcode|password|passwd|pin(?: code| number)?|cvv2?|cvc|otp|card number|code)\b`)

// cueFiller is what may stand between a cue and the secret: punctuation,
// spaces, and a few words ("是", "is").
var cueFiller = regexp.MustCompile(`^(?:[\s:：,，.。、-]|是|为|就是|呢|啊|嗯|呃|的|(?i:is|was|are|it's|its)\b)*`)

// chineseDigits are the characters callees use for digits when reading a
// code aloud, as a recogniser writes them.
const chineseDigits = "零〇一二三四五六七八九幺两"

func isDigitLike(r rune) bool { return r >= '0' && r <= '9' || strings.ContainsRune(chineseDigits, r) }

// RedactSecrets returns text with the secrets a callee read out replaced by
// Redacted, and how many it replaced: digits (written or as Chinese
// numerals, spaced or not) after a cue such as 验证码, 密码, 卡号 or
// "verification code", a password's next word after "password", and any
// run of 13 to 19 digits that passes the Luhn check (a card number) with
// or without a cue.
func RedactSecrets(text string) (string, int) {
	if text == "" {
		return text, 0
	}
	type span struct{ from, to int }
	var spans []span
	for _, m := range secretCue.FindAllStringIndex(text, -1) {
		at := m[1]
		at += len(cueFiller.FindString(text[at:]))
		cue := strings.ToLower(text[m[0]:m[1]])
		if end := digitRun(text, at, 3); end > at {
			spans = append(spans, span{at, end})
		} else if strings.Contains(cue, "pass") || strings.Contains(cue, "密码") || strings.Contains(cue, "口令") {
			if end := wordAt(text, at); end-at >= 3 {
				spans = append(spans, span{at, end})
			}
		}
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r < '0' || r > '9' {
			i += size
			continue
		}
		end := digitRun(text, i, 13)
		if end > i && luhn(text[i:end]) {
			spans = append(spans, span{i, end})
			i = end
			continue
		}
		for i < len(text) && (text[i] >= '0' && text[i] <= '9') {
			i++
		}
	}
	if len(spans) == 0 {
		return text, 0
	}
	// Merge and replace, left to right.
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].from < spans[j-1].from; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	var b strings.Builder
	last, n := 0, 0
	for _, s := range spans {
		if s.from < last {
			if s.to > last {
				last = s.to
			}
			continue
		}
		b.WriteString(text[last:s.from])
		b.WriteString(Redacted)
		last = s.to
		n++
	}
	b.WriteString(text[last:])
	return b.String(), n
}

// digitRun returns the end of a run of digits starting at i (digits or
// Chinese numerals, single spaces or dashes between them) holding at least
// min digits, else i.
func digitRun(text string, i, min int) int {
	end, digits := i, 0
	for j := i; j < len(text); {
		r, size := utf8.DecodeRuneInString(text[j:])
		switch {
		case isDigitLike(r):
			digits++
			j += size
			end = j
		case (r == ' ' || r == '-') && digits > 0:
			next, _ := utf8.DecodeRuneInString(text[j+size:])
			if !isDigitLike(next) {
				j = len(text)
				continue
			}
			j += size
		default:
			j = len(text)
		}
	}
	if digits < min {
		return i
	}
	return end
}

// wordAt returns the end of the word (letters, digits, symbols; no spaces
// or CJK) starting at i.
func wordAt(text string, i int) int {
	j := i
	for j < len(text) {
		r, size := utf8.DecodeRuneInString(text[j:])
		if unicode.IsSpace(r) || r > unicode.MaxASCII || r == ',' || r == '.' && (j+size >= len(text) || text[j+size] == ' ') {
			break
		}
		j += size
	}
	return j
}

// luhn reports whether the ASCII digits of s (other bytes ignored) number
// 13 to 19 and pass the Luhn check, as card numbers do.
func luhn(s string) bool {
	var ds []int
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			ds = append(ds, int(s[i]-'0'))
		} else if s[i] != ' ' && s[i] != '-' {
			return false
		}
	}
	if len(ds) < 13 || len(ds) > 19 {
		return false
	}
	sum := 0
	for i := range ds {
		d := ds[len(ds)-1-i]
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// RedactValue is RedactSecrets over every string in a JSON-like value
// (maps, slices, strings; other values as they are), and how many secrets
// it replaced. The value is copied, never changed in place.
func RedactValue(v any) (any, int) {
	switch x := v.(type) {
	case string:
		return RedactSecrets(x)
	case map[string]any:
		out, n := make(map[string]any, len(x)), 0
		for k, e := range x {
			r, m := RedactValue(e)
			out[k], n = r, n+m
		}
		return out, n
	case Slots:
		r, n := RedactValue(map[string]any(x))
		return Slots(r.(map[string]any)), n
	case []any:
		out, n := make([]any, len(x)), 0
		for i, e := range x {
			r, m := RedactValue(e)
			out[i], n = r, n+m
		}
		return out, n
	}
	return v, 0
}

// RedactJSON is RedactValue over JSON; raw comes back as it was when it
// holds no secret or is not JSON.
func RedactJSON(raw json.RawMessage) (json.RawMessage, int) {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return raw, 0
	}
	r, n := RedactValue(v)
	if n == 0 {
		return raw, 0
	}
	out, err := json.Marshal(r)
	if err != nil {
		return raw, 0
	}
	return out, n
}
