package api_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/outcall/outcall/campaigns"
)

func (h *harness) runImport(a tenant, importID string) response {
	h.t.Helper()
	svc := campaigns.New(campaigns.Options{DB: h.svc.DB()})
	if err := svc.RunImport(context.Background(), uuid.MustParse(a.ID), uuid.MustParse(importID)); err != nil {
		h.t.Fatal(err)
	}
	return h.do(nil, "GET", "/v1/imports/"+importID, nil, bearer(a.Key)...)
}

func TestAGBKFileIsImportedWithBadRowsReportedAndDuplicatesMerged(t *testing.T) {
	h := newHarness(t)
	a := h.signup("某某商城", "ops@shop.example")
	list := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "回访"}, bearer(a.Key)...)
	text := "手机号,姓名,城市\r\n" +
		"13812341234,张三,上海\r\n" +
		"12345,李四,北京\r\n" + // not a phone number
		"138 1234 1234,,杭州\r\n" + // the same number again: merged
		"13900001111,王五\r\n" + // a field short
		"+86 139-0000-2222,赵六,广州\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	im := h.do(nil, "POST", "/v1/lists/"+list.str("id")+"/imports", gbk, bearer(a.Key)...)
	if im.Status != http.StatusAccepted || im.str("encoding") != "gb18030" || im.str("phone_column") != "手机号" || im.str("name_column") != "姓名" {
		t.Fatalf("upload: %d %s", im.Status, im.Raw)
	}
	done := h.runImport(a, im.str("id"))
	if done.str("status") != "done" || done.Body["rows_imported"] != 2.0 || done.Body["rows_merged"] != 1.0 || done.Body["rows_failed"] != 2.0 {
		t.Fatalf("import: %s", done.Raw)
	}
	report := h.do(nil, "GET", "/v1/imports/"+im.str("id")+"/errors", nil, bearer(a.Key)...)
	want := "row,column,reason\n3,手机号,"
	if report.Status != 200 || !strings.HasPrefix(report.Raw, want) || !strings.Contains(report.Raw, "\n5,,has 2 fields; the header has 3\n") {
		t.Fatalf("error report: %d\n%s", report.Status, report.Raw)
	}
	contacts := h.do(nil, "GET", "/v1/lists/"+list.str("id")+"/contacts", nil, bearer(a.Key)...)
	items, _ := contacts.Body["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("contacts: %s", contacts.Raw)
	}
	var first map[string]any
	for _, it := range items {
		if c := it.(map[string]any); c["phone"] == "+8613812341234" {
			first = c
		}
	}
	attrs, _ := first["attributes"].(map[string]any)
	if first["phone"] != "+8613812341234" || first["name"] != "张三" || attrs["城市"] != "杭州" || first["time_zone"] != "Asia/Shanghai" {
		t.Fatalf("merged contact: %v", first)
	}
}

func TestBadFilesAreRefusedWithAClearProblemAndNothingIsKept(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	list := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "customers"}, bearer(a.Key)...)
	path := "/v1/lists/" + list.str("id") + "/imports"
	cases := []struct {
		name, body, query, says string
	}{
		{"an empty file", "", "", "the file is empty"},
		{"a file of blank lines", "\n\n  \n", "", "the file is empty"},
		{"a picture", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "", "not a CSV text file"},
		{"a header with no phone column", "name,city\n张三,上海\n", "", "no phone column"},
		{"a phone column named but absent", "phone,name\n13812341234,a\n", "?phone_column=mobile", "no column \\\"mobile\\\""},
		{"a file declared UTF-8 that is not", "phone,name\n13812341234,\xd5\xc5\xc8\xfd\n", "?encoding=utf-8", "not valid UTF-8"},
		{"an unknown encoding", "phone\n13812341234\n", "?encoding=latin-9", "encoding"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(nil, "POST", path+tc.query, tc.body, bearer(a.Key)...)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, tc.says) {
				t.Fatalf("%d %s; want 422 saying %q", r.Status, r.Raw, tc.says)
			}
		})
	}
	t.Run("a 2 GB upload", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\nphone\n",
			path, a.Key, int64(2)<<30)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", res.StatusCode)
		}
	})
	var imports int
	h.svc.DB().Pool().QueryRow(context.Background(), `SELECT count(*) FROM imports`).Scan(&imports)
	if got := h.do(nil, "GET", "/v1/lists/"+list.str("id"), nil, bearer(a.Key)...); got.Body["contacts"] != 0.0 || imports != 0 {
		t.Fatalf("after refused uploads: %s, %d imports kept", got.Raw, imports)
	}
}

