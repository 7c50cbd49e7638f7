package tenants

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"strings"

	"github.com/alexedwards/argon2id"
)

// passwordParams follow OWASP's argon2id recommendation (19 MiB, 2 passes).
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// dummyHash lets a login with an unknown email cost as much as one with a
// wrong password, so timing does not tell which part was wrong.
var dummyHash, _ = argon2id.CreateHash("outcall-no-such-user", passwordParams)

func hashPassword(pw string) (string, error) { return argon2id.CreateHash(pw, passwordParams) }

func checkPassword(pw, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	return err == nil && ok
}

var token32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// randomToken returns n random bytes as lower-case base32 text.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return strings.ToLower(token32.EncodeToString(b))
}

func sha(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func equalHash(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
