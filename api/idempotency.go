package api

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

const idempotencyHeader = "Idempotency-Key"

// idempotencyParam documents the Idempotency-Key header on an operation.
var idempotencyParam = &huma.Param{
	Name: idempotencyHeader, In: "header",
	Description: "Makes a retry safe: the same key with the same request within 24 hours returns the first answer " +
		"(with `Idempotent-Replayed: true`); the same key with a different request is a 409. " +
		"Keys belong to the caller that sent them (the API key, or the user of a portal session) and the operation: " +
		"another caller's request with the same key is a request of its own and never sees the first answer.",
	Schema: &huma.Schema{Type: "string", MaxLength: ptr(255)},
}

func ptr[T any](v T) *T { return &v }

// idempotent marks every authenticated POST as accepting Idempotency-Key.
func idempotent(op *huma.Operation) {
	if op.Method == http.MethodPost && len(op.Security) > 0 {
		op.Parameters = append(op.Parameters, idempotencyParam)
		if _, ok := op.Responses["409"]; !ok {
			for _, model := range op.Responses {
				if model.Content["application/problem+json"] != nil {
					op.Responses["409"] = &huma.Response{Description: "Conflict", Content: model.Content}
					break
				}
			}
		}
	}
}

// idempotencyScope returns the key under which a request's answer is
// remembered: the client's Idempotency-Key prefixed with who sent it (the
// API key, or the user behind a portal session) and the operation (method
// and route). An answer can carry what only its caller may see (a new API
// key's secret, numbers in full for an operator), so it is replayed to that
// caller alone. Stripe scopes a key to the account that sent it, and the
// same key from another account is simply a new request; within a tenant
// of outcall, callers see different things, so here the scope is the
// caller, and another key or user of the tenant that happens to send the
// same Idempotency-Key makes a request of its own, answered for its own
// role. A fresh request rather than a 409 or 422, so that nothing tells one
// caller which keys another has used. ok is false for a principal that is
// neither a key nor a user (none is made today); its request runs without
// idempotency rather than sharing anyone's answers.
func idempotencyScope(p tenants.Principal, op *huma.Operation, key string) (scoped string, ok bool) {
	var who string
	switch {
	case p.KeyID != nil:
		who = "key:" + p.KeyID.String()
	case p.UserID != nil:
		who = "user:" + p.UserID.String()
	default:
		return "", false
	}
	// The client's key comes last, so no key of its own can imitate
	// another caller's prefix.
	return who + " " + op.Method + " " + op.Path + " " + key, true
}