func TestACampaignIsControlledThroughItsLifecycle(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	empty := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "empty"}, bearer(a.Key)...)
	list := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "customers"}, bearer(a.Key)...)
	h.do(nil, "POST", "/v1/contacts", map[string]any{"phone": "13812341234", "list_ids": []string{list.str("id")}}, bearer(a.Key)...)

	noContacts := h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "nobody", "list_ids": []string{empty.str("id")}, "script_version": "v1"}, bearer(a.Key)...)
	if r := h.do(nil, "POST", "/v1/campaigns/"+noContacts.str("id")+"/start", nil, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, "no contacts") {
		t.Fatalf("start without contacts: %d %s", r.Status, r.Raw)
	}
	noScript := h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "mute", "list_ids": []string{list.str("id")}}, bearer(a.Key)...)
	if r := h.do(nil, "POST", "/v1/campaigns/"+noScript.str("id")+"/start", nil, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, "script version") {
		t.Fatalf("start without a script: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/campaigns/"+noContacts.str("id"), nil, bearer(a.Key)...); r.str("status") != "draft" {
		t.Fatalf("a refused start left %s", r.Raw)
	}
	loose := h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "loud", "list_ids": []string{list.str("id")}, "script_version": "v1",
		"compliance": map[string]any{"max_daily_calls": 5}}, bearer(a.Key)...)
	if loose.Status != 422 || !strings.Contains(loose.Raw, "body.compliance.max_daily_calls") {
		t.Fatalf("a campaign loosening the daily cap: %d %s", loose.Status, loose.Raw)
	}

	c := h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "reminders", "list_ids": []string{list.str("id")}, "script_version": "v1",
		"compliance": map[string]any{"max_daily_calls": 1, "quiet_hours": []string{"20:00", "10:00"}}}, bearer(a.Key)...)
	id := c.str("id")
	steps := []struct{ action, status string }{{"start", "running"}, {"pause", "paused"}, {"resume", "running"}, {"pause", "paused"}, {"cancel", "cancelled"}}
	for _, s := range steps {
		if r := h.do(nil, "POST", "/v1/campaigns/"+id+"/"+s.action, nil, bearer(a.Key)...); r.Status != 200 || r.str("status") != s.status {
			t.Fatalf("%s: %d %s", s.action, r.Status, r.Raw)
		}
	}
	if r := h.do(nil, "POST", "/v1/campaigns/"+id+"/resume", nil, bearer(a.Key)...); r.Status != 409 {
		t.Fatalf("resuming a cancelled campaign: %d %s", r.Status, r.Raw)
	}
	counts := h.do(nil, "GET", "/v1/campaigns/"+id+"/counts", nil, bearer(a.Key)...)
	if counts.Body["contacts"] != 1.0 {
		t.Fatalf("counts: %s", counts.Raw)
	}
}

