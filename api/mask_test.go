package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The seeded tenant's numbers: a contact with consent and a call record, a
// number on the do-not-call list, a trunk's caller ID and transfer target,
// as the portal shows them masked.
var seededNumbers = map[string]string{"13812341234": "138****1234", "13812349999": "138****9999",
	"2150001234": "215****1234", "2150009999": "215****9999"}

// TestViewersSeeNumbersMasked walks every read operation as a viewer (a
// portal session and a viewer API key) and as the owner. A viewer's answers
// must not hold any seeded number in full, and must show them masked where
// the owner's answer shows them in full; every operation that shows the
// owner a number is listed, so a new one is walked too.
func TestViewersSeeNumbersMasked(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Tenant A", "owner@a.example")
	f := h.seedCampaign(a)
	viewerKey := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "dashboard", "role": "viewer"}, bearer(a.Key)...)
	viewerUser := h.do(nil, "POST", "/v1/users", map[string]any{"email": "viewer@a.example", "role": "viewer", "password": "viewer-password"}, bearer(a.Key)...)
	operatorKey := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "crm", "role": "operator", "scopes": []string{"calls:read", "contacts:read"}}, bearer(a.Key)...)
	trunk := h.do(nil, "POST", "/v1/trunks", map[string]any{"name": "carrier", "host": "sip.carrier.example", "caller_ids": []string{"+862150001234"},
		"transfer_targets": map[string]string{"agent": "+862150009999", "desk": "sip:desk@pbx.example"}}, bearer(a.Key)...)
	endpoint := h.do(nil, "POST", "/v1/webhooks/endpoints", map[string]any{"url": "http://127.0.0.1:9/crm-hook"}, bearer(a.Key)...)
	if viewerKey.Status != 201 || viewerUser.Status != 201 || operatorKey.Status != 201 || trunk.Status != 201 || endpoint.Status != 201 {
		t.Fatalf("fixtures: %s %s %s %s %s", viewerKey.Raw, viewerUser.Raw, operatorKey.Raw, trunk.Raw, endpoint.Raw)
	}
	// A receiver that echoes the callee's number in its answer.
	h.seedDelivery(a.ID, endpoint.str("id"), `{"error":"no customer with number +8613812341234"}`)
	login := h.do(nil, "POST", "/v1/login", map[string]any{"email": "viewer@a.example", "password": "viewer-password"})
	var session []string
	for _, c := range (&http.Response{Header: login.Header}).Cookies() {
		if c.Name == "outcall_session" {
			session = []string{"Cookie", "outcall_session=" + c.Value}
		}
	}
	if session == nil {
		t.Fatalf("the viewer cannot log in: %s", login.Raw)
	}
	callers := map[string][]string{"viewer session": session, "viewer key": bearer(viewerKey.str("secret"))}

	fixtures := map[string]string{"list_id": f.ListID, "contact_id": f.ContactID, "import_id": f.ImportID, "phone": f.Phone,
		"campaign_id": f.CampaignID, "call_id": f.CallID, "trunk_id": trunk.str("id"), "endpoint_id": endpoint.str("id")}
	// Queries that make an operation show the seeded records.
	queries := map[string]string{
		"search-calls": "?phone=" + url.QueryEscape(f.Phone), // a viewer may give a full number only
		"export-calls": "?to=2100-01-01T00:00:00Z",
		"export-turns": "?to=2100-01-01T00:00:00Z",
		"audit-number": "?format=csv",
	}

	ops, paths := h.operations(t)
	var showNumbers []string
