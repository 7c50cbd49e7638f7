package telephony

import (
	"strings"
	"testing"
)

// A script may hand a call only to a target its trunk names: a number or
// URI written in the script goes nowhere, so whoever writes scripts cannot
// bridge calls to lines of their choosing.
func TestTransfersGoOnlyToTheTrunksNamedTargets(t *testing.T) {
	trunk := Trunk{Host: "carrier.example", TransferTargets: map[string]string{"agent": "+862150009999", "desk": "sip:1001@pbx.example"}}
	if got, err := trunk.TransferTarget("agent"); err != nil || got != "+862150009999" {
		t.Errorf("agent: %q %v", got, err)
	}
	for _, script := range []string{"+449098790000", "+8613812341234", "sip:+19002000000@carrier.example", "1001", "sales"} {
		got, err := trunk.TransferTarget(script)
		if err == nil || got != "" || !strings.Contains(err.Error(), "not one of the trunk's transfer targets (agent, desk)") {
			t.Errorf("transfer to %q: %q %v, want a refusal that lists the named targets", script, got, err)
		}
	}
	if _, err := (Trunk{Host: "carrier.example"}).TransferTarget("agent"); err == nil || !strings.Contains(err.Error(), "names no transfer targets") {
		t.Errorf("a trunk without targets: %v", err)
	}
}

// Premium-rate and forwarding numbers cannot be saved as transfer targets,
// written as numbers or inside sip: URIs; extensions and ordinary numbers
// can.
func TestATrunkRefusesPremiumRateTransferTargets(t *testing.T) {
	for target, refused := range map[string]bool{
		"+862150009999":                    false,
		"8001":                             false,
		"sip:1001@pbx.example":             false,
		"+449098790000":                    true,
		"sip:+19002000000@carrier.example": true,
		"sips:+447012345678;user=phone":    true,
	} {
		err := Trunk{Host: "carrier.example", TransferTargets: map[string]string{"agent": target}}.Validate()
		if refused != (err != nil) {
			t.Errorf("target %q: %v, want refused %v", target, err, refused)
		}
		if err != nil && !strings.Contains(err.Error(), "premium-rate") && !strings.Contains(err.Error(), "forwarding") {
			t.Errorf("target %q: %v does not say why", target, err)
		}
	}
}
