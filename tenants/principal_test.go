package tenants_test

import (
	"testing"

	"github.com/outcall/outcall/tenants"
)

// What a viewer sees of numbers goes through phone's one masker.
func TestViewersSeeNumbersMaskedAndOperatorsInFull(t *testing.T) {
	viewer := tenants.Principal{Role: tenants.RoleViewer}
	for role, want := range map[tenants.Role]string{tenants.RoleOwner: "+8613812341234", tenants.RoleAdmin: "+8613812341234",
		tenants.RoleOperator: "+8613812341234", tenants.RoleViewer: "138****1234"} {
		viewer.Role = role
		if got := viewer.ShowPhone("+8613812341234"); got != want {
			t.Errorf("ShowPhone as %s = %q, want %q", role, got, want)
		}
	}
	text := "callee +8613812341234"
	p := tenants.Principal{Role: tenants.RoleOperator}
	if got := p.ShowPhonesIn(text); got != text {
		t.Errorf("an operator sees %q, want it as it is", got)
	}
	p.Role = tenants.RoleViewer
	if got := p.ShowPhonesIn(text); got != "callee 138****1234" {
		t.Errorf("a viewer sees %q", got)
	}
}
