package api_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/outcall/outcall/api"
)

// TestCommittedOpenAPIMatchesTheCode fails when api/openapi.yaml drifts from
// what the code generates. Regenerate it with `make openapi`.
func TestCommittedOpenAPIMatchesTheCode(t *testing.T) {
	want, err := api.New(api.Config{}).OpenAPI().YAML()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatalf("read the committed document: %v (generate it with `make openapi`)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("api/openapi.yaml differs from what the code generates: run `make openapi` and commit the result")
	}
}

func TestEveryOperationIsDocumented(t *testing.T) {
	doc := api.New(api.Config{}).OpenAPI()
	n := 0
	for path, item := range doc.Paths {
		for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
			if op == nil {
				continue
			}
			n++
			where := method + " " + path
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
				t.Errorf("%s: needs an operation id, a summary and a tag (%q, %q, %v)", where, op.OperationID, op.Summary, op.Tags)
			}
			if len(op.Security) > 0 {
				if _, ok := op.Responses["401"]; !ok {
					t.Errorf("%s: authenticated but does not document 401", where)
				}
			}
			if op.RequestBody != nil {
				if _, ok := op.Responses["422"]; !ok {
					t.Errorf("%s: takes a body but does not document 422", where)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no operations")
	}
}
