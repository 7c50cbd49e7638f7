package contacts_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/contacts"
)

func TestDeletingAListOrAContactRemovesItsMemberships(t *testing.T) {
	w := newWorld(t)
	list := must[*contacts.List](t)(w.svc.CreateList(w.ctx, w.p, "list", ""))
	var people []*contacts.Contact
	for _, ph := range []string{"13812341234", "13812345678"} {
		people = append(people, must[*contacts.Contact](t)(w.svc.UpsertContact(w.ctx, w.p, contacts.ContactInput{Phone: ph, ListIDs: []uuid.UUID{list.ID}})))
	}
	lists, err := w.svc.ListLists(w.ctx, w.p, 10, nil)
	if err != nil || len(lists) != 1 || lists[0].Contacts != 2 {
		t.Fatalf("lists %+v %v", lists, err)
	}
	if err := w.svc.DeleteContact(w.ctx, w.p, people[0].ID); err != nil {
		t.Fatal(err)
	}
	if l, _ := w.svc.GetList(w.ctx, w.p, lists[0].ID); l.Contacts != 1 {
		t.Fatalf("after deleting a contact the list has %d", l.Contacts)
	}
	if err := w.svc.DeleteList(w.ctx, w.p, lists[0].ID); err != nil {
		t.Fatal(err)
	}
	var left int
	w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(w.ctx, `SELECT count(*) FROM list_contacts`).Scan(&left)
	})
	if left != 0 {
		t.Fatalf("%d memberships left after deleting the list", left)
	}
}
