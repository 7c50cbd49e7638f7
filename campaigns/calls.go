package campaigns

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// CallFilter narrows a search of the tenant's call records; zero fields
// match everything.
type CallFilter struct {
	CampaignID *uuid.UUID
	Outcome    telephony.Outcome
	// State is refused, dialling, in_call or ended.
	State string
	// Phone is a full E.164 number ("+8613812341234"), matched exactly, or
	// the last digits of one ("1234"), matched at the end of the number.
	Phone string
	// Tag must be one of the call's tags (e.g. review_required).
	Tag string
	// Review is a review status: pending gives the review queue.
	Review string
	// From and To bound the time the attempt was made: From ≤ created_at < To.
	From, To *time.Time
}

// callPhoneMatch turns the phone filter into an exact number or a suffix of
// digits.
func callPhoneMatch(raw string) (exact, suffix string, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "", nil
	}
	if strings.HasPrefix(raw, "+") {
		e164, err := phone.Normalise(raw, "")
		if err != nil {
			return "", "", FieldError("query.phone", "give a full number with + and country code, or only its last digits")
		}
		return e164, "", nil
	}
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case r == ' ' || r == '-':
			return -1
		}
		return 'x'
	}, raw)
	if strings.ContainsRune(digits, 'x') || len(digits) < 3 || len(digits) > 15 {
		return "", "", FieldError("query.phone", "give a full number with + and country code, or its last 3 to 15 digits")
	}
	return "", digits, nil
}

// SearchCalls returns the tenant's call records (without turns) that match
// f, newest first; after is the id of the last record of the previous page.
func (s *Service) SearchCalls(ctx context.Context, p tenants.Principal, f CallFilter, limit int, after *uuid.UUID) ([]Call, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	if f.From != nil && f.To != nil && !f.To.After(*f.From) {
		return nil, FieldError("query.to", "must be after from")
	}
	exact, suffix, err := callPhoneMatch(f.Phone)
	if err != nil {
		return nil, err
	}
	args := []any{p.TenantID, after, limit}
	where := []string{`tenant_id = $1`,
		`($2::uuid IS NULL OR (created_at, id) < (SELECT created_at, id FROM calls WHERE tenant_id = $1 AND id = $2))`}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.CampaignID != nil {
		add(`campaign_id = $%d`, *f.CampaignID)
	}
	if f.Outcome != "" {
		add(`outcome = $%d`, string(f.Outcome))
	}
	if f.State != "" {
		add(`state = $%d`, f.State)
	}
	if exact != "" {
		add(`phone = $%d`, exact)
	}
	if suffix != "" {
		add(`phone LIKE '%%' || $%d::text`, suffix)
	}
	if f.Tag != "" {
		add(`$%d = ANY(tags)`, f.Tag)
	}
	if f.Review != "" {
		add(`review_status = $%d`, f.Review)
	}
	if f.From != nil {
		add(`created_at >= $%d`, *f.From)
	}
	if f.To != nil {
		add(`created_at < $%d`, *f.To)
	}
	var out []Call
	err = s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		out, err = queryCalls(ctx, tx, `SELECT `+callColumns+` FROM calls WHERE `+strings.Join(where, ` AND `)+
			` ORDER BY created_at DESC, id DESC LIMIT $3`, args...)
		return err
	})
	return out, err
}

// ReviewCall records a reviewer's verdict on a call tagged
// review_required: approved (nothing wrong) or flagged (a problem to act
// on), with a note. A later review replaces an earlier one. Viewers cannot
// review; a call that was not tagged for review is a conflict.
func (s *Service) ReviewCall(ctx context.Context, p tenants.Principal, id uuid.UUID, status, note string) (*Call, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return nil, err
	}
	if status != ReviewApproved && status != ReviewFlagged {
		return nil, FieldError("body.status", "a review is approved or flagged, not %q", status)
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > 2000 {
		return nil, FieldError("body.note", "keep the note under 2000 characters")
	}
	c := &Call{}
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE calls SET review_status = $3, reviewer_user_id = $4, reviewer_key_id = $5, review_note = $6, reviewed_at = $7
			WHERE tenant_id = $1 AND id = $2 AND review_status IS NOT NULL RETURNING `+callColumns,
			p.TenantID, id, status, p.UserID, p.KeyID, note, s.now()).Scan(c.scanDest()...)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM calls WHERE tenant_id = $1 AND id = $2)`, p.TenantID, id).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return notFound("call")
		}
		return conflict("this call heard and said no sensitive word and is not waiting for review")
	})
	if err != nil {
		return nil, err
	}
	return c.settle(), nil
}