// idempotency replays the remembered answer of a POST sent again by the
// same caller with the same Idempotency-Key and body (see idempotencyScope).
// The key is claimed in its own transaction before the operation runs; a
// claim whose request died (no answer after a minute) may be taken over.
// Answers of 5xx are forgotten so a retry runs.
func (s *Server) idempotency(ctx huma.Context, next func(huma.Context)) {
	header := ctx.Header(idempotencyHeader)
	p, authed := tenants.PrincipalFrom(ctx.Context())
	if header == "" || ctx.Method() != http.MethodPost || !authed {
		next(ctx)
		return
	}
	if len(header) > 255 {
		huma.WriteErr(s.api, ctx, http.StatusUnprocessableEntity, "the Idempotency-Key header is longer than 255 characters")
		return
	}
	key, ok := idempotencyScope(p, ctx.Operation(), header)
	if !ok {
		next(ctx)
		return
	}
	body, err := io.ReadAll(io.LimitReader(ctx.BodyReader(), ctx.Operation().MaxBodyBytes+1))
	if err != nil {
		huma.WriteErr(s.api, ctx, http.StatusBadRequest, "could not read the request body")
		return
	}
	h := sha256.New()
	h.Write([]byte(ctx.Method() + " " + ctx.URL().Path + "\n"))
	h.Write(body)
	hash := h.Sum(nil)

	c := ctx.Context()
	var (
		claimed bool
		prev    struct {
			hash        []byte
			status      *int
			contentType *string
			location    *string
			body        []byte
			age         time.Duration
		}
	)
	err = s.tenants.DB().InTenant(c, p.TenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(c, `INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, p.TenantID, key, hash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			claimed = true
			return nil
		}
		err = tx.QueryRow(c, `SELECT request_hash, status, content_type, location, body, now() - created_at FROM idempotency_keys
			WHERE tenant_id = $1 AND key = $2 FOR UPDATE`, p.TenantID, key).
			Scan(&prev.hash, &prev.status, &prev.contentType, &prev.location, &prev.body, &prev.age)
		if err != nil {
			return err
		}
		if prev.age > 24*time.Hour || (prev.status == nil && prev.age > time.Minute && bytes.Equal(prev.hash, hash)) {
			// Expired, or abandoned by a request that died: start afresh.
			_, err = tx.Exec(c, `UPDATE idempotency_keys SET request_hash = $3, status = NULL, body = NULL, created_at = now() WHERE tenant_id = $1 AND key = $2`, p.TenantID, key, hash)
			claimed = err == nil
		}
		return err
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		s.log.ErrorContext(c, "idempotency claim failed", "error", err)
		huma.WriteErr(s.api, ctx, http.StatusInternalServerError, "internal error")
		return
	}
	if !claimed {
		switch {
		case !bytes.Equal(prev.hash, hash):
			huma.WriteErr(s.api, ctx, http.StatusConflict, "this Idempotency-Key was used with a different request in the last 24 hours; use a new key")
		case prev.status == nil:
			huma.WriteErr(s.api, ctx, http.StatusConflict, "a request with this Idempotency-Key is still running; retry in a moment")
		default:
			if prev.contentType != nil {
				ctx.SetHeader("Content-Type", *prev.contentType)
			}
			if prev.location != nil {
				ctx.SetHeader("Location", *prev.location)
			}
			ctx.SetHeader("Idempotent-Replayed", "true")
			ctx.SetStatus(*prev.status)
			ctx.BodyWriter().Write(prev.body)
		}
		return
	}

	rec := &recordingContext{humaContext: ctx, body: bytes.NewReader(body)}
	next(rec)
	status := rec.Status()
	err = s.tenants.DB().InTenant(c, p.TenantID, func(tx pgx.Tx) error {
		if status >= 500 || status == 0 {
			_, err := tx.Exec(c, `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, p.TenantID, key)
			return err
		}
		_, err := tx.Exec(c, `UPDATE idempotency_keys SET status = $3, content_type = $4, location = $5, body = $6 WHERE tenant_id = $1 AND key = $2`,
			p.TenantID, key, status, rec.headers.Get("Content-Type"), nullable(rec.headers.Get("Location")), rec.out.Bytes())
		return err
	})
	if err != nil {
		s.log.ErrorContext(c, "idempotency record failed", "error", err)
	}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// recordingContext passes a request through and keeps a copy of the answer.
type recordingContext struct {
	humaContext
	body    io.Reader
	out     bytes.Buffer
	headers http.Header
}

func (r *recordingContext) BodyReader() io.Reader { return r.body }

func (r *recordingContext) SetHeader(name, value string) {
	if r.headers == nil {
		r.headers = http.Header{}
	}
	r.headers.Set(name, value)
	r.humaContext.SetHeader(name, value)
}

func (r *recordingContext) AppendHeader(name, value string) {
	if r.headers == nil {
		r.headers = http.Header{}
	}
	r.headers.Add(name, value)
	r.humaContext.AppendHeader(name, value)
}

func (r *recordingContext) BodyWriter() io.Writer {
	return io.MultiWriter(r.humaContext.BodyWriter(), &r.out)
}

// humaContext lets recordingContext embed huma.Context without its field
// name shadowing the Context method.
type humaContext = huma.Context
