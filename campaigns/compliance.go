package campaigns

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Compliance is what a tenant allows its campaigns, and what a campaign
// may tighten further. As a tenant's settings every field has a value
// (absent keys take DefaultCompliance's); as a campaign's override a zero
// field means "as the tenant says".
type Compliance struct {
	// MaxDailyCalls caps dials to one number per calendar day in the
	// callee's time zone, all campaigns together.
	MaxDailyCalls int `json:"max_daily_calls"`
	// QuietHours is [start, end] in the callee's local time, "HH:MM"; the
	// span may wrap midnight (["21:00", "09:00"]).
	QuietHours []string `json:"quiet_hours"`
	// Weekdays are the days on which calls may be made: mon … sun.
	Weekdays []string `json:"weekdays"`
	// Holidays are dates ("2026-10-01") with no calls, in the callee's calendar.
	Holidays []string `json:"holidays"`
	// MinRetryInterval is the least time between two dials of one number.
	MinRetryInterval Duration `json:"min_retry_interval"`
	// MaxConcurrentLines caps calls in progress (ringing or talking).
	MaxConcurrentLines int `json:"max_concurrent_lines"`
	// CallsPerSecond paces new dials toward the trunk.
	CallsPerSecond float64 `json:"calls_per_second"`
	// SensitiveWords are words a script must not say and that mark a call.
	SensitiveWords []string `json:"sensitive_words"`
	// RecordingRetentionDays is how long recordings are kept.
	RecordingRetentionDays int `json:"recording_retention_days"`
	// ConsentedOnly refuses numbers without consent evidence (reason no_consent).
	ConsentedOnly bool `json:"consented_only"`
	// AIDisclosure is said at the start of every answered call, before the
	// script's greeting, and cannot be barged over: DisclosureDefault for
	// the built-in words in the script's language, DisclosureOff for none,
	// or the tenant's own words.
	AIDisclosure string `json:"ai_disclosure"`
	// MaxDailyMessages caps follow-up messages to one number per calendar
	// day in the recipient's time zone, all campaigns together.
	MaxDailyMessages int `json:"max_daily_messages"`
}

// AI disclosure choices (Compliance.AIDisclosure).
const (
	DisclosureDefault = "default"
	DisclosureOff     = "off"
	// MaxDisclosureRunes bounds a tenant's own disclosure.
	MaxDisclosureRunes = 200
)

// DefaultCompliance is what a tenant gets before it changes anything.
func DefaultCompliance() Compliance {
	return Compliance{
		MaxDailyCalls:          3,
		QuietHours:             []string{"21:00", "09:00"},
		Weekdays:               []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"},
		Holidays:               []string{},
		MinRetryInterval:       Duration(30 * time.Minute),
		MaxConcurrentLines:     50,
		CallsPerSecond:         10,
		SensitiveWords:         []string{"转账", "密码", "验证码"},
		RecordingRetentionDays: 180,
		AIDisclosure:           DisclosureDefault,
		MaxDailyMessages:       1,
	}
}

