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
	return river.InsertOpts{Queue: DialQueue, UniqueOpts: contacts.UniqueWhileActive(), MaxAttempts: 5}
}

func (s *Service) insertPacer(ctx context.Context, tx pgx.Tx, tenantID, campaignID uuid.UUID) error {
	if s.jobs == nil {
		return nil
	}
	_, err := s.jobs.InsertTx(ctx, tx, PaceArgs{TenantID: tenantID, CampaignID: campaignID}, nil)
	return err
}
