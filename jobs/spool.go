package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// Closes that wait on disk. Once a call has been placed, how it went (its
// outcome, its turns, a callee's "stop") exists only in its worker's memory
// until CloseCall commits it. A dial job retries the close for a while
// (SpoolOptions.RetryFor); when the database is away longer than that, or
// the process is stopping, the close goes to the spool instead: one file
// per call in a local folder, written atomically (a temporary file, fsync,
// rename, fsync of the folder), and the dial job ends successfully: River
// completes it. A run of the same job that River starts again (its
// completion lost in the outage, the job rescued after the dial's two-hour
// Timeout) finds the attempt recorded and dials no one; it closes the call
// as interrupted if the close is still spooled then, which makes the
// replay a late one (below).
//
// The spool replays its files (Run, and Replay once at start) until
// CloseCall records each one, then deletes it. Replaying is safe to repeat:
// closing a call that has ended changes nothing (no second set of turns,
// usage row or webhook event), so a file replayed twice, by a process that
// stopped between the commit and the delete or by two processes sharing
// the folder, records its call once.
//
// While a close waits in the spool, this process keeps renewing its call's
// line lease, as it did during the call: the lease reaper would otherwise
// close the call as interrupted once the database is back, before the
// spooled close is replayed. A process that stays down while the database
// is up cannot renew: the reaper then closes its spooled calls as
// interrupted (ReasonWorkerLost), and their replays, finding them closed,
// keep the reaper's record. Such a late replay is logged as an error, with
// what was lost, and a callee's "stop" still puts the number on the
// tenant's do-not-call list.
//
// A file that cannot be read back (cut short, corrupt, of a call that no
// longer exists) is reported and kept aside, renamed *.bad, for an
// operator; its call's lease is no longer renewed, so the reaper closes the
// call as interrupted.

// Spool keeps the closes of calls the database could not take, on disk,
// and replays them until it does. Make one with NewSpool; a nil *Spool
// spools nothing (dial jobs keep retrying their closes in memory).
type Spool struct {
	dir       string
	campaigns *campaigns.Service
	logger    *slog.Logger
	retryFor  time.Duration
	maxWait   time.Duration

	// hold renews a spooled call's line lease until its release is called;
	// jobs.New sets it to the lease keeper of its dial workers.
	hold func(tenantID, callID uuid.UUID) (release func())

	mu sync.Mutex
	// pending are the spooled calls this process knows of, each with the
	// release of its line lease (nil: not held here).
	pending map[uuid.UUID]func()
	wake    chan struct{}
	// replaying is held by a pass over the folder: passes never overlap.
	replaying sync.Mutex
}

// SpoolOptions configure a Spool.
type SpoolOptions struct {
	// Dir is the spool's folder, made (mode 0700: the files hold what
	// callees said) when the first close is spooled.
	Dir string
	// Campaigns records the closes: the service the dial workers close
	// their calls with.
	Campaigns *campaigns.Service
	Logger    *slog.Logger
	// RetryFor is how long a dial job retries its call's close before it
	// spools it (30 s); a stopping process spools at the first failure.
	RetryFor time.Duration
	// MaxWait is the longest wait between two replays while closes wait in
	// the spool (15 s); the first retry comes after a second.
	MaxWait time.Duration
	// Metrics, when set, gets the gauge outcall_spooled_closes: the closes
	// waiting in the spool.
	Metrics prometheus.Registerer
}

// spoolRetryFor and spoolMaxWait are SpoolOptions' defaults.
const (
	spoolRetryFor = 30 * time.Second
	spoolMaxWait  = 15 * time.Second
	// spoolIdleWait is how often an empty spool looks at its folder again
	// (for files another process sharing it left).
	spoolIdleWait = time.Minute
	// replayTimeout bounds one replayed close.
	replayTimeout = 30 * time.Second
	// staleTemp is the age past which a temporary file is taken for the
	// remains of a process that died while writing it.
	staleTemp = time.Hour
)

