package phone_test

import (
	"fmt"

	"github.com/outcall/outcall/phone"
)

// Numbers are stored in E.164 and logged only masked.
func ExampleNormalise() {
	e164, _ := phone.Normalise("138 1234 1234", "CN")
	fmt.Println(e164, phone.Mask(e164), phone.ContactZone("", e164, "UTC"))
	// Output: +8613812341234 138****1234 Asia/Shanghai
}
