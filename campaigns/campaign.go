package campaigns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// Status is where a campaign is in its life:
//
//	draft → scheduled → running ⇄ paused → completed
//	                                     ↘ cancelled (from any but completed)
type Status string

const (
	StatusDraft     Status = "draft"
	StatusScheduled Status = "scheduled"
	StatusRunning   Status = "running"
	StatusPaused    Status = "paused"
	StatusCompleted Status = "completed"
	StatusCancelled Status = "cancelled"
)

// RetryRule says how often and how many times to retry an outcome.
type RetryRule struct {
	After Duration `json:"after"`
	Times int      `json:"times"`
}

// RetryPolicy maps busy, no_answer, unreachable, failed (and voicemail) to
// their retry rule. invalid_number is never retried.
type RetryPolicy map[telephony.Outcome]RetryRule

// DefaultRetryPolicy: busy 10 min × 3, no_answer 2 h × 2, unreachable (a
// phone switched off, out of coverage) 4 h × 2, failed 5 min × 1.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		telephony.OutcomeBusy:        {After: Duration(10 * time.Minute), Times: 3},
		telephony.OutcomeNoAnswer:    {After: Duration(2 * time.Hour), Times: 2},
		telephony.OutcomeUnreachable: {After: Duration(4 * time.Hour), Times: 2},
		telephony.OutcomeFailed:      {After: Duration(5 * time.Minute), Times: 1},
	}
}

// ABArm is one script version of an A/B split and its share.
type ABArm struct {
	Version string `json:"version"`
	Weight  int    `json:"weight"`
}

// Campaign is a run of calls to the contacts of some lists.
type Campaign struct {
	ID              uuid.UUID
	Name            string
	Status          Status
	ListIDs         []uuid.UUID
	ScriptVersion   string
	SegmentVersions map[string]string
	ABSplit         []ABArm
	// BestTime orders the due contacts by the predicted answer rate of
	// their local hour (see Pace).
	BestTime    bool
	Compliance  Compliance // the campaign's override; zero fields follow the tenant
	RetryPolicy RetryPolicy
	StartsAt    *time.Time
	EndsAt      *time.Time
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
	// Segmentation, when set, sorts the contacts into segments at start.
	Segmentation *Segmentation
	// SegmentErrors counts contacts whose segmentation rule failed at
	// start (they are not dialled); SegmentErrorSample shows the first few.
	SegmentErrors      int
	SegmentErrorSample []SegmentError
	// FollowUps are the messages the campaign sends a contact after its
	// calls (see FollowUp).
	FollowUps []FollowUp
}

// CampaignInput is what a caller gives to create or change a draft.
type CampaignInput struct {
	Name            string
	ListIDs         []uuid.UUID
	ScriptVersion   string
	SegmentVersions map[string]string
	ABSplit         []ABArm
	BestTime        bool
	Compliance      Compliance
	RetryPolicy     RetryPolicy
	StartsAt        *time.Time
	EndsAt          *time.Time
	Segmentation    *Segmentation
	FollowUps       []FollowUp
}

func (in *CampaignInput) validate(base Compliance) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		return FieldError("body.name", "give the campaign a name of 1 to 200 characters")
	}
	if _, err := base.Tighten(in.Compliance, "body.compliance"); err != nil {
		return err
	}
	for o, r := range in.RetryPolicy {
		switch o {
		case telephony.OutcomeBusy, telephony.OutcomeNoAnswer, telephony.OutcomeUnreachable, telephony.OutcomeFailed, telephony.OutcomeVoicemail:
		default:
			return FieldError("body.retry_policy", "%q cannot be retried (use busy, no_answer, unreachable, failed, voicemail)", o)
		}
		if r.Times < 0 || r.Times > 10 || r.After < Duration(time.Minute) && r.Times > 0 {
			return FieldError("body.retry_policy."+string(o), "retry 0 to 10 times, at least a minute apart")
		}
	}
	total := 0
	for i, a := range in.ABSplit {
		if a.Version == "" || a.Weight <= 0 {
			return FieldError(fmt.Sprintf("body.ab_split[%d]", i), "each arm needs a script version and a positive weight")
		}
		total += a.Weight
	}
	if in.StartsAt != nil && in.EndsAt != nil && !in.EndsAt.After(*in.StartsAt) {
		return FieldError("body.ends_at", "must be after starts_at")
	}
	if err := validateFollowUps(in.FollowUps); err != nil {
		return err
	}
	return in.Segmentation.validate()
}