// NewSpool returns a spool on o.Dir. It registers its gauge with o.Metrics.
func NewSpool(o SpoolOptions) (*Spool, error) {
	if o.Dir == "" {
		return nil, errors.New("spool: no folder")
	}
	if o.Campaigns == nil {
		return nil, errors.New("spool: no campaigns service")
	}
	s := &Spool{dir: o.Dir, campaigns: o.Campaigns, logger: o.Logger, retryFor: o.RetryFor, maxWait: o.MaxWait,
		pending: map[uuid.UUID]func(){}, wake: make(chan struct{}, 1)}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.retryFor <= 0 {
		s.retryFor = spoolRetryFor
	}
	if s.maxWait <= 0 {
		s.maxWait = spoolMaxWait
	}
	if o.Metrics != nil {
		g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "outcall_spooled_closes",
			Help: "Call closes kept in the local spool until the database takes them."}, func() float64 { return float64(s.Len()) })
		if err := o.Metrics.Register(g); err != nil {
			return nil, fmt.Errorf("spool metrics: %w", err)
		}
	}
	return s, nil
}

// Dir is the spool's folder.
func (s *Spool) Dir() string { return s.dir }

// Len is how many closes this process knows to be waiting in the spool.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// spooledClose is one file of the spool.
type spooledClose struct {
	// Version is the file format's (spoolVersion).
	Version  int       `json:"version"`
	TenantID uuid.UUID `json:"tenant_id"`
	CallID   uuid.UUID `json:"call_id"`
	// Phone is the callee's number masked (phone.Mask), for the logs.
	Phone     string           `json:"phone_masked"`
	SpooledAt time.Time        `json:"spooled_at"`
	Ending    campaigns.Ending `json:"ending"`
}

const spoolVersion = 1

// spoolExt ends the name of every spooled close; badExt is added to a file
// kept aside.
const (
	spoolExt = ".json"
	badExt   = ".bad"
)

// forDisk returns res as CloseCall would record it now: an end time and an
// outcome filled in (a replay must not take its own moment for the call's
// end), and JSON values that are not JSON dropped (CloseCall ignores such
// variables and turn model data; contact fields that are not JSON, or
// variables that are JSON's null, would make every close of the call
// fail). The copy shares nothing that is changed with res.
func forDisk(res campaigns.Ending, now time.Time) campaigns.Ending {
	if res.EndedAt.IsZero() {
		res.EndedAt = now
	}
	if res.Outcome == "" {
		res.Outcome = telephony.OutcomeFailed
	}
	if len(res.Vars) > 0 && !json.Valid(res.Vars) || string(res.Vars) == "null" {
		res.Vars = nil
	}
	if res.Turns != nil {
		res.Turns = slices.Clone(res.Turns)
		for i := range res.Turns {
			if len(res.Turns[i].Requests) > 0 && !json.Valid(res.Turns[i].Requests) {
				res.Turns[i].Requests = nil
			}
			if len(res.Turns[i].Model) > 0 && !json.Valid(res.Turns[i].Model) {
				res.Turns[i].Model = nil
			}
		}
	}
	if res.ContactFields != nil {
		res.ContactFields = maps.Clone(res.ContactFields)
		maps.DeleteFunc(res.ContactFields, func(_ string, v json.RawMessage) bool { return !json.Valid(v) })
	}
	return res
}

// encodeClose is a spool file's content.
func encodeClose(rec spooledClose) ([]byte, error) {
	return json.Marshal(rec)
}

// decodeClose reads a spool file's content. Numbers in the call's slots
// stay as written (json.Number), so a large integer is recorded as it was
// heard; variables and turn model data written as null (none) read back
// as none, as the placer left them; a field this version does not know
// makes the file unreadable rather than lose what it holds.
func decodeClose(data []byte) (spooledClose, error) {
	var rec spooledClose
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return rec, err
	}
	if dec.More() {
		return rec, errors.New("data after the close")
	}
	rec.Ending.Vars = noneForNull(rec.Ending.Vars)
	for i := range rec.Ending.Turns {
		rec.Ending.Turns[i].Model = noneForNull(rec.Ending.Turns[i].Model)
		rec.Ending.Turns[i].Requests = noneForNull(rec.Ending.Turns[i].Requests)
	}
	switch {
	case rec.Version != spoolVersion:
		return rec, fmt.Errorf("format version %d, want %d", rec.Version, spoolVersion)
	case rec.TenantID == uuid.Nil || rec.CallID == uuid.Nil:
		return rec, errors.New("no tenant or call")
	case rec.Ending.Outcome == "" || rec.Ending.EndedAt.IsZero():
		return rec, errors.New("no outcome or end time")
	}
	return rec, nil
}

