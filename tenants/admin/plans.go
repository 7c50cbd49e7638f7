package admin

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
)

// Plans returns every plan, cheapest first.
func (s *Service) Plans(ctx context.Context) ([]billing.Plan, error) {
	return billing.ListPlans(ctx, s.db.Pool())
}

// Plan returns the plan called name.
func (s *Service) Plan(ctx context.Context, name string) (billing.Plan, error) {
	return billing.GetPlan(ctx, s.db.Pool(), name)
}

// CreatePlan adds the plan name with what c sets (billing.NewPlanDefaults
// for the rest), and records it in the audit trail.
func (s *Service) CreatePlan(ctx context.Context, by Operator, name string, c billing.PlanChange) (billing.Plan, error) {
	var p billing.Plan
	now := s.now()
	err := pgx.BeginFunc(ctx, s.db.Pool(), func(tx pgx.Tx) (err error) {
		if p, err = billing.CreatePlan(ctx, tx, name, c, now); err != nil {
			return err
		}
		return s.record(ctx, tx, by, now, ActionPlanCreate, &p.Name, nil, map[string]any{"plan": p})
	})
	return p, err
}

// UpdatePlan changes what c sets of the plan name and records the plan
// before and after in the audit trail. Its tenants get the new limits at
// their next check.
func (s *Service) UpdatePlan(ctx context.Context, by Operator, name string, c billing.PlanChange) (billing.Plan, error) {
	var after billing.Plan
	now := s.now()
	err := pgx.BeginFunc(ctx, s.db.Pool(), func(tx pgx.Tx) error {
		before, a, err := billing.UpdatePlan(ctx, tx, name, c, now)
		if err != nil {
			return err
		}
		after = a
		return s.record(ctx, tx, by, now, ActionPlanUpdate, &after.Name, nil, map[string]any{"before": before, "after": after})
	})
	return after, err
}
