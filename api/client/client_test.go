package client_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/outcall/outcall/api"
	"github.com/outcall/outcall/api/client"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

// TestTheGeneratedClientSignsUpAndReadsMe uses the typed client against a
// real server: the generated code and the API agree.
func TestTheGeneratedClientSignsUpAndReadsMe(t *testing.T) {
	ctx := context.Background()
	db, err := tenants.Open(ctx, dbtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(api.New(api.Config{Tenants: tenants.NewService(db), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
	defer srv.Close()

	anon, err := client.NewClientWithResponses(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	su, err := anon.SignupWithResponse(ctx, client.SignupJSONRequestBody{TenantName: "某某商城", Email: "ops@example.com", Password: "password-123"})
	if err != nil || su.JSON201 == nil {
		t.Fatalf("signup: %v %s", err, su.Body)
	}
	key := su.JSON201.ApiKey.Secret
	c, err := client.NewClientWithResponses(srv.URL, client.WithRequestEditorFn(func(ctx context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+key)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.GetMeWithResponse(ctx)
	if err != nil || me.JSON200 == nil {
		t.Fatalf("me: %v %s", err, me.Body)
	}
	if me.JSON200.Tenant.Name != "某某商城" || me.JSON200.Tenant.Id != su.JSON201.TenantId {
		t.Fatalf("me: %+v", me.JSON200.Tenant)
	}
	bad, err := anon.SignupWithResponse(ctx, client.SignupJSONRequestBody{TenantName: "x", Email: "ops@example.com", Password: "password-123"})
	if err != nil || bad.StatusCode() != http.StatusConflict || bad.ApplicationproblemJSON409 == nil {
		t.Fatalf("duplicate signup through the client: %v %d", err, bad.StatusCode())
	}
}

// TestTheClientsDocumentMatchesTheCode fails when the OpenAPI 3.0 document
// the client is generated from drifts; `make openapi` regenerates both.
func TestTheClientsDocumentMatchesTheCode(t *testing.T) {
	want, err := api.New(api.Config{}).OpenAPI().DowngradeYAML()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("openapi-3.0.yaml")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatal("api/client/openapi-3.0.yaml differs from the code: run `make openapi` and commit the result")
	}
}
