package campaigns_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

// world is a test database with one tenant, and a campaigns and a contacts
// service whose one clock stands at noon on a Tuesday in Shanghai.
type world struct {
	t        *testing.T
	ctx      context.Context
	db       *tenants.DB
	svc      *campaigns.Service
	contacts *contacts.Service
	p        tenants.Principal
	now      atomic.Pointer[time.Time]
}

var tuesdayNoon = time.Date(2026, 11, 24, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	w := &world{t: t, ctx: ctx, db: db}
	w.setNow(tuesdayNoon)
	w.contacts = contacts.New(contacts.Options{DB: db, Now: w.clock})
	w.configure(func(*campaigns.Options) {})
	w.p = w.signup("Shop")
	return w
}

// unpaced lifts a tenant's calls per second to the most its settings
// allow, so tests about other things run many pacing rounds at once
// without waiting for the pace (which is tested on its own).
func unpaced(c campaigns.Compliance) campaigns.Compliance {
	c.CallsPerSecond = 10000
	return c
}

func (w *world) setNow(t time.Time) { w.now.Store(&t) }

// clock is the world's clock, which both services read.
func (w *world) clock() time.Time { return *w.now.Load() }

// configure builds the world's campaigns service anew, on the world's
// database and clock, with the options change sets.
func (w *world) configure(change func(*campaigns.Options)) {
	o := campaigns.Options{DB: w.db, Now: w.clock}
	change(&o)
	w.svc = campaigns.New(o)
}

// signup signs up another tenant called name in the world's database and
// returns its owner.
func (w *world) signup(name string) tenants.Principal {
	w.t.Helper()
	_, owner := dbtest.SignUp(w.ctx, w.t, w.db, name)
	if _, err := w.svc.SetCompliance(w.ctx, owner, unpaced(campaigns.DefaultCompliance())); err != nil {
		w.t.Fatal(err)
	}
	return owner
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
func (w *world) campaignOf(p tenants.Principal, phones ...string) (*campaigns.Campaign, []*contacts.Contact) {
	w.t.Helper()
	list := must[*contacts.List](w.t)(w.contacts.CreateList(w.ctx, p, "list", ""))
	var people []*contacts.Contact
	for _, ph := range phones {
		people = append(people, must[*contacts.Contact](w.t)(w.contacts.UpsertContact(w.ctx, p, contacts.ContactInput{Phone: ph, ListIDs: []uuid.UUID{list.ID}})))
	}
	c := must[*campaigns.Campaign](w.t)(w.svc.CreateCampaign(w.ctx, p, campaigns.CampaignInput{Name: "c", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1"}))
	c = must[*campaigns.Campaign](w.t)(w.svc.StartCampaign(w.ctx, p, c.ID))
	return c, people
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

// openRules lets every test call through: no quiet hours, no retry spacing.
func (w *world) openRules(p tenants.Principal) {
	w.t.Helper()
	rules := unpaced(campaigns.DefaultCompliance())
	rules.QuietHours, rules.MinRetryInterval, rules.MaxDailyCalls = []string{}, 0, 100
	if _, err := w.svc.SetCompliance(w.ctx, p, rules); err != nil {
		w.t.Fatal(err)
	}
}

// dialAll dials every due contact of c until none is due, closing each
// placed call with what result says.
func (w *world) dialAll(p tenants.Principal, c *campaigns.Campaign, result func(r campaigns.Placement) campaigns.Ending) {
	w.t.Helper()
	for {
		due := w.queue(p, c)
		if len(due) == 0 {
			return
		}
		for _, a := range due {
			d, err := w.svc.BeginDial(w.ctx, a)
			if err != nil {
				w.t.Fatal(err)
			}
			if !d.Place {
				continue
			}
			if _, err := w.svc.CloseCall(w.ctx, p.TenantID, d.Request.CallID, result(d.Request)); err != nil {
				w.t.Fatal(err)
			}
		}
	}
}
