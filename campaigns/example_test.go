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
