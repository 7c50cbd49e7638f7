package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLogsMaskPhoneNumbers(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: redactPhones}))
	log.Info("dial", "to", "+8613812341234", "msg2", "callee 138 1234 1234 answered", "tenant", "3f2b9c1e-0000-4000-8000-000000000001", "attempts", 3)
	out := buf.String()
	for _, leak := range []string{"13812341234", "138 1234 1234"} {
		if strings.Contains(out, leak) {
			t.Fatalf("log shows %q: %s", leak, out)
		}
	}
	for _, want := range []string{"to=138****1234", "callee 138****1234 answered", "3f2b9c1e-0000-4000-8000-000000000001", "attempts=3"} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %q: %s", want, out)
		}
	}
}