func TestComplianceSettingsAreValidatedAndKept(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	def := h.do(nil, "GET", "/v1/compliance", nil, bearer(a.Key)...)
	if def.Body["max_daily_calls"] != 3.0 || def.str("min_retry_interval") != "30m0s" {
		t.Fatalf("defaults: %s", def.Raw)
	}
	bad := h.do(nil, "PUT", "/v1/compliance", map[string]any{"max_daily_calls": 3, "quiet_hours": []string{"25:00", "09:00"}, "weekdays": []string{"mon"},
		"max_concurrent_lines": 10, "calls_per_second": 5, "recording_retention_days": 30}, bearer(a.Key)...)
	if bad.Status != 422 || !strings.Contains(bad.Raw, "quiet_hours") {
		t.Fatalf("bad quiet hours: %d %s", bad.Status, bad.Raw)
	}
	good := h.do(nil, "PUT", "/v1/compliance", map[string]any{"max_daily_calls": 2, "quiet_hours": []string{"20:00", "09:00"}, "weekdays": []string{"mon", "tue"},
		"holidays": []string{"2026-10-01"}, "min_retry_interval": "1h", "max_concurrent_lines": 10, "calls_per_second": 5, "recording_retention_days": 30,
		"consented_only": true}, bearer(a.Key)...)
	if good.Status != 200 {
		t.Fatalf("settings: %d %s", good.Status, good.Raw)
	}
	if got := h.do(nil, "GET", "/v1/compliance", nil, bearer(a.Key)...); got.Body["max_daily_calls"] != 2.0 || got.Body["consented_only"] != true || got.str("min_retry_interval") != "1h0m0s" {
		t.Fatalf("kept: %s", got.Raw)
	}
}

func TestANumbersAuditTrailExportsAsJSONAndCSV(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	h.do(nil, "POST", "/v1/consents", map[string]any{"phone": "13812341234", "source": "signup form", "scope": "reminders"}, bearer(a.Key)...)
	h.do(nil, "POST", "/v1/dnc", map[string]any{"phones": []string{"138-1234-1234"}, "reason": "complaint"}, bearer(a.Key)...)
	if r := h.do(nil, "DELETE", "/v1/dnc/13812341234?reason=mistake", nil, bearer(a.Key)...); r.Status != 204 {
		t.Fatalf("remove from DNC: %d %s", r.Status, r.Raw)
	}
	js := h.do(nil, "GET", "/v1/audit/%2B8613812341234", nil, bearer(a.Key)...)
	events, _ := js.Body["events"].([]any)
	if js.Status != 200 || len(events) != 3 {
		t.Fatalf("audit JSON: %d %s", js.Status, js.Raw)
	}
	csv := h.do(nil, "GET", "/v1/audit/13812341234?format=csv", nil, bearer(a.Key)...)
	lines := strings.Split(strings.TrimSpace(csv.Raw), "\n")
	if csv.Status != 200 || len(lines) != 4 || !strings.HasPrefix(lines[0], "at,phone,kind") || !strings.Contains(csv.Raw, ",dnc_removed,") {
		t.Fatalf("audit CSV: %d\n%s", csv.Status, csv.Raw)
	}
	if r := h.do(nil, "GET", "/v1/audit/13900000000", nil, bearer(a.Key)...); r.Status != 404 {
		t.Fatalf("a number never seen: %d", r.Status)
	}
}

func TestAFileOfNumbersIsAddedToTheDoNotCallList(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	h.do(nil, "POST", "/v1/dnc", map[string]any{"phones": []string{"13812341234"}}, bearer(a.Key)...)
	file, _ := simplifiedchinese.GBK.NewEncoder().String("手机号,原因\n13812341234,投诉\n13812345678,投诉\n13812345678,重复\nnot-a-number,x\n")
	r := h.do(nil, "POST", "/v1/dnc/import", file, bearer(a.Key)...)
	if r.Status != 200 || r.Body["added"] != 1.0 || r.Body["already"] != 1.0 || r.Body["failed"] != 1.0 {
		t.Fatalf("import: %d %s", r.Status, r.Raw)
	}
	if errs, _ := r.Body["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["row"] != 5.0 {
		t.Fatalf("row errors: %s", r.Raw)
	}
	list := h.do(nil, "GET", "/v1/dnc", nil, bearer(a.Key)...)
	if items, _ := list.Body["items"].([]any); len(items) != 2 || items[1].(map[string]any)["reason"] != "投诉" {
		t.Fatalf("list: %s", list.Raw)
	}
	if r := h.do(nil, "POST", "/v1/dnc/import", "name\nx\n", bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, "no phone column") {
		t.Fatalf("a file without a phone column: %d %s", r.Status, r.Raw)
	}
}
