package reports_test

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
	"github.com/outcall/outcall/reports"
	"github.com/outcall/outcall/tenants"
)

// world is a test database with one tenant, the contacts and campaigns
// services that make its call history, on one clock that stands at noon on
// a Tuesday in Shanghai, and the reports service that reads it.
type world struct {
	t         *testing.T
	ctx       context.Context
	db        *tenants.DB
	svc       *reports.Service
	campaigns *campaigns.Service
	contacts  *contacts.Service
	p         tenants.Principal
	now       atomic.Pointer[time.Time]
}

var tuesdayNoon = time.Date(2026, 11, 24, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	w := &world{t: t, ctx: ctx, db: db, svc: reports.New(reports.Options{DB: db})}
	w.setNow(tuesdayNoon)
	clock := func() time.Time { return *w.now.Load() }
	w.campaigns = campaigns.New(campaigns.Options{DB: db, Now: clock})
	w.contacts = contacts.New(contacts.Options{DB: db, Now: clock})
	w.p = w.signup("Shop")
	return w
}

func (w *world) setNow(t time.Time) { w.now.Store(&t) }

// signup signs up another tenant called name in the world's database and
// returns its owner.
func (w *world) signup(name string) tenants.Principal {
	w.t.Helper()
	_, owner := dbtest.SignUp(w.ctx, w.t, w.db, name)
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

// openRules lets every test call through: no quiet hours, no retry
// spacing, and the most calls per second the settings allow (these tests
// dial many calls at once).
func (w *world) openRules(p tenants.Principal) {
	w.t.Helper()
	rules := campaigns.DefaultCompliance()
	rules.QuietHours, rules.MinRetryInterval, rules.MaxDailyCalls, rules.CallsPerSecond = []string{}, 0, 100, 10000
	if _, err := w.campaigns.SetCompliance(w.ctx, p, rules); err != nil {
		w.t.Fatal(err)
	}
}

// campaignOf makes a list with the given numbers and a started campaign
// dialling it.
func (w *world) campaignOf(p tenants.Principal, phones ...string) *campaigns.Campaign {
	w.t.Helper()
	list := must[*contacts.List](w.t)(w.contacts.CreateList(w.ctx, p, "list", ""))
	for _, ph := range phones {
		must[*contacts.Contact](w.t)(w.contacts.UpsertContact(w.ctx, p, contacts.ContactInput{Phone: ph, ListIDs: []uuid.UUID{list.ID}}))
	}
	return w.start(p, campaigns.CampaignInput{Name: "c", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1"})
}

// start creates a campaign and starts it.
func (w *world) start(p tenants.Principal, in campaigns.CampaignInput) *campaigns.Campaign {
	w.t.Helper()
	c := must[*campaigns.Campaign](w.t)(w.campaigns.CreateCampaign(w.ctx, p, in))
	return must[*campaigns.Campaign](w.t)(w.campaigns.StartCampaign(w.ctx, p, c.ID))
}

// dialAll dials every due contact of c until none is due, closing each
// placed call with what result says: the call history a report counts.
func (w *world) dialAll(p tenants.Principal, c *campaigns.Campaign, result func(r campaigns.Placement) campaigns.Ending) {
	w.t.Helper()
	for {
		if _, err := w.campaigns.Pace(w.ctx, p.TenantID, c.ID, 1000); err != nil {
			w.t.Fatal(err)
		}
		var due []campaigns.DialArgs
		err := w.db.InTenant(w.ctx, p.TenantID, func(tx pgx.Tx) error {
			rows, err := tx.Query(w.ctx, `SELECT contact_id, attempt + 1 FROM campaign_contacts WHERE campaign_id = $1 AND state = 'queued' ORDER BY contact_id`, c.ID)
			if err != nil {
				return err
			}
			due, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (campaigns.DialArgs, error) {
				a := campaigns.DialArgs{TenantID: p.TenantID, CampaignID: c.ID}
				return a, row.Scan(&a.ContactID, &a.Attempt)
			})
			return err
		})
		if err != nil {
			w.t.Fatal(err)
		}
		if len(due) == 0 {
			return
		}
		for _, a := range due {
			d, err := w.campaigns.BeginDial(w.ctx, a)
			if err != nil {
				w.t.Fatal(err)
			}
			if !d.Place {
				continue
			}
			if _, err := w.campaigns.CloseCall(w.ctx, p.TenantID, d.Request.CallID, result(d.Request)); err != nil {
				w.t.Fatal(err)
			}
		}
	}
}