walk:
	for _, path := range paths {
		op, ok := ops[path]["get"]
		if !ok || len(op.Security) == 0 {
			continue
		}
		target := path
		for strings.Contains(target, "{") {
			i, j := strings.Index(target, "{"), strings.Index(target, "}")
			id, ok := fixtures[target[i+1:j]]
			if !ok {
				continue walk // an operation on things without numbers (keys, scripts, segments)
			}
			target = target[:i] + id + target[j+1:]
		}
		target += queries[op.OperationID]
		owner := h.do(nil, "GET", target, nil, bearer(a.Key)...)
		var shown []string
		for full := range seededNumbers {
			if strings.Contains(owner.Raw, full) {
				shown = append(shown, full)
			}
		}
		if len(shown) == 0 {
			continue
		}
		showNumbers = append(showNumbers, op.OperationID)
		if r := h.do(nil, "GET", target, nil, bearer(operatorKey.str("secret"))...); r.Status == 200 {
			for _, full := range shown {
				if !strings.Contains(r.Raw, full) {
					t.Errorf("%s: an operator key does not see %s in full: %s", op.OperationID, full, r.Raw)
				}
			}
		}
		for who, creds := range callers {
			r := h.do(nil, "GET", target, nil, creds...)
			for full := range seededNumbers {
				if strings.Contains(r.Raw, full) {
					t.Errorf("%s as %s shows %s in full: %d %s", op.OperationID, who, full, r.Status, r.Raw)
				}
			}
			if r.Status == 403 {
				continue // the role may not read this at all (the audit trail)
			}
			for _, full := range shown {
				if !strings.Contains(r.Raw, seededNumbers[full]) {
					t.Errorf("%s as %s: %d, want %s shown masked as to the owner in full: %s", op.OperationID, who, r.Status, full, r.Raw)
				}
			}
		}
	}
	sort.Strings(showNumbers)
	t.Logf("operations that show numbers: %v", showNumbers)
	for _, want := range []string{"get-call", "search-calls", "list-campaign-calls", "get-contact", "list-contacts", "list-list-contacts",
		"list-dnc", "export-calls", "audit-number", "list-trunks", "get-trunk", "list-webhook-deliveries"} {
		if !slices.Contains(showNumbers, want) {
			t.Errorf("the walk did not see %s show the owner a number (walked: %v)", want, showNumbers)
		}
	}

	// Writes that answer with a number are the operator's: a viewer is
	// refused before anything is shown.
	for _, w := range []struct{ method, path string }{{"POST", "/v1/contacts"}, {"POST", "/v1/consents"}, {"POST", "/v1/calls/" + f.CallID + "/review"}} {
		var body map[string]any
		switch w.path {
		case "/v1/contacts":
			body = map[string]any{"phone": "13812341234"}
		case "/v1/consents":
			body = map[string]any{"phone": "13812341234", "source": "form"}
		default:
			body = map[string]any{"status": "approved"}
		}
		r := h.do(nil, w.method, w.path, body, bearer(viewerKey.str("secret"))...)
		if r.Status != 403 || strings.Contains(r.Raw, "13812341234") {
			t.Errorf("%s %s as a viewer key: %d %s", w.method, w.path, r.Status, r.Raw)
		}
	}
	// The owner's answers to those writes carry the number in full.
	if r := h.do(nil, "POST", "/v1/consents", map[string]any{"phone": "13812341234", "source": "form"}, bearer(a.Key)...); r.Status != 201 || r.str("phone") != f.Phone {
		t.Errorf("record-consent as the owner: %d %s", r.Status, r.Raw)
	}
	// A transfer target that is a SIP URI is no number: shown as it is.
	if r := h.do(nil, "GET", "/v1/trunks/"+trunk.str("id"), nil, bearer(viewerKey.str("secret"))...); r.str("transfer_targets", "desk") != "sip:desk@pbx.example" {
		t.Errorf("get-trunk as a viewer: %d %s", r.Status, r.Raw)
	}
}

// TestViewersPageTheDoNotCallList pages through numbers added together with
// a viewer key: every number once, masked, and no cursor holds a number.
func TestViewersPageTheDoNotCallList(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Tenant A", "owner@a.example")
	phones := []string{"13812340001", "13812340002", "13812340003", "13812340004", "13812340005"}
	if r := h.do(nil, "POST", "/v1/dnc", map[string]any{"phones": phones[:3]}, bearer(a.Key)...); r.Status != 200 || r.Body["added"] != 3.0 {
		t.Fatalf("add: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "POST", "/v1/dnc", map[string]any{"phones": phones[3:]}, bearer(a.Key)...); r.Status != 200 {
		t.Fatalf("add: %d %s", r.Status, r.Raw)
	}
	viewer := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "dashboard", "role": "viewer"}, bearer(a.Key)...)
	for _, who := range []struct {
		name  string
		creds []string
		want  func(string) string
	}{
		{"viewer", bearer(viewer.str("secret")), func(p string) string { return p[:3] + "****" + p[len(p)-4:] }},
		{"owner", bearer(a.Key), func(p string) string { return "+86" + p }},
	} {
		var got []string
		cursor := ""
		for page := 0; page < 10; page++ {
			r := h.do(nil, "GET", "/v1/dnc?limit=2&cursor="+cursor, nil, who.creds...)
			if r.Status != 200 {
				t.Fatalf("%s page %d: %d %s", who.name, page, r.Status, r.Raw)
			}
			for _, it := range r.Body["items"].([]any) {
				got = append(got, it.(map[string]any)["phone"].(string))
			}
			cursor = r.str("next_cursor")
			if strings.Contains(cursor, "1234000") {
				t.Fatalf("%s: the cursor %q holds a number", who.name, cursor)
			}
			if cursor == "" {
				break
			}
		}
		want := make([]string, 0, len(phones))
		for _, p := range phones {
			want = append(want, who.want(p))
		}
		sort.Strings(got)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("%s paged %v, want %v", who.name, got, want)
		}
	}
	if r := h.do(nil, "GET", "/v1/dnc?cursor=%2B8613812340001", nil, bearer(a.Key)...); r.Status != 422 {
		t.Fatalf("a number as cursor: %d %s", r.Status, r.Raw)
	}
}
