package telephony

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// TrunkStore keeps tenants' trunks in PostgreSQL, their passwords
// encrypted with AES-GCM under a key derived from the service's secret.
type TrunkStore struct {
	DB   *tenants.DB
	aead cipher.AEAD
}

// NewTrunkStore returns a store whose passwords are sealed with secret
// (OUTCALL_SECRET_KEY). Changing the secret makes stored passwords
// unreadable: trunks then need their password set again.
func NewTrunkStore(db *tenants.DB, secret string) (*TrunkStore, error) {
	if len(secret) < 16 {
		return nil, errors.New("the secret key must be at least 16 characters (set OUTCALL_SECRET_KEY)")
	}
	key := sha256.Sum256([]byte("outcall trunk credentials\x00" + secret))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &TrunkStore{DB: db, aead: aead}, nil
}

func (s *TrunkStore) seal(plain string, tenantID uuid.UUID) []byte {
	if plain == "" {
		return nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	// The tenant id is authenticated data: a sealed password copied to
	// another tenant's row does not open.
	return s.aead.Seal(nonce, nonce, []byte(plain), tenantID[:])
}

func (s *TrunkStore) open(sealed []byte, tenantID uuid.UUID) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("sealed password too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], tenantID[:])
	if err != nil {
		return "", errors.New("a stored password or API key cannot be decrypted with this secret key: set it again")
	}
	return string(plain), nil
}

// StoredTrunk is a tenant's trunk as people see it: never the password.
type StoredTrunk struct {
	ID          uuid.UUID
	Name        string
	Host        string
	Port        int
	Transport   string
	Username    string
	HasPassword bool
	FromDomain  string
	CallerIDs   []string
	// TransferTargets maps script transfer names to numbers or SIP URIs.
	TransferTargets map[string]string
	Enabled         bool
	// Priority orders a tenant's trunks (the lowest first; the next one
	// takes a call the one before could not place); Weight spreads calls
	// over trunks of one priority.
	Priority, Weight int
	// MaxCalls and CallsPerSecond are the carrier's caps (0: none).
	MaxCalls       int
	CallsPerSecond float64
	// Register has the workers REGISTER the trunk; RegisteredUntil is when
	// the carrier's grant lapses, RegisterDetail its last answer.
	Register        bool
	RegisteredUntil *time.Time
	RegisterDetail  string
	LastCheckAt     *time.Time
	LastCheckUp     *bool
	LastCheck       string
	CreatedAt       time.Time
}

// TrunkInput is what a tenant sets; nil fields stay as they are.
type TrunkInput struct {
	Name, Host, Transport, Username, Password, FromDomain *string
	Port                                                  *int
	CallerIDs                                             []string
	TransferTargets                                       map[string]string
	Enabled                                               *bool
	Priority, Weight, MaxCalls                            *int
	CallsPerSecond                                        *float64
	Register                                              *bool
}

const trunkColumns = `id, name, host, port, transport, username, password_enc IS NOT NULL, from_domain, caller_ids, transfer_targets, enabled,
	priority, weight, max_calls, calls_per_second, register, registered_until, register_detail, last_check_at, last_check_up, last_check_detail, created_at`

func scanTrunk(row pgx.Row) (*StoredTrunk, error) {
	t := &StoredTrunk{}
	err := row.Scan(&t.ID, &t.Name, &t.Host, &t.Port, &t.Transport, &t.Username, &t.HasPassword, &t.FromDomain, &t.CallerIDs, &t.TransferTargets, &t.Enabled,
		&t.Priority, &t.Weight, &t.MaxCalls, &t.CallsPerSecond, &t.Register, &t.RegisteredUntil, &t.RegisterDetail, &t.LastCheckAt, &t.LastCheckUp, &t.LastCheck, &t.CreatedAt)
	if err != nil {
		return nil, tenants.NotFound(err, "trunk not found")
	}
	return t, nil
}

func validateTrunkInput(in TrunkInput, creating bool) error {
	if creating && (in.Name == nil || strings.TrimSpace(*in.Name) == "") {
		return tenants.FieldError("body.name", "the trunk needs a name")
	}
	if creating && (in.Host == nil || *in.Host == "") {
		return tenants.FieldError("body.host", "the trunk needs a host")
	}
	t := Trunk{Host: "x", Transport: "udp"}
	if in.Host != nil {
		t.Host = *in.Host
	}
	if in.Transport != nil {
		t.Transport = *in.Transport
	}
	if in.Port != nil {
		t.Port = *in.Port
	}
	t.CallerIDs = in.CallerIDs
	t.TransferTargets = in.TransferTargets
	if in.Priority != nil && (*in.Priority < 0 || *in.Priority > 100) {
		return tenants.FieldError("body.priority", "priority is 0 (first) to 100, not %d", *in.Priority)
	}
	if in.Weight != nil && (*in.Weight < 1 || *in.Weight > 1000) {
		return tenants.FieldError("body.weight", "weight is 1 to 1000, not %d", *in.Weight)
	}
	if in.Register != nil && *in.Register && creating && (in.Username == nil || *in.Username == "") {
		return tenants.FieldError("body.username", "a trunk that registers needs the username its carrier gave it")
	}
	if in.MaxCalls != nil && (*in.MaxCalls < 0 || *in.MaxCalls > 100000) {
		return tenants.FieldError("body.max_calls", "max_calls is 0 (no cap) to 100000, not %d", *in.MaxCalls)
	}
	if in.CallsPerSecond != nil && (*in.CallsPerSecond < 0 || *in.CallsPerSecond > 1000) {
		return tenants.FieldError("body.calls_per_second", "calls_per_second is 0 (no cap) to 1000, not %g", *in.CallsPerSecond)
	}
	if err := t.Validate(); err != nil {
		return tenants.FieldError("body", "%v", err)
	}
	return nil
}

// Create adds a trunk.
func (s *TrunkStore) Create(ctx context.Context, p tenants.Principal, in TrunkInput) (*StoredTrunk, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, err
	}
	if err := validateTrunkInput(in, true); err != nil {
		return nil, err
	}
	val := func(p *string, def string) string {
		if p == nil {
			return def
		}
		return *p
	}
	port := 0
	if in.Port != nil {
		port = *in.Port
	}
	enabled := in.Enabled == nil || *in.Enabled
	ids := in.CallerIDs
	if ids == nil {
		ids = []string{}
	}
	targets := in.TransferTargets
	if targets == nil {
		targets = map[string]string{}
	}
	priority, weight, maxCalls, cps := 0, 1, 0, 0.0
	if in.Priority != nil {
		priority = *in.Priority
	}
	if in.Weight != nil {
		weight = *in.Weight
	}
	if in.MaxCalls != nil {
		maxCalls = *in.MaxCalls
	}
	if in.CallsPerSecond != nil {
		cps = *in.CallsPerSecond
	}
	register := in.Register != nil && *in.Register
	return tenants.QueryOne(ctx, s.DB, p.TenantID, scanTrunk, `INSERT INTO trunks (id, tenant_id, name, host, port, transport, username, password_enc, from_domain, caller_ids, transfer_targets, enabled,
				priority, weight, max_calls, calls_per_second, register)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING `+trunkColumns,
		uuid.New(), p.TenantID, strings.TrimSpace(*in.Name), *in.Host, port, val(in.Transport, "udp"), val(in.Username, ""),
		s.seal(val(in.Password, ""), p.TenantID), val(in.FromDomain, ""), ids, targets, enabled, priority, weight, maxCalls, cps, register)
}

