package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
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

type listOutput struct{ Body ListBody }

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
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}
	tags := []string{"Contacts"}
	huma.Register(s.api, huma.Operation{
		OperationID: "create-list", Method: http.MethodPost, Path: "/v1/lists", DefaultStatus: http.StatusCreated,
		Summary: "Create a contact list", Tags: tags, Security: requires("contacts:write"),
		Description: "An empty list; add contacts one by one or import a CSV file. Needs the operator role.",
		Errors:      append(errs, http.StatusUnprocessableEntity),
	}, s.createList)
	huma.Register(s.api, huma.Operation{
		OperationID: "list-lists", Method: http.MethodGet, Path: "/v1/lists",
		Summary: "List contact lists", Tags: tags, Security: requires("contacts:read"),
		Description: "The tenant's lists with their sizes, oldest first.",
		Errors:      append(errs, http.StatusUnprocessableEntity),
	}, s.listLists)
	huma.Register(s.api, huma.Operation{
		OperationID: "get-list", Method: http.MethodGet, Path: "/v1/lists/{list_id}",
		Summary: "Get a contact list", Tags: tags, Security: requires("contacts:read"),
		Errors: append(errs, http.StatusNotFound),
	}, s.getList)
	huma.Register(s.api, huma.Operation{
		OperationID: "delete-list", Method: http.MethodDelete, Path: "/v1/lists/{list_id}", DefaultStatus: http.StatusNoContent,
		Summary: "Delete a contact list", Tags: tags, Security: requires("contacts:write"),
		Description: "The list goes; its contacts stay. Needs the operator role.",
		Errors:      append(errs, http.StatusNotFound),
	}, s.deleteList)
	huma.Register(s.api, huma.Operation{
		OperationID: "list-list-contacts", Method: http.MethodGet, Path: "/v1/lists/{list_id}/contacts",
		Summary: "List a list's contacts", Tags: tags, Security: requires("contacts:read"),
		Errors: append(errs, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, s.listListContacts)
}

func (s *Server) createList(ctx context.Context, in *createListInput) (*listOutput, error) {
	l, err := s.contacts.CreateList(ctx, principal(ctx), in.Body.Name, in.Body.Description)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &listOutput{Body: listBody(l)}, nil
}

func (s *Server) listLists(ctx context.Context, in *PageInput) (*listsOutput, error) {
	after, err := in.after()
	if err != nil {
		return nil, err
	}
	ls, err := s.contacts.ListLists(ctx, principal(ctx), in.limit(), after)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &listsOutput{}
	out.Body.Items, out.Body.NextCursor = page(ls, in.limit(), func(l *contacts.List) uuid.UUID { return l.ID }, listBody)
	return out, nil
}

func (s *Server) getList(ctx context.Context, in *listPath) (*listOutput, error) {
	l, err := s.contacts.GetList(ctx, principal(ctx), in.ListID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &listOutput{Body: listBody(l)}, nil
}

func (s *Server) deleteList(ctx context.Context, in *listPath) (*struct{}, error) {
	return nil, s.problem(ctx, s.contacts.DeleteList(ctx, principal(ctx), in.ListID))
}

func (s *Server) listListContacts(ctx context.Context, in *listContactsInput) (*contactsOutput, error) {
	return s.contactsPage(ctx, &in.ListID, in.PageInput)
}
