package campaigns

import (
	"strings"
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestQuietHoursAreJudgedInTheCalleesTimeZone(t *testing.T) {
	shanghai, tokyo, newYork := mustZone(t, "Asia/Shanghai"), mustZone(t, "Asia/Tokyo"), mustZone(t, "America/New_York")
	c := DefaultCompliance() // quiet 21:00–09:00
	cases := []struct {
		name   string
		now    time.Time
		callee *time.Location
		refuse bool
	}{
		{"a minute before quiet hours start in Shanghai is allowed", time.Date(2026, 11, 23, 20, 59, 0, 0, shanghai), shanghai, false},
		{"the minute quiet hours start in Shanghai is refused", time.Date(2026, 11, 23, 21, 0, 0, 0, shanghai), shanghai, true},
		{"20:00 in Shanghai is already 21:00 for a callee in Tokyo", time.Date(2026, 11, 23, 20, 0, 0, 0, shanghai), tokyo, true},
		{"19:59 in Shanghai is still 20:59 in Tokyo", time.Date(2026, 11, 23, 19, 59, 0, 0, shanghai), tokyo, false},
		{"08:59 for the callee is still quiet", time.Date(2026, 11, 23, 8, 59, 0, 0, newYork), newYork, true},
		{"09:00 for the callee ends the quiet hours", time.Date(2026, 11, 23, 9, 0, 0, 0, newYork), newYork, false},
		{"midday in Shanghai is 23:00 in New York", time.Date(2026, 11, 23, 12, 0, 0, 0, shanghai), newYork, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := CheckDial(c, DialFacts{Now: tc.now, Location: tc.callee})
			if (r != nil) != tc.refuse {
				t.Fatalf("refusal = %+v, want refused=%v", r, tc.refuse)
			}
			if r != nil {
				if r.Reason != ReasonQuietHours {
					t.Fatalf("reason %q, want quiet_hours", r.Reason)
				}
				local := r.RetryAt.In(tc.callee)
				if local.Hour() != 9 || local.Minute() != 0 || !r.RetryAt.After(tc.now) {
					t.Fatalf("retry at %v (callee's %v), want the next 09:00 in the callee's zone", r.RetryAt, local)
				}
			}
		})
	}
}

func TestTheDailyCapCountsTheCalleesCalendarDay(t *testing.T) {
	shanghai := mustZone(t, "Asia/Shanghai")
	c := DefaultCompliance() // 3 a day
	today := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	yesterday := today.AddDate(0, 0, -1)
	noon := time.Date(2026, 11, 23, 12, 0, 0, 0, shanghai)
	cases := []struct {
		name     string
		countDay time.Time
		count    int
		refuse   bool
	}{
		{"the first call of the day is allowed", time.Time{}, 0, false},
		{"the third call of the day is allowed", today, 2, false},
		{"the fourth call of the day is refused", today, 3, true},
		{"three calls yesterday do not count today", yesterday, 3, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := CheckDial(c, DialFacts{Now: noon, Location: shanghai, CountDay: tc.countDay, DayCount: tc.count})
			if (r != nil) != tc.refuse {
				t.Fatalf("refusal = %+v, want refused=%v", r, tc.refuse)
			}
			if r != nil {
				want := time.Date(2026, 11, 24, 9, 0, 0, 0, shanghai)
				if r.Reason != ReasonDailyCap || !r.RetryAt.Equal(want) {
					t.Fatalf("got %s at %v, want daily_cap at %v (the next day's first allowed minute)", r.Reason, r.RetryAt, want)
				}
			}
		})
	}
}

func TestTheCalendarDayChangesAtTheCalleesMidnight(t *testing.T) {
	// 23:30 in Shanghai on the 23rd is already the 24th in Tokyo: Tokyo's
	// count of the 23rd no longer applies.
	tokyo := mustZone(t, "Asia/Tokyo")
	c := DefaultCompliance()
	c.QuietHours = []string{}
	now := time.Date(2026, 11, 23, 23, 30, 0, 0, mustZone(t, "Asia/Shanghai"))
	if r := CheckDial(c, DialFacts{Now: now, Location: tokyo, CountDay: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), DayCount: 3}); r != nil {
		t.Fatalf("refused %+v; the callee's day has turned", r)
	}
	if r := CheckDial(c, DialFacts{Now: now, Location: tokyo, CountDay: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), DayCount: 3}); r == nil || r.Reason != ReasonDailyCap {
		t.Fatalf("got %+v, want daily_cap for the callee's 24th", r)
	}
}

