package contacts

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/outcall/outcall/tenants"
)

// XLSXContentType is the media type of an Excel workbook (.xlsx).
const XLSXContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// xlsxUnzipFactor bounds what a workbook may unpack to: this many times the
// largest upload (1 GB at DefaultMaxImportBytes, more than a sheet of
// Excel's 1,048,576 rows of contacts unpacks to), so a zip bomb is refused
// before it is unpacked.
const xlsxUnzipFactor = 4

var (
	// zipMagic starts every .xlsx file (an Office Open XML package is a zip
	// archive).
	zipMagic = []byte("PK\x03\x04")
	// oleMagic starts an Excel 97-2003 .xls workbook, and an encrypted
	// (password-protected) .xlsx one.
	oleMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
)

// looksLikeWorkbook says whether data is, by its first bytes, a workbook
// rather than text: a zip archive (.xlsx) or an OLE compound file (.xls).
func looksLikeWorkbook(data []byte) bool {
	return bytes.HasPrefix(data, zipMagic) || bytes.HasPrefix(data, oleMagic)
}

// xlsxReadOptions read dates in Excel's default short date format as ISO
// 8601 (2024-11-11, 2024-11-11 14:30), and the date formats built into
// Chinese Excel as that shows them; every other cell reads as Excel shows it.
var xlsxReadOptions = excelize.Options{ShortDatePattern: "yyyy-mm-dd", CultureInfo: excelize.CultureNameZhCN}

// xlsxRows reads the data rows of a worksheet through excelize's streaming
// iterator, so a large sheet is never held whole in memory. Rows are
// numbered as Excel numbers them; blank rows are skipped; each row has as
// many cells as the header (a value right of the header's last column has
// no header, so, like a CSV column with an empty header, it is not read).
type xlsxRows struct {
	f     *excelize.File
	sheet string
	rows  *excelize.Rows
	line  int // the row last read, as Excel numbers it
	width int // the header's columns
	phone int // the phone column, -1 until it is known
	// stored reads the same rows with their values as stored, not as
	// shown; it is opened only when a phone cell shows a number in a form
	// that may hide its digits (1.38E+10, 13,800,138,000), and it follows
	// rows from then on.
	stored   *excelize.Rows
	storedAt int
}

// openXLSX opens an Excel workbook, picks its sheet (the one named, or the
// first visible one) and reads its header: the first row that is not
// blank. A file that is not a workbook, or that unpacks to more than
// unzipLimit bytes, is refused with a message that says what to do.
func openXLSX(data []byte, sheet string, unzipLimit int64) (header []string, rows *xlsxRows, err error) {
	if len(data) == 0 {
		return nil, nil, tenants.FieldError("body", "the file is empty: upload an Excel workbook (.xlsx) with a header row and one contact per row")
	}
	if bytes.HasPrefix(data, oleMagic) {
		return nil, nil, tenants.FieldError("body", "this is an Excel 97-2003 workbook (.xls) or a password-protected one, which cannot be read: "+
			"open it in Excel and save it as an Excel Workbook (.xlsx) without a password, or as CSV")
	}
	if !bytes.HasPrefix(data, zipMagic) {
		return nil, nil, tenants.FieldError("body", "the file was sent as an Excel workbook (.xlsx) but is not one: "+
			"upload the .xlsx file itself, or send a CSV file as text/csv")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, tenants.FieldError("body", "the file is not a readable Excel workbook (.xlsx): it is a damaged zip archive (%v); save it again from Excel", err)
	}
	var unzipped uint64
	workbook := false
	for _, f := range zr.File {
		unzipped += f.UncompressedSize64
		workbook = workbook || strings.EqualFold(strings.ReplaceAll(f.Name, "\\", "/"), "xl/workbook.xml")
	}
	if !workbook {
		return nil, nil, tenants.FieldError("body", "the file is a zip archive but not an Excel workbook (.xlsx): upload the .xlsx file itself, or a CSV file")
	}
	if unzipped > uint64(unzipLimit) {
		return nil, nil, tenants.FieldError("body", "the workbook unpacks to %d MB; the most is %d MB: split it into smaller files, or save it as CSV",
			unzipped>>20, unzipLimit>>20)
	}
	opts := xlsxReadOptions
	opts.UnzipSizeLimit = unzipLimit
	f, err := excelize.OpenReader(bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, tenants.FieldError("body", "the Excel workbook cannot be read (%v): save it again from Excel as .xlsx, or as CSV", err)
	}
	x := &xlsxRows{f: f, phone: -1}
	if x.sheet, err = pickSheet(f, sheet); err != nil {
		f.Close()
		return nil, nil, err
	}
	if x.rows, err = f.Rows(x.sheet); err != nil {
		f.Close()
		return nil, nil, tenants.FieldError("body", "the sheet %q of the workbook cannot be read (%v): save it again from Excel, or as CSV", x.sheet, err)
	}
	for {
		rec, err := x.read()
		if err == io.EOF {
			x.close()
			return nil, nil, tenants.FieldError("body", "the sheet %q is empty: put a header row first, then one contact per row", x.sheet)
		}
		if err != nil {
			x.close()
			return nil, nil, err
		}
		if !blankRow(rec) {
			x.width = len(rec)
			return rec, x, nil
		}
	}
}