// Duration is a time.Duration written as "30m" in JSON.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"30m\" or \"2h\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration such as \"30m\" or \"2h\"", s)
	}
	*d = Duration(v)
	return nil
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseTenantCompliance reads a tenant's stored settings over the defaults.
func ParseTenantCompliance(raw []byte) (Compliance, error) {
	c := DefaultCompliance()
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// Validate checks settings a tenant gives (field is the input's path).
func (c Compliance) Validate(field string, override bool) error {
	if c.MaxDailyCalls < 0 || c.MaxDailyCalls > 100 || (!override && c.MaxDailyCalls == 0) {
		return FieldError(field+".max_daily_calls", "must be between 1 and 100")
	}
	if c.MaxDailyMessages < 0 || c.MaxDailyMessages > 20 || (!override && c.MaxDailyMessages == 0) {
		return FieldError(field+".max_daily_messages", "must be between 1 and 20")
	}
	if c.QuietHours != nil {
		if _, err := parseQuiet(c.QuietHours); err != nil {
			return FieldError(field+".quiet_hours", "%v", err)
		}
	}
	if !override && len(c.Weekdays) == 0 {
		return FieldError(field+".weekdays", "name at least one day on which calls may be made")
	}
	for _, d := range c.Weekdays {
		if _, ok := weekdayNames[d]; !ok {
			return FieldError(field+".weekdays", "%q is not a weekday (use mon, tue, wed, thu, fri, sat, sun)", d)
		}
	}
	for _, h := range c.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return FieldError(field+".holidays", "%q is not a date like 2026-10-01", h)
		}
	}
	if c.MaxConcurrentLines < 0 || c.MaxConcurrentLines > 10000 || (!override && c.MaxConcurrentLines == 0) {
		return FieldError(field+".max_concurrent_lines", "must be between 1 and 10000")
	}
	if c.CallsPerSecond < 0 || c.CallsPerSecond > 10000 || (!override && c.CallsPerSecond == 0) {
		return FieldError(field+".calls_per_second", "must be more than 0 and at most 10000")
	}
	if c.RecordingRetentionDays < 0 || c.RecordingRetentionDays > 3650 || (!override && c.RecordingRetentionDays == 0) {
		return FieldError(field+".recording_retention_days", "must be between 1 and 3650")
	}
	if n := utf8.RuneCountInString(c.AIDisclosure); n > MaxDisclosureRunes || (!override && strings.TrimSpace(c.AIDisclosure) == "") {
		return FieldError(field+".ai_disclosure", "must be \"default\", \"off\" or the words to say, at most %d characters", MaxDisclosureRunes)
	}
	return nil
}

// Tighten returns the settings in force for a campaign: base (the
// tenant's) narrowed by override. It fails with a field error when the
// override would loosen base, so a campaign can never allow more than its
// tenant.
func (base Compliance) Tighten(override Compliance, field string) (Compliance, error) {
	if err := override.Validate(field, true); err != nil {
		return base, err
	}
	out := base
	if override.MaxDailyCalls != 0 {
		if override.MaxDailyCalls > base.MaxDailyCalls {
			return base, FieldError(field+".max_daily_calls", "may only be tightened: the tenant allows %d", base.MaxDailyCalls)
		}
		out.MaxDailyCalls = override.MaxDailyCalls
	}
	if override.MaxDailyMessages != 0 {
		if override.MaxDailyMessages > base.MaxDailyMessages {
			return base, FieldError(field+".max_daily_messages", "may only be tightened: the tenant allows %d", base.MaxDailyMessages)
		}
		out.MaxDailyMessages = override.MaxDailyMessages
	}
	if override.QuietHours != nil {
		bq, _ := parseQuiet(base.QuietHours)
		oq, _ := parseQuiet(override.QuietHours)
		for m := 0; m < 24*60; m++ {
			if bq.contains(m) && !oq.contains(m) {
				return base, FieldError(field+".quiet_hours", "may only be tightened: must cover the tenant's quiet hours %s–%s",
					base.QuietHours[0], base.QuietHours[1])
			}
		}
		out.QuietHours = override.QuietHours
	}
	if override.Weekdays != nil {
		for _, d := range override.Weekdays {
			if !slices.Contains(base.Weekdays, d) {
				return base, FieldError(field+".weekdays", "may only be tightened: the tenant does not call on %s", d)
			}
		}
		out.Weekdays = override.Weekdays
	}
	out.Holidays = union(base.Holidays, override.Holidays)
	if override.MinRetryInterval != 0 {
		if override.MinRetryInterval < base.MinRetryInterval {
			return base, FieldError(field+".min_retry_interval", "may only be tightened: the tenant waits %s", time.Duration(base.MinRetryInterval))
		}
		out.MinRetryInterval = override.MinRetryInterval
	}
	if override.MaxConcurrentLines != 0 {
		out.MaxConcurrentLines = min(base.MaxConcurrentLines, override.MaxConcurrentLines)
		if override.MaxConcurrentLines > base.MaxConcurrentLines {
			return base, FieldError(field+".max_concurrent_lines", "may only be tightened: the tenant allows %d", base.MaxConcurrentLines)
		}
	}
	if override.CallsPerSecond != 0 {
		if override.CallsPerSecond > base.CallsPerSecond {
			return base, FieldError(field+".calls_per_second", "may only be tightened: the tenant allows %g", base.CallsPerSecond)
		}
		out.CallsPerSecond = override.CallsPerSecond
	}
	out.SensitiveWords = union(base.SensitiveWords, override.SensitiveWords)
	if override.RecordingRetentionDays != 0 {
		out.RecordingRetentionDays = max(base.RecordingRetentionDays, override.RecordingRetentionDays)
	}
	out.ConsentedOnly = base.ConsentedOnly || override.ConsentedOnly
	if override.AIDisclosure != "" && override.AIDisclosure != base.AIDisclosure {
		// Only a tenant that discloses nothing leaves a campaign to say
		// it: a campaign could otherwise swap the tenant's words for
		// ones that disclose nothing.
		if base.AIDisclosure != DisclosureOff {
			return base, FieldError(field+".ai_disclosure", "may only be tightened: the tenant's calls say its own disclosure, which a campaign cannot change")
		}
		out.AIDisclosure = override.AIDisclosure
	}
	return out, nil
}

