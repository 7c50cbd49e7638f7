package api

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/contacts"
)

// ContactBody describes a contact.
type ContactBody struct {
	ID         uuid.UUID      `json:"id"`
	Phone      string         `json:"phone" example:"+8613812341234" doc:"E.164; Masked (138****1234) unless the caller may see numbers in full: operators and stronger may, viewers (people and API keys with the viewer role) may not."`
	Name       string         `json:"name" example:"张三"`
	Attributes map[string]any `json:"attributes" doc:"Custom attributes, for scripts and segmentation."`
	TimeZone   string         `json:"time_zone" example:"Asia/Shanghai" doc:"The callee's time zone: quiet hours and the daily cap follow it."`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

func contactBody(ctx context.Context, c *contacts.Contact) ContactBody {
	attrs := c.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	return ContactBody{ID: c.ID, Phone: showPhone(ctx, c.Phone), Name: c.Name, Attributes: attrs, TimeZone: c.TimeZone, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

type contactPath struct {
	ContactID uuid.UUID `path:"contact_id" doc:"The contact's id."`
}

type contactsOutput struct {
	Body struct {
		Items      []ContactBody `json:"items"`
		NextCursor string        `json:"next_cursor"`
	}
}

type contactInput struct {
	Body struct {
		Phone      string         `json:"phone" minLength:"1" maxLength:"40" example:"138 1234 1234" doc:"E.164, or national in the tenant's default region."`
		Name       string         `json:"name,omitempty" maxLength:"200" example:"张三"`
		Attributes map[string]any `json:"attributes,omitempty" doc:"Merged into the contact's attributes."`
		TimeZone   string         `json:"time_zone,omitempty" maxLength:"64" example:"Asia/Shanghai" doc:"Default: the number's zone, else the tenant's."`
		ListIDs    []uuid.UUID    `json:"list_ids,omitempty" maxItems:"50" doc:"Lists to add the contact to."`
		Consent    *consentInput  `json:"consent,omitempty" doc:"Consent evidence to record with the contact."`
	}
}

// registerContacts adds the operations on single contacts.
func (s *Server) registerContacts() {
	read, write := requires("contacts:read"), requires("contacts:write")
	s.register("Contacts", authErrors, []operation{
		{id: "upsert-contact", route: "POST /v1/contacts", summary: "Add or update a contact", security: write, errs: []int{http.StatusUnprocessableEntity}, handler: handle(s.upsertContact),
			desc: "Numbers are stored in E.164; a number the tenant has already is merged into its contact " +
				"(attributes combined, a given name or time zone replaces the old). Needs the operator role."},
		{id: "list-contacts", route: "GET /v1/contacts", summary: "List contacts", security: read, errs: []int{http.StatusUnprocessableEntity}, handler: handle(s.listContacts)},
		{id: "get-contact", route: "GET /v1/contacts/{contact_id}", summary: "Get a contact", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.getContact)},
		{id: "delete-contact", route: "DELETE /v1/contacts/{contact_id}", status: http.StatusNoContent, summary: "Delete a contact", security: write, errs: []int{http.StatusNotFound},
			desc: "Do-not-call entries and consent evidence for the number stay, for the audit trail, and so do its call records (with their turns, billable seconds and recordings): they keep the number and the id of the deleted contact.", handler: handle(s.deleteContact)},
	})
}

func (s *Server) upsertContact(ctx context.Context, in *contactInput) (*output[ContactBody], error) {
	c, err := s.contacts.UpsertContact(ctx, principal(ctx), contacts.ContactInput{Phone: in.Body.Phone, Name: in.Body.Name,
		Attributes: in.Body.Attributes, TimeZone: in.Body.TimeZone, ListIDs: in.Body.ListIDs, Consent: in.Body.Consent.domain()})
	return reply(s, ctx, forCaller(ctx, contactBody), c, err)
}

func (s *Server) listContacts(ctx context.Context, in *PageInput) (*contactsOutput, error) {
	return s.contactsPage(ctx, nil, *in)
}

func (s *Server) getContact(ctx context.Context, in *contactPath) (*output[ContactBody], error) {
	c, err := s.contacts.GetContact(ctx, principal(ctx), in.ContactID)
	return reply(s, ctx, forCaller(ctx, contactBody), c, err)
}

func (s *Server) deleteContact(ctx context.Context, in *contactPath) (*struct{}, error) {
	return nil, s.problem(ctx, s.contacts.DeleteContact(ctx, principal(ctx), in.ContactID))
}

// contactsPage lists one page of the tenant's contacts, or of one list's
// when listID is set.
func (s *Server) contactsPage(ctx context.Context, listID *uuid.UUID, in PageInput) (*contactsOutput, error) {
	out := &contactsOutput{}
	list := func(limit int, after *uuid.UUID) ([]contacts.Contact, error) {
		return s.contacts.ListContacts(ctx, principal(ctx), listID, limit, after)
	}
	if err := listPage(s, ctx, in, list, func(c *contacts.Contact) uuid.UUID { return c.ID }, forCaller(ctx, contactBody), &out.Body.Items, &out.Body.NextCursor); err != nil {
		return nil, err
	}
	return out, nil
}
