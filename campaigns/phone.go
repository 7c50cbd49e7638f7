package campaigns

import (
	"slices"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// NormalisePhone reads raw as a phone number, national numbers in region
// (an ISO 3166 code such as "CN"), and returns it in E.164 ("+8613812341234").
func NormalisePhone(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errorf("the phone number is empty")
	}
	if region == "" {
		region = "CN"
	}
	num, err := phonenumbers.Parse(raw, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", errorf("%q is not a valid phone number for region %s (write it with +country code, or as a national number of %s)",
			MaskPhone(raw), region, region)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// PhoneTimeZone returns the time zone of an E.164 number, or "" when the
// number does not say. When the number spans several zones it prefers
// fallback if that is one of them, else the first.
func PhoneTimeZone(e164, fallback string) string {
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

// ContactTimeZone picks a contact's time zone: the one given, else the
// number's, else the tenant's.
func ContactTimeZone(given, e164, tenantZone string) string {
	if given != "" {
		return given
	}
	if tz := PhoneTimeZone(e164, tenantZone); tz != "" {
		return tz
	}
	return tenantZone
}

// MaskPhone hides the middle of a number for logs and messages:
// "+8613812341234" becomes "138****1234".
func MaskPhone(s string) string {
	digits := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits = append(digits, s[i])
		}
	}
	d := string(digits)
	if strings.HasPrefix(s, "+") {
		if num, err := phonenumbers.Parse(s, ""); err == nil {
			d = phonenumbers.GetNationalSignificantNumber(num)
		}
	}
	if len(d) <= 7 {
		return strings.Repeat("*", len(d))
	}
	return d[:3] + "****" + d[len(d)-4:]
}

// phoneCache normalises many numbers of one region quickly: a plain
// national mobile number ("13812341234") is checked once per seven-digit
// prefix with the phone-number library (its validity rules reach no deeper)
// and other forms go through NormalisePhone each time; time zones are
// looked up once per eight-digit E.164 prefix.
type phoneCache struct {
	region, fallbackZone string
	mu                   sync.RWMutex
	valid                map[string]bool
	zones                map[string]string
}

func newPhoneCache(region, fallbackZone string) *phoneCache {
	if region == "" {
		region = "CN"
	}
	return &phoneCache{region: strings.ToUpper(region), fallbackZone: fallbackZone, valid: map[string]bool{}, zones: map[string]string{}}
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

func (c *phoneCache) normalise(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if c.region != "CN" || !plainCNMobile(raw) {
		return NormalisePhone(raw, c.region)
	}
	prefix := raw[:7]
	c.mu.RLock()
	ok, seen := c.valid[prefix]
	c.mu.RUnlock()
	if !seen {
		_, err := NormalisePhone(raw, c.region)
		ok = err == nil
		c.mu.Lock()
		c.valid[prefix] = ok
		c.mu.Unlock()
	}
	if !ok {
		return NormalisePhone(raw, c.region) // for its message
	}
	return "+86" + raw, nil
}

func (c *phoneCache) zone(e164 string) string {
	key := e164
	if len(key) > 9 {
		key = key[:9]
	}
	c.mu.RLock()
	z, seen := c.zones[key]
	c.mu.RUnlock()
	if !seen {
		z = ContactTimeZone("", e164, c.fallbackZone)
		c.mu.Lock()
		c.zones[key] = z
		c.mu.Unlock()
	}
	return z
}
