// Package localpg runs a PostgreSQL cluster of the machine's own PostgreSQL
// binaries in a folder of the project (by default .data/pg), for `outcall dev`
// and for the tests. It initialises the cluster on first use, reuses it on
// the next start, and stops it cleanly.
//
// The server listens on a Unix socket in the cluster's own run/ folder and,
// when given a port, on that TCP port of 127.0.0.1 too. Without a port it
// listens on the socket alone: no other program binds in that folder, so
// its address cannot be taken between choosing it and starting the server
// (a free TCP port found beforehand could be).
//
// PostgreSQL refuses to run as root. When outcall itself runs as root the
// cluster runs as Debian's "postgres" system user, which owns the folder.
package localpg

import (
	"context"
	"errors"
	"fmt"
	"net/url"
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
	// Port is the TCP port on 127.0.0.1 the server listens on. 0 means
	// none: the server listens on its Unix socket in run/ alone, and URL
	// names that socket.
	Port int
	// Env is added to the server's environment (tests run it under
	// libfaketime to put its clock at an awkward moment).
	Env []string

	bin  string
	cred *syscall.Credential
	uid  int
	gid  int
	// socketPort is the number in the name of the server's socket
	// (.s.PGSQL.<n>): Port, or with no TCP port socketOnlyPort, or what a
	// server already running says.
	socketPort int
}

// socketOnlyPort names the socket of a server without a TCP port; it is
// PostgreSQL's default port, but no TCP port is opened for it.
const socketOnlyPort = 5432

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

// New prepares a cluster in dir listening on port (0: on its Unix socket
// alone). It finds the binaries and, when running as root, the
// unprivileged user that will run the server.
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

// URL returns the connection URL of database db as the superuser: over
// TCP with a Port, otherwise through the server's Unix socket.
func (c *Cluster) URL(db string) string {
	if c.Port != 0 {
		return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, c.Port, db)
	}
	return fmt.Sprintf("postgres://%s@/%s?host=%s&port=%d&sslmode=disable", Superuser, db, url.QueryEscape(c.runDir()), c.sockPort())
}

// Addr says where the server listens, for people: 127.0.0.1:<Port>, or
// the path of its Unix socket.
func (c *Cluster) Addr() string {
	if c.Port != 0 {
		return fmt.Sprintf("127.0.0.1:%d", c.Port)
	}
	return filepath.Join(c.runDir(), fmt.Sprintf(".s.PGSQL.%d", c.sockPort()))
}

func (c *Cluster) sockPort() int {
	switch {
	case c.socketPort != 0:
		return c.socketPort
	case c.Port != 0:
		return c.Port
	}
	return socketOnlyPort
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
// connections where URL points.
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
		// Wait where the running server listens, which may not be where
		// this Cluster would have started it.
		port, tcp, err := c.runningAddr(ctx)
		if err != nil {
			return err
		}
		if c.Port != 0 && (!tcp || port != c.Port) {
			where := "on its Unix socket alone"
			if tcp {
				where = fmt.Sprintf("on port %d", port)
			}
			return fmt.Errorf("the PostgreSQL cluster in %s already runs %s, not on port %d: stop it (pg_ctl -D %s stop) or ask for that port", c.Dir, where, c.Port, c.dataDir())
		}
		c.socketPort = port
		return c.waitReady(ctx)
	}
	// The server binds its port itself; a port another program holds fails
	// the start, and only then is it reported (a look beforehand could be
	// overtaken).
	return c.start(ctx)
}

func (c *Cluster) start(ctx context.Context) error {
	c.socketPort = 0
	listen := "-c listen_addresses=127.0.0.1"
	if c.Port == 0 {
		listen = "-c listen_addresses=''"
	}
	logStart, _ := os.Stat(c.logFile())
	opts := fmt.Sprintf("-k %s -p %d %s -c fsync=off -c synchronous_commit=off -c max_connections=300 -c shared_buffers=256MB", c.runDir(), c.sockPort(), listen)
	cmd := c.command(ctx, "pg_ctl", "-D", c.dataDir(), "-o", opts, "-l", c.logFile(), "-w", "-t", "60", "start")
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(c.logFile())
		if logStart != nil && int64(len(log)) >= logStart.Size() {
			log = log[logStart.Size():] // this start's lines only
		}
		if c.Port != 0 && strings.Contains(string(log), "could not bind") {
			return fmt.Errorf("port %d on 127.0.0.1 is taken by another program; choose another with OUTCALL_PG_PORT (or 0: the Unix socket alone): %w\n%s", c.Port, err, tail(string(log), 2000))
		}
		return fmt.Errorf("start PostgreSQL on %s: %w\n%s\n%s", c.Addr(), err, out, tail(string(log), 2000))
	}
	return c.waitReady(ctx)
}

// runningAddr reads where the running server listens from its
// postmaster.pid: the port (the fourth line, which also names its Unix
// socket) and whether it listens on TCP at all (the sixth line, its first
// listen address, is empty when not). A server still starting writes the
// sixth line once its sockets are open, so it waits for that line as long
// as waitReady would wait for the server.
func (c *Cluster) runningAddr(ctx context.Context) (port int, tcp bool, err error) {
	pidFile := filepath.Join(c.dataDir(), "postmaster.pid")
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return 0, false, fmt.Errorf("read where the running server listens: %w", err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(lines) >= 6 {
			if port, err = strconv.Atoi(strings.TrimSpace(lines[3])); err != nil {
				return 0, false, fmt.Errorf("read where the running server listens: %s: %w", pidFile, err)
			}
			return port, strings.TrimSpace(lines[5]) != "", nil
		}
		if time.Now().After(deadline) {
			return 0, false, fmt.Errorf("read where the running server listens: %s names no listen address within 60s; see %s", pidFile, c.logFile())
		}
		select {
		case <-ctx.Done():
			return 0, false, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
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
			return fmt.Errorf("PostgreSQL in %s did not accept connections on %s within 60s; see %s", c.dataDir(), c.Addr(), c.logFile())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
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