// List returns the tenant's trunks, oldest first.
func (s *TrunkStore) List(ctx context.Context, p tenants.Principal) ([]StoredTrunk, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	return tenants.QueryAll(ctx, s.DB, p.TenantID, scanTrunk, `SELECT `+trunkColumns+` FROM trunks WHERE tenant_id = $1 ORDER BY created_at, id LIMIT 200`, p.TenantID)
}

// Get returns one trunk.
func (s *TrunkStore) Get(ctx context.Context, p tenants.Principal, id uuid.UUID) (*StoredTrunk, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	return tenants.QueryOne(ctx, s.DB, p.TenantID, scanTrunk, `SELECT `+trunkColumns+` FROM trunks WHERE tenant_id = $1 AND id = $2`, p.TenantID, id)
}

// Update changes the given fields; a given password replaces the stored
// one (an empty one removes it).
func (s *TrunkStore) Update(ctx context.Context, p tenants.Principal, id uuid.UUID, in TrunkInput) (*StoredTrunk, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, err
	}
	if err := validateTrunkInput(in, false); err != nil {
		return nil, err
	}
	var sealed []byte
	if in.Password != nil {
		sealed = s.seal(*in.Password, p.TenantID)
	}
	return tenants.QueryOne(ctx, s.DB, p.TenantID, scanTrunk, `UPDATE trunks SET name = coalesce($3, name), host = coalesce($4, host), port = coalesce($5, port),
			transport = coalesce($6, transport), username = coalesce($7, username),
			password_enc = CASE WHEN $8 THEN $9 ELSE password_enc END,
			from_domain = coalesce($10, from_domain), caller_ids = coalesce($11, caller_ids), enabled = coalesce($12, enabled),
			transfer_targets = coalesce($13, transfer_targets), priority = coalesce($14, priority), weight = coalesce($15, weight),
			max_calls = coalesce($16, max_calls), calls_per_second = coalesce($17, calls_per_second), register = coalesce($18, register)
		WHERE tenant_id = $1 AND id = $2 RETURNING `+trunkColumns,
		p.TenantID, id, in.Name, in.Host, in.Port, in.Transport, in.Username, in.Password != nil, sealed, in.FromDomain, in.CallerIDs, in.Enabled,
		in.TransferTargets, in.Priority, in.Weight, in.MaxCalls, in.CallsPerSecond, in.Register)
}

