package campaigns_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

// Starting a campaign asks the script store (its own connections) whether
// the versions are published and runs the segmentation rules. With a pool
// of two connections, four campaigns starting at once must all start: the
// starts must not hold a connection while they wait for another.
func TestCampaignsStartingAtOnceOnASmallPoolDoNotWaitForEachOther(t *testing.T) {
	ctx := context.Background()
	db, err := tenants.Open(ctx, dbtest.New(t)+"&pool_max_conns=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if got := db.Pool().Config().MaxConns; got != 2 {
		t.Fatalf("pool of %d connections, want 2", got)
	}
	published := func(ctx context.Context, tenantID uuid.UUID) error {
		// What the script store does: a transaction of its own.
		return db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `SELECT pg_sleep(0.05)`)
			return err
		})
	}
	svc := campaigns.New(campaigns.Options{DB: db,
		ScriptPublished: func(ctx context.Context, tenantID uuid.UUID, _ string) error { return published(ctx, tenantID) },
		Segment: func(ctx context.Context, tenantID, _ uuid.UUID, _ int, contacts []campaigns.SegmentContact) ([]campaigns.SegmentResult, error) {
			if err := published(ctx, tenantID); err != nil {
				return nil, err
			}
			return make([]campaigns.SegmentResult, len(contacts)), nil
		}})
	_, p := dbtest.SignUp(ctx, t, db, "Shop")
	cs := contacts.New(contacts.Options{DB: db})
	list := must[*contacts.List](t)(cs.CreateList(ctx, p, "list", ""))
	must[*contacts.Contact](t)(cs.UpsertContact(ctx, p, contacts.ContactInput{Phone: "13812341234", ListIDs: []uuid.UUID{list.ID}}))
	var ids []uuid.UUID
	for i := range 4 {
		in := campaigns.CampaignInput{Name: "c", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1"}
		if i%2 == 1 {
			in.Segmentation = &campaigns.Segmentation{ScriptID: uuid.New(), Version: 1}
		}
		ids = append(ids, must[*campaigns.Campaign](t)(svc.CreateCampaign(ctx, p, in)).ID)
	}

	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		wg.Go(func() {
			c, err := svc.StartCampaign(tctx, p, id)
			if err == nil && c.Status != campaigns.StatusRunning {
				err = errors.New("status " + string(c.Status))
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("start %d of %d: %v", i+1, len(ids), err)
		}
	}
	for _, id := range ids {
		if n := must[*campaigns.Counts](t)(svc.CampaignCounts(ctx, p, id)).Contacts; n != 1 {
			t.Errorf("campaign %s enrolled %d contacts, want 1", id, n)
		}
	}
}

// A campaign started twice at once starts once: the second start is
// refused as a conflict and its contacts are enrolled once.
func TestACampaignStartedTwiceAtOnceStartsOnce(t *testing.T) {
	w := newWorld(t)
	gate := make(chan struct{})
	var arrived sync.WaitGroup
	arrived.Add(2)
	w.configure(func(o *campaigns.Options) {
		o.ScriptPublished = func(context.Context, uuid.UUID, string) error {
			arrived.Done()
			<-gate // both starts have checked the draft before either enrols
			return nil
		}
	})
	list := must[*contacts.List](t)(w.contacts.CreateList(w.ctx, w.p, "list", ""))
	must[*contacts.Contact](t)(w.contacts.UpsertContact(w.ctx, w.p, contacts.ContactInput{Phone: "13812341234", ListIDs: []uuid.UUID{list.ID}}))
	c := must[*campaigns.Campaign](t)(w.svc.CreateCampaign(w.ctx, w.p, campaigns.CampaignInput{Name: "c", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1"}))
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { _, errs[i] = w.svc.StartCampaign(w.ctx, w.p, c.ID) })
	}
	arrived.Wait()
	close(gate)
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case tenants.ErrorCode(err) == tenants.EConflict:
			conflicts++
		default:
			t.Fatalf("start: %v", err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Fatalf("%d starts succeeded and %d conflicted, want 1 and 1", ok, conflicts)
	}
	if n := must[*campaigns.Counts](t)(w.svc.CampaignCounts(w.ctx, w.p, c.ID)).Contacts; n != 1 {
		t.Fatalf("%d campaign contacts, want 1", n)
	}
}

// A start gate that says no keeps the campaign a draft, with the gate's
// reason for the caller.
func TestACampaignTheStartGateRefusesStaysADraft(t *testing.T) {
	w := newWorld(t)
	refused := tenants.Errorf(tenants.EForbidden, "verify your email address first")
	var asked []uuid.UUID
	w.configure(func(o *campaigns.Options) {
		o.StartGate = func(_ context.Context, tenantID uuid.UUID) error {
			asked = append(asked, tenantID)
			return refused
		}
	})
	list := must[*contacts.List](t)(w.contacts.CreateList(w.ctx, w.p, "list", ""))
	must[*contacts.Contact](t)(w.contacts.UpsertContact(w.ctx, w.p, contacts.ContactInput{Phone: "13812341234", ListIDs: []uuid.UUID{list.ID}}))
	c := must[*campaigns.Campaign](t)(w.svc.CreateCampaign(w.ctx, w.p, campaigns.CampaignInput{Name: "c", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1"}))
	if _, err := w.svc.StartCampaign(w.ctx, w.p, c.ID); !errors.Is(err, refused) {
		t.Fatalf("start: %v, want the gate's refusal", err)
	}
	if len(asked) != 1 || asked[0] != w.p.TenantID {
		t.Fatalf("the gate was asked for %v", asked)
	}
	if got := must[*campaigns.Campaign](t)(w.svc.GetCampaign(w.ctx, w.p, c.ID)); got.Status != campaigns.StatusDraft {
		t.Fatalf("a refused campaign is %s", got.Status)
	}
}
