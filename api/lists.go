package api

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/contacts"
)

// ListBody describes a contact list.
type ListBody struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name" example:"十一月回访"`
	Description string    `json:"description"`
	Contacts    int       `json:"contacts" doc:"How many contacts the list holds."`
	CreatedAt   time.Time `json:"created_at"`
}

func listBody(l *contacts.List) ListBody {
	return ListBody{ID: l.ID, Name: l.Name, Description: l.Description, Contacts: l.Contacts, CreatedAt: l.CreatedAt}
}

type listPath struct {
	ListID uuid.UUID `path:"list_id" doc:"The list's id."`
}

type listsOutput struct {
	Body struct {
		Items      []ListBody `json:"items"`
		NextCursor string     `json:"next_cursor"`
	}
}

type createListInput struct {
	Body struct {
		Name        string `json:"name" minLength:"1" maxLength:"200" example:"十一月回访"`
		Description string `json:"description,omitempty" maxLength:"2000"`
	}
}

type listContactsInput struct {
	PageInput
	ListID uuid.UUID `path:"list_id" doc:"The list's id."`
}

// registerLists adds the operations on contact lists.
func (s *Server) registerLists() {
	read, write := requires("contacts:read"), requires("contacts:write")
	s.register("Contacts", authErrors, []operation{
		{id: "create-list", route: "POST /v1/lists", status: http.StatusCreated, summary: "Create a contact list", security: write, errs: []int{http.StatusUnprocessableEntity},
			desc: "An empty list; add contacts one by one or import a CSV file. Needs the operator role.", handler: handle(s.createList)},
		{id: "list-lists", route: "GET /v1/lists", summary: "List contact lists", security: read, errs: []int{http.StatusUnprocessableEntity},
			desc: "The tenant's lists with their sizes, oldest first.", handler: handle(s.listLists)},
		{id: "get-list", route: "GET /v1/lists/{list_id}", summary: "Get a contact list", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.getList)},
		{id: "delete-list", route: "DELETE /v1/lists/{list_id}", status: http.StatusNoContent, summary: "Delete a contact list", security: write, errs: []int{http.StatusNotFound},
			desc: "The list goes; its contacts stay. Needs the operator role.", handler: handle(s.deleteList)},
		{id: "list-list-contacts", route: "GET /v1/lists/{list_id}/contacts", summary: "List a list's contacts", security: read, errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity}, handler: handle(s.listListContacts)},
	})
}

func (s *Server) createList(ctx context.Context, in *createListInput) (*output[ListBody], error) {
	l, err := s.contacts.CreateList(ctx, principal(ctx), in.Body.Name, in.Body.Description)
	return reply(s, ctx, listBody, l, err)
}

func (s *Server) listLists(ctx context.Context, in *PageInput) (*listsOutput, error) {
	out := &listsOutput{}
	lists := func(limit int, after *uuid.UUID) ([]contacts.List, error) {
		return s.contacts.ListLists(ctx, principal(ctx), limit, after)
	}
	if err := listPage(s, ctx, *in, lists, func(l *contacts.List) uuid.UUID { return l.ID }, listBody, &out.Body.Items, &out.Body.NextCursor); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) getList(ctx context.Context, in *listPath) (*output[ListBody], error) {
	l, err := s.contacts.GetList(ctx, principal(ctx), in.ListID)
	return reply(s, ctx, listBody, l, err)
}

func (s *Server) deleteList(ctx context.Context, in *listPath) (*struct{}, error) {
	return nil, s.problem(ctx, s.contacts.DeleteList(ctx, principal(ctx), in.ListID))
}

func (s *Server) listListContacts(ctx context.Context, in *listContactsInput) (*contactsOutput, error) {
	return s.contactsPage(ctx, &in.ListID, in.PageInput)
}
