// Package scratch makes throwaway PostgreSQL databases, freshly migrated,
// on a real server: each test gets its own (through package dbtest, which
// drops it when the test ends), and each benchmark of `outcall bench` too.
//
// With OUTCALL_TEST_DATABASE_URL set (a superuser URL of an existing
// server), databases are created there. Otherwise the first test of a run
// starts a local cluster (package localpg) in the system's temporary folder
// and later tests, in any package, reuse it. The migrated schema is built
// once into a template database, so a new database costs one
// CREATE DATABASE … TEMPLATE.
//
// With OUTCALL_TEST_DB_CLOCK set to a moment (a name in Moments, such as
// sunday-night-shanghai, or RFC 3339), the local cluster is a separate one whose
// clock starts at that moment (PostgreSQL runs under Debian's libfaketime):
// `make test-clocks` runs the database tests so, at a few awkward moments,
// to show that no code or test mixes the database's clock with another.
package scratch

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/outcall/outcall/migrations"
	"github.com/outcall/outcall/tenants/localpg"
)

// DefaultPort is where the shared test cluster listens unless
// OUTCALL_TEST_PG_PORT says otherwise.
const DefaultPort = 54330

var (
	setupOnce sync.Once
	serverURL string // superuser URL of the maintenance database
	template  string
	setupErr  error
)

// Create makes a migrated database and returns its superuser URL and a
// function that drops it. The service's own pool (tenants.Open) switches to
// the application role by itself.
func Create(ctx context.Context) (string, func(), error) {
	setupOnce.Do(func() { setupErr = setup() })
	if setupErr != nil {
		return "", nil, setupErr
	}
	name := "test_" + randomHex(8)
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect to test server: %w", err)
	}
	defer conn.Close(ctx)
	for attempt := 0; ; attempt++ {
		_, err = conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, template))
		var pgErr *pgconn.PgError
		if err != nil && errors.As(err, &pgErr) && pgErr.Code == "55006" && attempt < 100 {
			// The template is briefly in use by another package's copy.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		break
	}
	if err != nil {
		return "", nil, fmt.Errorf("create test database: %w", err)
	}
	drop := func() {
		conn, err := pgx.Connect(context.Background(), serverURL)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		conn.Exec(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	}
	return withDatabase(serverURL, name), drop, nil
}

func setup() error {
	ctx := context.Background()
	serverURL = os.Getenv("OUTCALL_TEST_DATABASE_URL")
	if serverURL != "" && os.Getenv("OUTCALL_TEST_DB_CLOCK") != "" {
		return errors.New("OUTCALL_TEST_DB_CLOCK needs the local test cluster (its clock is faked): unset OUTCALL_TEST_DATABASE_URL")
	}
	lock, err := lockFile(filepath.Join(os.TempDir(), "outcall-test-pg.lock"))
	if err != nil {
		return err
	}
	defer lock.Close() // releases the lock
	if serverURL == "" {
		port := DefaultPort
		if p := os.Getenv("OUTCALL_TEST_PG_PORT"); p != "" {
			port, _ = strconv.Atoi(p)
		}
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("outcall-test-pg-%d", port))
		var env []string
		var moment time.Time
		if at := os.Getenv("OUTCALL_TEST_DB_CLOCK"); at != "" {
			if env, moment, err = fakeClock(at); err != nil {
				return err
			}
			// A cluster of its own, listening on its Unix socket alone.
			port, dir = 0, filepath.Join(os.TempDir(), "outcall-test-pg-clock-"+moment.UTC().Format("20060102T150405Z"))
		}
		c, err := localpg.New(dir, port)
		if err != nil {
			return err
		}
		c.Env = env
		if err := c.Start(ctx); err != nil {
			return err
		}
		if !moment.IsZero() {
			if err := keepClockNear(ctx, c, moment); err != nil {
				return err
			}
		}
		serverURL = c.URL("postgres")
	}

	template = "outcall_tmpl_" + schemaHash()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return fmt.Errorf("connect to test server: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, template).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := template + "_build"
	conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building))
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	if err := migrations.Up(ctx, withDatabase(serverURL, building)); err != nil {
		return fmt.Errorf("migrate template database: %w", err)
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, template)); err != nil {
		return fmt.Errorf("publish template database: %w", err)
	}
	return nil
}

