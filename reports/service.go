package reports

import (
	"github.com/outcall/outcall/tenants"
)

// Options is what a Service is built from, once, by New. Only DB is
// required.
type Options struct {
	DB *tenants.DB
}

// Service reads the reports from the rollups, exports call records and
// turns, and keeps each tenant's report settings.
type Service struct {
	db *tenants.DB
}

// New returns the service that o describes.
func New(o Options) *Service {
	return &Service{db: o.DB}
}