// Delete removes a trunk.
func (s *TrunkStore) Delete(ctx context.Context, p tenants.Principal, id uuid.UUID) error {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return err
	}
	return s.DB.DeleteByID(ctx, p.TenantID, "trunks", id, "trunk not found")
}

// ForTenant returns the trunk a tenant's calls try first — the first of
// TrunksFor — with the password decrypted for the call, or ok=false when
// the tenant has none.
func (s *TrunkStore) ForTenant(ctx context.Context, tenantID uuid.UUID) (Trunk, bool, error) {
	all, err := s.TrunksFor(ctx, tenantID)
	if err != nil || len(all) == 0 {
		return Trunk{}, false, err
	}
	return all[0], true, nil
}

// TrunksFor returns a tenant's enabled trunks in the order a call tries
// them, passwords decrypted: by priority, the lowest first, and within a
// priority in a random order drawn by weight (a trunk of weight 3 comes
// first three times as often as one of weight 1), so calls spread over
// a priority's trunks as their weights say and fail over to the rest.
func (s *TrunkStore) TrunksFor(ctx context.Context, tenantID uuid.UUID) ([]Trunk, error) {
	type row struct {
		t                Trunk
		sealed           []byte
		priority, weight int
	}
	var rows []row
	err := s.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rs, err := tx.Query(ctx, `SELECT id, name, host, port, transport, username, password_enc, from_domain, caller_ids, transfer_targets, priority, weight,
				max_calls, calls_per_second
			FROM trunks WHERE tenant_id = $1 AND enabled ORDER BY priority, created_at, id LIMIT 50`, tenantID)
		if err != nil {
			return err
		}
		rows, err = pgx.CollectRows(rs, func(r pgx.CollectableRow) (row, error) {
			var x row
			var id uuid.UUID
			err := r.Scan(&id, &x.t.Name, &x.t.Host, &x.t.Port, &x.t.Transport, &x.t.Username, &x.sealed, &x.t.FromDomain, &x.t.CallerIDs, &x.t.TransferTargets,
				&x.priority, &x.weight, &x.t.MaxCalls, &x.t.CallsPerSecond)
			x.t.ID = id.String()
			return x, err
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]Trunk, 0, len(rows))
	for start := 0; start < len(rows); {
		end := start
		for end < len(rows) && rows[end].priority == rows[start].priority {
			end++
		}
		// A weighted draw without replacement: each pick by weight among
		// those left.
		group := rows[start:end]
		for len(group) > 0 {
			total := 0
			for _, r := range group {
				total += r.weight
			}
			pick, n := 0, mrand.IntN(total)
			for n >= group[pick].weight {
				n -= group[pick].weight
				pick++
			}
			r := group[pick]
			group = append(group[:pick:pick], group[pick+1:]...)
			if r.t.Password, err = s.open(r.sealed, tenantID); err != nil {
				return nil, fmt.Errorf("trunk %q: %w", r.t.Name, err)
			}
			out = append(out, r.t)
		}
		start = end
	}
	return out, nil
}

