package phone

import "testing"

func TestPhoneNumbersAreNormalisedWithTheTenantsRegion(t *testing.T) {
	cases := []struct {
		raw, region, want, zone string
	}{
		{"138 1234 1234", "CN", "+8613812341234", "Asia/Shanghai"},
		{"+86 138-1234-1234", "US", "+8613812341234", "Asia/Shanghai"},
		{"(212) 555-0100", "US", "+12125550100", "America/New_York"},
		{"03-1234-5678", "JP", "+81312345678", "Asia/Tokyo"},
	}
	for _, tc := range cases {
		got, err := Normalise(tc.raw, tc.region)
		if err != nil || got != tc.want {
			t.Errorf("Normalise(%q, %s) = %q, %v; want %q", tc.raw, tc.region, got, err, tc.want)
			continue
		}
		if z := ContactZone("", got, "Europe/London"); z != tc.zone {
			t.Errorf("time zone of %s = %s, want %s", got, z, tc.zone)
		}
	}
	for _, bad := range []string{"", "12", "not a number", "+86 138"} {
		if _, err := Normalise(bad, "CN"); err == nil {
			t.Errorf("Normalise(%q) accepted it", bad)
		}
	}
	if z := ContactZone("Asia/Urumqi", "+8613812341234", "UTC"); z != "Asia/Urumqi" {
		t.Errorf("a contact's own time zone must win, got %s", z)
	}
	if m := Mask("+8613812341234"); m != "138****1234" {
		t.Errorf("Mask = %q", m)
	}
}

// Mask masks as the portal's maskPhone does (web/src/phone.ts), so a
// viewer sees the same in answers and on screen, and masking twice changes
// nothing.
func TestMaskAsThePortal(t *testing.T) {
	checkMasks(t, "Mask", Mask, map[string]string{
		"+8613812341234": "138****1234",
		"+4915112345678": "+49****5678",
		"12345":          "***45",
		"138 1234 1234":  "138****1234",
		"138****1234":    "138****1234",
		"+49****5678":    "+49****5678",
		"***45":          "***45",
	})
}

// Free text (a webhook receiver's answer, a log line) is masked wherever
// it may hold a number.
func TestMaskInFreeText(t *testing.T) {
	checkMasks(t, "MaskIn", MaskIn, map[string]string{
		`{"error":"unknown customer +8613812341234"}`:   `{"error":"unknown customer 138****1234"}`,
		"call 138-1234-1234 or 021 5000 1234 tomorrow":  "call 138****1234 or 021****1234 tomorrow",
		"status 500, retry in 30s":                      "status 500, retry in 30s",
		"order 20261123 failed":                         "order 202****1123 failed",
		"already 138****1234":                           "already 138****1234",
		"event 3f2b9c1e-0000-4000-8000-000000000001 ok": "event 3f2b9c1e-0000-4000-8000-000000000001 ok",
		"ref order_13812341234":                         "ref order_13812341234",
	})
}

// checkMasks checks a masking function against inputs and what it should
// make of them.
func checkMasks(t *testing.T, name string, mask func(string) string, cases map[string]string) {
	t.Helper()
	for in, want := range cases {
		if got := mask(in); got != want {
			t.Errorf("%s(%q) = %q, want %q", name, in, got, want)
		}
	}
}

func TestBlockedRefusesPremiumRateAndForwardingNumbers(t *testing.T) {
	for number, want := range map[string]string{
		"+8613812341234": "",                                   // a mobile in China
		"+862150009999":  "",                                   // a landline in Shanghai
		"+864001234567":  "",                                   // a 400 business hotline (shared cost)
		"+14155550100":   "",                                   // a US number
		"+8616812345":    "it is a premium-rate number",        // a 168 information line
		"+19002000000":   "it is a premium-rate number",        // a US 900 number
		"+449098790000":  "it is a premium-rate number",        // a UK 09 number
		"+447012345678":  "it is a personal forwarding number", // a UK 070 number
		"not a number":   "it is not a phone number",
	} {
		if got := Blocked(number); got != want {
			t.Errorf("Blocked(%q) = %q, want %q", number, got, want)
		}
	}
}

func TestRegionIsTheCountryANumberRingsIn(t *testing.T) {
	for number, want := range map[string]string{
		"+8613812341234": "CN",
		"+85291234567":   "HK",
		"+447400123456":  "GB",
		"+12125550123":   "US",
		"+80012345678":   "", // universal freephone: no country
		"not a number":   "",
	} {
		if got := Region(number); got != want {
			t.Errorf("Region(%q) = %q, want %q", number, got, want)
		}
	}
}