// noneForNull is raw, or nil for JSON's null.
func noneForNull(raw json.RawMessage) json.RawMessage {
	if string(raw) == "null" {
		return nil
	}
	return raw
}

// Put writes the close of a call that CloseCall could not record to the
// spool, durably, and returns once it is on disk. On success the spool
// takes over release, the release of the call's line lease (nil: none
// held), and calls it once the close is recorded; until then the lease is
// renewed. On failure release stays the caller's.
func (s *Spool) Put(tenantID, callID uuid.UUID, number string, res campaigns.Ending, release func()) error {
	if s == nil {
		return errors.New("no spool")
	}
	now := time.Now()
	data, err := encodeClose(spooledClose{Version: spoolVersion, TenantID: tenantID, CallID: callID, Phone: phone.Mask(number),
		SpooledAt: now, Ending: forDisk(res, now)})
	if err != nil {
		return fmt.Errorf("spool the close of call %s: %w", callID, err)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("spool folder: %w", err)
	}
	name := callID.String() + spoolExt
	tmp, err := writeTemp(s.dir, name, data)
	if err != nil {
		return fmt.Errorf("spool the close of call %s: %w", callID, err)
	}
	// The rename and the bookkeeping go together: a replay that sees the
	// file finds the call pending, with its lease.
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("spool the close of call %s: %w", callID, err)
	}
	if err := syncDir(s.dir); err != nil {
		// The file is in place but may not survive a power cut: said, and
		// kept (the database may be back before then).
		s.logger.Error("cannot sync the spool folder", slog.String("dir", s.dir), slog.Any("error", err))
	}
	if old := s.pending[callID]; old != nil {
		old()
	}
	s.pending[callID] = release
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// writeTemp writes data to a new temporary file in dir, synced to disk,
// and returns its path.
func writeTemp(dir, name string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+"-*.tmp")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Run replays the spool until ctx ends: at once, then after each pass that
// left closes waiting, after a wait that doubles from a second (or MaxWait,
// if shorter) to MaxWait;
// an empty spool looks again when a close is spooled, or after a minute.
func (s *Spool) Run(ctx context.Context) {
	if s == nil {
		return
	}
	first := min(time.Second, s.maxWait)
	wait := first
	for {
		left, err := s.Replay(ctx)
		idle := err == nil && left == 0
		next := wait
		if idle {
			next, wait = spoolIdleWait, first
		} else {
			wait = min(2*wait, s.maxWait)
		}
		t := time.NewTimer(next)
		var woken <-chan struct{}
		if idle {
			// While closes wait, a newly spooled one does not mean the
			// database is back: only an empty spool wakes for it.
			woken = s.wake
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-woken:
			t.Stop()
		}
	}
}

// Replay tries every close in the spool once, deleting those recorded, and
// returns how many are left. It stops early, with the error, when the
// database does not answer; a close that fails for a reason of its own
// stays for the next pass and the others are tried.
func (s *Spool) Replay(ctx context.Context) (left int, err error) {
	if s == nil {
		return 0, nil
	}
	s.replaying.Lock()
	defer s.replaying.Unlock()
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the spool: %w", err)
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case !e.Type().IsRegular():
		case strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp"):
			s.sweepTemp(name)
		case strings.HasSuffix(name, spoolExt) && !strings.HasPrefix(name, "."):
			names = append(names, name)
		}
	}
	for i, name := range names {
		if ctx.Err() != nil {
			return len(names) - i, ctx.Err()
		}
		ok, err := s.replayFile(ctx, name)
		if err != nil {
			return len(names) - i, err
		}
		if !ok {
			left++
		}
	}
	return left, nil
}

