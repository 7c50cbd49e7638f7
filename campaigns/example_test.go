package campaigns_test

import (
	"fmt"
	"time"

	"github.com/outcall/outcall/campaigns"
)

// A dial is checked in the callee's time zone: 20:30 in Shanghai is 21:30
// in Tokyo, inside the default quiet hours, so the dial waits for 09:00
// Tokyo time.
func ExampleCheckDial() {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	rules := campaigns.DefaultCompliance()
	r := campaigns.CheckDial(rules, campaigns.DialFacts{
		Now:      time.Date(2026, 11, 24, 20, 30, 0, 0, shanghai),
		Location: tokyo,
	})
	fmt.Println(r.Reason, r.RetryAt.In(tokyo).Format("2006-01-02 15:04 MST"))
	// Output: quiet_hours 2026-11-25 09:00 JST
}

// A campaign may tighten its tenant's settings, never loosen them.
func ExampleCompliance_Tighten() {
	tenant := campaigns.DefaultCompliance() // 3 calls a day
	eff, err := tenant.Tighten(campaigns.Compliance{MaxDailyCalls: 1, ConsentedOnly: true}, "compliance")
	fmt.Println(eff.MaxDailyCalls, eff.ConsentedOnly, err)
	_, err = tenant.Tighten(campaigns.Compliance{MaxDailyCalls: 5}, "compliance")
	fmt.Println(err)
	// Output:
	// 1 true <nil>
	// compliance.max_daily_calls: may only be tightened: the tenant allows 3
}

// An A/B verdict: version B converted 14 of 20 connected calls, the
// baseline A 4 of 20. The difference is 50 points, its 95 % interval stays
// above zero and the two-proportion z-test calls it significant.
func ExampleCompareProportions() {
	c := campaigns.CompareProportions(14, 20, 4, 20)
	fmt.Printf("difference %.2f, 95%% CI [%.3f, %.3f], z %.2f, p %.4f, significant %v\n",
		c.Difference, c.CILow, c.CIHigh, c.Z, c.PValue, c.Significant)
	// Output: difference 0.50, 95% CI [0.233, 0.767], z 3.18, p 0.0015, significant true
}