// DisclosureWords returns what a call in lang says first under setting
// (Compliance.AIDisclosure): the built-in words, the tenant's own, or ""
// for none.
func DisclosureWords(setting, lang string) string {
	switch strings.TrimSpace(setting) {
	case DisclosureOff:
		return ""
	case DisclosureDefault, "":
		if lang == "en" {
			return "Hello, this call is made by an AI voice assistant."
		}
		return "您好,本次通话由人工智能语音助手为您服务。"
	}
	return strings.TrimSpace(setting)
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// quiet is a span of minutes of the day; start > end wraps midnight.
type quiet struct{ start, end int }

func parseQuiet(q []string) (quiet, error) {
	if len(q) == 0 {
		return quiet{}, nil
	}
	if len(q) != 2 {
		return quiet{}, fmt.Errorf("give [start, end] as two times like [\"21:00\", \"09:00\"], or [] for none")
	}
	var m [2]int
	for i, s := range q {
		t, err := time.Parse("15:04", s)
		if err != nil {
			return quiet{}, fmt.Errorf("%q is not a time like 21:00", s)
		}
		m[i] = t.Hour()*60 + t.Minute()
	}
	return quiet{m[0], m[1]}, nil
}

func (q quiet) contains(minute int) bool {
	switch {
	case q.start == q.end:
		return false
	case q.start < q.end:
		return minute >= q.start && minute < q.end
	default:
		return minute >= q.start || minute < q.end
	}
}

// InQuietHours reports whether local (a time in the callee's zone) falls in
// the quiet hours, and if so when they end.
func (c Compliance) InQuietHours(local time.Time) (bool, time.Time) {
	q, _ := parseQuiet(c.QuietHours)
	m := local.Hour()*60 + local.Minute()
	if !q.contains(m) {
		return false, time.Time{}
	}
	end := time.Date(local.Year(), local.Month(), local.Day(), q.end/60, q.end%60, 0, 0, local.Location())
	if !end.After(local) {
		end = time.Date(local.Year(), local.Month(), local.Day()+1, q.end/60, q.end%60, 0, 0, local.Location())
	}
	return true, end
}

// DayRefusal says why calls are not made on local's calendar day: "holiday",
// "weekday", or "" when they may be.
func (c Compliance) DayRefusal(local time.Time) string {
	if slices.Contains(c.Holidays, local.Format(time.DateOnly)) {
		return ReasonHoliday
	}
	name := strings.ToLower(local.Weekday().String()[:3])
	if !slices.Contains(c.Weekdays, name) {
		return ReasonWeekday
	}
	return ""
}

// NextAllowed returns the first moment at or after t, seen in loc, that is
// on an allowed day and outside quiet hours (the zero time if none within
// two years).
func (c Compliance) NextAllowed(t time.Time, loc *time.Location) time.Time {
	local := t.In(loc)
	for range 800 {
		if c.DayRefusal(local) != "" {
			local = startOfNextDay(local)
			continue
		}
		if q, end := c.InQuietHours(local); q {
			local = end
			continue
		}
		return local
	}
	return time.Time{}
}

func startOfNextDay(local time.Time) time.Time {
	return time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, local.Location())
}

