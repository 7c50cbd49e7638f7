package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
)

// cityRules put VIPs in vip and Shanghai customers in shanghai; a contact
// without a city makes line 4 throw.
const cityRules = `export function segment(contact) {
  if (contact.vip === true) return "vip";
  // contacts without a city fail here
  if (contact.city.startsWith("上")) return "shanghai";
  return null;
}
`

// segmentFixture is a tenant with a list of five contacts and published
// segmentation rules.
type segmentFixture struct {
	a                 tenant
	listID, scriptID  string
	contactsByPhone   map[string]string
	dialogScriptID    string
	unpublishedNumber int
}

func (h *harness) segmentFixture(a tenant) segmentFixture {
	h.t.Helper()
	f := segmentFixture{a: a, contactsByPhone: map[string]string{}}
	f.listID = h.do(nil, "POST", "/v1/lists", map[string]any{"name": "customers"}, bearer(a.Key)...).str("id")
	for phone, attrs := range map[string]map[string]any{
		"13800000001": {"vip": true},
		"13800000002": {"vip": false, "city": "上海"},
		"13800000003": {"city": "上海"},
		"13800000004": {"city": "北京"},
		"13800000005": {},
	} {
		r := h.do(nil, "POST", "/v1/contacts", map[string]any{"phone": phone, "attributes": attrs, "list_ids": []string{f.listID}}, bearer(a.Key)...)
		if r.Status != 200 {
			h.t.Fatalf("contact: %s", r.Raw)
		}
		f.contactsByPhone["+86"+phone] = r.str("id")
	}
	sc := h.do(nil, "POST", "/v1/scripts", map[string]any{"name": "by city", "kind": "segment", "source": cityRules}, bearer(a.Key)...)
	if sc.Status != 201 {
		h.t.Fatalf("rules: %s", sc.Raw)
	}
	f.scriptID = sc.str("id")
	if r := h.do(nil, "POST", "/v1/scripts/"+f.scriptID+"/versions/1/publish", nil, bearer(a.Key)...); r.Status != 200 {
		h.t.Fatalf("publish: %s", r.Raw)
	}
	v2 := h.do(nil, "POST", "/v1/scripts/"+f.scriptID+"/versions", map[string]any{"source": cityRules}, bearer(a.Key)...)
	f.unpublishedNumber = int(v2.Body["number"].(float64))
	f.dialogScriptID = h.do(nil, "POST", "/v1/scripts", map[string]any{"name": "dialog", "source": orderScript}, bearer(a.Key)...).str("id")
	return f
}