// firstListOf picks, for contact c, the first of the campaign's lists ($3)
// that holds it: the list its calls are reported under.
const firstListOf = `(SELECT lc.list_id FROM list_contacts lc WHERE lc.contact_id = c.id AND lc.list_id = ANY($3)
	ORDER BY array_position($3, lc.list_id) LIMIT 1)`

const campaignColumns = `id, name, status, list_ids, script_version, segment_versions, ab_split, compliance, retry_policy,
	starts_at, ends_at, created_at, started_at, finished_at,
	segment_script_id, segment_script_version, segment_filter, segment_errors, segment_error_sample, best_time, follow_ups`

func scanCampaign(row pgx.Row) (*Campaign, error) {
	var c Campaign
	var comp, retry []byte
	var segScript *uuid.UUID
	var segVersion *int
	var segFilter []string
	err := row.Scan(&c.ID, &c.Name, &c.Status, &c.ListIDs, &c.ScriptVersion, &c.SegmentVersions, &c.ABSplit, &comp, &retry,
		&c.StartsAt, &c.EndsAt, &c.CreatedAt, &c.StartedAt, &c.FinishedAt,
		&segScript, &segVersion, &segFilter, &c.SegmentErrors, &c.SegmentErrorSample, &c.BestTime, &c.FollowUps)
	if err != nil {
		return nil, err
	}
	if segScript != nil && segVersion != nil {
		c.Segmentation = &Segmentation{ScriptID: *segScript, Version: *segVersion, Filter: segFilter}
	}
	json.Unmarshal(comp, &c.Compliance)
	c.RetryPolicy = DefaultRetryPolicy()
	json.Unmarshal(retry, &c.RetryPolicy)
	return &c, nil
}

// CreateCampaign makes a draft.
func (s *Service) CreateCampaign(ctx context.Context, p tenants.Principal, in CampaignInput) (*Campaign, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return nil, err
	}
	var c *Campaign
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		base, err := tenantCompliance(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := in.validate(base); err != nil {
			return err
		}
		if err := checkLists(ctx, tx, p.TenantID, in.ListIDs); err != nil {
			return err
		}
		comp, _ := json.Marshal(in.Compliance)
		retry := DefaultRetryPolicy()
		for o, r := range in.RetryPolicy {
			retry[o] = r
		}
		rj, _ := json.Marshal(retry)
		var segScript *uuid.UUID
		var segVersion *int
		segFilter := []string{}
		if sg := in.Segmentation; sg != nil {
			segScript, segVersion = &sg.ScriptID, &sg.Version
			if sg.Filter != nil {
				segFilter = sg.Filter
			}
		}
		c, err = scanCampaign(tx.QueryRow(ctx, `INSERT INTO campaigns (id, tenant_id, name, status, list_ids, script_version, segment_versions,
				ab_split, compliance, retry_policy, starts_at, ends_at, segment_script_id, segment_script_version, segment_filter, best_time, follow_ups)
			VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING `+campaignColumns,
			uuid.Must(uuid.NewV7()), p.TenantID, in.Name, orNoIDs(in.ListIDs), in.ScriptVersion, orNoMap(in.SegmentVersions), orNoArms(in.ABSplit),
			comp, rj, in.StartsAt, in.EndsAt, segScript, segVersion, segFilter, in.BestTime, orNoFollowUps(in.FollowUps)))
		return err
	})
	return c, err
}

func orNoIDs(v []uuid.UUID) []uuid.UUID {
	if v == nil {
		return []uuid.UUID{}
	}
	return v
}

func orNoMap(v map[string]string) map[string]string {
	if v == nil {
		return map[string]string{}
	}
	return v
}

func orNoArms(v []ABArm) []ABArm {
	if v == nil {
		return []ABArm{}
	}
	return v
}

