package campaigns

import (
	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/tenants"
)

// ShowPhonesIn returns free text as p may see it: as it is for operators
// and stronger, with every possible number masked (phone.MaskIn) for
// viewers.
func ShowPhonesIn(p tenants.Principal, text string) string {
	if p.SeesNumbers() {
		return text
	}
	return phone.MaskIn(text)
}

// ShowPhone returns e164 as p may see it: in full for operators and
// stronger, masked (phone.Mask) for viewers. Every API answer and export that
// carries a number passes it through here.
func ShowPhone(p tenants.Principal, e164 string) string {
	if p.SeesNumbers() {
		return e164
	}
	return phone.Mask(e164)
}
