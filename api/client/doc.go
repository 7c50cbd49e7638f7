// Package client is a typed Go client for outcall's API, generated from the
// OpenAPI document by oapi-codegen (`make openapi` regenerates it; a test
// fails when it drifts).
//
//	c, err := client.NewClientWithResponses("https://outcall.example.com",
//		client.WithRequestEditorFn(func(ctx context.Context, req *http.Request) error {
//			req.Header.Set("Authorization", "Bearer "+apiKey)
//			return nil
//		}))
//	me, err := c.GetMeWithResponse(ctx)
package client

//go:generate sh -c "go run ../../cmd/outcall openapi --openapi-3.0 -o openapi-3.0.yaml && go tool oapi-codegen -config oapi-codegen.yaml openapi-3.0.yaml"