func TestACampaignSortsItsContactsIntoSegmentsAtStartAndDialsOnlyTheFilteredOnes(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	f := h.segmentFixture(a)
	create := func(seg map[string]any) response {
		return h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "by city", "list_ids": []string{f.listID}, "script_version": "v-default",
			"segment_versions": map[string]string{"vip": "v-vip"}, "segmentation": seg}, bearer(a.Key)...)
	}
	c := create(map[string]any{"script_id": f.scriptID, "version": 1, "filter": []string{"vip", "shanghai"}})
	if c.Status != 201 || c.str("segmentation", "script_id") != f.scriptID {
		t.Fatalf("create: %d %s", c.Status, c.Raw)
	}
	started := h.do(nil, "POST", "/v1/campaigns/"+c.str("id")+"/start", nil, bearer(a.Key)...)
	if started.Status != 200 || started.str("status") != "running" || started.Body["segment_errors"] != 1.0 {
		t.Fatalf("start: %d %s", started.Status, started.Raw)
	}
	sample, _ := started.Body["segment_error_sample"].([]any)
	if len(sample) != 1 {
		t.Fatalf("error sample: %s", started.Raw)
	}
	e := sample[0].(map[string]any)
	if e["contact_id"] != f.contactsByPhone["+8613800000005"] || e["line"] != 4.0 || !strings.Contains(e["message"].(string), "startsWith") {
		t.Fatalf("the failed contact: %v", e)
	}
	counts := h.do(nil, "GET", "/v1/campaigns/"+c.str("id")+"/counts", nil, bearer(a.Key)...)
	want := `"not_dialled":{"segment_error":1,"segment_filtered":1}`
	if counts.Body["contacts"] != 5.0 || !strings.Contains(counts.Raw, want) || !strings.Contains(counts.Raw, `"segments":{"":2,"shanghai":2,"vip":1}`) ||
		!strings.Contains(counts.Raw, `"pending":3`) || !strings.Contains(counts.Raw, `"dropped":2`) {
		t.Fatalf("counts: %s", counts.Raw)
	}

	// The pacer queues only the three contacts in the filter's segments,
	// and the VIP's call runs the VIP script version.
	noon := tomorrowNoon()
	svc := campaigns.New(campaigns.Options{DB: h.svc.DB(), Now: func() time.Time { return noon }})
	tenantID, campaignID := uuid.MustParse(a.ID), uuid.MustParse(c.str("id"))
	round, err := svc.Pace(context.Background(), tenantID, campaignID, 10)
	if err != nil || round.Queued != 3 {
		t.Fatalf("pace: %+v %v", round, err)
	}
	vip := uuid.MustParse(f.contactsByPhone["+8613800000001"])
	d, err := svc.BeginDial(context.Background(), campaigns.DialArgs{TenantID: tenantID, CampaignID: campaignID, ContactID: vip, Attempt: 1})
	if err != nil || !d.Place || d.Request.Segment != "vip" || d.Request.ScriptVersion != "v-vip" {
		t.Fatalf("the VIP's dial: %v %+v", err, d)
	}
	conn, err := pgx.Connect(context.Background(), h.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var segment, state string
	conn.QueryRow(context.Background(), `SELECT segment, state FROM campaign_contacts WHERE campaign_id = $1 AND contact_id = $2`,
		campaignID, f.contactsByPhone["+8613800000004"]).Scan(&segment, &state)
	if segment != "" || state != "dropped" {
		t.Fatalf("the Beijing contact outside the filter: segment %q, state %s", segment, state)
	}

	// Without a filter every segment is dialled; only the failed rule is left out.
	all := create(map[string]any{"script_id": f.scriptID, "version": 1})
	if r := h.do(nil, "POST", "/v1/campaigns/"+all.str("id")+"/start", nil, bearer(a.Key)...); r.Status != 200 {
		t.Fatalf("start without a filter: %s", r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/campaigns/"+all.str("id")+"/counts", nil, bearer(a.Key)...); !strings.Contains(r.Raw, `"pending":4`) ||
		!strings.Contains(r.Raw, `"not_dialled":{"segment_error":1}`) {
		t.Fatalf("counts without a filter: %s", r.Raw)
	}
}

func TestCampaignsNamingBadSegmentationRulesAreRefusedAndStayDrafts(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	f := h.segmentFixture(a)
	b := h.signup("Other", "ops@other.example")
	bList := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "B's"}, bearer(b.Key)...).str("id")
	h.do(nil, "POST", "/v1/contacts", map[string]any{"phone": "13900000001", "list_ids": []string{bList}}, bearer(b.Key)...)

	cases := []struct {
		name    string
		who     tenant
		list    string
		seg     map[string]any
		says    string
		created bool
	}{
		{"an unpublished version", a, f.listID, map[string]any{"script_id": f.scriptID, "version": f.unpublishedNumber}, "not published", true},
		{"a dialog script", a, f.listID, map[string]any{"script_id": f.dialogScriptID, "version": 1}, "not segmentation rules", true},
		{"another tenant's rules", b, bList, map[string]any{"script_id": f.scriptID, "version": 1}, "no version 1", true},
		{"a filter no contact is in", a, f.listID, map[string]any{"script_id": f.scriptID, "version": 1, "filter": []string{"gold"}}, "none is in the segments gold", true},
		{"version 0", a, f.listID, map[string]any{"script_id": f.scriptID, "version": 0}, "body.segmentation.version", false},
		{"an empty segment name", a, f.listID, map[string]any{"script_id": f.scriptID, "version": 1, "filter": []string{" "}}, "body.segmentation.filter[0]", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "x", "list_ids": []string{tc.list}, "script_version": "v1", "segmentation": tc.seg}, bearer(tc.who.Key)...)
			if !tc.created {
				if c.Status != 422 || !strings.Contains(c.Raw, tc.says) {
					t.Fatalf("create: %d %s; want 422 saying %q", c.Status, c.Raw, tc.says)
				}
				return
			}
			if c.Status != 201 {
				t.Fatalf("create: %d %s", c.Status, c.Raw)
			}
			r := h.do(nil, "POST", "/v1/campaigns/"+c.str("id")+"/start", nil, bearer(tc.who.Key)...)
			if r.Status != 422 || !strings.Contains(r.Raw, tc.says) || !strings.Contains(r.Raw, "body.segmentation") {
				t.Fatalf("start: %d %s; want 422 saying %q", r.Status, r.Raw, tc.says)
			}
			if got := h.do(nil, "GET", "/v1/campaigns/"+c.str("id")+"/counts", nil, bearer(tc.who.Key)...); got.Body["contacts"] != 0.0 {
				t.Fatalf("a refused start enrolled contacts: %s", got.Raw)
			}
			if got := h.do(nil, "GET", "/v1/campaigns/"+c.str("id"), nil, bearer(tc.who.Key)...); got.str("status") != "draft" {
				t.Fatalf("a refused start left %s", got.Raw)
			}
		})
	}
}

