package campaigns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/outcall/outcall/campaigns/batch"
	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/reports"
)

// Dial checks run in groups. Every dial's compliance check still runs in
// the transaction that records its attempt, but the dials of one tenant
// that arrive while a group is being checked wait and are checked together
// in the next transaction: one set of statements for the whole group
// instead of one per dial. The group locks its contacts in (campaign,
// contact) order and its numbers in phone order, so two groups (in this
// process or another) racing on a number take turns without deadlocking,
// and within a group the dials are judged one after the other, each seeing
// the dials before it counted: two dials of one number in one group cannot
// both pass the daily cap either.

// maxDialGroup caps the dials checked in one transaction.
const maxDialGroup = 100

// groupTimeout bounds one group's transaction.
const groupTimeout = time.Minute

// groups are the service's batchers, each grouping its requests by tenant.
// A group's work shares one transaction; if that fails, each request is done
// on its own, so one request's error stays its own.
type groups struct {
	dials  *batch.Batcher[uuid.UUID, *dialItem]
	closes *batch.Batcher[uuid.UUID, *closeItem]
	marks  *batch.Batcher[uuid.UUID, *markItem]
}

// group returns the service's batchers, made on first use.
func (s *Service) group() *groups {
	s.groupsOnce.Do(func() {
		s.groups = &groups{
			dials: batch.New(batch.Options[uuid.UUID, *dialItem]{
				Max: maxDialGroup, Timeout: groupTimeout,
				Together: inTx(s, s.beginDials),
				Alone:    func(ctx context.Context, _ uuid.UUID, it *dialItem) { it.d, it.err = s.beginDial(ctx, it.a) },
			}),
			closes: batch.New(batch.Options[uuid.UUID, *closeItem]{
				Max: maxCloseGroup, Timeout: groupTimeout,
				Together: inTx(s, s.closeCalls),
				Alone: func(ctx context.Context, tenantID uuid.UUID, it *closeItem) {
					it.c, it.err = s.closeCall(ctx, tenantID, it.callID, it.res)
				},
			}),
			marks: batch.New(batch.Options[uuid.UUID, *markItem]{
				Max: maxCloseGroup, Timeout: groupTimeout,
				// A group's marks are one statement and share its error;
				// they are not retried one by one.
				Together: func(ctx context.Context, tenantID uuid.UUID, items []*markItem) error {
					s.markAnswered(ctx, tenantID, items)
					return nil
				},
				Alone: func(ctx context.Context, tenantID uuid.UUID, it *markItem) {
					s.markAnswered(ctx, tenantID, []*markItem{it})
				},
			}),
		}
	})
	return s.groups
}

// inTx returns a group's work that runs do in one transaction.
func inTx[T any](s *Service, do func(context.Context, pgx.Tx, uuid.UUID, []T) error) func(context.Context, uuid.UUID, []T) error {
	return func(ctx context.Context, tenantID uuid.UUID, items []T) error {
		return pgx.BeginFunc(ctx, s.db.Pool(), func(tx pgx.Tx) error { return do(ctx, tx, tenantID, items) })
	}
}

// dialItem is one dial waiting for its group's check.
type dialItem struct {
	a   DialArgs
	d   *Dial
	err error
}

// BeginDial runs the compliance check for one dial job and records its
// result, in one transaction: the number's row in dial_numbers is locked
// first, so two workers racing to dial one number (from any campaigns)
// take turns and cannot both pass the daily cap. An allowed dial leases a
// line, counts the dial for the callee's day and records the attempt as
// dialling; a refused one is recorded with its reason and the contact is
// rescheduled for the next allowed moment, or dropped. Dials of one tenant
// that arrive together share the transaction (see the note on dial
// groups); ErrNoFreeLine says this dial found no line and nothing of it
// was recorded. If ctx ends while the dial waits for its group, nothing of
// it is checked or recorded and ctx's error is returned.
func (s *Service) BeginDial(ctx context.Context, a DialArgs) (*Dial, error) {
	it := &dialItem{a: a}
	if err := s.group().dials.Do(ctx, a.TenantID, it); err != nil {
		return nil, err
	}
	if d := it.d; d != nil && d.Place {
		// The call's marks are recorded whatever becomes of the job's
		// context meanwhile (a draining worker's call goes on).
		mctx := context.WithoutCancel(ctx)
		tenantID, callID := d.Request.TenantID, d.Request.CallID
		d.Request.Answered = func(at time.Time) error {
			actx, cancel := context.WithTimeout(mctx, answerMarkTimeout)
			defer cancel()
			return s.MarkAnswered(actx, tenantID, callID, at)
		}
		d.Request.Transferring = func(t Transferring) error {
			tctx, cancel := context.WithTimeout(mctx, transferMarkTimeout)
			defer cancel()
			return s.MarkTransferring(tctx, tenantID, t)
		}
	}
	return it.d, it.err
}