// Moments is what OUTCALL_TEST_DB_CLOCK may name besides an RFC 3339
// moment: awkward moments, always the next one to come, so the database's
// clock is never behind the tests' (River schedules a snoozed job by the
// service's clock and runs it by the database's: a database clock behind
// would hold such jobs back by the whole gap).
var Moments = map[string]func(now time.Time) time.Time{
	// The next Sunday, 23:59 in Shanghai: a week and a day end at once.
	"sunday-night-shanghai": func(now time.Time) time.Time {
		sh := zone("Asia/Shanghai")
		t := now.In(sh)
		d := (7 - int(t.Weekday())) % 7
		m := time.Date(t.Year(), t.Month(), t.Day()+d, 23, 59, 0, 0, sh)
		if !m.After(now) {
			m = m.AddDate(0, 0, 7)
		}
		return m
	},
	// The next month's end, 23:59:30 in Shanghai.
	"month-end-shanghai": func(now time.Time) time.Time {
		sh := zone("Asia/Shanghai")
		t := now.In(sh)
		m := time.Date(t.Year(), t.Month()+1, 0, 23, 59, 30, 0, sh)
		if !m.After(now) {
			m = time.Date(t.Year(), t.Month()+2, 0, 23, 59, 30, 0, sh)
		}
		return m
	},
	// The next night Los Angeles springs forward (the second Sunday of
	// March), a minute before its clocks jump from 02:00 to 03:00.
	"la-spring-forward": func(now time.Time) time.Time {
		la := zone("America/Los_Angeles")
		for year := now.In(la).Year(); ; year++ {
			first := time.Date(year, time.March, 1, 1, 59, 0, 0, la)
			m := first.AddDate(0, 0, (7-int(first.Weekday()))%7+7)
			if m.After(now) {
				return m
			}
		}
	},
}

func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // the Go distribution's own zone data holds these
	}
	return loc
}

// fakeClock returns the environment that starts PostgreSQL's clock at the
// moment at (a name in Moments, or RFC 3339), ticking from there, with
// Debian's libfaketime, and the moment itself.
func fakeClock(at string) ([]string, time.Time, error) {
	var t time.Time
	var err error
	if next, ok := Moments[at]; ok {
		t = next(time.Now())
	} else if t, err = time.Parse(time.RFC3339, at); err != nil {
		return nil, t, fmt.Errorf("OUTCALL_TEST_DB_CLOCK=%q: neither a named moment (sunday-night-shanghai, month-end-shanghai, la-spring-forward) nor an RFC 3339 one: %w", at, err)
	}
	libs, _ := filepath.Glob("/usr/lib/*/faketime/libfaketimeMT.so.1")
	if len(libs) == 0 {
		return nil, t, errors.New("OUTCALL_TEST_DB_CLOCK needs libfaketime (apt-get install libfaketime)")
	}
	// The server runs with TZ=UTC, so the moment is written in UTC.
	return []string{"LD_PRELOAD=" + libs[0], "FAKETIME=@" + t.UTC().Format("2006-01-02 15:04:05"), "FAKETIME_DONT_RESET=1"}, t, nil
}

// keepClockNear restarts the faked cluster c when its clock has ticked
// more than a quarter of an hour past moment: a cluster left running by an
// earlier run (the shared test cluster is never stopped) would otherwise
// test a moment long gone by, no longer the awkward one asked for.
func keepClockNear(ctx context.Context, c *localpg.Cluster, moment time.Time) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to test server: %w", err)
	}
	defer conn.Close(ctx)
	var now time.Time
	err = conn.QueryRow(ctx, `SELECT now()`).Scan(&now)
	if err != nil || now.Sub(moment) < 15*time.Minute {
		return err
	}
	// Another test binary may be using it (tests run two packages at once):
	// it keeps its clock then.
	var others int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`).Scan(&others); err != nil || others > 0 {
		return err
	}
	conn.Close(ctx)
	if err := c.Stop(ctx); err != nil {
		return err
	}
	return c.Start(ctx)
}

// schemaHash names the template after the migrations and the River version,
// so a changed schema builds a new template instead of reusing a stale one.
func schemaHash() string {
	h := sha256.New()
	fs.WalkDir(migrations.Files(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(migrations.Files(), path)
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if strings.HasPrefix(dep.Path, "github.com/riverqueue/river") {
				h.Write([]byte(dep.Path + dep.Version))
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func withDatabase(raw, db string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + db
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
