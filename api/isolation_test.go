package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
)

// TestTenantBCannotReachTenantA walks every registered operation with
// tenant B's owner session against tenant A's resources. Operations that
// name a resource must answer 404 or 403; lists and other operations must
// not show anything of A's. A new operation with a path parameter this test
// does not know fails the test until its fixture is added here.
func TestTenantBCannotReachTenantA(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Tenant A", "owner@a.example")
	b := h.signup("Tenant B", "owner@b.example")

	// Tenant A's resources, one of each kind a path can name.
	aKey := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "A's CRM", "role": "viewer"}, bearer(a.Key)...)
	aUser := h.do(nil, "POST", "/v1/users", map[string]any{"email": "agent@a.example", "role": "operator", "password": "agent-password"}, bearer(a.Key)...)
	if aKey.Status != 201 || aUser.Status != 201 {
		t.Fatalf("fixtures: %s %s", aKey.Raw, aUser.Raw)
	}
	aEndpoint := h.do(nil, "POST", "/v1/webhooks/endpoints", map[string]any{"url": "http://127.0.0.1:9/a-hook"}, bearer(a.Key)...)
	if aEndpoint.Status != 201 {
		t.Fatalf("fixture endpoint: %s", aEndpoint.Raw)
	}
	aDelivery := h.seedDelivery(a.ID, aEndpoint.str("id"), "")
	aCampaignUsage := h.seedUsage(a.ID)
	aCampaigns := h.seedCampaign(a)
	aScript := h.do(nil, "POST", "/v1/scripts", map[string]any{"name": "A's script", "source": orderScript}, bearer(a.Key)...)
	if aScript.Status != 201 {
		t.Fatalf("fixture script: %s", aScript.Raw)
	}
	aTrunk := h.do(nil, "POST", "/v1/trunks", map[string]any{"name": "A's carrier", "host": "sip.a.example", "password": "a-trunk-password",
		"caller_ids": []string{"+862150009876"}}, bearer(a.Key)...)
	if aTrunk.Status != 201 {
		t.Fatalf("fixture trunk: %s", aTrunk.Raw)
	}
	// A rests its caller ID: B can neither see it nor wake it.
	if r := h.do(nil, "POST", "/v1/caller-ids/rest", map[string]any{"number": "+862150009876", "hours": 24, "reason": "A's own rest"}, bearer(a.Key)...); r.Status != 200 {
		t.Fatalf("fixture rest: %d %s", r.Status, r.Raw)
	}
	aScriptEndpoint := h.do(nil, "POST", "/v1/script-endpoints", map[string]any{"name": "a_crm", "url": "http://127.0.0.1:9/a-crm"}, bearer(a.Key)...)
	if aScriptEndpoint.Status != 201 {
		t.Fatalf("fixture script endpoint: %d %s", aScriptEndpoint.Status, aScriptEndpoint.Raw)
	}
	fixtures := map[string]string{
		"script_endpoint_id": aScriptEndpoint.str("id"),
		"trunk_id":           aTrunk.str("id"),
		"script_id":          aScript.str("id"),
		"version":            "1",
		"key_id":             aKey.str("id"),
		"user_id":            aUser.str("user", "id"),
		"endpoint_id":        aEndpoint.str("id"),
		"delivery_id":        aDelivery,
		"list_id":            aCampaigns.ListID,
		"contact_id":         aCampaigns.ContactID,
		"import_id":          aCampaigns.ImportID,
		"phone":              aCampaigns.Phone,
		"campaign_id":        aCampaigns.CampaignID,
		"call_id":            aCampaigns.CallID,
		"message_id":         aCampaigns.MessageID,
		"queue_id":           aCampaigns.QueueID,
		"offer_id":           aCampaigns.OfferID,
	}
	// Request bodies that pass validation, so the handler itself must refuse.
	bodies := map[string]any{
		"change-user-role":        map[string]any{"role": "viewer"},
		"update-webhook-endpoint": map[string]any{"url": "http://127.0.0.1:9/b-hijack"},
		"rotate-webhook-secret":   map[string]any{"overlap_seconds": 60},
		"create-script-version":   map[string]any{"source": orderScript},
		"update-trunk":            map[string]any{"host": "sip.b-hijack.example"},
		"update-queue":            map[string]any{"ring_seconds": 9},
		"answer-desk-offer":       map[string]any{"sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"},
		"listen-desk-call":        map[string]any{"sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"},
		"publish-script-version":  map[string]any{"allow_sensitive": true},
		"simulate-script-version": map[string]any{"utterances": []string{"是的"}},
		"create-import":           "phone,name\n13900001111,B's row\n",
		"review-call":             map[string]any{"status": "approved", "note": "B's verdict"},
		"rest-caller-id":          map[string]any{"number": "+862150001111", "hours": 1, "reason": "B's rest"},
		"wake-caller-id":          map[string]any{"number": "+862150009876"},
		"preview-segments":        map[string]any{"script_id": aScript.str("id"), "version": 1, "list_id": aCampaigns.ListID},
	}
	// What must never appear in an answer to B.
	secretsOfA := []string{a.ID, a.OwnerID, a.Key, a.Email, aKey.str("id"), aKey.str("secret"), aKey.str("prefix"), fixtures["user_id"], "agent@a.example",
		aEndpoint.str("id"), aEndpoint.str("secret"), "a-hook", aDelivery, aCampaignUsage,
		aCampaigns.ListID, aCampaigns.ContactID, aCampaigns.ImportID, aCampaigns.CampaignID, aCampaigns.CallID, "8613812341234", "A's customer",
		aCampaigns.QueueID, aCampaigns.OfferID, "2150009876", "A's own rest",
		aScriptEndpoint.str("id"), aScriptEndpoint.str("secret"), "a-crm", "a_crm"}

	// A's report rollups are folded now, so a rebuild by B that reached
	// them would show below.
	if r := h.do(nil, "GET", "/v1/reports/outcomes", nil, bearer(a.Key)...); r.Status != 200 || r.Body["attempts"] != 1.0 {
		t.Fatalf("A's outcomes before the walk: %d %s", r.Status, r.Raw)
	}

	// B acts as its owner through a fresh portal session per operation (the
	// walk includes logout), so a refusal is isolation, not a weak role.
	asB := func() []string {
		login := h.do(nil, "POST", "/v1/login", map[string]any{"email": b.Email, "password": b.Password})
		for _, c := range (&http.Response{Header: login.Header}).Cookies() {
			if c.Name == "outcall_session" {
				return []string{"Cookie", "outcall_session=" + c.Value, "X-CSRF-Token", login.str("csrf_token")}
			}
		}
		t.Fatalf("tenant B cannot log in: %s", login.Raw)
		return nil
	}

	ops, paths := h.operations(t)
	walked := 0
	for _, path := range paths {
		for method, op := range ops[path] {
			method = strings.ToUpper(method)
			if len(op.Security) == 0 {
				continue // public: signup, login, probes
			}
			walked++
			t.Run(op.OperationID, func(t *testing.T) {
				target, named := path, false
				for strings.Contains(target, "{") {
					i, j := strings.Index(target, "{"), strings.Index(target, "}")
					param := target[i+1 : j]
					id, ok := fixtures[param]
					if !ok {
						t.Fatalf("%s %s: no fixture of tenant A for path parameter %q; add one to this test", method, path, param)
					}
					target, named = target[:i]+id+target[j+1:], true
				}
				var body any
				if op.RequestBody != nil {
					body = bodies[op.OperationID]
					if body == nil && named {
						t.Fatalf("%s: add a valid request body to this test so the handler, not validation, must refuse", op.OperationID)
					}
					if body == nil {
						body = map[string]any{}
					}
				}
				r := h.do(nil, method, target, body, asB()...)
				if named && r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
					t.Fatalf("%s %s as tenant B: %d, want 404 or 403: %s", method, target, r.Status, r.Raw)
				}
				for _, s := range secretsOfA {
					if s != "" && strings.Contains(r.Raw, s) {
						t.Fatalf("%s %s as tenant B shows %q of tenant A: %s", method, target, s, r.Raw)
					}
				}
			})
		}
	}
	// Tenant B's own notices and event types are B's; nothing of A leaked
	// through them (checked above). The walk covered:
	if walked < 8 {
		t.Fatalf("walked only %d authenticated operations", walked)
	}

	// A's things are untouched.
	if r := h.do(nil, "GET", "/v1/me", nil, bearer(aKey.str("secret"))...); r.Status != 200 {
		t.Fatalf("A's key stopped working after B's attempts: %d", r.Status)
	}
	if r := h.do(nil, "GET", "/v1/users/"+fixtures["user_id"], nil, bearer(a.Key)...); r.Status != 200 || r.str("role") != "operator" {
		t.Fatalf("A's user changed after B's attempts: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/reports/outcomes", nil, bearer(a.Key)...); r.Status != 200 || r.Body["attempts"] != 1.0 || r.Body["connected"] != 1.0 {
		t.Fatalf("A's report figures changed after B's attempts (rebuild-reports included): %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/caller-ids", nil, bearer(a.Key)...); r.Status != 200 || !strings.Contains(r.Raw, "A's own rest") || strings.Contains(r.Raw, "B's rest") {
		t.Fatalf("A's caller ID rest changed after B's attempts (B's wake or rest reached it): %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/calls/"+fixtures["call_id"], nil, bearer(a.Key)...); r.Status != 200 || r.str("review", "status") != "pending" {
		t.Fatalf("A's call waiting for review changed after B's attempts: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/webhooks/endpoints/"+fixtures["endpoint_id"], nil, bearer(a.Key)...); r.Status != 200 || !strings.Contains(r.str("url"), "a-hook") || r.Body["previous_secret_expires_at"] != nil {
		t.Fatalf("A's endpoint changed after B's attempts: %d %s", r.Status, r.Raw)
	}
}

// seedDelivery writes a delivery log row for a tenant's endpoint directly,
// as the delivery worker would, with the receiver's answer.
func (h *harness) seedDelivery(tenantID, endpointID, excerpt string) string {
	h.t.Helper()
	conn, err := pgx.Connect(context.Background(), h.url)
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var id string
	err = conn.QueryRow(context.Background(), `WITH ev AS (
			INSERT INTO webhook_events (id, tenant_id, type, data) VALUES (gen_random_uuid(), $1, 'webhook.test', '{}') RETURNING id)
		INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, attempt, status_code, latency_ms, response_excerpt)
		SELECT gen_random_uuid(), $1, $2, ev.id, 1, 500, 3, $3 FROM ev RETURNING id`, tenantID, endpointID, excerpt).Scan(&id)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// seedUsage records a billed call of a campaign of the tenant, as closing a
// call does, and returns the campaign's id.
func (h *harness) seedUsage(tenantID string) string {
	h.t.Helper()
	id, campaign := uuid.MustParse(tenantID), uuid.New()
	err := h.svc.DB().InTenant(context.Background(), id, func(tx pgx.Tx) error {
		return billing.RecordCall(context.Background(), tx, nil, id, billing.CallUsage{CallID: uuid.New(), CampaignID: &campaign, ConnectedSeconds: 42})
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return campaign.String()
}

// campaignFixtures are tenant A's contacts-and-campaigns resources.
type campaignFixtures struct {
	ListID, ContactID, ImportID, Phone, CampaignID, CallID, MessageID string
	QueueID, OfferID                                                  string
}

// seedCampaign gives tenant a a list, a contact with consent, a number on
// the do-not-call list, an import, a started campaign and one call record.
func (h *harness) seedCampaign(a tenant) campaignFixtures {
	h.t.Helper()
	var f campaignFixtures
	list := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "A's customers"}, bearer(a.Key)...)
	f.ListID = list.str("id")
	contact := h.do(nil, "POST", "/v1/contacts", map[string]any{"phone": "13812341234", "name": "A's customer", "list_ids": []string{f.ListID},
		"consent": map[string]any{"source": "signup form"}}, bearer(a.Key)...)
	f.ContactID, f.Phone = contact.str("id"), "+8613812341234"
	im := h.do(nil, "POST", "/v1/lists/"+f.ListID+"/imports", "手机号,姓名\n13812345678,A's other customer\n", bearer(a.Key)...)
	f.ImportID = im.str("id")
	dnc := h.do(nil, "POST", "/v1/dnc", map[string]any{"phones": []string{"13812349999"}}, bearer(a.Key)...)
	camp := h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "A's campaign", "list_ids": []string{f.ListID}, "script_version": "v1",
		"follow_ups": []map[string]any{{"channel": "sms", "template": "thanks", "when": "answered"}}}, bearer(a.Key)...)
	f.CampaignID = camp.str("id")
	start := h.do(nil, "POST", "/v1/campaigns/"+f.CampaignID+"/start", nil, bearer(a.Key)...)
	if list.Status != 201 || contact.Status != 200 || im.Status != 202 || dnc.Status != 200 || camp.Status != 201 || start.Status != 200 {
		h.t.Fatalf("campaign fixtures: %s %s %s %s %s %s", list.Raw, contact.Raw, im.Raw, dnc.Raw, camp.Raw, start.Raw)
	}
	// One dialled call, at an hour every rule allows.
	noon := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 1)
	noon = time.Date(noon.Year(), noon.Month(), noon.Day(), 12, 0, 0, 0, noon.Location())
	svc := campaigns.New(campaigns.Options{DB: h.svc.DB(), Now: func() time.Time { return noon }})
	tenantID, campaignID, contactID := uuid.MustParse(a.ID), uuid.MustParse(f.CampaignID), uuid.MustParse(f.ContactID)
	if _, err := svc.Pace(context.Background(), tenantID, campaignID, 10); err != nil {
		h.t.Fatal(err)
	}
	d, err := svc.BeginDial(context.Background(), campaigns.DialArgs{TenantID: tenantID, CampaignID: campaignID, ContactID: contactID, Attempt: 1})
	if err != nil || !d.Place {
		h.t.Fatalf("fixture call: %v %+v", err, d)
	}
	if _, err := svc.CloseCall(context.Background(), tenantID, d.Request.CallID, campaigns.Ending{Outcome: telephony.OutcomeAnswered,
		AnsweredAt: noon, EndedAt: noon.Add(20 * time.Second), Turns: []campaigns.Turn{{Said: "您好", Heard: "是的", StartedAt: noon, EndedAt: noon}},
		SensitiveHits: []campaigns.SensitiveHit{{Word: "验证码", Turn: 1, Where: "heard"}}}); err != nil {
		h.t.Fatal(err)
	}
	f.CallID = d.Request.CallID.String()
	// The answered call queued the campaign's follow-up message.
	if err := h.svc.DB().InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT id::text FROM messages WHERE call_id = $1`, d.Request.CallID).Scan(&f.MessageID)
	}); err != nil {
		h.t.Fatalf("fixture message: %v", err)
	}
	// A queue of the agent desk, and the call handed to it, ringing the
	// owner's desk.
	queue := h.do(nil, "POST", "/v1/queues", map[string]any{"name": "a-desk", "agent_ids": []string{a.OwnerID}}, bearer(a.Key)...)
	if queue.Status != 201 {
		h.t.Fatalf("fixture queue: %s", queue.Raw)
	}
	f.QueueID, f.OfferID = queue.str("id"), uuid.NewString()
	if err := h.svc.DB().InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO agent_offers (id, tenant_id, call_id, queue_id, queue, user_id, state, offered_at)
			VALUES ($1, $2, $3, $4, 'a-desk', $5, 'ringing', now())`, f.OfferID, tenantID, d.Request.CallID, f.QueueID, a.OwnerID)
		return err
	}); err != nil {
		h.t.Fatalf("fixture offer: %v", err)
	}
	return f
}