// answerMarkTimeout bounds how long an answered mark waits for the
// database; the call goes on meanwhile, and its close records what the
// mark could not.
const answerMarkTimeout = time.Minute

// transferMarkTimeout bounds how long a transfer waits for its start to be
// recorded.
const transferMarkTimeout = 2 * time.Second

// dialContact is what the check reads of one contact of a group.
type dialContact struct {
	tid                                                                     pgtype.TID
	ccState, phone, zone, segment, status, plan, contactName, scriptVersion string
	attempt                                                                 int
	override, settings                                                      []byte
	startsAt, endsAt                                                        *time.Time
	suspended, dnc, consent                                                 bool
	segVersions                                                             map[string]string
	abSplit                                                                 []ABArm
	attrs                                                                   map[string]any
}

// dialNumber is a number's dial counter, as the group moves it.
type dialNumber struct {
	lastDial, day *time.Time
	count         int
	dialled       bool
}

type contactKey struct{ campaign, contact uuid.UUID }

// beginDials checks and records items in tx, in order: each dial is
// judged after the ones before it, so two dials of one number in a group
// cannot both pass the daily cap.
func (s *Service) beginDials(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, items []*dialItem) error {
	now := s.now()
	// The contacts are read and locked in (campaign, contact) order, each
	// by its primary key.
	keys := make([]contactKey, 0, len(items))
	for _, it := range items {
		it.d, it.err = nil, nil
		keys = append(keys, contactKey{it.a.CampaignID, it.a.ContactID})
	}
	slices.SortFunc(keys, func(x, y contactKey) int {
		if c := bytes.Compare(x.campaign[:], y.campaign[:]); c != 0 {
			return c
		}
		return bytes.Compare(x.contact[:], y.contact[:])
	})
	keys = slices.Compact(keys)
	campaignIDs, contactIDs := make([]uuid.UUID, len(keys)), make([]uuid.UUID, len(keys))
	for i, k := range keys {
		campaignIDs[i], contactIDs[i] = k.campaign, k.contact
	}
	contacts := map[contactKey]*dialContact{}
	numbers := map[string]*dialNumber{}
	var free []int

	// With the contacts comes the list of countries the tenant's plan lets
	// it dial (none: any), the same on every row: read afresh by every
	// group, with no statement of its own, so an operator's change to the
	// plan holds from the next group on.
	var destinations []string
	b := tenantBatch(tenantID)
	b.Queue(`SELECT k.campaign_id, k.contact_id, f.*,
			coalesce((SELECT p.destinations FROM tenants t JOIN plans p ON p.id = t.plan WHERE t.id = $1), '{}')
		FROM unnest($2::uuid[], $3::uuid[]) AS k(campaign_id, contact_id)
		CROSS JOIN LATERAL (
			SELECT cc.ctid, `+dialContactFrom+` AND cc.campaign_id = k.campaign_id AND cc.contact_id = k.contact_id
			FOR UPDATE OF cc) f`, tenantID, campaignIDs, contactIDs).Query(func(rows pgx.Rows) error {
		var k contactKey
		var c dialContact
		_, err := pgx.ForEachRow(rows, []any{&k.campaign, &k.contact, &c.tid, &c.ccState, &c.attempt, &c.phone, &c.zone, &c.segment, &c.status, &c.override,
			&c.startsAt, &c.endsAt, &c.scriptVersion, &c.segVersions, &c.abSplit, &c.suspended, &c.plan, &c.settings,
			&c.dnc, &c.consent, &c.contactName, &c.attrs, &destinations}, func() error {
			// A copy is the row's own: each scan replaces c's maps, slices
			// and times rather than writing into the previous row's.
			row := c
			contacts[k] = &row
			return nil
		})
		return err
	})
	// The free lines the group may lease, lowest first as a single dial
	// takes them; those left unused are unlocked at commit.
	b.Queue(`SELECT slot FROM lines WHERE tenant_id = $1 AND call_id IS NULL ORDER BY slot LIMIT $2 FOR UPDATE SKIP LOCKED`,
		tenantID, len(items)).Query(func(rows pgx.Rows) (err error) {
		free, err = pgx.CollectRows(rows, pgx.RowTo[int])
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	// Lock the numbers, in phone order: racing dials of them wait here
	// until this commits.
	phones := make([]string, 0, len(contacts))
	for _, c := range contacts {
		phones = append(phones, c.phone)
	}
	slices.Sort(phones)
	phones = slices.Compact(phones)
	if len(phones) > 0 {
		rows, err := tx.Query(ctx, `INSERT INTO dial_numbers (tenant_id, phone) SELECT $1, p FROM unnest($2::text[]) AS p
			ON CONFLICT (tenant_id, phone) DO UPDATE SET phone = EXCLUDED.phone
			RETURNING phone, last_dial_at, day, day_count`, tenantID, phones)
		if err != nil {
			return err
		}
		var phone string
		var n dialNumber
		if _, err := pgx.ForEachRow(rows, []any{&phone, &n.lastDial, &n.day, &n.count}, func() error {
			row := n // each scan gives lastDial and day new times, so the copy keeps its own
			numbers[phone] = &row
			return nil
		}); err != nil {
			return err
		}
	}

	var w dialWrites
	rules := map[uuid.UUID]Compliance{}
	seen := map[contactKey]bool{}
	for _, it := range items {
		a := it.a
		k := contactKey{a.CampaignID, a.ContactID}
		c := contacts[k]
		if c == nil || seen[k] {
			it.d = &Dial{} // the contact or campaign is gone, or this dial came twice
			continue
		}
		seen[k] = true
		if c.attempt >= a.Attempt {
			// This attempt was recorded by an earlier run of the job: if that
			// run died mid-call, close the attempt rather than dial again.
			if err := s.closeInterrupted(ctx, tx, a, now); err != nil {
				return err
			}
			it.d = &Dial{}
			continue
		}
		if c.ccState != "queued" || c.attempt+1 != a.Attempt {
			it.d = &Dial{} // superseded
			continue
		}
		if Status(c.status) != StatusRunning {
			// Paused or ended: give the contact back; no attempt is used.
			w.contact(c.tid, "pending", c.attempt, nil, nil)
			it.d = &Dial{}
			continue
		}
		eff, ok := rules[a.CampaignID]
		if !ok {
			eff = effectiveCompliance(c.settings, c.override)
			rules[a.CampaignID] = eff
		}
		loc := location(c.zone)
		n := numbers[c.phone]
		if n == nil {
			return errors.New("dial group: a number was not locked")
		}
		f := DialFacts{Now: now, Location: loc, DNC: c.dnc, Consent: c.consent, Suspended: c.suspended, DayCount: n.count, Blocked: phone.Blocked(c.phone),
			Destinations: destinations}
		if len(destinations) > 0 {
			f.Region = phone.Region(c.phone)
		}
		if n.lastDial != nil {
			f.LastDialAt = *n.lastDial
		}
		if n.day != nil {
			f.CountDay = *n.day
		}
		if c.startsAt != nil {
			f.StartsAt = *c.startsAt
		}
		if c.endsAt != nil {
			f.EndsAt = *c.endsAt
		}
		callID := uuid.Must(uuid.NewV7())
		if r := CheckDial(eff, f); r != nil {
			w.refusal(a, c.tid, callID, c.phone, r)
			it.d = &Dial{Refusal: r}
			continue
		}
		lines := eff.MaxConcurrentLines
		if s.opts.PlanLines != nil {
			if n := s.opts.PlanLines(c.plan); n > 0 {
				lines = min(lines, n)
			}
		}
		// Without a free line nothing of this dial is recorded (the gate is
		// not asked either, as its writes would stay).
		line := -1
		for i, slot := range free {
			if slot < lines {
				line = i
				break
			}
		}
		if line < 0 {
			it.err = ErrNoFreeLine
			continue
		}
		if s.opts.DialGate != nil {
			r, err := s.opts.DialGate(ctx, tx, tenantID, now)
			if err != nil {
				return err
			}
			if r != nil {
				w.refusal(a, c.tid, callID, c.phone, r)
				it.d = &Dial{Refusal: r}
				continue
			}
		}
		slot := free[line]
		free = append(free[:line], free[line+1:]...)

		cp := &Campaign{ScriptVersion: c.scriptVersion, SegmentVersions: c.segVersions, ABSplit: c.abSplit}
		version := scriptVersionFor(cp, a.ContactID, c.segment)
		today := now.In(loc)
		today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
		if n.day != nil && n.day.Equal(today) {
			n.count++
		} else {
			n.count = 1
		}
		n.lastDial, n.day, n.dialled = &now, &today, true
		w.leases = append(w.leases, slot)
		w.leaseCalls = append(w.leaseCalls, callID)
		w.call(a, callID, c.phone, "dialling", version, c.segment, nil, nil)
		w.contact(c.tid, "dialling", a.Attempt, nil, nil)
		it.d = &Dial{Place: true, Request: Placement{
			CallID: callID, TenantID: a.TenantID, CampaignID: a.CampaignID, ContactID: a.ContactID, Attempt: a.Attempt,
			Phone: c.phone, TimeZone: c.zone, ContactName: c.contactName, Attributes: c.attrs, ScriptVersion: version,
			Segment: c.segment, SensitiveWords: eff.SensitiveWords, AIDisclosure: eff.AIDisclosure,
		}}
	}
	for phone, n := range numbers {
		if n.dialled {
			w.phones = append(w.phones, phone)
			w.lastDials = append(w.lastDials, *n.lastDial)
			w.days = append(w.days, *n.day)
			w.counts = append(w.counts, n.count)
		}
	}
	return w.send(ctx, tx, tenantID, now)
}

// dialWrites collects a group's writes, column by column. An update finds
// its rows by their keys with = ANY, which an index answers whatever the
// table's statistics say (a join of the new values to the table may be
// planned as a scan of the whole table); rows of a single-column key take
// their new values by their key's place in the array, the others from a
// join to the group's rows.
type dialWrites struct {
	leases     []int
	leaseCalls []uuid.UUID

	callIDs, callCampaigns, callContacts []uuid.UUID
	callAttempts                         []int
	callPhones, callStates               []string
	callVersions, callSegments           []string
	callReasons                          []*string
	callNextAt                           []*time.Time
	refused                              []uuid.UUID

	// ccRows are the contacts' rows, which the group holds locked.
	ccRows     []pgtype.TID
	ccStates   []string
	ccAttempts []int
	ccNextAt   []*time.Time
	ccReasons  []*string

	phones    []string
	lastDials []time.Time
	days      []time.Time
	counts    []int
}

func (w *dialWrites) call(a DialArgs, id uuid.UUID, phone, state, version, segment string, reason *string, next *time.Time) {
	w.callIDs = append(w.callIDs, id)
	w.callCampaigns = append(w.callCampaigns, a.CampaignID)
	w.callContacts = append(w.callContacts, a.ContactID)
	w.callAttempts = append(w.callAttempts, a.Attempt)
	w.callPhones = append(w.callPhones, phone)
	w.callStates = append(w.callStates, state)
	w.callVersions = append(w.callVersions, version)
	w.callSegments = append(w.callSegments, segment)
	w.callReasons = append(w.callReasons, reason)
	w.callNextAt = append(w.callNextAt, next)
}

func (w *dialWrites) contact(tid pgtype.TID, state string, attempt int, next *time.Time, reason *string) {
	w.ccRows = append(w.ccRows, tid)
	w.ccStates = append(w.ccStates, state)
	w.ccAttempts = append(w.ccAttempts, attempt)
	w.ccNextAt = append(w.ccNextAt, next)
	w.ccReasons = append(w.ccReasons, reason)
}

// refusal records a refused dial: the call as refused, and the contact
// dropped, or pending until the refusal's retry time.
func (w *dialWrites) refusal(a DialArgs, tid pgtype.TID, callID uuid.UUID, phone string, r *Refusal) {
	state := "dropped"
	var next *time.Time
	if !r.RetryAt.IsZero() {
		state = "pending"
		at := r.RetryAt
		next = &at
	}
	reason := r.Reason
	w.call(a, callID, phone, "refused", "", "", &reason, next)
	w.contact(tid, state, a.Attempt, next, &reason)
	w.refused = append(w.refused, callID)
}

func (w *dialWrites) send(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, now time.Time) error {
	b := &pgx.Batch{}
	if len(w.leases) > 0 {
		b.Queue(`UPDATE lines l SET call_id = ($3::uuid[])[array_position($2::int[], l.slot)], leased_at = now()
			WHERE l.tenant_id = $1 AND l.slot = ANY($2)`, tenantID, w.leases, w.leaseCalls)
	}
	if len(w.callIDs) > 0 {
		b.Queue(`INSERT INTO calls (id, tenant_id, campaign_id, contact_id, attempt, phone, state, script_version, segment, reason, next_at, created_at)
			SELECT u.id, $1, u.campaign_id, u.contact_id, u.attempt, u.phone, u.state, u.version, u.segment, u.reason, u.next_at, $2
			FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::int[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[])
				AS u(id, campaign_id, contact_id, attempt, phone, state, version, segment, reason, next_at)`,
			tenantID, now, w.callIDs, w.callCampaigns, w.callContacts, w.callAttempts, w.callPhones, w.callStates,
			w.callVersions, w.callSegments, w.callReasons, w.callNextAt)
	}
	if len(w.ccRows) > 0 {
		b.Queue(`UPDATE campaign_contacts cc SET state = u.state, attempt = u.attempt, next_at = coalesce(u.next_at, cc.next_at),
				last_reason = coalesce(u.reason, cc.last_reason)
			FROM unnest($2::tid[], $3::text[], $4::int[], $5::timestamptz[], $6::text[]) AS u(row, state, attempt, next_at, reason)
			WHERE cc.tenant_id = $1 AND cc.ctid = ANY($2) AND cc.ctid = u.row`,
			tenantID, w.ccRows, w.ccStates, w.ccAttempts, w.ccNextAt, w.ccReasons).Exec(func(ct pgconn.CommandTag) error {
			return checkRows(ct, len(w.ccRows))
		})
	}
	if len(w.phones) > 0 {
		b.Queue(`UPDATE dial_numbers d SET last_dial_at = ($3::timestamptz[])[array_position($2::text[], d.phone)],
				day = ($4::date[])[array_position($2::text[], d.phone)], day_count = ($5::int[])[array_position($2::text[], d.phone)]
			WHERE d.tenant_id = $1 AND d.phone = ANY($2)`, tenantID, w.phones, w.lastDials, w.days, w.counts)
	}
	if len(w.refused) > 0 {
		reports.QueueRollUp(b, tenantID, w.refused)
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// effectiveCompliance is a campaign's rules: the tenant's settings (the
// defaults where they cannot be read) tightened by the campaign's override.
func effectiveCompliance(settings, override []byte) Compliance {
	base, err := ParseTenantCompliance(settings)
	if err != nil {
		base = DefaultCompliance()
	}
	var ov Compliance
	json.Unmarshal(override, &ov)
	eff, err := base.Tighten(ov, "compliance")
	if err != nil {
		eff = base
	}
	return eff
}

var locations sync.Map // time zone name → *time.Location

// location returns the named time zone (UTC if unknown), loaded once.
func location(zone string) *time.Location {
	if l, ok := locations.Load(zone); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(zone)
	if err != nil {
		l = time.UTC
	}
	locations.Store(zone, l)
	return l
}

// errRowMoved fails a group whose locked row was not where it was read;
// its dials are then checked one by one.
var errRowMoved = errors.New("dial group: a locked row was not found where it was read")

func checkRows(ct pgconn.CommandTag, want int) error {
	if ct.RowsAffected() != int64(want) {
		return errRowMoved
	}
	return nil
}
