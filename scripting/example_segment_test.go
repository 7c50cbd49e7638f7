package scripting_test

import (
	"fmt"

	"github.com/outcall/outcall/scripting"
)

// A segmentation script exports segment(contact), returning a segment name
// or null.
func ExampleCompileSegmenter() {
	sg, diags := scripting.CompileSegmenter("segments.js", `export function segment(c) {
  if (c.vip) return "vip";
  return c.orders >= 5 ? "loyal" : null;
}`)
	if sg == nil {
		fmt.Println(diags)
		return
	}
	for _, c := range []scripting.Contact{{"vip": true}, {"orders": 7}, {"orders": 1}} {
		seg, err := sg.Segment(c)
		fmt.Printf("%q %v\n", seg, err)
	}
	// Output:
	// "vip" <nil>
	// "loyal" <nil>
	// "" <nil>
}
