package webhooks_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/outcall/outcall/webhooks"
)

// A receiver checks the signature on the raw body before trusting it, and
// de-duplicates by the event id (a delivery may arrive twice).
func ExampleVerify() {
	secret := "whsec_example"
	seen := map[string]bool{}
	receiver := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err := webhooks.Verify(body, r.Header.Get(webhooks.SignatureHeader), secret, 5*time.Minute); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		id := r.Header.Get("Outcall-Event-Id")
		if !seen[id] {
			seen[id] = true
			fmt.Println("handled", r.Header.Get("Outcall-Event-Type"))
		}
		w.WriteHeader(http.StatusNoContent)
	})

	body := `{"id":"8a6c…","type":"call.completed","data":{"outcome":"confirmed"}}`
	for _, sig := range []string{webhooks.Sign([]byte(body), time.Now(), secret), "t=1,v1=00"} {
		req := httptest.NewRequest("POST", "/hooks/outcall", strings.NewReader(body))
		req.Header.Set(webhooks.SignatureHeader, sig)
		req.Header.Set("Outcall-Event-Id", "8a6c…")
		req.Header.Set("Outcall-Event-Type", "call.completed")
		rec := httptest.NewRecorder()
		receiver.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// handled call.completed
	// 204
	// 401
}
