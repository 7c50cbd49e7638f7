package campaigns

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/contacts"
)

// Queues the campaign jobs run in (jobs/ gives them workers).
const (
	PaceQueue = "pace"
	DialQueue = "dial"
)

// PaceArgs asks for a campaign's pacer: while the campaign is scheduled,
// running or paused it queues dial jobs at the allowed pace, and it marks
// the campaign completed when every contact is done.
type PaceArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CampaignID uuid.UUID `json:"campaign_id"`
}

// Kind names the job in River's table.
func (PaceArgs) Kind() string { return "campaign_pace" }

// InsertOpts makes one pacer per campaign.
func (PaceArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: PaceQueue, UniqueOpts: contacts.UniqueWhileActive(), MaxAttempts: 1000}
}

// DialArgs asks to dial one contact of a campaign: attempt is the
// contact's attempt number, so each attempt is dialled at most once. The
// pacer queues dials in batches (DialBatchArgs); a job of one dial is
// still run, as an earlier version queued them.
type DialArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CampaignID uuid.UUID `json:"campaign_id"`
	ContactID  uuid.UUID `json:"contact_id"`
	Attempt    int       `json:"attempt"`
}

// Kind names the job in River's table.
func (DialArgs) Kind() string { return "campaign_dial" }

// InsertOpts makes a dial unique per campaign, contact and attempt.
func (DialArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: DialQueue, UniqueOpts: contacts.UniqueWhileActive(), MaxAttempts: 5}
}

func (s *Service) insertPacer(ctx context.Context, tx pgx.Tx, tenantID, campaignID uuid.UUID) error {
	if s.jobs == nil {
		return nil
	}
	_, err := s.jobs.InsertTx(ctx, tx, PaceArgs{TenantID: tenantID, CampaignID: campaignID}, nil)
	return err
}

// DialBatchSize is the most dials one dial batch job carries: a pacing
// round queues its dials a batch at a time, so River writes one job for
// them rather than one each, and a round's batches still spread over the
// worker processes.
const DialBatchSize = 20

// DialBatchArgs asks to dial several contacts of a campaign, each at its
// attempt, as DialArgs does one: the batch's worker places the calls side
// by side. Each dial is recorded by its own check, so a batch run again (a
// worker died) dials none of its contacts twice.
type DialBatchArgs struct {
	TenantID   uuid.UUID   `json:"tenant_id"`
	CampaignID uuid.UUID   `json:"campaign_id"`
	Dials      []BatchDial `json:"dials"`
}

// BatchDial is one contact of a dial batch and the attempt to make.
type BatchDial struct {
	ContactID uuid.UUID `json:"contact_id"`
	Attempt   int       `json:"attempt"`
}

// Kind names the job in River's table.
func (DialBatchArgs) Kind() string { return "campaign_dial_batch" }

// InsertOpts puts the batch in the dial queue. It is not unique: the pacer
// queues a contact only from pending, in the transaction that marks it
// queued, and a dial's check refuses an attempt already made.
func (DialBatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: DialQueue, MaxAttempts: 5}
}

// Each is the batch's dials one by one.
func (a DialBatchArgs) Each() []DialArgs {
	out := make([]DialArgs, len(a.Dials))
	for i, d := range a.Dials {
		out[i] = DialArgs{TenantID: a.TenantID, CampaignID: a.CampaignID, ContactID: d.ContactID, Attempt: d.Attempt}
	}
	return out
}

// dialBatches cuts a round's dials into batch jobs of DialBatchSize.
func dialBatches(tenantID, campaignID uuid.UUID, dials []BatchDial) []river.InsertManyParams {
	var out []river.InsertManyParams
	for len(dials) > 0 {
		n := min(len(dials), DialBatchSize)
		out = append(out, river.InsertManyParams{Args: DialBatchArgs{TenantID: tenantID, CampaignID: campaignID, Dials: dials[:n:n]}})
		dials = dials[n:]
	}
	return out
}
