package campaigns

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// uniqueWhileActive makes a job unique by its arguments among jobs not yet
// finished. A finished job does not block a new one with the same
// arguments: the database rows (a contact's attempt number, a campaign's
// status), not River's retention, say whether work is still to do.
var uniqueWhileActive = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}}

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
	return river.InsertOpts{Queue: PaceQueue, UniqueOpts: uniqueWhileActive, MaxAttempts: 1000}
}

// DialArgs asks to dial one contact of a campaign: attempt is the
// contact's attempt number, so each attempt is dialled at most once.
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
	return river.InsertOpts{Queue: DialQueue, UniqueOpts: uniqueWhileActive, MaxAttempts: 5}
}

// ImportArgs asks to import an uploaded CSV file.
type ImportArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	ImportID uuid.UUID `json:"import_id"`
}

// Kind names the job in River's table.
func (ImportArgs) Kind() string { return "contacts_import" }

// InsertOpts runs each import once at a time.
func (ImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: uniqueWhileActive, MaxAttempts: 3}
}

func (s *Service) insertPacer(ctx context.Context, tx pgx.Tx, tenantID, campaignID uuid.UUID) error {
	if s.jobs == nil {
		return nil
	}
	_, err := s.jobs.InsertTx(ctx, tx, PaceArgs{TenantID: tenantID, CampaignID: campaignID}, nil)
	return err
}