func checkLists(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, ids []uuid.UUID) error {
	for i, id := range ids {
		ok, err := contacts.ListExists(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if !ok {
			return FieldError(fmt.Sprintf("body.list_ids[%d]", i), "no such list")
		}
	}
	return nil
}

// GetCampaign returns one campaign.
func (s *Service) GetCampaign(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Campaign, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	var c *Campaign
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		c, err = getCampaign(ctx, tx, p.TenantID, id, false)
		return err
	})
	return c, err
}

func getCampaign(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID, lock bool) (*Campaign, error) {
	q := `SELECT ` + campaignColumns + ` FROM campaigns WHERE tenant_id = $1 AND id = $2`
	if lock {
		q += ` FOR UPDATE`
	}
	c, err := scanCampaign(tx.QueryRow(ctx, q, tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("campaign")
	}
	return c, err
}

// ListCampaigns returns the tenant's campaigns, oldest first.
func (s *Service) ListCampaigns(ctx context.Context, p tenants.Principal, limit int, after *uuid.UUID) ([]Campaign, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	return tenants.QueryAll(ctx, s.db, p.TenantID, scanCampaign, `SELECT `+campaignColumns+` FROM campaigns WHERE tenant_id = $1 AND `+
		tenants.PageAfter("campaigns")+` ORDER BY created_at, id LIMIT $3`, p.TenantID, after, limit)
}

// StartCampaign takes a draft's contacts from its lists and sets it going:
// running now, or scheduled when it starts later. A campaign without
// contacts or without a script version is refused and stays a draft.
//
// The script checks (ScriptPublished) and the segmentation rules (Segment)
// use connections of their own, so they run before the transaction that
// enrols the contacts: a transaction that waits for a second connection
// can deadlock with others doing the same once the pool is used up, and
// then every request that needs a connection waits too. That transaction
// checks the campaign did not change in between.
func (s *Service) StartCampaign(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Campaign, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return nil, err
	}
	var draft *Campaign
	var contacts []SegmentContact
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		if draft, err = getCampaign(ctx, tx, p.TenantID, id, false); err != nil {
			return err
		}
		if err := startable(draft); err != nil {
			return err
		}
		if draft.Segmentation != nil {
			contacts, err = segmentContacts(ctx, tx, p.TenantID, draft.ListIDs)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.opts.StartGate != nil {
		if err := s.opts.StartGate(ctx, p.TenantID); err != nil {
			return nil, err
		}
	}
	if s.opts.ScriptPublished != nil {
		for _, v := range scriptVersions(draft) {
			if err := s.opts.ScriptPublished(ctx, p.TenantID, v); err != nil {
				return nil, err
			}
		}
	}
	var results []SegmentResult
	if draft.Segmentation != nil && len(contacts) > 0 {
		if results, err = s.segment(ctx, p.TenantID, draft.Segmentation, contacts); err != nil {
			return nil, err
		}
	}

	var c *Campaign
	err = s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		c, err = getCampaign(ctx, tx, p.TenantID, id, true)
		if err != nil {
			return err
		}
		if err := startable(c); err != nil {
			return err
		}
		if !sameScripts(draft, c) {
			return conflict("the campaign's scripts or lists changed while it was starting: start it again")
		}
		var enrolled int64
		if c.Segmentation != nil {
			n, err := s.enrolSegmented(ctx, tx, p.TenantID, c, contacts, results, s.now())
			if err != nil {
				return err
			}
			enrolled = int64(n)
		} else {
			tag, err := tx.Exec(ctx, `INSERT INTO campaign_contacts (tenant_id, campaign_id, contact_id, phone, time_zone, next_at, list_id)
				SELECT $1, $2, c.id, c.phone, c.time_zone, $4, `+firstListOf+`
				FROM contacts c
				WHERE c.tenant_id = $1 AND c.id IN (SELECT contact_id FROM list_contacts WHERE tenant_id = $1 AND list_id = ANY($3))`,
				p.TenantID, c.ID, c.ListIDs, s.now())
			if err != nil {
				return err
			}
			enrolled = tag.RowsAffected()
		}
		if enrolled == 0 {
			return FieldError("body.list_ids", "the campaign has no contacts: add lists with contacts before starting it")
		}
		next := StatusRunning
		if c.StartsAt != nil && c.StartsAt.After(s.now()) {
			next = StatusScheduled
		}
		if err := s.setStatus(ctx, tx, c, next); err != nil {
			return err
		}
		return s.insertPacer(ctx, tx, p.TenantID, c.ID)
	})
	return c, err
}