// sweepTemp keeps aside a temporary file old enough to be the remains of
// a process that died while writing it.
func (s *Spool) sweepTemp(name string) {
	path := filepath.Join(s.dir, name)
	info, err := os.Stat(path)
	if err != nil || time.Since(info.ModTime()) < staleTemp {
		return
	}
	s.keepAside(path, uuid.Nil, errors.New("a close whose writing never finished"))
}

// replayFile replays one spooled close: ok when it is dealt with (recorded
// and deleted, or kept aside), an error when the database does not answer.
func (s *Spool) replayFile(ctx context.Context, name string) (ok bool, err error) {
	path := filepath.Join(s.dir, name)
	callID, _ := uuid.Parse(strings.TrimSuffix(name, spoolExt))
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		s.forget(callID) // replayed meanwhile by another process
		return true, nil
	}
	if err != nil {
		s.logger.Error("cannot read a spooled call close", slog.String("file", path), slog.Any("error", err))
		return false, nil
	}
	rec, err := decodeClose(data)
	if err == nil && rec.CallID != callID {
		err = fmt.Errorf("the file holds call %s", rec.CallID)
	}
	if err != nil {
		s.keepAside(path, callID, err)
		return true, nil
	}
	s.track(rec)
	log := s.logger.With(slog.String("tenant", rec.TenantID.String()), slog.String("call", rec.CallID.String()), slog.String("phone", rec.Phone))

	c, err := s.closeSpooled(ctx, rec)
	for try := 0; err != nil && tenants.ErrorCode(err) != tenants.ENotFound; try++ {
		if perr := s.ping(ctx); perr != nil {
			return false, fmt.Errorf("the database does not answer: %w", err)
		}
		if try == 2 {
			break
		}
		// The database answers: the close may have met pooled
		// connections that died with the outage (each is dropped once
		// it fails). Again.
		c, err = s.closeSpooled(ctx, rec)
	}
	if tenants.ErrorCode(err) == tenants.ENotFound {
		s.keepAside(path, callID, errors.New("the call no longer exists"))
		return true, nil
	}
	if err != nil && !unavailable(err) {
		// The database answers and refuses this close for what it holds:
		// waiting changes nothing.
		s.keepAside(path, callID, fmt.Errorf("the database refuses this close: %w", err))
		return true, nil
	}
	if err == nil && c.State != "ended" {
		err = fmt.Errorf("the call is still %s", c.State)
	}
	if err != nil {
		log.Error("cannot record a spooled call close; it stays in the spool", slog.String("file", path), slog.Any("error", err))
		return false, nil
	}
	if sameClose(c, rec.Ending) {
		log.Info("recorded a spooled call close", slog.String("outcome", string(c.Outcome)),
			slog.Int("turns", len(rec.Ending.Turns)), slog.Duration("spooled_for", time.Since(rec.SpooledAt).Round(time.Millisecond)))
	} else if err := s.lateClose(ctx, log, c, rec); err != nil {
		if perr := s.ping(ctx); perr != nil {
			return false, fmt.Errorf("the database does not answer: %w", err)
		}
		log.Error("cannot put the callee of a spooled call close on the do-not-call list; the close stays in the spool", slog.Any("error", err))
		return false, nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// Replayed again at the next pass, which changes nothing.
		log.Error("cannot delete a recorded spooled call close", slog.String("file", path), slog.Any("error", err))
		return false, nil
	}
	s.forget(rec.CallID)
	return true, nil
}

// closeSpooled records rec's close, within replayTimeout.
func (s *Spool) closeSpooled(ctx context.Context, rec spooledClose) (*campaigns.Call, error) {
	ctx, cancel := context.WithTimeout(ctx, replayTimeout)
	defer cancel()
	return s.campaigns.CloseCall(ctx, rec.TenantID, rec.CallID, rec.Ending)
}

