package tenants

import (
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// registerUUIDs makes pgx write and read google/uuid's UUID as the 16 bytes
// it is. Left to itself pgx goes through the type's database/sql methods:
// each id is formatted as text and parsed back on the way out, and scanned
// through reflection on the way in, and the dial path moves thousands of
// ids a second. (jackc/pgx-google-uuid does the same; it is not among the
// modules this project can fetch.)
func registerUUIDs(m *pgtype.Map) {
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{wrapUUIDEncode}, m.TryWrapEncodePlanFuncs...)
	m.TryWrapScanPlanFuncs = append([]pgtype.TryWrapScanPlanFunc{wrapUUIDScan}, m.TryWrapScanPlanFuncs...)
}

func wrapUUIDEncode(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	if u, ok := value.(uuid.UUID); ok {
		return &uuidEncodePlan{}, pgtype.UUID{Bytes: u, Valid: true}, true
	}
	return nil, nil, false
}

type uuidEncodePlan struct{ next pgtype.EncodePlan }

func (p *uuidEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *uuidEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	return p.next.Encode(pgtype.UUID{Bytes: value.(uuid.UUID), Valid: true}, buf)
}

func wrapUUIDScan(target any) (pgtype.WrappedScanPlanNextSetter, any, bool) {
	if u, ok := target.(*uuid.UUID); ok {
		return &uuidScanPlan{}, (*uuidTarget)(u), true
	}
	return nil, nil, false
}

// uuidTarget scans a uuid into a uuid.UUID; NULL leaves the zero UUID, as
// the type's own Scan does.
type uuidTarget uuid.UUID

func (t *uuidTarget) ScanUUID(v pgtype.UUID) error {
	*t = uuidTarget(v.Bytes)
	if !v.Valid {
		*t = uuidTarget{}
	}
	return nil
}

type uuidScanPlan struct{ next pgtype.ScanPlan }

func (p *uuidScanPlan) SetNext(next pgtype.ScanPlan) { p.next = next }

func (p *uuidScanPlan) Scan(src []byte, target any) error {
	return p.next.Scan(src, (*uuidTarget)(target.(*uuid.UUID)))
}