// Reasons a dial is refused.
const (
	ReasonDNC           = "dnc"
	ReasonNoConsent     = "no_consent"
	ReasonSuspended     = "suspended"
	ReasonHoliday       = "holiday"
	ReasonWeekday       = "weekday"
	ReasonQuietHours    = "quiet_hours"
	ReasonRetryInterval = "min_retry_interval"
	ReasonDailyCap      = "daily_cap"
	ReasonWindow        = "campaign_window"
	// ReasonBlocked is a number outcall never calls (phone.Blocked:
	// premium-rate, personal forwarding).
	ReasonBlocked = "blocked_destination"
	// ReasonNotInPlan is a number of a country the tenant's plan does not
	// let it dial (billing.Plan.Destinations).
	ReasonNotInPlan = "destination_not_in_plan"
)

// DialFacts is what the dial check knows about one dial.
type DialFacts struct {
	Now      time.Time
	Location *time.Location // the callee's time zone
	DNC      bool
	Consent  bool
	// Suspended is set when the tenant is suspended.
	Suspended bool
	// LastDialAt is the last dial of the number by any campaign.
	LastDialAt time.Time
	// CountDay and DayCount are the callee-local day of the number's dial
	// counter and the dials counted on it.
	CountDay time.Time
	DayCount int
	// StartsAt and EndsAt bound the campaign's schedule (zero: unbounded).
	StartsAt, EndsAt time.Time
	// Blocked says why the number is never called (phone.Blocked); "" for
	// a number that may be.
	Blocked string
	// Destinations are the regions (ISO 3166 codes) the tenant's plan may
	// dial; none means any. Region is the number's (NumberRegion).
	Destinations []string
	Region       string
}

// Refusal is a dial that must not happen now: why, and the next moment it
// may (zero when the contact must not be dialled by this campaign again).
type Refusal struct {
	Reason  string
	RetryAt time.Time
}

// CheckDial applies every rule to one dial. It returns nil when the dial may
// go ahead, which the caller records by counting it for the callee's day.
func CheckDial(c Compliance, f DialFacts) *Refusal {
	loc := f.Location
	if loc == nil {
		loc = time.UTC
	}
	local := f.Now.In(loc)
	retry := func(reason string, from time.Time) *Refusal {
		at := c.NextAllowed(from, loc)
		if at.IsZero() || (!f.EndsAt.IsZero() && !at.Before(f.EndsAt)) {
			return &Refusal{Reason: reason}
		}
		return &Refusal{Reason: reason, RetryAt: at}
	}
	switch {
	case f.Blocked != "":
		return &Refusal{Reason: ReasonBlocked}
	case len(f.Destinations) > 0 && !slices.Contains(f.Destinations, f.Region):
		// Dropped like a blocked number: the plan, not the moment, forbids
		// it (a plan that allows it later lets a new campaign dial it).
		return &Refusal{Reason: ReasonNotInPlan}
	case f.DNC:
		return &Refusal{Reason: ReasonDNC}
	case c.ConsentedOnly && !f.Consent:
		return &Refusal{Reason: ReasonNoConsent}
	case f.Suspended:
		return &Refusal{Reason: ReasonSuspended, RetryAt: f.Now.Add(time.Hour)}
	case !f.EndsAt.IsZero() && !f.Now.Before(f.EndsAt):
		return &Refusal{Reason: ReasonWindow}
	case !f.StartsAt.IsZero() && f.Now.Before(f.StartsAt):
		return retry(ReasonWindow, f.StartsAt)
	}
	if r := c.DayRefusal(local); r != "" {
		return retry(r, local)
	}
	if q, _ := c.InQuietHours(local); q {
		return retry(ReasonQuietHours, local)
	}
	if !f.LastDialAt.IsZero() && c.MinRetryInterval > 0 {
		if next := f.LastDialAt.Add(time.Duration(c.MinRetryInterval)); f.Now.Before(next) {
			return retry(ReasonRetryInterval, next)
		}
	}
	if sameDay(f.CountDay, local) && f.DayCount >= c.MaxDailyCalls {
		return retry(ReasonDailyCap, startOfNextDay(local))
	}
	return nil
}

// sameDay reports whether day (a date) is local's calendar day.
func sameDay(day, local time.Time) bool {
	if day.IsZero() {
		return false
	}
	y1, m1, d1 := day.Date()
	y2, m2, d2 := local.Date()
	return y1 == y2 && m1 == m2 && d1 == d2
}
