package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
)

// seededCalls are the call records seedCalls made: call ids by phone, in
// the order they were dialled (a minute apart from start).
type seededCalls struct {
	CampaignID string
	Start      time.Time
	ByPhone    map[string]string
	Order      []string // call ids, oldest first
}

// seedCalls gives tenant a one campaign over the given national numbers
// and dials each of them once, a minute apart, closing every call with
// result(phone) — through the same BeginDial and CloseCall the dial
// worker uses.
func (h *harness) seedCalls(a tenant, start time.Time, phones []string, result func(phone string, at time.Time) campaigns.Ending) seededCalls {
	h.t.Helper()
	ctx := context.Background()
	list := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "customers " + uuid.NewString()[:8]}, bearer(a.Key)...)
	for _, p := range phones {
		if r := h.do(nil, "POST", "/v1/contacts", map[string]any{"phone": p, "name": "客户", "list_ids": []string{list.str("id")}}, bearer(a.Key)...); r.Status != 200 {
			h.t.Fatalf("contact %s: %s", p, r.Raw)
		}
	}
	camp := h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "calls", "list_ids": []string{list.str("id")}, "script_version": "v1"}, bearer(a.Key)...)
	if r := h.do(nil, "POST", "/v1/campaigns/"+camp.str("id")+"/start", nil, bearer(a.Key)...); r.Status != 200 {
		h.t.Fatalf("start: %s", r.Raw)
	}
	now := start // moved on as the calls are made
	svc := campaigns.New(campaigns.Options{DB: h.svc.DB(), Now: func() time.Time { return now }})
	tenantID, campaignID := uuid.MustParse(a.ID), uuid.MustParse(camp.str("id"))
	if _, err := svc.Pace(ctx, tenantID, campaignID, len(phones)); err != nil {
		h.t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, h.url)
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT contact_id, phone FROM campaign_contacts WHERE campaign_id = $1 AND state = 'queued' ORDER BY phone`, campaignID)
	type queued struct {
		id    uuid.UUID
		phone string
	}
	qs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (queued, error) {
		var q queued
		return q, r.Scan(&q.id, &q.phone)
	})
	if err != nil || len(qs) != len(phones) {
		h.t.Fatalf("queued %d of %d contacts: %v", len(qs), len(phones), err)
	}
	out := seededCalls{CampaignID: camp.str("id"), Start: start, ByPhone: map[string]string{}}
	for i, q := range qs {
		now = start.Add(time.Duration(i) * time.Minute)
		d, err := svc.BeginDial(ctx, campaigns.DialArgs{TenantID: tenantID, CampaignID: campaignID, ContactID: q.id, Attempt: 1})
		if err != nil || !d.Place {
			h.t.Fatalf("dial %d: %v %+v", i, err, d)
		}
		if _, err := svc.CloseCall(ctx, tenantID, d.Request.CallID, result(q.phone, now)); err != nil {
			h.t.Fatal(err)
		}
		out.ByPhone[q.phone] = d.Request.CallID.String()
		out.Order = append(out.Order, d.Request.CallID.String())
	}
	return out
}

// tomorrowNoon is a time every default compliance rule allows a dial at.
func tomorrowNoon() time.Time {
	d := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 1)
	return time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, d.Location())
}

func ids(r response) []string {
	items, _ := r.Body["items"].([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func TestTheCallSearchFiltersTheTenantsCallsNewestFirst(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	outcomes := map[string]telephony.Outcome{"+8613800000001": telephony.OutcomeAnswered, "+8613800000002": telephony.OutcomeBusy,
		"+8613800000003": telephony.OutcomeAnswered, "+8613800001234": telephony.OutcomeNoAnswer}
	seeded := h.seedCalls(a, tomorrowNoon(), []string{"13800000001", "13800000002", "13800000003", "13800001234"}, func(phone string, at time.Time) campaigns.Ending {
		r := campaigns.Ending{Outcome: outcomes[phone], EndedAt: at.Add(30 * time.Second)}
		if r.Outcome == telephony.OutcomeAnswered {
			r.AnsweredAt = at.Add(5 * time.Second)
		}
		if phone == "+8613800000003" {
			r.Tags = []string{"review_required"}
		}
		return r
	})
	other := h.seedCalls(a, tomorrowNoon().Add(time.Hour), []string{"13900000009"}, func(_ string, at time.Time) campaigns.Ending {
		return campaigns.Ending{Outcome: telephony.OutcomeFailed, EndedAt: at}
	})
	search := func(query string) []string {
		t.Helper()
		r := h.do(nil, "GET", "/v1/calls"+query, nil, bearer(a.Key)...)
		if r.Status != 200 {
			t.Fatalf("GET /v1/calls%s: %d %s", query, r.Status, r.Raw)
		}
		return ids(r)
	}
	// Newest first: the second campaign was dialled after the first, and
	// within a campaign each call came a minute after the one before.
	all := search("")
	want := []string{other.Order[0], seeded.Order[3], seeded.Order[2], seeded.Order[1], seeded.Order[0]}
	if strings.Join(all, ",") != strings.Join(want, ",") {
		t.Fatalf("all calls: %v, want %v", all, want)
	}
	at := func(d time.Duration) string { return url.QueryEscape(seeded.Start.Add(d).Format(time.RFC3339)) }
	cases := []struct {
		name, query string
		want        []string
	}{
		{"by campaign", "?campaign_id=" + other.CampaignID, []string{other.Order[0]}},
		{"by outcome", "?outcome=answered", []string{seeded.ByPhone["+8613800000003"], seeded.ByPhone["+8613800000001"]}},
		{"by state", "?state=ended&outcome=busy", []string{seeded.ByPhone["+8613800000002"]}},
		{"by full number", "?phone=%2B8613800000002", []string{seeded.ByPhone["+8613800000002"]}},
		{"by last digits", "?phone=1234", []string{seeded.ByPhone["+8613800001234"]}},
		{"by tag", "?tag=review_required", []string{seeded.ByPhone["+8613800000003"]}},
		{"from a time", "?campaign_id=" + seeded.CampaignID + "&from=" + at(2*time.Minute), []string{seeded.Order[3], seeded.Order[2]}},
		{"before a time", "?campaign_id=" + seeded.CampaignID + "&to=" + at(time.Minute), []string{seeded.Order[0]}},
		{"nothing matches", "?phone=%2B8613899999999", []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := search(c.query); strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("%s: %v, want %v", c.query, got, c.want)
			}
		})
	}

	// Pages of two walk the same order without gaps or repeats.
	var walked []string
	cursor := ""
	for pages := 0; pages < 5; pages++ {
		r := h.do(nil, "GET", "/v1/calls?limit=2&cursor="+cursor, nil, bearer(a.Key)...)
		walked = append(walked, ids(r)...)
		if cursor = r.str("next_cursor"); cursor == "" {
			break
		}
	}
	if strings.Join(walked, ",") != strings.Join(want, ",") {
		t.Fatalf("paged: %v, want %v", walked, want)
	}

	for _, bad := range []struct{ query, location string }{
		{"?phone=12", "query.phone"},
		{"?phone=%2B86abc", "query.phone"},
		{"?outcome=won", "query.outcome"},
		{"?campaign_id=nope", "query.campaign_id"},
		{"?from=" + at(time.Hour) + "&to=" + at(0), "query.to"},
		{"?cursor=garbage", "query.cursor"},
	} {
		r := h.do(nil, "GET", "/v1/calls"+bad.query, nil, bearer(a.Key)...)
		if r.Status != 422 || !strings.Contains(r.Raw, bad.location) {
			t.Errorf("%s: %d %s; want 422 naming %s", bad.query, r.Status, r.Raw, bad.location)
		}
	}

	// Tenant B finds none of A's calls, by any filter.
	b := h.signup("Other", "ops@other.example")
	for _, q := range []string{"", "?campaign_id=" + seeded.CampaignID, "?phone=1234", "?tag=review_required"} {
		if got := h.do(nil, "GET", "/v1/calls"+q, nil, bearer(b.Key)...); got.Status != 200 || len(ids(got)) != 0 {
			t.Fatalf("tenant B searching %q: %d %s", q, got.Status, got.Raw)
		}
	}
	// A key without calls:read is refused.
	k := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "campaigns only", "scopes": []string{"campaigns:read"}}, bearer(a.Key)...)
	if r := h.do(nil, "GET", "/v1/calls", nil, bearer(k.str("secret"))...); r.Status != 403 || !strings.Contains(r.Raw, "calls:read") {
		t.Fatalf("a key without calls:read: %d %s", r.Status, r.Raw)
	}
}

// A viewer sees 138****1234. Were the end of a number matched for it,
// trying endings (01234, 11234, …, then 001234, …) would give away the masked
// digits one at a time; so a viewer may look up a whole number only, which
// tells it nothing it did not type, and an ending is a 403 that says why.
func TestAViewerSearchesCallsByAFullNumberOnly(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	seeded := h.seedCalls(a, tomorrowNoon(), []string{"13812341234", "13856781234"}, func(_ string, at time.Time) campaigns.Ending {
		return campaigns.Ending{Outcome: telephony.OutcomeNoAnswer, EndedAt: at.Add(30 * time.Second)}
	})
	key := func(role string) []string {
		r := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": role, "role": role}, bearer(a.Key)...)
		if r.Status != 201 {
			t.Fatalf("a %s key: %d %s", role, r.Status, r.Raw)
		}
		return bearer(r.str("secret"))
	}
	if r := h.do(nil, "POST", "/v1/users", map[string]any{"email": "viewer@shop.example", "role": "viewer", "password": "viewer-password"}, bearer(a.Key)...); r.Status != 201 {
		t.Fatalf("the viewer user: %d %s", r.Status, r.Raw)
	}
	viewers := map[string][]string{"a viewer key": key("viewer"),
		"a viewer's portal session": h.ownerSession(tenant{Email: "viewer@shop.example", Password: "viewer-password"})}

	for who, creds := range viewers {
		for _, ending := range []string{"1234", "41234", "341234", "2341234", "12341234", "13812341234", "138-1234-1234", " 81234"} {
			r := h.do(nil, "GET", "/v1/calls?phone="+url.QueryEscape(ending), nil, creds...)
			if r.Status != 403 || !strings.Contains(r.Header.Get("Content-Type"), "application/problem+json") ||
				!strings.Contains(r.str("detail"), "full number") || !strings.Contains(r.str("detail"), "operator") || !strings.Contains(r.Raw, "query.phone") {
				t.Errorf("%s searching the ending %q: %d %s; want a 403 problem saying a full number is needed", who, ending, r.Status, r.Raw)
			}
		}
		// A whole number finds its call, the number still masked.
		r := h.do(nil, "GET", "/v1/calls?phone="+url.QueryEscape("+8613812341234"), nil, creds...)
		if got := ids(r); r.Status != 200 || len(got) != 1 || got[0] != seeded.ByPhone["+8613812341234"] ||
			strings.Contains(r.Raw, "13812341234") || !strings.Contains(r.Raw, "138****1234") {
			t.Errorf("%s searching a full number: %d %s", who, r.Status, r.Raw)
		}
		// A number that is not whole is a 422, never a match at the end.
		for _, partial := range []string{"+861381234123", "+1234", "+86abc"} {
			if r := h.do(nil, "GET", "/v1/calls?phone="+url.QueryEscape(partial), nil, creds...); r.Status != 422 || !strings.Contains(r.Raw, "query.phone") {
				t.Errorf("%s searching %q: %d %s; want 422", who, partial, r.Status, r.Raw)
			}
		}
	}
	// Operators see numbers in full, so an ending is theirs to search.
	for who, creds := range map[string][]string{"an operator key": key("operator"), "the owner": bearer(a.Key)} {
		r := h.do(nil, "GET", "/v1/calls?phone=1234", nil, creds...)
		if got := ids(r); r.Status != 200 || len(got) != 2 {
			t.Errorf("%s searching an ending: %d %s", who, r.Status, r.Raw)
		}
	}
}

func TestACallThatHitASensitiveWordWaitsForReviewAndIsReviewedOnce(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	seeded := h.seedCalls(a, tomorrowNoon(), []string{"13800000001", "13800000002"}, func(phone string, at time.Time) campaigns.Ending {
		r := campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: at, EndedAt: at.Add(time.Minute)}
		if phone == "+8613800000001" {
			// The tag follows from the hits, whoever closes the call.
			r.SensitiveHits = []campaigns.SensitiveHit{{Word: "验证码", Turn: 2, Where: "heard"}, {Word: "转账", Turn: 3, Where: "said"}}
		}
		return r
	})
	flagged, clean := seeded.ByPhone["+8613800000001"], seeded.ByPhone["+8613800000002"]

	call := h.do(nil, "GET", "/v1/calls/"+flagged, nil, bearer(a.Key)...)
	hits, _ := call.Body["sensitive_hits"].([]any)
	if call.Status != 200 || len(hits) != 2 || hits[0].(map[string]any)["word"] != "验证码" || hits[1].(map[string]any)["where"] != "said" ||
		call.str("review", "status") != "pending" || !strings.Contains(call.Raw, `"tags":["review_required"]`) {
		t.Fatalf("the flagged call: %s", call.Raw)
	}
	if r := h.do(nil, "GET", "/v1/calls/"+clean, nil, bearer(a.Key)...); r.Body["review"] != nil || !strings.Contains(r.Raw, `"sensitive_hits":[]`) {
		t.Fatalf("a clean call: %s", r.Raw)
	}
	queue := func(status string) []string {
		t.Helper()
		r := h.do(nil, "GET", "/v1/calls?review="+status, nil, bearer(a.Key)...)
		if r.Status != 200 {
			t.Fatalf("queue %s: %d %s", status, r.Status, r.Raw)
		}
		return ids(r)
	}
	if q := queue("pending"); len(q) != 1 || q[0] != flagged {
		t.Fatalf("the review queue: %v, want [%s]", q, flagged)
	}

	review := map[string]any{"status": "flagged", "note": "客户被要求提供验证码"}
	viewer := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "wallboard", "role": "viewer"}, bearer(a.Key)...).str("secret")
	if r := h.do(nil, "POST", "/v1/calls/"+flagged+"/review", review, bearer(viewer)...); r.Status != 403 || !strings.Contains(r.Raw, "operator") {
		t.Fatalf("a viewer reviewing: %d %s", r.Status, r.Raw)
	}
	reader := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "reader", "role": "operator", "scopes": []string{"calls:read"}}, bearer(a.Key)...).str("secret")
	if r := h.do(nil, "POST", "/v1/calls/"+flagged+"/review", review, bearer(reader)...); r.Status != 403 || !strings.Contains(r.Raw, "calls:review") {
		t.Fatalf("a key without calls:review: %d %s", r.Status, r.Raw)
	}
	b := h.signup("Other", "ops@other.example")
	if r := h.do(nil, "POST", "/v1/calls/"+flagged+"/review", review, bearer(b.Key)...); r.Status != 404 {
		t.Fatalf("tenant B reviewing A's call: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/calls?review=pending", nil, bearer(b.Key)...); len(ids(r)) != 0 {
		t.Fatalf("tenant B's queue shows A's call: %s", r.Raw)
	}
	if r := h.do(nil, "POST", "/v1/calls/"+flagged+"/review", map[string]any{"status": "pending"}, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, "body.status") {
		t.Fatalf("reviewing back to pending: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "POST", "/v1/calls/"+clean+"/review", review, bearer(a.Key)...); r.Status != 409 {
		t.Fatalf("reviewing a clean call: %d %s", r.Status, r.Raw)
	}
	if q := queue("pending"); len(q) != 1 {
		t.Fatalf("refused reviews changed the queue: %v", q)
	}

	reviewer := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "compliance desk", "role": "operator", "scopes": []string{"calls:review"}}, bearer(a.Key)...)
	r := h.do(nil, "POST", "/v1/calls/"+flagged+"/review", review, bearer(reviewer.str("secret"))...)
	if r.Status != 200 || r.str("review", "status") != "flagged" || r.str("review", "note") != "客户被要求提供验证码" ||
		r.str("review", "reviewer_key_id") != reviewer.str("id") || r.str("review", "reviewed_at") == "" {
		t.Fatalf("the review: %d %s", r.Status, r.Raw)
	}
	if q := queue("pending"); len(q) != 0 {
		t.Fatalf("the reviewed call is still queued: %v", q)
	}
	if q := queue("flagged"); len(q) != 1 || q[0] != flagged {
		t.Fatalf("flagged calls: %v", q)
	}
	if got := h.do(nil, "GET", "/v1/calls/"+flagged, nil, bearer(a.Key)...); got.str("review", "status") != "flagged" {
		t.Fatalf("the call after its review: %s", got.Raw)
	}
}
