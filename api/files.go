package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"

	"github.com/danielgtaylor/huma/v2"

	"github.com/outcall/outcall/reports"
)

// csvType is the Content-Type of every CSV file the API answers.
const csvType = "text/csv; charset=utf-8"

// attachment is the Content-Disposition that has a browser save the answer
// as a file called filename.
func attachment(filename string) string { return `attachment; filename="` + filename + `"` }

// fileOutput is a file answered whole, with its type and the name a browser
// saves it under; both headers are documented.
type fileOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

// csvFile answers b, CSV written outside the reports package (a number's
// audit trail, an import's error report stored when the import ran), as a
// file called filename. Every cell passes reports.SafeCell on its way out,
// as the reports' own exports do when written, so that no CSV the API
// answers holds a cell a spreadsheet would run as a formula, whoever wrote
// it and whenever.
func csvFile(filename string, b []byte) (*fileOutput, error) {
	safe, err := safeCSV(b)
	if err != nil {
		return nil, err
	}
	return &fileOutput{ContentType: csvType, ContentDisposition: attachment(filename), Body: safe}, nil
}

// safeCSV rewrites the CSV b with every cell passed through
// reports.SafeCell, keeping a byte order mark if b starts with one. A cell
// already made safe starts with a quote, so rewriting twice changes nothing.
func safeCSV(b []byte) ([]byte, error) {
	var out bytes.Buffer
	if rest, ok := bytes.CutPrefix(b, []byte(bom)); ok {
		out.WriteString(bom)
		b = rest
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	w := reports.NewCSVWriter(&out)
	for {
		record, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read the CSV to answer: %w", err)
		}
		if err := w.Write(record); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return out.Bytes(), w.Error()
}

// bom is the UTF-8 byte order mark.
const bom = "\ufeff"

// csvExport documents the answer of an operation that streams a CSV file
// (bufferedCSV); it goes in the operation's more. Each operation gets a map
// of its own, since huma adds the operation's error answers to it.
func csvExport() huma.Operation {
	return huma.Operation{Responses: map[string]*huma.Response{"200": {Description: "UTF-8 CSV with a byte order mark and a header row", Content: map[string]*huma.MediaType{
		"text/csv": {Schema: &huma.Schema{Type: "string"}}}}}}
}

// bufferedCSV writes a CSV file to memory before answering, so that an
// error is a problem+json answer rather than a truncated file.
func (s *Server) bufferedCSV(ctx context.Context, filename string, write func(io.Writer) error) (*huma.StreamResponse, error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return nil, s.problem(ctx, err)
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		hctx.SetHeader("Content-Type", csvType)
		hctx.SetHeader("Content-Disposition", attachment(filename))
		buf.WriteTo(hctx.BodyWriter())
	}}, nil
}
