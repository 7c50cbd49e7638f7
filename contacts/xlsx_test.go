package contacts_test

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/tenants"
)

// workbook builds an .xlsx file whose first sheet, Sheet1, build fills.
func workbook(t *testing.T, build func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// setRow writes values into a row of sheet from column A on; a nil value
// leaves its cell empty.
func setRow(t *testing.T, f *excelize.File, sheet string, row int, values ...any) {
	t.Helper()
	for i, v := range values {
		if v == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, row)
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
}

// styleCell gives a cell a number format: a built-in one by its id, or a
// custom format code.
func styleCell(t *testing.T, f *excelize.File, cell string, format any) {
	t.Helper()
	st := &excelize.Style{}
	switch v := format.(type) {
	case int:
		st.NumFmt = v
	case string:
		st.CustomNumFmt = &v
	}
	id, err := f.NewStyle(st)
	if err == nil {
		err = f.SetCellStyle("Sheet1", cell, cell, id)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// importFile uploads data into a new list, runs the import and returns it
// with its error report and the list's contacts by phone.
func (w *world) importFile(svc *contacts.Service, name string, data []byte, opts contacts.ImportOptions) (*contacts.Import, string, map[string]contacts.Contact) {
	w.t.Helper()
	list := must[*contacts.List](w.t)(svc.CreateList(w.ctx, w.p, name, ""))
	im := must[*contacts.Import](w.t)(svc.CreateImport(w.ctx, w.p, list.ID, data, opts))
	if err := svc.RunImport(w.ctx, w.p.TenantID, im.ID); err != nil {
		w.t.Fatal(err)
	}
	im = must[*contacts.Import](w.t)(svc.GetImport(w.ctx, w.p, im.ID))
	report := must[string](w.t)(svc.ImportErrors(w.ctx, w.p, im.ID))
	people := map[string]contacts.Contact{}
	for _, c := range must[[]contacts.Contact](w.t)(svc.ListContacts(w.ctx, w.p, &list.ID, 1000, nil)) {
		people[c.Phone] = c
	}
	return im, report, people
}

func TestAWorkbookIsImportedByTheRulesOfCSVWithExcelsRowNumbers(t *testing.T) {
	w := newWorld(t)
	data := workbook(t, func(f *excelize.File) {
		setRow(t, f, "Sheet1", 1, "手机号", "姓名", "城市", "生日", "会员")
		setRow(t, f, "Sheet1", 2, 13812341234, "张三", "上海", time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC), 3)
		// Row 3 is empty, row 6 holds only spaces: blank rows are skipped.
		setRow(t, f, "Sheet1", 4, "12345", "李四", "北京")                      // not a phone number
		setRow(t, f, "Sheet1", 5, int64(13812341234), nil, "杭州", nil, true) // the same number: merged
		setRow(t, f, "Sheet1", 6, " ", " ")
		setRow(t, f, "Sheet1", 7, 13900001111, "王五") // shown as 1.39E+10
		styleCell(t, f, "A7", 11)
		setRow(t, f, "Sheet1", 8, 13900002222.0, "赵六") // shown as 13,900,002,222
		styleCell(t, f, "A8", 3)
		setRow(t, f, "Sheet1", 9, "+86 139-0000-3333", "钱七")
		setRow(t, f, "Sheet1", 10, 8613900004444, "孙八") // 13 digits, General
		setRow(t, f, "Sheet1", 11, nil, "周九", "广州")     // no number
		setRow(t, f, "Sheet1", 12, 2112345678, "吴十")    // a Shanghai landline shown as 02112345678
		styleCell(t, f, "A12", "00000000000")
		setRow(t, f, "Sheet1", 14, 13900005555, "郑十一", nil, nil, nil, nil, "a note right of the table")
		setRow(t, f, "Sheet1", 15, 13900006666, "冯十二", nil, 45607.5) // a date and time
		styleCell(t, f, "D15", 22)
	})
	im, report, people := w.importFile(w.svc, "excel", data, contacts.ImportOptions{})

	if im.Status != "done" || im.Format != "xlsx" || im.Encoding != "utf-8" || im.Mapping.Sheet != "Sheet1" || im.Mapping.Phone != "手机号" || im.Mapping.Name != "姓名" {
		t.Fatalf("import %+v", im)
	}
	if im.RowsTotal != 11 || im.RowsImported != 8 || im.RowsMerged != 1 || im.RowsFailed != 2 {
		t.Errorf("rows: total %d, imported %d, merged %d, failed %d; want 11, 8, 1, 2", im.RowsTotal, im.RowsImported, im.RowsMerged, im.RowsFailed)
	}
	lines := strings.Split(strings.TrimSpace(report), "\n")
	if len(lines) != 3 || lines[0] != "row,column,reason" || !strings.HasPrefix(lines[1], "4,手机号,") || lines[2] != "11,手机号,the phone number is empty" {
		t.Errorf("error report:\n%s", report)
	}
	for _, want := range []string{"+8613812341234", "+8613900001111", "+8613900002222", "+8613900003333", "+8613900004444", "+862112345678", "+8613900005555", "+8613900006666"} {
		if _, ok := people[want]; !ok {
			t.Errorf("no contact %s; have %v", want, keys(people))
		}
	}
	if len(people) != 8 {
		t.Errorf("%d contacts, want 8: %v", len(people), keys(people))
	}
	zhang := people["+8613812341234"]
	if zhang.Name != "张三" || zhang.TimeZone != "Asia/Shanghai" || zhang.Attributes["城市"] != "杭州" || zhang.Attributes["生日"] != "1990-05-17" ||
		zhang.Attributes["会员"] != "TRUE" {
		t.Errorf("the merged contact: %+v", zhang)
	}
	if c := people["+8613900006666"]; c.Attributes["生日"] != "2024-11-11 12:00" {
		t.Errorf("a date and time cell: %+v", c)
	}
	if c := people["+8613900005555"]; len(c.Attributes) != 0 {
		t.Errorf("a value right of the header became an attribute: %+v", c)
	}
}

func keys(m map[string]contacts.Contact) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The same rows as CSV and as a workbook give the same error report and
// the same contacts: both go through one path of checks.
func TestAWorkbookAndTheSameRowsAsCSVImportAlike(t *testing.T) {
	w := newWorld(t)
	rows := [][]any{
		{"phone", "name", "tz", "tier"},
		{13812340001, "甲", "", "gold"},
		{"138 1234 0002", "乙", "Asia/Tokyo", ""},
		{"not a number", "丙", "", "silver"},
		{13812340004, "丁", "Mars/Olympus", ""},
		{13812340001, "", "", "platinum"},
		{"", "戊", "", ""},
		{8613812340007, "己", "", "gold"},
	}
	var text strings.Builder
	for _, r := range rows {
		for i, v := range r {
			if i > 0 {
				text.WriteByte(',')
			}
			fmt.Fprint(&text, v)
		}
		text.WriteByte('\n')
	}
	data := workbook(t, func(f *excelize.File) {
		for i, r := range rows {
			setRow(t, f, "Sheet1", i+1, r...)
		}
	})
	fromCSV, csvReport, csvPeople := w.importFile(w.svc, "csv", []byte(text.String()), contacts.ImportOptions{})
	fromXLSX, xlsxReport, xlsxPeople := w.importFile(w.svc, "xlsx", data, contacts.ImportOptions{})
	if fromCSV.Format != "csv" || fromXLSX.Format != "xlsx" || fromCSV.Mapping.TimeZone != "tz" || fromXLSX.Mapping.Sheet != "Sheet1" ||
		fromXLSX.Mapping.Phone != fromCSV.Mapping.Phone || fromXLSX.Mapping.Name != fromCSV.Mapping.Name || fromXLSX.Mapping.TimeZone != fromCSV.Mapping.TimeZone {
		t.Fatalf("csv %+v\nxlsx %+v", fromCSV, fromXLSX)
	}
	if csvReport != xlsxReport || !strings.Contains(csvReport, "\n4,phone,") || !strings.Contains(csvReport, "\n5,tz,") || !strings.Contains(csvReport, "\n7,phone,") {
		t.Errorf("reports differ or miss rows 4, 5 and 7:\ncsv:\n%s\nxlsx:\n%s", csvReport, xlsxReport)
	}
	if fromCSV.RowsTotal != fromXLSX.RowsTotal || fromCSV.RowsFailed != fromXLSX.RowsFailed || fromCSV.RowsFailed != 3 {
		t.Errorf("csv %+v\nxlsx %+v", fromCSV, fromXLSX)
	}
	if len(csvPeople) != 3 || len(xlsxPeople) != len(csvPeople) {
		t.Fatalf("csv %v, xlsx %v", keys(csvPeople), keys(xlsxPeople))
	}
	for p, c := range csvPeople {
		x := xlsxPeople[p]
		if x.Name != c.Name || x.TimeZone != c.TimeZone || fmt.Sprint(x.Attributes) != fmt.Sprint(c.Attributes) {
			t.Errorf("%s: csv %+v, xlsx %+v", p, c, x)
		}
	}
	if c := xlsxPeople["+8613812340001"]; c.Attributes["tier"] != "platinum" || c.Name != "甲" {
		t.Errorf("the merged contact: %+v", c)
	}
}

func TestTheSheetIsTheFirstVisibleOneOrTheOneNamed(t *testing.T) {
	w := newWorld(t)
	build := func(hideNotes bool) []byte {
		return workbook(t, func(f *excelize.File) {
			f.SetSheetName("Sheet1", "说明")
			setRow(t, f, "说明", 1, "这个工作簿的第二页是名单")
			if _, err := f.NewSheet("名单"); err != nil {
				t.Fatal(err)
			}
			setRow(t, f, "名单", 1, "手机号", "姓名")
			setRow(t, f, "名单", 2, 13812341234, "张三")
			if hideNotes {
				f.SetActiveSheet(1)
				if err := f.SetSheetVisible("说明", false); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	list := must[*contacts.List](t)(w.svc.CreateList(w.ctx, w.p, "sheets", ""))
	_, err := w.svc.CreateImport(w.ctx, w.p, list.ID, build(false), contacts.ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "no phone column") {
		t.Errorf("the first sheet, without a phone column: %v", err)
	}
	im, err := w.svc.CreateImport(w.ctx, w.p, list.ID, build(false), contacts.ImportOptions{Mapping: contacts.ImportMapping{Sheet: "名单"}})
	if err != nil || im.Mapping.Sheet != "名单" || im.Mapping.Phone != "手机号" {
		t.Errorf("the sheet named: %+v %v", im, err)
	}
	im, err = w.svc.CreateImport(w.ctx, w.p, list.ID, build(true), contacts.ImportOptions{})
	if err != nil || im.Mapping.Sheet != "名单" {
		t.Errorf("the first visible sheet: %+v %v", im, err)
	}
	_, err = w.svc.CreateImport(w.ctx, w.p, list.ID, build(false), contacts.ImportOptions{Mapping: contacts.ImportMapping{Sheet: "客户"}})
	if tenants.ErrorCode(err) != tenants.EInvalid || !strings.Contains(err.Error(), `no sheet "客户" (its sheets: 说明, 名单)`) {
		t.Errorf("a sheet that is not there: %v", err)
	}
}

func TestFilesThatAreNotWorkbooksOrTooLargeAreRefusedAndNothingIsKept(t *testing.T) {
	w := newWorld(t)
	small := contacts.New(contacts.Options{DB: w.db, MaxImportBytes: 64 << 10})
	list := must[*contacts.List](t)(w.svc.CreateList(w.ctx, w.p, "refused", ""))
	good := workbook(t, func(f *excelize.File) {
		setRow(t, f, "Sheet1", 1, "phone")
		setRow(t, f, "Sheet1", 2, 13812341234)
	})
	var otherZip bytes.Buffer
	zw := zip.NewWriter(&otherZip)
	fw, _ := zw.Create("notes.txt")
	fw.Write([]byte("phone\n13812341234\n"))
	zw.Close()
	// Random text hardly compresses: a workbook bigger than the limit.
	noise := make([]byte, 100<<10)
	rand.Read(noise)
	big := hex.EncodeToString(noise)
	large := workbook(t, func(f *excelize.File) {
		setRow(t, f, "Sheet1", 1, "phone", "notes")
		for r := 0; r < 10; r++ {
			setRow(t, f, "Sheet1", r+2, 13812341234, big[r*20000:(r+1)*20000])
		}
	})
	if len(large) <= 64<<10 {
		t.Fatalf("the large workbook is %d bytes", len(large))
	}
	// Long runs of one letter compress a thousandfold: a small workbook
	// that unpacks to more than the limit allows.
	bomb := workbook(t, func(f *excelize.File) {
		setRow(t, f, "Sheet1", 1, "phone", "notes")
		for r := 0; r < 12; r++ {
			setRow(t, f, "Sheet1", r+2, 13812341234, strings.Repeat("a", 32000)+fmt.Sprint(r))
		}
	})
	if len(bomb) > 64<<10 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	cases := []struct {
		name   string
		svc    *contacts.Service
		data   []byte
		format string
		says   string
	}{
		{"CSV text said to be a workbook", w.svc, []byte("phone\n13812341234\n"), "xlsx", "sent as an Excel workbook (.xlsx) but is not one"},
		{"an empty file said to be a workbook", w.svc, nil, "xlsx", "the file is empty"},
		{"a zip archive that is not a workbook", w.svc, otherZip.Bytes(), "", "a zip archive but not an Excel workbook"},
		{"an Excel 97-2003 workbook", w.svc, append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 504)...), "", "Excel 97-2003 workbook (.xls)"},
		{"a workbook cut short", w.svc, good[:len(good)/2], "xlsx", "damaged zip archive"},
		{"a workbook without a phone column", w.svc, workbook(t, func(f *excelize.File) { setRow(t, f, "Sheet1", 1, "name", "city") }), "xlsx", "no phone column"},
		{"an empty workbook", w.svc, workbook(t, func(f *excelize.File) {}), "xlsx", `the sheet "Sheet1" is empty`},
		{"a phone column named but absent", w.svc, good, "", `no column "mobile"`},
		{"a workbook over the limit", small, large, "xlsx", "the most is 0 MB"},
		{"a workbook that unpacks to more than the limit", small, bomb, "xlsx", "unpacks to"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := contacts.ImportOptions{Format: tc.format}
			if strings.Contains(tc.says, "mobile") {
				opts.Mapping.Phone = "mobile"
			}
			_, err := tc.svc.CreateImport(w.ctx, w.p, list.ID, tc.data, opts)
			if tenants.ErrorCode(err) != tenants.EInvalid || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("%v; want an invalid-input error saying %q", err, tc.says)
			}
		})
	}
	var kept int
	w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(w.ctx, `SELECT count(*) FROM imports`).Scan(&kept)
	})
	if kept != 0 {
		t.Fatalf("%d imports kept from refused files", kept)
	}
	if im, err := small.CreateImport(w.ctx, w.p, list.ID, good, contacts.ImportOptions{}); err != nil || im.Format != "xlsx" {
		t.Fatalf("a small workbook under the small limit: %+v %v", im, err)
	}
}

// A sheet of tens of thousands of rows, written by excelize's stream
// writer, is read row by row; bad rows far down keep their numbers.
func TestALargeSheetIsReadAsAStream(t *testing.T) {
	w := newWorld(t)
	const n = 25000
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"手机号", "姓名", "编号"})
	for i := 0; i < n; i++ {
		var ph any = 13800000000 + i
		if i == 21000 {
			ph = "bad"
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{ph, fmt.Sprintf("客户%d", i), i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	im, report, _ := w.importFile(w.svc, "large", buf.Bytes(), contacts.ImportOptions{Format: "xlsx"})
	if im.RowsTotal != n || im.RowsImported != n-1 || im.RowsFailed != 1 || !strings.Contains(report, "\n21002,手机号,") {
		t.Fatalf("import %+v\n%s", im, report)
	}
}
