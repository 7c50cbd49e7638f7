package campaigns_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

// world is a test database with one tenant and a campaigns service whose
// clock stands at noon on a Tuesday in Shanghai.
type world struct {
	t   *testing.T
	ctx context.Context
	db  *tenants.DB
	svc *campaigns.Service
	ten *tenants.Service
	p   tenants.Principal
	now atomic.Pointer[time.Time]
}

var tuesdayNoon = time.Date(2026, 11, 24, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	db, err := tenants.Open(ctx, dbtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	w := &world{t: t, ctx: ctx, db: db, ten: tenants.NewService(db)}
	w.setNow(tuesdayNoon)
	w.configure(func(*campaigns.Options) {})
	w.p = w.signup("Shop")
	return w
}

func (w *world) setNow(t time.Time) { w.now.Store(&t) }

// configure builds the world's campaigns service anew, on the world's
// database and clock, with the options change sets.
func (w *world) configure(change func(*campaigns.Options)) {
	o := campaigns.Options{DB: w.db, Now: func() time.Time { return *w.now.Load() }}
	change(&o)
	w.svc = campaigns.New(o)
}

var signups atomic.Int64

func (w *world) signup(name string) tenants.Principal {
	w.t.Helper()
	su, err := w.ten.Signup(w.ctx, tenants.SignupRequest{TenantName: name, Email: fmt.Sprintf("owner%d@%s.example", signups.Add(1), uuid.NewString()[:8]), Password: "a long password"})
	if err != nil {
		w.t.Fatal(err)
	}
	return tenants.Principal{TenantID: su.Tenant.ID, Role: tenants.RoleOwner}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// campaignOf makes a list with the given numbers and a started campaign
// dialling it.
func (w *world) campaignOf(p tenants.Principal, phones ...string) (*campaigns.Campaign, []*campaigns.Contact) {
	w.t.Helper()
	list := must[*campaigns.List](w.t)(w.svc.CreateList(w.ctx, p, "list", ""))
	var contacts []*campaigns.Contact
	for _, ph := range phones {
		contacts = append(contacts, must[*campaigns.Contact](w.t)(w.svc.UpsertContact(w.ctx, p, campaigns.ContactInput{Phone: ph, ListIDs: []uuid.UUID{list.ID}})))
	}
	c := must[*campaigns.Campaign](w.t)(w.svc.CreateCampaign(w.ctx, p, campaigns.CampaignInput{Name: "c", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1"}))
	c = must[*campaigns.Campaign](w.t)(w.svc.StartCampaign(w.ctx, p, c.ID))
	return c, contacts
}

// queue runs a pacing round and returns the dial jobs it queued.
func (w *world) queue(p tenants.Principal, c *campaigns.Campaign) []campaigns.DialArgs {
	w.t.Helper()
	if _, err := w.svc.Pace(w.ctx, p.TenantID, c.ID, 1000); err != nil {
		w.t.Fatal(err)
	}
	return w.queuedOf(p, c)
}

// queued returns the dial jobs waiting for the tenant's campaign c.
func (w *world) queued(c *campaigns.Campaign) []campaigns.DialArgs { return w.queuedOf(w.p, c) }

func (w *world) queuedOf(p tenants.Principal, c *campaigns.Campaign) []campaigns.DialArgs {
	w.t.Helper()
	var out []campaigns.DialArgs
	err := w.db.InTenant(w.ctx, p.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(w.ctx, `SELECT contact_id, attempt FROM campaign_contacts WHERE campaign_id = $1 AND state = 'queued' ORDER BY contact_id`, c.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a := campaigns.DialArgs{TenantID: p.TenantID, CampaignID: c.ID}
			rows.Scan(&a.ContactID, &a.Attempt)
			a.Attempt++
			out = append(out, a)
		}
		return rows.Err()
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}
