// Package phone reads, masks and places phone numbers: E.164 normalising
// with the tenant's region (Normalise, and Cache for many numbers of one
// region), the one masker that every log, error, export and viewer's
// screen uses (Mask, MaskIn), and a number's time zone (TimeZone,
// ContactZone), which quiet hours are judged in. It depends on nothing of
// outcall's.
package phone

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Normalise reads raw as a phone number, national numbers in region (an
// ISO 3166 code such as "CN"; "" means CN), and returns it in E.164
// ("+8613812341234"). Its error says what was wrong, with the number
// masked.
func Normalise(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("the phone number is empty")
	}
	if region == "" {
		region = "CN"
	}
	num, err := phonenumbers.Parse(raw, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", fmt.Errorf("%q is not a valid phone number for region %s (write it with +country code, or as a national number of %s)",
			Mask(raw), region, region)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// TimeZone returns the time zone of an E.164 number, or "" when the number
// does not say. When the number spans several zones it prefers fallback if
// that is one of them, else the first.
func TimeZone(e164, fallback string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	zones, err := phonenumbers.GetTimezonesForNumber(num)
	if err != nil || len(zones) == 0 || zones[0] == phonenumbers.UNKNOWN_TIMEZONE {
		return ""
	}
	if slices.Contains(zones, fallback) {
		return fallback
	}
	return zones[0]
}

// ContactZone picks a contact's time zone: the one given, else the
// number's, else the tenant's.
func ContactZone(given, e164, tenantZone string) string {
	if given != "" {
		return given
	}
	if tz := TimeZone(e164, tenantZone); tz != "" {
		return tz
	}
	return tenantZone
}

// Region returns the region (ISO 3166 code, such as "CN") of an E.164
// number, or "" for a number of no region (non-geographic, or not a
// number). It is what a plan's destinations are compared with.
func Region(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	r := phonenumbers.GetRegionCodeForNumber(num)
	if r == "ZZ" || r == "001" {
		return ""
	}
	return r
}

// Mask hides the middle of a number, as the portal does for viewers:
// "+8613812341234" becomes "138****1234" (a Chinese number without its
// country code), "+4915112345678" becomes "+49****5678", a number of fewer
// than seven characters shows only its last two digits. A number written
// otherwise than in E.164 is read for its digits; a masked number stays as
// it is.
func Mask(s string) string {
	if strings.Contains(s, "*") {
		return s
	}
	n := s
	if !strings.HasPrefix(s, "+") {
		digits := make([]byte, 0, len(s))
		for i := 0; i < len(s); i++ {
			if isDigit(s[i]) {
				digits = append(digits, s[i])
			}
		}
		n = string(digits)
	}
	n = strings.TrimPrefix(n, "+86")
	if len(n) < 7 {
		b := []byte(n)
		for i := 0; i+2 < len(n); i++ {
			if isDigit(n[i]) && isDigit(n[i+1]) && isDigit(n[i+2]) {
				b[i] = '*'
			}
		}
		return string(b)
	}
	return n[:3] + "****" + n[len(n)-4:]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// phoneInText finds runs of 7 to 15 digits (perhaps with a leading + and
// spaces or hyphens between them) that may be phone numbers.
var phoneInText = regexp.MustCompile(`\+?\d[\d -]{5,17}\d`)

// MaskIn masks (Mask) everything in free text that may be a
// phone number: a webhook receiver's answer echoing a callee's number, a
// log line. A run of digits inside a longer token (an id, a UUID) is left
// alone; other runs of 7 to 15 digits that are no number (an order id)
// are masked too.
func MaskIn(text string) string {
	matches := phoneInText.FindAllStringIndex(text, -1)
	if matches == nil {
		return text
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		if m[0] > 0 && isTokenByte(text[m[0]-1]) || m[1] < len(text) && isTokenByte(text[m[1]]) {
			continue
		}
		n := strings.Map(func(r rune) rune {
			if r == '+' || (r >= '0' && r <= '9') {
				return r
			}
			return -1
		}, text[m[0]:m[1]])
		if digits := len(strings.TrimPrefix(n, "+")); digits < 7 || digits > 15 {
			continue
		}
		b.WriteString(text[last:m[0]])
		b.WriteString(Mask(n))
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

func isTokenByte(c byte) bool {
	return c == '-' || c == '_' || isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Cache normalises many numbers of one region quickly, as an import does:
// a plain national mobile number ("13812341234") is checked once per
// seven-digit prefix with the phone-number library (its validity rules
// reach no deeper) and other forms go through Normalise each time; time
// zones are looked up once per eight-digit E.164 prefix. It is safe for
// concurrent use.
type Cache struct {
	region, fallbackZone string
	mu                   sync.RWMutex
	valid                map[string]bool
	zones                map[string]string
}

// NewCache returns a cache for numbers of region whose contacts are, when
// their number does not say, in fallbackZone.
func NewCache(region, fallbackZone string) *Cache {
	if region == "" {
		region = "CN"
	}
	return &Cache{region: strings.ToUpper(region), fallbackZone: fallbackZone, valid: map[string]bool{}, zones: map[string]string{}}
}

func plainCNMobile(raw string) bool {
	if len(raw) != 11 || raw[0] != '1' {
		return false
	}
	for i := 1; i < len(raw); i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return false
		}
	}
	return true
}

// Normalise is Normalise in the cache's region.
func (c *Cache) Normalise(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if c.region != "CN" || !plainCNMobile(raw) {
		return Normalise(raw, c.region)
	}
	prefix := raw[:7]
	c.mu.RLock()
	ok, seen := c.valid[prefix]
	c.mu.RUnlock()
	if !seen {
		_, err := Normalise(raw, c.region)
		ok = err == nil
		c.mu.Lock()
		c.valid[prefix] = ok
		c.mu.Unlock()
	}
	if !ok {
		return Normalise(raw, c.region) // for its message
	}
	return "+86" + raw, nil
}

// Zone is ContactZone of a number without a zone of its own.
func (c *Cache) Zone(e164 string) string {
	key := e164
	if len(key) > 9 {
		key = key[:9]
	}
	c.mu.RLock()
	z, seen := c.zones[key]
	c.mu.RUnlock()
	if !seen {
		z = ContactZone("", e164, c.fallbackZone)
		c.mu.Lock()
		c.zones[key] = z
		c.mu.Unlock()
	}
	return z
}

// Blocked says why outcall never calls a number, whoever asks and
// whatever the plan: premium-rate numbers, which pay whoever runs them for
// each minute a caller spends on them, and personal forwarding numbers,
// which toll fraud uses to reach such lines. "" means it may be called.
// Shared-cost numbers (China's 400 business hotlines) may be called: they
// cost a caller no more than a local call. The kind of a number comes
// from libphonenumber's metadata.
func Blocked(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return "it is not a phone number"
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.PREMIUM_RATE:
		return "it is a premium-rate number"
	case phonenumbers.PERSONAL_NUMBER:
		return "it is a personal forwarding number"
	}
	return ""
}
