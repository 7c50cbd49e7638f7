package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Stopping a worker process. Its calls are real phone conversations, so a
// stop (SIGTERM on a deploy, Ctrl-C) drains rather than hangs up:
//
//  1. Drain.Begin: no dial starts from here on (a dial job that reaches a
//     worker snoozes, which hands it back to the queue for another process
//     without using up an attempt), and this process's pacers yield their
//     campaigns to the other processes.
//  2. River's Stop, within the drain deadline: the client fetches no more
//     jobs and waits for the running ones (the calls in progress) to
//     finish, and its completer records them.
//  3. Only if the deadline passes, River's StopAndCancel: the jobs still
//     running have their contexts cancelled; a call is hung up and closed
//     as interrupted with ReasonShutdown, never lost.
//
// River runs every job with a context derived from the one given to
// Client.Start, and cancelling that context is a hard stop (it cancels every
// job's context, see Client.Start): a worker must Start its client with a
// context that outlives the stop signal and leave the stop to Shutdown.

// ReasonShutdown is the reason on a call hung up because its worker shut
// down before the call ended (the drain deadline passed).
const ReasonShutdown = "interrupted: the worker shut down"

// CancelGrace is how long Shutdown gives the jobs it cancelled (after the
// drain deadline) to record how they ended.
const CancelGrace = 15 * time.Second

// Drain says whether this process is stopping: once Begin is called, no dial
// starts here. The zero value is ready to use; a nil *Drain never drains.
type Drain struct {
	// mu is held for reading by each dial from its check of the drain to
	// the end of its BeginDial, and for writing by Begin: a dial either
	// recorded its attempt before Begin returned, or sees the drain.
	mu   sync.RWMutex
	once sync.Once
	done chan struct{}
	on   bool
}

func (d *Drain) init() { d.once.Do(func() { d.done = make(chan struct{}) }) }

// Begin starts the drain: it waits for the dials being checked to record
// their attempts, and from then on no dial starts in this process.
func (d *Drain) Begin() {
	d.init()
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.on {
		d.on = true
		close(d.done)
	}
}

// Draining is closed once the drain has begun. A nil Drain's never is.
func (d *Drain) Draining() <-chan struct{} {
	if d == nil {
		return nil
	}
	d.init()
	return d.done
}

// Began reports whether the drain has begun.
func (d *Drain) Began() bool {
	select {
	case <-d.Draining():
		return true
	default:
		return false
	}
}

// admit lets a dial start unless the drain has begun; a dial admitted
// calls release once its attempt is recorded (or refused).
func (d *Drain) admit() (release func(), ok bool) {
	if d == nil {
		return func() {}, true
	}
	d.mu.RLock()
	if d.on {
		d.mu.RUnlock()
		return nil, false
	}
	return d.mu.RUnlock, true
}

// Shutdown stops a worker process's River client as the note above
// describes: it begins d (no new dials, pacers yield), stops the client
// within drainFor so the jobs running (the calls in progress) finish and
// are recorded, and only after that cancels what is left, giving it
// CancelGrace to record how it ended. drainFor ≤ 0 cancels at once, and so
// does ctx ending (a second signal, say).
func Shutdown(ctx context.Context, c *Client, d *Drain, drainFor time.Duration, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	start := time.Now()
	log.Info("draining: no new calls; waiting for the calls in progress", slog.Duration("deadline", drainFor))
	// The deadline runs from the signal: a dial being checked when it came
	// counts against it.
	drainCtx, cancel := context.WithTimeout(ctx, max(drainFor, 0))
	defer cancel()
	d.Begin()
	err := c.Stop(drainCtx)
	if err == nil {
		log.Info("drained: every job finished", slog.Duration("took", time.Since(start)))
		return nil
	}
	if drainCtx.Err() == nil {
		return err
	}
	log.Warn("drain ended: hanging up the calls still in progress (recorded as interrupted)", slog.Duration("after", time.Since(start)))
	graceCtx, cancelGrace := context.WithTimeout(context.Background(), CancelGrace)
	defer cancelGrace()
	if err := c.StopAndCancel(graceCtx); err != nil {
		return errors.Join(errors.New("jobs did not end within the grace after the drain deadline"), err)
	}
	return nil
}
