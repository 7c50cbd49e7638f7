package api_test

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

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
