package calls_test

import (
	"context"
	"strings"
	"testing"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
)

// A transfer reaches only a target the trunk names, and not even a named
// one when its number is premium-rate or on the tenant's do-not-call list.
func TestATransferGoesOnlyToANamedTargetThatPassesTheChecks(t *testing.T) {
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	db, p := shop.DB, shop.Owner
	if _, err := contacts.New(contacts.Options{DB: db}).AddDNC(ctx, p, []string{"+862150008888"}, "asked not to be called"); err != nil {
		t.Fatal(err)
	}
	svc := calls.New(calls.Options{Scripts: &scripting.Store{DB: db}})
	// The platform's own trunk could carry a premium-rate target only if
	// it skipped Validate; the check at transfer time still refuses it.
	trunk := telephony.Trunk{Host: "carrier.example", TransferTargets: map[string]string{
		"agent": "+862150009999", "desk": "sip:1001@pbx.example", "opted_out": "+862150008888", "premium": "+449098790000",
	}}
	for name, want := range map[string]string{
		"agent":          "",
		"desk":           "",
		"opted_out":      "on the do-not-call list",
		"premium":        "premium-rate",
		"+449098790000":  "not one of the trunk's transfer targets",
		"+8613812341234": "not one of the trunk's transfer targets",
	} {
		got, err := calls.TransferTarget(svc, ctx, p.TenantID, trunk, nil, name)
		switch {
		case want == "" && (err != nil || got != trunk.TransferTargets[name]):
			t.Errorf("%s: %q %v, want %q", name, got, err, trunk.TransferTargets[name])
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || got != ""):
			t.Errorf("%s: %q %v, want a refusal saying %q", name, got, err, want)
		}
	}
	// Another tenant's do-not-call list is not this tenant's.
	_, other := dbtest.SignUp(ctx, t, db, "Other")
	if _, err := calls.TransferTarget(svc, ctx, other.TenantID, trunk, nil, "opted_out"); err != nil {
		t.Errorf("another tenant's transfer to its own agent: %v", err)
	}
	// A plan that lets the tenant call only some countries holds for its
	// transfers too; an extension or SIP URI is the tenant's own.
	trunk.TransferTargets["us_desk"] = "+12125550123"
	for name, want := range map[string]string{"agent": "", "desk": "", "us_desk": "a number of US, which the tenant's plan does not let it call (CN)"} {
		_, err := calls.TransferTarget(svc, ctx, p.TenantID, trunk, []string{"CN"}, name)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s with a plan for CN only: %v, want %q", name, err, want)
		}
	}
}
