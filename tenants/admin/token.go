package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// Token is a platform-admin credential. Only its hash is stored; the prefix
// stays visible so operators can tell tokens apart.
type Token struct {
	ID         uuid.UUID
	Name       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// NewToken is a token just made, with its secret, shown this once.
type NewToken struct {
	Token
	Secret string
}

// Tokens look like "oca_1a2b3c4d_<32 random characters>": "oca_" sets them
// apart from tenants' API keys ("oc_"), "oca_1a2b3c4d" finds the row, and
// the whole token is checked against its hash.
const (
	tokenScheme    = "oca_"
	tokenPrefixLen = len(tokenScheme) + 8
)

var token32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func randomText(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return strings.ToLower(token32.EncodeToString(b))
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

const tokenColumns = `id, name, prefix, created_at, last_used_at, revoked_at`

func scanToken(row pgx.Row) (Token, error) {
	var t Token
	err := row.Scan(&t.ID, &t.Name, &t.Prefix, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	return t, err
}

// CreateToken makes a platform-admin token called name. Only the command
// line makes tokens: the admin API cannot mint its own credentials.
func (s *Service) CreateToken(ctx context.Context, by Operator, name string) (*NewToken, error) {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		return nil, tenants.FieldError("name", "a token needs a name of 1 to 100 characters (whose it is, where it is used)")
	}
	prefix := tokenScheme + randomText(5)[:8]
	secret := prefix + "_" + randomText(20)
	now := s.now()
	out := &NewToken{Secret: secret}
	err := pgx.BeginFunc(ctx, s.db.Pool(), func(tx pgx.Tx) (err error) {
		out.Token, err = scanToken(tx.QueryRow(ctx, `INSERT INTO admin_tokens (id, name, prefix, secret_hash, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+tokenColumns, uuid.New(), name, prefix, hash(secret), now))
		if err != nil {
			return err
		}
		return s.record(ctx, tx, by, now, ActionTokenCreate, nil, nil, map[string]string{"token": prefix, "name": name})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Tokens returns every token, oldest first.
func (s *Service) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.db.Pool().Query(ctx, `SELECT `+tokenColumns+` FROM admin_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Token, error) { return scanToken(r) })
}

// RevokeToken revokes the token whose prefix ("oca_1a2b3c4d") is given; it
// fails on no further request. Revoking it again changes nothing.
func (s *Service) RevokeToken(ctx context.Context, by Operator, prefix string) error {
	now := s.now()
	return pgx.BeginFunc(ctx, s.db.Pool(), func(tx pgx.Tx) error {
		var revoked *time.Time
		err := tx.QueryRow(ctx, `SELECT revoked_at FROM admin_tokens WHERE prefix = $1 FOR UPDATE`, prefix).Scan(&revoked)
		if err != nil {
			return tenants.NotFound(err, "no admin token has the prefix %q (outcall admin token list shows them)", prefix)
		}
		if revoked != nil {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE admin_tokens SET revoked_at = $2 WHERE prefix = $1`, prefix, now); err != nil {
			return err
		}
		return s.record(ctx, tx, by, now, ActionTokenRevoke, nil, nil, map[string]string{"token": prefix})
	})
}

// errBadToken is the one answer to every token that does not authenticate,
// so the answer does not tell which part was wrong.
var errBadToken = tenants.Errorf(tenants.EUnauthorized, "invalid admin token")

// Authenticate returns the operator a platform-admin token acts for, or an
// unauthorized error.
func (s *Service) Authenticate(ctx context.Context, secret string) (Operator, error) {
	if len(secret) <= tokenPrefixLen || !strings.HasPrefix(secret, tokenScheme) || secret[tokenPrefixLen] != '_' {
		return Operator{}, errBadToken
	}
	prefix := secret[:tokenPrefixLen]
	var (
		id      uuid.UUID
		name    string
		stored  []byte
		revoked bool
	)
	err := s.db.Pool().QueryRow(ctx, `SELECT id, name, secret_hash, revoked_at IS NOT NULL FROM admin_tokens WHERE prefix = $1`, prefix).
		Scan(&id, &name, &stored, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return Operator{}, errBadToken
	}
	if err != nil {
		return Operator{}, err
	}
	if subtle.ConstantTimeCompare(stored, hash(secret)) != 1 || revoked {
		return Operator{}, errBadToken
	}
	// Last use is kept to the minute: a busy token writes once a minute.
	now := s.now()
	if _, err := s.db.Pool().Exec(ctx, `UPDATE admin_tokens SET last_used_at = $2
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')`, id, now); err != nil {
		return Operator{}, err
	}
	return Operator{TokenID: &id, Name: "token " + prefix + " (" + name + ")"}, nil
}
