package scripting

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/width"
)

// Slots are the values found in an utterance. Keys: "date" (YYYY-MM-DD),
// "time" (HH:MM, 24-hour), "datetime" (RFC 3339, when a time was heard; on
// the named date, or the next such time from now), "number" (the first plain number) and "amount" ({value, currency}).
type Slots map[string]any

func normalizeKeepPunct(s string) string { return width.Fold.String(strings.ToLower(s)) }

const cnDigits = "零〇一二两三四五六七八九"

var cnNum = `[零〇一二两三四五六七八九十百千万]+`

// parseCN reads a Chinese or Arabic numeral: "三" 3, "十五" 15, "二十" 20,
// "一百零五" 105, "两千" 2000, "3" 3.
func parseCN(s string) (float64, bool) {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, true
	}
	var total, section, digit float64
	seen := false
	for _, r := range s {
		switch {
		case strings.ContainsRune(cnDigits, r):
			switch r {
			case '零', '〇':
				digit = 0
			case '一':
				digit = 1
			case '二', '两':
				digit = 2
			case '三':
				digit = 3
			case '四':
				digit = 4
			case '五':
				digit = 5
			case '六':
				digit = 6
			case '七':
				digit = 7
			case '八':
				digit = 8
			case '九':
				digit = 9
			}
			seen = true
		case r == '十':
			if digit == 0 && !seen {
				digit = 1
			}
			section += digit * 10
			digit, seen = 0, true
		case r == '百':
			section += digit * 100
			digit, seen = 0, true
		case r == '千':
			section += digit * 1000
			digit, seen = 0, true
		case r == '万':
			total += (section + digit) * 10000
			section, digit, seen = 0, 0, true
		default:
			return 0, false
		}
	}
	return total + section + digit, seen
}

var (
	num       = `(\d+(?:\.\d+)?|` + cnNum + `)`
	zhRelDay  = regexp.MustCompile(`(大后天|后天|明天|明儿|今天|今晚|明晚)`)
	zhWeekday = regexp.MustCompile(`(下个?|这个?|本)?(周|星期|礼拜)([一二三四五六日天1-7])`)
	zhMonthDy = regexp.MustCompile(num + `月` + num + `[日号]`)
	zhDay     = regexp.MustCompile(num + `[日号]`)
	zhTime    = regexp.MustCompile(`(早上|上午|中午|下午|晚上|傍晚|凌晨)?` + num + `(?:点|點|:|:)(半|一刻|三刻|` + num + `分?)?`)
	zhPart    = regexp.MustCompile(`(早上|上午|中午|下午|晚上|傍晚)`)
	zhAmount  = regexp.MustCompile(num + `\s*(万元|万块|万|千元|千块|元|块钱|块|人民币)`)

	enRelDay  = regexp.MustCompile(`\b(day after tomorrow|tomorrow|today|tonight)\b`)
	enWeekday = regexp.MustCompile(`\b(next |this )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b`)
	enTime    = regexp.MustCompile(`\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|o'clock)\b|\b(\d{1,2}):(\d{2})\b|\b(noon|midnight)\b`)
	enPart    = regexp.MustCompile(`\b(morning|afternoon|evening|tonight)\b`)
	enAmount  = regexp.MustCompile(`(\$|¥|€|£)\s*(\d+(?:,\d{3})*(?:\.\d+)?)|(\d+(?:,\d{3})*(?:\.\d+)?)\s*(dollars|usd|bucks|yuan|rmb|euros|eur|pounds)\b`)
	anyNumber = regexp.MustCompile(`\d+(?:\.\d+)?`)
	cnNumber  = regexp.MustCompile(cnNum)
)

