package reports_test

import (
	"fmt"

	"github.com/outcall/outcall/reports"
)

// An A/B verdict: version B converted 14 of 20 connected calls, the
// baseline A 4 of 20. The difference is 50 points, its 95 % interval stays
// above zero and the two-proportion z-test calls it significant.
func ExampleCompareProportions() {
	c := reports.CompareProportions(14, 20, 4, 20)
	fmt.Printf("difference %.2f, 95%% CI [%.3f, %.3f], z %.2f, p %.4f, significant %v\n",
		c.Difference, c.CILow, c.CIHigh, c.Z, c.PValue, c.Significant)
	// Output: difference 0.50, 95% CI [0.233, 0.767], z 3.18, p 0.0015, significant true
}