func (s *TrunkStore) load(ctx context.Context, tenantID uuid.UUID, id *uuid.UUID) (Trunk, bool, error) {
	var t Trunk
	var sealed []byte
	var trunkID uuid.UUID
	err := s.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, host, port, transport, username, password_enc, from_domain, caller_ids, transfer_targets FROM trunks
			WHERE tenant_id = $1 AND enabled AND ($2::uuid IS NULL OR id = $2) ORDER BY created_at, id LIMIT 1`, tenantID, id).
			Scan(&trunkID, &t.Host, &t.Port, &t.Transport, &t.Username, &sealed, &t.FromDomain, &t.CallerIDs, &t.TransferTargets)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, err
	}
	t.ID = trunkID.String()
	if t.Password, err = s.open(sealed, tenantID); err != nil {
		return t, false, err
	}
	return t, true, nil
}

// Claim takes a place on trunk t for call callID of the tenant before it
// dials: ok is false when the trunk already carries its MaxCalls calls,
// or its CallsPerSecond allow no new call yet (wait then says when one
// will). The trunk's row is locked while it decides, so workers in every
// process queue for it. A trunk without caps is claimed without a look,
// and the platform's trunk (no id of the database) is never capped here.
// A call that moves to another trunk claims that one instead.
func (s *TrunkStore) Claim(ctx context.Context, tenantID, callID uuid.UUID, t Trunk) (ok bool, wait time.Duration, err error) {
	trunkID, perr := uuid.Parse(t.ID)
	if perr != nil || (t.MaxCalls == 0 && t.CallsPerSecond == 0) {
		return true, 0, nil
	}
	err = s.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var maxCalls int
		var cps, tokens, elapsed float64
		err := tx.QueryRow(ctx, `SELECT max_calls, calls_per_second, pace_tokens, coalesce(extract(epoch FROM now() - pace_at), 1e9)
			FROM trunks WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, trunkID).Scan(&maxCalls, &cps, &tokens, &elapsed)
		if errors.Is(err, pgx.ErrNoRows) {
			ok = true // deleted meanwhile: nothing left to cap
			return nil
		}
		if err != nil {
			return err
		}
		if maxCalls > 0 {
			// Claims of calls that have ended (their worker died and the
			// reaper closed them) are cleared here.
			if _, err := tx.Exec(ctx, `DELETE FROM trunk_calls tc USING calls c WHERE tc.tenant_id = $1 AND tc.trunk_id = $2
					AND c.tenant_id = $1 AND c.id = tc.call_id AND c.state IN ('ended', 'refused')`, tenantID, trunkID); err != nil {
				return err
			}
			var busy int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM trunk_calls WHERE tenant_id = $1 AND trunk_id = $2 AND call_id <> $3`,
				tenantID, trunkID, callID).Scan(&busy); err != nil {
				return err
			}
			if busy >= maxCalls {
				return nil
			}
		}
		if cps > 0 {
			// A bucket of one second's calls, refilled at the trunk's pace.
			tokens = min(max(cps, 1), tokens+cps*max(elapsed, 0))
			if tokens < 1 {
				wait = time.Duration((1 - tokens) / cps * float64(time.Second))
				return nil
			}
			if _, err := tx.Exec(ctx, `UPDATE trunks SET pace_tokens = $3, pace_at = now() WHERE tenant_id = $1 AND id = $2`,
				tenantID, trunkID, tokens-1); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO trunk_calls (tenant_id, call_id, trunk_id) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id, call_id) DO UPDATE SET trunk_id = EXCLUDED.trunk_id, claimed_at = now()`, tenantID, callID, trunkID)
		ok = err == nil
		return err
	})
	return ok, wait, err
}