// startable refuses to start a campaign that is not a draft or has no
// script version.
func startable(c *Campaign) error {
	if c.Status != StatusDraft {
		return conflict("the campaign is %s; only a draft can be started (resume a paused one)", c.Status)
	}
	if c.ScriptVersion == "" && len(c.ABSplit) == 0 {
		return FieldError("body.script_version", "the campaign has no script version: set a published script version first")
	}
	return nil
}

// scriptVersions lists the dialog script versions a campaign runs.
func scriptVersions(c *Campaign) []string {
	var out []string
	for _, v := range append([]string{c.ScriptVersion}, slices.Sorted(maps.Values(c.SegmentVersions))...) {
		if v != "" {
			out = append(out, v)
		}
	}
	for _, a := range c.ABSplit {
		if a.Version != "" {
			out = append(out, a.Version)
		}
	}
	return out
}

// sameScripts reports whether b runs the scripts, segmentation and lists
// that a ran.
func sameScripts(a, b *Campaign) bool {
	ja, _ := json.Marshal([]any{a.ListIDs, a.ScriptVersion, a.SegmentVersions, a.ABSplit, a.Segmentation})
	jb, _ := json.Marshal([]any{b.ListIDs, b.ScriptVersion, b.SegmentVersions, b.ABSplit, b.Segmentation})
	return string(ja) == string(jb)
}

// setStatus moves a campaign to st and raises campaign.started (the first
// time it runs) and campaign.completed webhook events in the same
// transaction.
func (s *Service) setStatus(ctx context.Context, tx pgx.Tx, c *Campaign, st Status) error {
	var tenantID uuid.UUID
	var firstStart bool
	err := tx.QueryRow(ctx, `WITH old AS (SELECT started_at FROM campaigns WHERE id = $1)
		UPDATE campaigns SET status = $2,
			started_at = CASE WHEN $2 = 'running' THEN coalesce(started_at, now()) ELSE started_at END,
			finished_at = CASE WHEN $2 IN ('completed', 'cancelled') THEN now() ELSE finished_at END
		WHERE id = $1 RETURNING tenant_id, started_at, finished_at, (SELECT started_at IS NULL FROM old)`, c.ID, st).
		Scan(&tenantID, &c.StartedAt, &c.FinishedAt, &firstStart)
	c.Status = st
	if err != nil {
		return err
	}
	data := map[string]any{"campaign_id": c.ID, "status": st, "started_at": c.StartedAt, "finished_at": c.FinishedAt}
	switch {
	case st == StatusRunning && firstStart:
		_, err = s.events.Emit(ctx, tx, tenantID, webhooks.CampaignStarted, data)
	case st == StatusCompleted:
		_, err = s.events.Emit(ctx, tx, tenantID, webhooks.CampaignCompleted, data)
	}
	return err
}

// PauseCampaign stops new dials; calls in progress finish. Dial jobs
// already queued see the pause when they run and put their contact back.
func (s *Service) PauseCampaign(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Campaign, error) {
	return s.transition(ctx, p, id, StatusPaused, StatusRunning, StatusScheduled)
}

// ResumeCampaign sets a paused campaign running again.
func (s *Service) ResumeCampaign(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Campaign, error) {
	return s.transition(ctx, p, id, StatusRunning, StatusPaused)
}

// CancelCampaign ends a campaign for good; nothing more is dialled.
func (s *Service) CancelCampaign(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Campaign, error) {
	return s.transition(ctx, p, id, StatusCancelled, StatusDraft, StatusScheduled, StatusRunning, StatusPaused)
}

func (s *Service) transition(ctx context.Context, p tenants.Principal, id uuid.UUID, to Status, from ...Status) (*Campaign, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return nil, err
	}
	var c *Campaign
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		c, err = getCampaign(ctx, tx, p.TenantID, id, true)
		if err != nil {
			return err
		}
		if c.Status == to {
			return nil
		}
		ok := false
		for _, f := range from {
			ok = ok || c.Status == f
		}
		if !ok {
			return conflict("the campaign is %s and cannot become %s", c.Status, to)
		}
		if err := s.setStatus(ctx, tx, c, to); err != nil {
			return err
		}
		if to == StatusRunning {
			return s.insertPacer(ctx, tx, p.TenantID, c.ID)
		}
		return nil
	})
	return c, err
}