// sameClose reports whether c, a call CloseCall returned, was closed with
// res (and not, before it, by another close: the lease reaper's, or a
// rerun of the call's dial job). The database keeps microseconds.
func sameClose(c *campaigns.Call, res campaigns.Ending) bool {
	if c.Outcome != res.Outcome || c.Reason != res.Reason || c.EndedAt == nil {
		return false
	}
	d := c.EndedAt.Sub(res.EndedAt)
	return d > -time.Millisecond && d < time.Millisecond
}

// lateClose handles a spooled close whose call was closed otherwise
// before it came: the call keeps that record, which is said as an error,
// and a callee's "stop" still puts the number on the do-not-call list.
func (s *Spool) lateClose(ctx context.Context, log *slog.Logger, c *campaigns.Call, rec spooledClose) error {
	log.Error("a spooled call close came after its call was closed otherwise: the call keeps that record and the spooled result is not recorded",
		slog.String("recorded_outcome", string(c.Outcome)), slog.String("recorded_reason", c.Reason),
		slog.String("spooled_outcome", string(rec.Ending.Outcome)), slog.Int("spooled_turns", len(rec.Ending.Turns)),
		slog.Bool("opt_out", rec.Ending.OptOut))
	if !rec.Ending.OptOut || c.Phone == "" {
		return nil
	}
	return s.campaigns.DB().InTenant(ctx, rec.TenantID, func(tx pgx.Tx) error {
		_, err := contacts.AddDNCTx(ctx, tx, nil, rec.TenantID, c.Phone, contacts.DNCSourceCalleeStop, "the callee asked not to be called", time.Now())
		return err
	})
}

// ping says whether the database answers, on a connection of its own:
// the pool's idle ones may have died with an outage the database is over.
func (s *Spool) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, s.campaigns.DB().Pool().Config().ConnConfig)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// track counts a close found in the spool as pending and, the first time,
// renews its call's line lease.
func (s *Spool) track(rec spooledClose) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pending[rec.CallID]; ok {
		return
	}
	var release func()
	if s.hold != nil {
		release = s.hold(rec.TenantID, rec.CallID)
	}
	s.pending[rec.CallID] = release
}

// forget ends what the spool keeps for a call: its count and its lease.
func (s *Spool) forget(callID uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	release, ok := s.pending[callID]
	if !ok {
		return
	}
	delete(s.pending, callID)
	if release != nil {
		release()
	}
}

// keepAside renames a spool file that cannot be replayed to *.bad and
// says why.
func (s *Spool) keepAside(path string, callID uuid.UUID, why error) {
	s.forget(callID)
	if err := os.Rename(path, path+badExt); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.logger.Error("cannot keep aside a spool file that cannot be replayed", slog.String("file", path), slog.Any("reason", why), slog.Any("error", err))
		}
		return
	}
	s.logger.Error("a spooled call close cannot be replayed: kept aside for an operator", slog.String("file", path+badExt), slog.Any("reason", why))
}

// setLeases has the spool renew the line leases of spooled calls with hold.
func (s *Spool) setLeases(hold func(tenantID, callID uuid.UUID) (release func())) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = hold
}

// unavailable reports whether err may say the database could not take
// work at the time (no connection, shutting down, out of resources, a
// transaction it rolled back, a timeout), as opposed to refusing a close
// for what it holds (a data or constraint error), which waiting does not
// change. An error it cannot place is taken as the database away: a close
// is then kept and tried again, never set aside. Where waiting costs more
// than failing (the pacer), databaseAway decides instead.
func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) >= 2 {
		switch pgErr.Code[:2] {
		case "08", "40", "53", "57", "58":
			return true
		}
		return false
	}
	return tenants.ErrorCode(err) == ""
}

// databaseAway reports whether err is known to say the database or the
// connection to it is away: a PostgreSQL error of a class that says so,
// a failed connect, a network error, a connection closed under the query,
// a timeout. Unlike unavailable, an error it cannot place (a bug, a
// refusal) is not taken as an outage.
func databaseAway(err error) bool {
	if err == nil || tenants.ErrorCode(err) != "" {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unavailable(pgErr)
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}
