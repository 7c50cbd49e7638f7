package api_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/outcall/outcall/contacts"
)

func (h *harness) runImport(a tenant, importID string) response {
	h.t.Helper()
	svc := contacts.New(contacts.Options{DB: h.svc.DB()})
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

// xlsxFile builds an Excel workbook whose first sheet, Sheet1, build fills.
func xlsxFile(t *testing.T, build func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// xlsxRow writes values into a row of Sheet1 from column A on; nil leaves
// a cell empty.
func xlsxRow(f *excelize.File, row int, values ...any) {
	for i, v := range values {
		if v != nil {
			cell, _ := excelize.CoordinatesToCellName(i+1, row)
			f.SetCellValue("Sheet1", cell, v)
		}
	}
}

func TestAnExcelWorkbookIsImportedWithItsRowNumbersInTheReport(t *testing.T) {
	h := newHarness(t)
	a := h.signup("某某商城", "ops@shop.example")
	workbook := xlsxFile(t, func(f *excelize.File) {
		xlsxRow(f, 1, "手机号", "姓名", "城市", "下单日期")
		xlsxRow(f, 2, 13812341234, "张三", "上海", time.Date(2024, 11, 11, 0, 0, 0, 0, time.UTC))
		// Row 3 is left empty.
		xlsxRow(f, 4, "12345", "李四", "北京")    // not a phone number
		xlsxRow(f, 5, 13812341234, nil, "杭州") // the same number again: merged
		xlsxRow(f, 6, 13900001111, "王五")      // a number shown as 1.39E+10
		sci, _ := f.NewStyle(&excelize.Style{NumFmt: 11})
		f.SetCellStyle("Sheet1", "A6", "A6", sci)
		xlsxRow(f, 8, nil, "赵六", "广州") // no number
	})
	for _, contentType := range []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv"} {
		t.Run(contentType, func(t *testing.T) {
			list := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "回访 " + contentType}, bearer(a.Key)...)
			im := h.do(nil, "POST", "/v1/lists/"+list.str("id")+"/imports", workbook, append(bearer(a.Key), "Content-Type", contentType)...)
			if im.Status != http.StatusAccepted || im.str("format") != "xlsx" || im.str("encoding") != "utf-8" || im.str("sheet") != "Sheet1" ||
				im.str("phone_column") != "手机号" || im.str("name_column") != "姓名" {
				t.Fatalf("upload: %d %s", im.Status, im.Raw)
			}
			done := h.runImport(a, im.str("id"))
			if done.str("status") != "done" || done.Body["rows_total"] != 5.0 || done.Body["rows_failed"] != 2.0 || done.str("format") != "xlsx" {
				t.Fatalf("import: %s", done.Raw)
			}
			report := h.do(nil, "GET", "/v1/imports/"+im.str("id")+"/errors", nil, bearer(a.Key)...)
			if report.Status != 200 || !strings.HasPrefix(report.Raw, "row,column,reason\n4,手机号,") || !strings.HasSuffix(report.Raw, "\n8,手机号,the phone number is empty\n") {
				t.Fatalf("error report: %d\n%s", report.Status, report.Raw)
			}
			people := h.do(nil, "GET", "/v1/lists/"+list.str("id")+"/contacts", nil, bearer(a.Key)...)
			items, _ := people.Body["items"].([]any)
			byPhone := map[string]map[string]any{}
			for _, it := range items {
				c := it.(map[string]any)
				byPhone[c["phone"].(string)] = c
			}
			zhang := byPhone["+8613812341234"]
			attrs, _ := zhang["attributes"].(map[string]any)
			if len(items) != 2 || byPhone["+8613900001111"] == nil || zhang["name"] != "张三" || attrs["城市"] != "杭州" || attrs["下单日期"] != "2024-11-11" {
				t.Fatalf("contacts: %s", people.Raw)
			}
		})
	}
}

func TestFilesClaimingToBeWorkbooksThatAreNotAreRefusedWithAProblem(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	list := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "customers"}, bearer(a.Key)...)
	path := "/v1/lists/" + list.str("id") + "/imports"
	const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	var notes bytes.Buffer
	zw := zip.NewWriter(&notes)
	fw, _ := zw.Create("notes.txt")
	fw.Write([]byte("phone\n13812341234\n"))
	zw.Close()
	good := xlsxFile(t, func(f *excelize.File) {
		xlsxRow(f, 1, "phone")
		xlsxRow(f, 2, 13812341234)
	})
	cases := []struct {
		name, body, contentType, query, location, says string
	}{
		{"CSV text sent as a workbook", "phone\n13812341234\n", xlsxType, "", "body", "sent as an Excel workbook (.xlsx) but is not one"},
		{"a picture sent as a workbook", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", xlsxType, "", "body", "sent as an Excel workbook (.xlsx) but is not one"},
		{"an Excel 97-2003 workbook", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + strings.Repeat("\x00", 504), "application/vnd.ms-excel", "", "body", "Excel 97-2003 workbook (.xls)"},
		{"a zip archive of something else", notes.String(), xlsxType, "", "body", "a zip archive but not an Excel workbook"},
		{"a workbook cut short", good[:len(good)/2], xlsxType, "", "body", "damaged zip archive"},
		{"a sheet that is not there", good, xlsxType, "?sheet=" + url.QueryEscape("客户"), "query.sheet", `no sheet \"客户\" (its sheets: Sheet1)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(nil, "POST", path+tc.query, tc.body, append(bearer(a.Key), "Content-Type", tc.contentType)...)
			errs, _ := r.Body["errors"].([]any)
			var where string
			if len(errs) == 1 {
				where, _ = errs[0].(map[string]any)["location"].(string)
			}
			if r.Status != http.StatusUnprocessableEntity || r.Header.Get("Content-Type") != "application/problem+json" ||
				!strings.Contains(r.Raw, tc.says) || where != tc.location {
				t.Fatalf("%d %s %s; want a 422 problem at %s saying %q", r.Status, r.Header.Get("Content-Type"), r.Raw, tc.location, tc.says)
			}
		})
	}
	t.Run("a workbook over the limit", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
			path, a.Key, xlsxType, contacts.DefaultMaxImportBytes+1, good[:100])
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("status %d %s, want a 413 problem", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
	var imports int
	h.svc.DB().Pool().QueryRow(context.Background(), `SELECT count(*) FROM imports`).Scan(&imports)
	if imports != 0 {
		t.Fatalf("%d imports kept from refused files", imports)
	}
}