func TestThePreviewCountsASampleOfAListPerSegmentWithTheFailuresAndTheirLines(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	f := h.segmentFixture(a)
	preview := func(who tenant, body map[string]any) response {
		return h.do(nil, "POST", "/v1/segments/preview", body, bearer(who.Key)...)
	}
	wantSegments := `"segments":[{"segment":"shanghai","contacts":2},{"segment":"","contacts":1},{"segment":"vip","contacts":1}]`
	for name, body := range map[string]map[string]any{
		"the source being edited": {"source": cityRules, "list_id": f.listID},
		"a saved version":         {"script_id": f.scriptID, "version": f.unpublishedNumber, "list_id": f.listID},
	} {
		r := preview(a, body)
		if r.Status != 200 || r.Body["list_contacts"] != 5.0 || r.Body["sampled"] != 5.0 || r.Body["failed"] != 1.0 || !strings.Contains(r.Raw, wantSegments) {
			t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
		}
		errs := r.Body["errors"].([]any)
		if e := errs[0].(map[string]any); len(errs) != 1 || e["line"] != 4.0 || e["contact_id"] != f.contactsByPhone["+8613800000005"] {
			t.Fatalf("%s: errors %v", name, errs)
		}
	}
	// A smaller sample is the same each time.
	first := preview(a, map[string]any{"source": cityRules, "list_id": f.listID, "sample_size": 2})
	again := preview(a, map[string]any{"source": cityRules, "list_id": f.listID, "sample_size": 2})
	if first.Body["sampled"] != 2.0 || first.Raw != again.Raw {
		t.Fatalf("a sample of 2: %s, then %s", first.Raw, again.Raw)
	}
	// The rules see the number masked, as a call's script does.
	masked := preview(a, map[string]any{"source": `export function segment(c) { return c.phone.indexOf("*") > 0 ? "masked" : "clear"; }`, "list_id": f.listID})
	if !strings.Contains(masked.Raw, `"segments":[{"segment":"masked","contacts":5}]`) {
		t.Fatalf("the number the rules see: %s", masked.Raw)
	}

	bad := []struct {
		name   string
		body   map[string]any
		status int
		says   string
	}{
		{"rules that do not compile", map[string]any{"source": "export function segment(c) {\n  return c.vip ? 'vip' : ;\n}\n", "list_id": f.listID}, 422, `"line":2`},
		{"rules without segment()", map[string]any{"source": "export const x = 1;\n", "list_id": f.listID}, 422, "segment(contact)"},
		{"both source and a script", map[string]any{"source": cityRules, "script_id": f.scriptID, "version": 1, "list_id": f.listID}, 422, "body.source"},
		{"neither", map[string]any{"list_id": f.listID}, 422, "body.source"},
		{"a script without its version", map[string]any{"script_id": f.scriptID, "list_id": f.listID}, 422, "body.version"},
		{"a dialog script", map[string]any{"script_id": f.dialogScriptID, "version": 1, "list_id": f.listID}, 422, "not segmentation rules"},
		{"a sample too large", map[string]any{"source": cityRules, "list_id": f.listID, "sample_size": 2001}, 422, "body.sample_size"},
		{"no such list", map[string]any{"source": cityRules, "list_id": uuid.NewString()}, 422, "body.list_id"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := preview(a, tc.body)
			if r.Status != tc.status || !strings.Contains(r.Raw, tc.says) || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") {
				t.Fatalf("%d %s; want %d saying %q", r.Status, r.Raw, tc.status, tc.says)
			}
		})
	}

	// Tenant B can use neither A's list nor A's rules.
	b := h.signup("Other", "ops@other.example")
	bList := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "B's"}, bearer(b.Key)...).str("id")
	if r := preview(b, map[string]any{"source": cityRules, "list_id": f.listID}); r.Status != 422 || strings.Contains(r.Raw, "shanghai") {
		t.Fatalf("B previewing A's list: %d %s", r.Status, r.Raw)
	}
	if r := preview(b, map[string]any{"script_id": f.scriptID, "version": 1, "list_id": bList}); r.Status != 422 || strings.Contains(r.Raw, "startsWith") {
		t.Fatalf("B previewing A's rules: %d %s", r.Status, r.Raw)
	}
}
