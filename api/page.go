package api

import (
	"context"
	"encoding/base64"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
)

// PageInput is the query every list takes: a page size and the cursor
// returned with the previous page. Lists are ordered by creation time, then
// id, so pages stay stable while rows are added.
type PageInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"How many items to return."`
	Cursor string `query:"cursor" maxLength:"100" doc:"The next_cursor of the previous page; empty for the first page."`
}

// after decodes the cursor into the id of the last item already returned.
func (p PageInput) after() (*uuid.UUID, error) {
	if p.Cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
	if err == nil {
		if id, err := uuid.FromBytes(b); err == nil {
			return &id, nil
		}
	}
	return nil, huma.NewError(http.StatusUnprocessableEntity, "the cursor is not one this API returned",
		&huma.ErrorDetail{Location: "query.cursor", Message: "unknown cursor", Value: p.Cursor})
}

func (p PageInput) limit() int {
	if p.Limit <= 0 {
		return 50
	}
	return p.Limit
}

// nextCursor returns the cursor after lastID when the page was full.
func nextCursor(n, limit int, lastID uuid.UUID) string {
	if n < limit {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(lastID[:])
}

// page turns one page of items into response bodies and the cursor of the
// next page (empty when this page was the last).
func page[T, B any](items []T, limit int, id func(*T) uuid.UUID, body func(*T) B) ([]B, string) {
	out := bodies(items, body)
	if len(items) == 0 {
		return out, ""
	}
	return out, nextCursor(len(items), limit, id(&items[len(items)-1]))
}

// bodies turns items into response bodies; never nil, so that an empty
// list is [] in JSON.
func bodies[T, B any](items []T, body func(*T) B) []B {
	out := make([]B, 0, len(items))
	for i := range items {
		out = append(out, body(&items[i]))
	}
	return out
}

// listPage serves a list operation: it reads the cursor of in, fetches the
// page after it with fetch, and sets items to the page's bodies and next to
// the cursor of the page that follows.
func listPage[T, B any](s *Server, ctx context.Context, in PageInput, fetch func(limit int, after *uuid.UUID) ([]T, error),
	id func(*T) uuid.UUID, body func(*T) B, items *[]B, next *string) error {
	after, err := in.after()
	if err != nil {
		return err
	}
	list, err := fetch(in.limit(), after)
	if err != nil {
		return s.problem(ctx, err)
	}
	*items, *next = page(list, in.limit(), id, body)
	return nil
}

// BoolFilter is an optional true/false query filter: absent means both.
type BoolFilter string

func (b BoolFilter) value() *bool {
	switch b {
	case "true":
		v := true
		return &v
	case "false":
		v := false
		return &v
	}
	return nil
}