func TestHolidaysAndWeekdaysMoveTheDialToTheNextAllowedDay(t *testing.T) {
	shanghai := mustZone(t, "Asia/Shanghai")
	c := DefaultCompliance()
	c.Holidays = []string{"2026-10-01", "2026-10-02"}
	c.Weekdays = []string{"mon", "tue", "wed", "thu", "fri"}
	cases := []struct {
		name   string
		now    time.Time
		reason string
		retry  time.Time
	}{
		{"a national holiday is refused until the day after the holidays", time.Date(2026, 10, 1, 10, 0, 0, 0, shanghai), ReasonHoliday,
			time.Date(2026, 10, 5, 9, 0, 0, 0, shanghai)}, // 3rd and 4th are Saturday and Sunday
		{"a Saturday is refused until Monday morning", time.Date(2026, 11, 21, 10, 0, 0, 0, shanghai), ReasonWeekday,
			time.Date(2026, 11, 23, 9, 0, 0, 0, shanghai)},
		{"a Friday evening before quiet hours is allowed", time.Date(2026, 11, 20, 20, 0, 0, 0, shanghai), "", time.Time{}},
		{"a Friday in quiet hours is moved past the weekend", time.Date(2026, 11, 20, 22, 0, 0, 0, shanghai), ReasonQuietHours,
			time.Date(2026, 11, 23, 9, 0, 0, 0, shanghai)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := CheckDial(c, DialFacts{Now: tc.now, Location: shanghai})
			if tc.reason == "" {
				if r != nil {
					t.Fatalf("refused %+v", r)
				}
				return
			}
			if r == nil || r.Reason != tc.reason || !r.RetryAt.Equal(tc.retry) {
				t.Fatalf("got %+v, want %s until %v", r, tc.reason, tc.retry)
			}
		})
	}
}

func TestTheMinimumRetryIntervalIsKeptBetweenTwoDialsOfANumber(t *testing.T) {
	shanghai := mustZone(t, "Asia/Shanghai")
	c := DefaultCompliance() // 30 minutes
	last := time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)
	if r := CheckDial(c, DialFacts{Now: last.Add(29*time.Minute + 59*time.Second), Location: shanghai, LastDialAt: last}); r == nil ||
		r.Reason != ReasonRetryInterval || !r.RetryAt.Equal(last.Add(30*time.Minute)) {
		t.Fatalf("29m59s after the last dial: got %+v, want min_retry_interval until 10:30", r)
	}
	if r := CheckDial(c, DialFacts{Now: last.Add(30 * time.Minute), Location: shanghai, LastDialAt: last}); r != nil {
		t.Fatalf("30 minutes after the last dial: refused %+v", r)
	}
	// A retry that would land in quiet hours waits for the morning.
	late := time.Date(2026, 11, 23, 20, 45, 0, 0, shanghai)
	r := CheckDial(c, DialFacts{Now: late, Location: shanghai, LastDialAt: late.Add(-time.Minute)})
	if r == nil || !r.RetryAt.Equal(time.Date(2026, 11, 24, 9, 0, 0, 0, shanghai)) {
		t.Fatalf("got %+v, want a retry at 09:00 the next day", r)
	}
}

func TestDNCConsentAndSuspensionAreRefusedWithTheirReason(t *testing.T) {
	shanghai := mustZone(t, "Asia/Shanghai")
	noon := time.Date(2026, 11, 23, 12, 0, 0, 0, shanghai)
	consented := DefaultCompliance()
	consented.ConsentedOnly = true
	cases := []struct {
		name    string
		c       Compliance
		f       DialFacts
		reason  string
		dropped bool
	}{
		{"a premium-rate number is dropped, consent or not", consented, DialFacts{Blocked: "it is a premium-rate number", Consent: true}, ReasonBlocked, true},
		{"a number on the do-not-call list is dropped", DefaultCompliance(), DialFacts{DNC: true}, ReasonDNC, true},
		{"do-not-call wins even with consent", consented, DialFacts{DNC: true, Consent: true}, ReasonDNC, true},
		{"consented-only refuses a number without consent", consented, DialFacts{}, ReasonNoConsent, true},
		{"consented-only allows a number with consent", consented, DialFacts{Consent: true}, "", false},
		{"a suspended tenant's dial waits", DefaultCompliance(), DialFacts{Suspended: true}, ReasonSuspended, false},
		{"a dial after the campaign's end is dropped", DefaultCompliance(), DialFacts{EndsAt: noon.Add(-time.Minute)}, ReasonWindow, true},
		{"a dial before the campaign's start waits for it", DefaultCompliance(), DialFacts{StartsAt: noon.Add(time.Hour)}, ReasonWindow, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Now, tc.f.Location = noon, shanghai
			r := CheckDial(tc.c, tc.f)
			if tc.reason == "" {
				if r != nil {
					t.Fatalf("refused %+v", r)
				}
				return
			}
			if r == nil || r.Reason != tc.reason || r.RetryAt.IsZero() != tc.dropped {
				t.Fatalf("got %+v, want %s (dropped=%v)", r, tc.reason, tc.dropped)
			}
		})
	}
}