// Counts are a campaign's live figures.
type Counts struct {
	Contacts int
	// ByState counts contacts: pending, queued, dialling, in_call, done, dropped.
	ByState map[string]int
	// Outcomes counts attempts by how they ended.
	Outcomes map[string]int
	// Refused counts refused attempts by reason.
	Refused map[string]int
	// Segments counts contacts by the segment their campaign's rules put
	// them in ("" for none); empty without segmentation rules.
	Segments map[string]int
	// NotDialled counts contacts enrolled as dropped before any dial, by
	// reason: segment_filtered, segment_error.
	NotDialled map[string]int
}

// CampaignCounts returns the live counts of a campaign.
func (s *Service) CampaignCounts(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Counts, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	out := &Counts{ByState: map[string]int{}, Outcomes: map[string]int{}, Refused: map[string]int{}, Segments: map[string]int{}, NotDialled: map[string]int{}}
	for _, st := range []string{"pending", "queued", "dialling", "in_call", "done", "dropped"} {
		out.ByState[st] = 0
	}
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		c, err := getCampaign(ctx, tx, p.TenantID, id, false)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT state, segment, coalesce(last_reason, ''), attempt = 0, count(*) FROM campaign_contacts
			WHERE tenant_id = $1 AND campaign_id = $2 GROUP BY 1, 2, 3, 4`, p.TenantID, id)
		if err != nil {
			return err
		}
		var st, segment, reason string
		var undialled bool
		var n int
		_, err = pgx.ForEachRow(rows, []any{&st, &segment, &reason, &undialled, &n}, func() error {
			out.ByState[st] += n
			out.Contacts += n
			if c.Segmentation != nil {
				out.Segments[segment] += n
			}
			if st == "dropped" && undialled && (reason == ReasonSegmentFiltered || reason == ReasonSegmentError) {
				out.NotDialled[reason] += n
			}
			return nil
		})
		if err != nil {
			return err
		}
		// A contact being dialled whose call was answered is in a call:
		// the answered mark writes the call alone.
		var talking int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM calls c JOIN campaign_contacts cc ON cc.campaign_id = c.campaign_id AND cc.contact_id = c.contact_id
			WHERE c.tenant_id = $1 AND c.campaign_id = $2 AND c.state = 'in_call' AND cc.state = 'dialling'`, p.TenantID, id).Scan(&talking); err != nil {
			return err
		}
		out.ByState["dialling"] -= talking
		out.ByState["in_call"] += talking
		rows, err = tx.Query(ctx, `SELECT state, coalesce(outcome, ''), coalesce(reason, ''), count(*) FROM calls
			WHERE tenant_id = $1 AND campaign_id = $2 AND state IN ('refused', 'ended') GROUP BY 1, 2, 3`, p.TenantID, id)
		if err != nil {
			return err
		}
		var outcome string
		_, err = pgx.ForEachRow(rows, []any{&st, &outcome, &reason, &n}, func() error {
			if st == "refused" {
				out.Refused[reason] += n
			} else {
				out.Outcomes[outcome] += n
			}
			return nil
		})
		return err
	})
	return out, err
}

// scriptVersionFor picks the script version a contact's call runs: the
// segment's, else an A/B arm chosen by a stable hash of the contact, else
// the campaign's.
func scriptVersionFor(c *Campaign, contactID uuid.UUID, segment string) string {
	if v := c.SegmentVersions[segment]; segment != "" && v != "" {
		return v
	}
	total := 0
	for _, a := range c.ABSplit {
		total += a.Weight
	}
	if total > 0 {
		h := fnv.New32a()
		h.Write(contactID[:])
		pick := int(h.Sum32() % uint32(total))
		for _, a := range c.ABSplit {
			if pick < a.Weight {
				return a.Version
			}
			pick -= a.Weight
		}
	}
	return c.ScriptVersion
}
