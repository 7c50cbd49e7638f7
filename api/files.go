package api

import (
	"bytes"
	"context"
	"io"

	"github.com/danielgtaylor/huma/v2"
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

// csvFile answers b as a CSV file called filename.
func csvFile(filename string, b []byte) *fileOutput {
	return &fileOutput{ContentType: csvType, ContentDisposition: attachment(filename), Body: b}
}

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
