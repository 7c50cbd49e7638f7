// Package localpg runs a PostgreSQL cluster of the machine's own PostgreSQL
// binaries in a folder of the project (by default .data/pg), for `outcall dev`
// and for the tests. It initialises the cluster on first use, reuses it on
// the next start, and stops it cleanly.
//
// PostgreSQL refuses to run as root. When outcall itself runs as root the
// cluster runs as Debian's "postgres" system user, which owns the folder.
package localpg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the name of the cluster's superuser, which owns outcall's
// tables and runs the migrations.
const Superuser = "outcall"

// Cluster is one local PostgreSQL cluster.
type Cluster struct {
	// Dir holds the cluster: data/ (PGDATA), run/ (socket), postgres.log.
	Dir string
	// Port is the TCP port on 127.0.0.1 the server listens on. 0 lets Start
	// choose a free one (and choose again if another program takes it
	// first); after Start it holds the port the server listens on.
	Port int
	// Env is added to the server's environment (tests run it under
	// libfaketime to put its clock at an awkward moment).
	Env []string

	bin  string
	cred *syscall.Credential
	uid  int
	gid  int
}

// ErrNotInstalled says PostgreSQL's server binaries were not found.
var ErrNotInstalled = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found: install them with `apt-get install postgresql` (Debian/Ubuntu), `brew install postgresql` (macOS), or set OUTCALL_DATABASE_URL to an existing server")

// FindBinDir returns the folder of initdb and pg_ctl: from PATH, from
// `pg_config --bindir`, or from Debian's /usr/lib/postgresql/<version>/bin,
// newest version first.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[j]))))
		return vi > vj
	})
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	return "", ErrNotInstalled
}

// New prepares a cluster in dir listening on port. It finds the binaries and,
// when running as root, the unprivileged user that will run the server.
func New(dir string, port int) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: abs, Port: port, bin: bin, uid: os.Getuid(), gid: os.Getgid()}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, PostgreSQL must run as an unprivileged user, and the system user \"postgres\" (created by Debian's postgresql package) was not found: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.uid, c.gid = uid, gid
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	return c, nil
}

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "data") }
func (c *Cluster) runDir() string  { return filepath.Join(c.Dir, "run") }
func (c *Cluster) logFile() string { return filepath.Join(c.Dir, "postgres.log") }

// URL returns the connection URL of database db as the superuser.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, c.Port, db)
}

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.Dir
	cmd.Env = append(append(os.Environ(), "LC_ALL=C.UTF-8", "TZ=UTC"), c.Env...)
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// Start initialises the cluster if its folder is empty and starts the
// server unless it already runs. It waits until the server accepts
// connections.
func (c *Cluster) Start(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(c.Dir), err)
	}
	for _, d := range []string{c.Dir, c.runDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
		if err := os.Chown(d, c.uid, c.gid); err != nil {
			return fmt.Errorf("give %s to the PostgreSQL user: %w", d, err)
		}
	}
	if c.cred != nil {
		if err := c.checkReachable(); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		cmd := c.command(ctx, "initdb", "-D", c.dataDir(), "-A", "trust", "-U", Superuser, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("initdb %s: %w\n%s", c.dataDir(), err, out)
		}
	}
	if c.running(ctx) {
		if c.Port == 0 {
			port, err := c.runningPort()
			if err != nil {
				return err
			}
			c.Port = port
		}
		return c.waitReady(ctx)
	}
	if c.Port != 0 {
		if c.portTaken() {
			return fmt.Errorf("port %d on 127.0.0.1 is taken by another program; choose another with OUTCALL_PG_PORT", c.Port)
		}
		return c.start(ctx)
	}
	// No port given: take a free one. Another program may bind it between
	// our look and the server's bind, so a start that loses that race is
	// tried again on another port.
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		c.Port = port
		err = c.start(ctx)
		if err == nil || attempt == 5 || !errors.Is(err, errPortClash) {
			return err
		}
	}
}

// errPortClash says the server could not bind its port.
var errPortClash = errors.New("the port was taken")

func (c *Cluster) start(ctx context.Context) error {
	logStart, _ := os.Stat(c.logFile())
	opts := fmt.Sprintf("-k %s -p %d -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300 -c shared_buffers=256MB", c.runDir(), c.Port)
	cmd := c.command(ctx, "pg_ctl", "-D", c.dataDir(), "-o", opts, "-l", c.logFile(), "-w", "-t", "60", "start")
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(c.logFile())
		if logStart != nil && int64(len(log)) >= logStart.Size() {
			log = log[logStart.Size():] // this start's lines only
		}
		if strings.Contains(string(log), "could not bind") {
			err = fmt.Errorf("%w: %w", errPortClash, err)
		}
		return fmt.Errorf("start PostgreSQL on port %d: %w\n%s\n%s", c.Port, err, out, tail(string(log), 2000))
	}
	return c.waitReady(ctx)
}

// runningPort reads the port of the running server from its
// postmaster.pid (the fourth line).
func (c *Cluster) runningPort() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.dataDir(), "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("read the running server's port: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, fmt.Errorf("read the running server's port: %s is too short", filepath.Join(c.dataDir(), "postmaster.pid"))
	}
	return strconv.Atoi(strings.TrimSpace(lines[3]))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop stops the server (fast shutdown: sessions are disconnected, data is
// kept).
func (c *Cluster) Stop(ctx context.Context) error {
	if !c.running(ctx) {
		return nil
	}
	cmd := c.command(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "fast", "-w", "stop")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("stop PostgreSQL: %w\n%s", err, out)
	}
	return nil
}

// CreateDatabase creates database name unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to local PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func (c *Cluster) running(ctx context.Context) bool {
	cmd := c.command(ctx, "pg_ctl", "-D", c.dataDir(), "status")
	return cmd.Run() == nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(pingCtx, c.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("PostgreSQL in %s did not accept connections on port %d within 60s; see %s", c.dataDir(), c.Port, c.logFile())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *Cluster) portTaken() bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", c.Port))
	if err != nil {
		return true
	}
	l.Close()
	return false
}

// checkReachable makes sure the unprivileged user can reach the cluster's
// folder: every parent must be searchable by it.
func (c *Cluster) checkReachable() error {
	cmd := exec.Command("test", "-x", c.Dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	if cmd.Run() != nil {
		return fmt.Errorf("the PostgreSQL user (uid %d) cannot reach %s: a parent folder is closed to other users; choose a reachable folder with OUTCALL_DATA_DIR (for example under /var/tmp)", c.uid, c.Dir)
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