// pickSheet returns the workbook's sheet named want (in any case), or, when
// want is empty, its first visible sheet.
func pickSheet(f *excelize.File, want string) (string, error) {
	names := f.GetSheetList()
	if want != "" {
		for _, n := range names {
			if strings.EqualFold(n, want) {
				return n, nil
			}
		}
		return "", tenants.FieldError("query.sheet", "the workbook has no sheet %q (its sheets: %s)", want, strings.Join(names, ", "))
	}
	for _, n := range names {
		if visible, _ := f.GetSheetVisible(n); visible {
			return n, nil
		}
	}
	if len(names) == 0 {
		return "", tenants.FieldError("body", "the Excel workbook has no sheets")
	}
	return names[0], nil
}

// usePhoneColumn says which column holds the phone numbers.
func (x *xlsxRows) usePhoneColumn(i int) { x.phone = i }

// read returns the cells of the sheet's next row, blank or not.
func (x *xlsxRows) read() ([]string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, x.broken(err)
		}
		return nil, io.EOF
	}
	x.line++
	rec, err := x.rows.Columns()
	if err != nil {
		return nil, x.broken(err)
	}
	return rec, nil
}

func (x *xlsxRows) broken(err error) error {
	if errors.Is(err, excelize.ErrMaxRows) {
		return tenants.FieldError("body", "the sheet %q has more rows than Excel allows (%d): save it again from Excel", x.sheet, excelize.TotalRows)
	}
	return tenants.FieldError("body", "the sheet %q cannot be read after row %d (%v): save the workbook again from Excel, or as CSV", x.sheet, x.line, err)
}

// next returns the next row that is not blank, with its row number.
func (x *xlsxRows) next() (int, []string, string, error) {
	for {
		rec, err := x.read()
		if err != nil {
			return 0, nil, "", err
		}
		if len(rec) > x.width {
			rec = rec[:x.width]
		}
		if blankRow(rec) {
			continue
		}
		for len(rec) < x.width {
			rec = append(rec, "")
		}
		if x.phone >= 0 && shownNumber.MatchString(rec[x.phone]) && strings.ContainsAny(rec[x.phone], ".,Ee") {
			v, err := x.storedValue(x.phone)
			if err != nil {
				return 0, nil, "", err
			}
			if v != "" {
				rec[x.phone] = v
			}
		}
		return x.line, rec, "", nil
	}
}

// shownNumber matches a number as Excel may show it: with thousands
// separators, decimals or an exponent.
var shownNumber = regexp.MustCompile(`^[+-]?[0-9][0-9,]*(\.[0-9]*)?([Ee][+-]?[0-9]+)?$`)

// storedValue returns the value the current row's cell in column col has
// as stored: a number in plain digits (13800138000, however it is shown),
// text as it is.
func (x *xlsxRows) storedValue(col int) (string, error) {
	if x.stored == nil {
		rows, err := x.f.Rows(x.sheet)
		if err != nil {
			return "", x.broken(err)
		}
		x.stored, x.storedAt = rows, 0
	}
	for x.storedAt < x.line {
		if !x.stored.Next() {
			if err := x.stored.Error(); err != nil {
				return "", x.broken(err)
			}
			return "", nil
		}
		x.storedAt++
	}
	cells, err := x.stored.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return "", x.broken(err)
	}
	if col >= len(cells) {
		return "", nil
	}
	return plainNumber(cells[col]), nil
}

// plainNumber writes a stored whole number (13800138000, or 1.3800138E10 as
// some programs store it) in plain digits; anything else is returned as it
// is.
func plainNumber(s string) string {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v != math.Trunc(v) || math.Abs(v) >= 1e15 {
		return s
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func (x *xlsxRows) close() error {
	if x.stored != nil {
		x.stored.Close()
	}
	if x.rows != nil {
		x.rows.Close()
	}
	return x.f.Close()
}

// blankRow says whether a row has no cell with anything but spaces in it.
func blankRow(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
