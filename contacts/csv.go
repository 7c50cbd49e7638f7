package contacts

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/outcall/outcall/tenants"
)

// ImportMapping says which column (by its header) holds what; every other
// column becomes an attribute named by its header. For an Excel workbook it
// also names the sheet that was read.
type ImportMapping struct {
	Phone    string `json:"phone"`
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
	Sheet    string `json:"sheet,omitempty"`
}

// The formats an import reads.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// ImportOptions are what a caller may say about an upload.
type ImportOptions struct {
	// Format is what the upload says it is (by its content type): xlsx for
	// an Excel workbook, csv, or empty to tell by the content. A workbook is
	// read as one whatever it says; a file said to be xlsx that is not a
	// workbook is refused.
	Format string
	// Encoding is auto (default), utf-8, gbk or gb18030; a workbook's text
	// is always Unicode, so it ignores this.
	Encoding string
	// Mapping overrides the columns found from the header; its Sheet names
	// the worksheet of a workbook to read (default: the first visible one).
	Mapping ImportMapping
}

// RowError is one row of a file that could not be used.
type RowError struct {
	Row    int
	Column string
	Reason string
}

var (
	phoneHeaders = []string{"phone", "mobile", "phone_number", "tel", "telephone", "number", "手机", "手机号", "手机号码", "电话", "电话号码", "号码", "联系电话"}
	nameHeaders  = []string{"name", "full_name", "姓名", "名字", "客户姓名", "联系人"}
	zoneHeaders  = []string{"time_zone", "timezone", "tz", "时区"}
)

// decodeCSV returns data as UTF-8 text and the encoding it was read in.
func decodeCSV(data []byte, enc string) ([]byte, string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, "", tenants.FieldError("body", "the file is empty: upload a CSV file with a header row and one contact per row")
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, "", tenants.FieldError("body", "this is not a CSV text file (it holds binary data): export the sheet as CSV (UTF-8 or GBK)")
	}
	enc = strings.ToLower(strings.TrimSpace(enc))
	switch enc {
	case "", "auto":
		if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) || utf8.Valid(data) {
			enc = "utf-8"
		} else {
			enc = "gb18030"
		}
	case "utf-8", "utf8":
		enc = "utf-8"
	case "gbk", "gb2312", "gb18030":
	default:
		return nil, "", tenants.FieldError("query.encoding", "unknown encoding %q: use auto, utf-8, gbk or gb18030", enc)
	}
	if enc == "utf-8" {
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(data) {
			return nil, "", tenants.FieldError("body", "the file is not valid UTF-8: save it as UTF-8, or upload it with encoding=gbk")
		}
		return data, enc, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return nil, "", tenants.FieldError("body", "the file is neither UTF-8 nor GBK/GB18030 text: export the sheet as CSV in one of those")
	}
	return bytes.TrimPrefix(out, []byte("\xef\xbb\xbf")), enc, nil
}

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return cr
}

// readHeader reads the header row and resolves the mapping against it.
func readHeader(text []byte, m ImportMapping) ([]string, ImportMapping, error) {
	rec, _, err := openCSV(text)
	if err != nil {
		return nil, m, err
	}
	return resolveHeader(rec, m)
}

// resolveHeader resolves the mapping against a file's header row: the
// columns named in m, else those found by their usual headers. A file
// without a phone column cannot be imported.
func resolveHeader(rec []string, m ImportMapping) ([]string, ImportMapping, error) {
	var err error
	header := make([]string, len(rec))
	for i, h := range rec {
		header[i] = strings.TrimSpace(h)
	}
	find := func(given string, field string, names []string) (string, error) {
		if given != "" {
			for _, h := range header {
				if strings.EqualFold(h, given) {
					return h, nil
				}
			}
			return "", tenants.FieldError(field, "the file has no column %q (its columns: %s)", given, strings.Join(header, ", "))
		}
		for _, h := range header {
			for _, n := range names {
				if strings.EqualFold(h, n) {
					return h, nil
				}
			}
		}
		return "", nil
	}
	if m.Phone, err = find(m.Phone, "query.phone_column", phoneHeaders); err != nil {
		return nil, m, err
	}
	if m.Phone == "" {
		return nil, m, tenants.FieldError("body", "the header has no phone column (its columns: %s): name one phone or 手机号, or pass phone_column",
			strings.Join(header, ", "))
	}
	if m.Name, err = find(m.Name, "query.name_column", nameHeaders); err != nil {
		return nil, m, err
	}
	if m.TimeZone, err = find(m.TimeZone, "query.time_zone_column", zoneHeaders); err != nil {
		return nil, m, err
	}
	return header, m, nil
}

// csvRows reads the data rows of a decoded CSV text, after its header.
type csvRows struct {
	cr   *csv.Reader
	line int
}

// openCSV reads the header of a decoded CSV text and returns it with a
// reader of the rows after it.
func openCSV(text []byte) ([]string, *csvRows, error) {
	cr := newCSVReader(bytes.NewReader(text))
	rec, err := cr.Read()
	if err != nil {
		return nil, nil, tenants.FieldError("body", "the first line is not a CSV header row: %v", err)
	}
	return slices.Clone(rec), &csvRows{cr: cr, line: 1}, nil
}

// next returns the next record; its number counts the header as 1. A
// record that is not valid CSV comes back as a problem, and reading goes
// on after it.
func (r *csvRows) next() (int, []string, string, error) {
	rec, err := r.cr.Read()
	if err == io.EOF {
		return 0, nil, "", io.EOF
	}
	r.line++
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return r.line, nil, "not a valid CSV row: " + pe.Err.Error(), nil
		}
		return 0, nil, "", err
	}
	return r.line, rec, "", nil
}

func (r *csvRows) close() error { return nil }