// ParseSlots finds dates, times, numbers and amounts in Chinese or English.
// Relative dates (明天, "next friday") are resolved against now.
func ParseSlots(text string, now time.Time) Slots {
	s := normalizeKeepPunct(text)
	out := Slots{}
	var date time.Time
	haveDate, haveTime := false, false
	hour, minute := 0, 0
	day0 := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	consumed := s

	latin := strings.ContainsFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' })
	digits := strings.ContainsAny(s, "0123456789")
	cn := strings.ContainsAny(s, "零〇一二两三四五六七八九十百千万")
	if m := find(strings.ContainsAny(s, "今明后晚"), zhRelDay, s); m != "" {
		consumed = strings.Replace(consumed, m, " ", 1)
		haveDate = true
		switch m {
		case "今天", "今晚":
			date = day0
		case "明天", "明儿", "明晚":
			date = day0.AddDate(0, 0, 1)
		case "后天":
			date = day0.AddDate(0, 0, 2)
		case "大后天":
			date = day0.AddDate(0, 0, 3)
		}
		if m == "今晚" || m == "明晚" {
			hour = 19
		}
	} else if m := find(latin && (strings.Contains(s, "to")), enRelDay, s); m != "" {
		haveDate = true
		switch m {
		case "today", "tonight":
			date = day0
		case "tomorrow":
			date = day0.AddDate(0, 0, 1)
		case "day after tomorrow":
			date = day0.AddDate(0, 0, 2)
		}
	} else if m := findSub(strings.ContainsAny(s, "周期拜"), zhWeekday, s); m != nil {
		wd := strings.Index("日一二三四五六", m[3]) / 3
		if m[3] == "天" {
			wd = 0
		} else if m[3] >= "1" && m[3] <= "7" {
			wd = int(m[3][0]-'0') % 7
		}
		date, haveDate = nextWeekday(day0, time.Weekday(wd), strings.HasPrefix(m[1], "下")), true
		consumed = strings.Replace(consumed, m[0], " ", 1)
	} else if m := findSub(latin && strings.Contains(s, "day"), enWeekday, s); m != nil {
		names := []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}
		for i, n := range names {
			if n == m[2] {
				date, haveDate = nextWeekday(day0, time.Weekday(i), m[1] == "next "), true
			}
		}
	} else if m := findSub(strings.Contains(s, "月"), zhMonthDy, s); m != nil {
		mo, _ := parseCN(m[1])
		d, _ := parseCN(m[2])
		date, haveDate = time.Date(now.Year(), time.Month(int(mo)), int(d), 0, 0, 0, 0, now.Location()), true
		if date.Before(day0) {
			date = date.AddDate(1, 0, 0)
		}
		consumed = strings.Replace(consumed, m[0], " ", 1)
	} else if m := findSub(strings.ContainsAny(s, "日号"), zhDay, s); m != nil {
		d, _ := parseCN(m[1])
		date, haveDate = time.Date(now.Year(), now.Month(), int(d), 0, 0, 0, 0, now.Location()), true
		if date.Before(day0) {
			date = date.AddDate(0, 1, 0)
		}
		consumed = strings.Replace(consumed, m[0], " ", 1)
	}

	if m := findSub((digits || cn) && strings.ContainsAny(s, "点點::"), zhTime, s); m != nil {
		h, ok := parseCN(m[2])
		if ok && h <= 24 {
			hour, haveTime = int(h), true
			switch {
			case m[3] == "半":
				minute = 30
			case m[3] == "一刻":
				minute = 15
			case m[3] == "三刻":
				minute = 45
			case m[3] != "":
				mm, _ := parseCN(strings.TrimSuffix(m[4], "分"))
				minute = int(mm)
			}
			if (m[1] == "下午" || m[1] == "晚上" || m[1] == "傍晚") && hour < 12 {
				hour += 12
			}
			if m[1] == "中午" && hour < 6 {
				hour += 12
			}
			consumed = strings.Replace(consumed, m[0], " ", 1)
		}
	} else if m := findSub(digits || strings.Contains(s, "noon") || strings.Contains(s, "midnight"), enTime, s); m != nil {
		haveTime = true
		switch {
		case m[6] == "noon":
			hour = 12
		case m[6] == "midnight":
			hour = 0
		case m[4] != "":
			hour, _ = strconv.Atoi(m[4])
			minute, _ = strconv.Atoi(m[5])
		default:
			hour, _ = strconv.Atoi(m[1])
			if m[2] != "" {
				minute, _ = strconv.Atoi(m[2])
			}
			if strings.HasPrefix(m[3], "p") && hour < 12 {
				hour += 12
			}
			if strings.HasPrefix(m[3], "a") && hour == 12 {
				hour = 0
			}
		}
		consumed = strings.Replace(consumed, m[0], " ", 1)
	} else if m := find(strings.ContainsAny(s, "早上中下晚傍"), zhPart, s); m != "" && hour == 0 {
		hour, haveTime = map[string]int{"早上": 9, "上午": 10, "中午": 12, "下午": 15, "晚上": 19, "傍晚": 18}[m], true
	} else if m := find(latin, enPart, s); m != "" {
		hour, haveTime = map[string]int{"morning": 10, "afternoon": 15, "evening": 19, "tonight": 20}[m], true
	} else if hour != 0 {
		haveTime = true
	}

	if haveDate {
		out["date"] = date.Format("2006-01-02")
	}
	if haveTime {
		out["time"] = fmt.Sprintf("%02d:%02d", hour, minute)
	}
	if haveTime {
		if !haveDate {
			date = day0
			if time.Date(day0.Year(), day0.Month(), day0.Day(), hour, minute, 0, 0, now.Location()).Before(now) {
				date = day0.AddDate(0, 0, 1)
			}
		}
		out["datetime"] = time.Date(date.Year(), date.Month(), date.Day(), hour, minute, 0, 0, now.Location()).Format(time.RFC3339)
	}

	if m := findSub((digits || cn) && strings.ContainsAny(s, "元块万千币"), zhAmount, consumed); m != nil {
		v, _ := parseCN(m[1])
		switch {
		case strings.HasPrefix(m[2], "万"):
			v *= 10000
		case strings.HasPrefix(m[2], "千"):
			v *= 1000
		}
		out["amount"] = map[string]any{"value": v, "currency": "CNY"}
		consumed = strings.Replace(consumed, m[0], " ", 1)
	} else if m := findSub(digits, enAmount, consumed); m != nil {
		raw, unit := m[2], m[1]
		if raw == "" {
			raw, unit = m[3], m[4]
		}
		v, _ := strconv.ParseFloat(strings.ReplaceAll(raw, ",", ""), 64)
		cur := map[string]string{"$": "USD", "dollars": "USD", "usd": "USD", "bucks": "USD", "¥": "CNY", "yuan": "CNY", "rmb": "CNY", "€": "EUR", "euros": "EUR", "eur": "EUR", "£": "GBP", "pounds": "GBP"}[unit]
		out["amount"] = map[string]any{"value": v, "currency": cur}
		consumed = strings.Replace(consumed, m[0], " ", 1)
	}
	if m := find(digits, anyNumber, consumed); m != "" {
		v, _ := strconv.ParseFloat(m, 64)
		out["number"] = v
	} else if m := find(cn, cnNumber, consumed); m != "" && m != "一" {
		if v, ok := parseCN(m); ok {
			out["number"] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func nextWeekday(day0 time.Time, wd time.Weekday, nextWeek bool) time.Time {
	d := (int(wd) - int(day0.Weekday()) + 7) % 7
	if d == 0 {
		d = 7
	}
	if nextWeek && d < 7 {
		// "下周三" is the Wednesday of next week.
		mon := (int(day0.Weekday()) + 6) % 7
		d = 7 - mon + (int(wd)+6)%7
	}
	return day0.AddDate(0, 0, d)
}

// find and findSub run a pattern only when a cheap check says it may match.
func find(maybe bool, re *regexp.Regexp, s string) string {
	if !maybe {
		return ""
	}
	return re.FindString(s)
}

func findSub(maybe bool, re *regexp.Regexp, s string) []string {
	if !maybe {
		return nil
	}
	return re.FindStringSubmatch(s)
}