func TestACampaignMayOnlyTightenItsTenantsCompliance(t *testing.T) {
	base := DefaultCompliance()
	cases := []struct {
		name     string
		override Compliance
		field    string // "" when accepted
	}{
		{"fewer daily calls is tighter", Compliance{MaxDailyCalls: 2}, ""},
		{"more daily calls is refused", Compliance{MaxDailyCalls: 4}, "c.max_daily_calls"},
		{"longer quiet hours are tighter", Compliance{QuietHours: []string{"20:00", "10:00"}}, ""},
		{"quiet hours that end earlier are refused", Compliance{QuietHours: []string{"21:00", "08:00"}}, "c.quiet_hours"},
		{"no quiet hours at all are refused", Compliance{QuietHours: []string{}}, "c.quiet_hours"},
		{"fewer weekdays are tighter", Compliance{Weekdays: []string{"mon"}}, ""},
		{"a shorter retry interval is refused", Compliance{MinRetryInterval: Duration(time.Minute)}, "c.min_retry_interval"},
		{"more lines than the tenant's are refused", Compliance{MaxConcurrentLines: 51}, "c.max_concurrent_lines"},
		{"a faster pace is refused", Compliance{CallsPerSecond: 11}, "c.calls_per_second"},
		{"consented-only can be switched on", Compliance{ConsentedOnly: true}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := base.Tighten(tc.override, "c")
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("got %v, want an error about %s", err, tc.field)
			}
		})
	}
	eff, _ := base.Tighten(Compliance{Holidays: []string{"2026-12-25"}, MaxDailyCalls: 1}, "c")
	if eff.MaxDailyCalls != 1 || len(eff.Holidays) != 1 || eff.MaxConcurrentLines != 50 {
		t.Fatalf("effective settings %+v", eff)
	}
}

func TestEveryCallDisclosesThatAnAIIsCallingUnlessTheTenantSaysOtherwise(t *testing.T) {
	base := DefaultCompliance()
	if base.AIDisclosure != DisclosureDefault {
		t.Fatalf("a new tenant's disclosure is %q", base.AIDisclosure)
	}
	if got := DisclosureWords(base.AIDisclosure, "zh-CN"); got != "您好,本次通话由人工智能语音助手为您服务。" {
		t.Fatalf("the default words in Chinese: %q", got)
	}
	if got := DisclosureWords("", "en"); !strings.Contains(got, "AI voice assistant") {
		t.Fatalf("the default words in English: %q", got)
	}
	if got := DisclosureWords(DisclosureOff, "zh-CN"); got != "" {
		t.Fatalf("off says %q", got)
	}
	if got := DisclosureWords(" 这是某某银行的智能客服来电。 ", "zh-CN"); got != "这是某某银行的智能客服来电。" {
		t.Fatalf("the tenant's own words: %q", got)
	}
	// A campaign can neither turn off nor reword its tenant's disclosure
	// (other words could disclose nothing); it may say one where its
	// tenant says none.
	for _, words := range []string{DisclosureOff, "您好"} {
		if _, err := base.Tighten(Compliance{AIDisclosure: words}, "compliance"); err == nil || !strings.Contains(err.Error(), "ai_disclosure") {
			t.Fatalf("a campaign changed the tenant's disclosure to %q: %v", words, err)
		}
	}
	if eff, err := base.Tighten(Compliance{AIDisclosure: DisclosureDefault}, "compliance"); err != nil || eff.AIDisclosure != DisclosureDefault {
		t.Fatalf("a campaign repeating its tenant's setting: %+v %v", eff.AIDisclosure, err)
	}
	off := base
	off.AIDisclosure = DisclosureOff
	if eff, err := off.Tighten(Compliance{AIDisclosure: "这是智能客服来电。"}, "compliance"); err != nil || eff.AIDisclosure != "这是智能客服来电。" {
		t.Fatalf("a campaign disclosing where its tenant does not: %+v %v", eff.AIDisclosure, err)
	}
	long := base
	long.AIDisclosure = strings.Repeat("长", MaxDisclosureRunes+1)
	if err := long.Validate("body", false); err == nil || !strings.Contains(err.Error(), "ai_disclosure") {
		t.Fatalf("a disclosure of %d characters: %v", MaxDisclosureRunes+1, err)
	}
}
