package billing

import "github.com/google/uuid"

// SetAfterSend installs a hook that runs after Stripe accepted a meter
// event and before its row is marked; an error aborts the mark, as a crash
// would.
func (s *Service) SetAfterSend(fn func(rowID uuid.UUID) error) { s.afterSend = fn }