// Release gives back the call's claim on its trunk.
func (s *TrunkStore) Release(ctx context.Context, tenantID, callID uuid.UUID) error {
	return s.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM trunk_calls WHERE tenant_id = $1 AND call_id = $2`, tenantID, callID)
		return err
	})
}

// Registering lists every tenant's enabled trunks that register, with
// their passwords decrypted, by tenant.
func (s *TrunkStore) Registering(ctx context.Context) ([]RegisteringTrunk, error) {
	rows, err := s.DB.Pool().Query(ctx, `SELECT tenant_id, trunk_id FROM registering_trunks()`)
	if err != nil {
		return nil, err
	}
	type ids struct{ tenant, trunk uuid.UUID }
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ids, error) {
		var x ids
		return x, r.Scan(&x.tenant, &x.trunk)
	})
	if err != nil {
		return nil, err
	}
	out := make([]RegisteringTrunk, 0, len(list))
	for _, x := range list {
		t, ok, err := s.load(ctx, x.tenant, &x.trunk)
		if err != nil {
			return out, fmt.Errorf("trunk %s: %w", x.trunk, err)
		}
		if ok {
			out = append(out, RegisteringTrunk{TenantID: x.tenant, TrunkID: x.trunk, Trunk: t})
		}
	}
	return out, nil
}

// RegisteringTrunk is a trunk to keep registered.
type RegisteringTrunk struct {
	TenantID, TrunkID uuid.UUID
	Trunk             Trunk
}

// RecordRegistration keeps what the carrier answered a REGISTER: until
// when it granted the registration (nil: it did not), and its words.
func (s *TrunkStore) RecordRegistration(ctx context.Context, tenantID, trunkID uuid.UUID, until *time.Time, detail string) error {
	return s.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE trunks SET registered_until = $3, register_detail = $4 WHERE tenant_id = $1 AND id = $2`, tenantID, trunkID, until, detail)
		return err
	})
}

// Pinger checks that a trunk answers (the SIP dialer's OPTIONS ping).
type Pinger interface {
	Ping(ctx context.Context, t Trunk) (TrunkHealth, error)
}

// CheckAll pings every tenant's enabled trunks and records the answers.
func (s *TrunkStore) CheckAll(ctx context.Context, pinger Pinger) (int, error) {
	rows, err := s.DB.Pool().Query(ctx, `SELECT tenant_id, trunk_id FROM enabled_trunks()`)
	if err != nil {
		return 0, err
	}
	type ref struct{ tenant, trunk uuid.UUID }
	refs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ref, error) {
		var x ref
		return x, r.Scan(&x.tenant, &x.trunk)
	})
	if err != nil {
		return 0, err
	}
	for _, r := range refs {
		if _, err := s.Check(ctx, r.tenant, r.trunk, pinger); err != nil {
			return 0, err
		}
	}
	return len(refs), nil
}

// Check pings one trunk and records the answer.
func (s *TrunkStore) Check(ctx context.Context, tenantID, trunkID uuid.UUID, pinger Pinger) (TrunkHealth, error) {
	t, ok, err := s.load(ctx, tenantID, &trunkID)
	if err != nil || !ok {
		return TrunkHealth{}, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	h, perr := pinger.Ping(pctx, t)
	cancel()
	detail := h.Reason
	if perr != nil {
		detail = perr.Error()
	} else if h.Up {
		detail = fmt.Sprintf("answered %d in %s", h.SIPCode, h.RTT.Round(time.Millisecond))
	}
	err = s.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE trunks SET last_check_at = now(), last_check_up = $3, last_check_detail = $4 WHERE tenant_id = $1 AND id = $2`,
			tenantID, trunkID, h.Up && perr == nil, detail)
		return err
	})
	return h, err
}
