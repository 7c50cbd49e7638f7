package calls

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// deskChannel is the PostgreSQL channel the desk's changes are told on:
// an offer changed (o:<offer id>), an agent's desk has something new
// (u:<user id>), a tenant's desk changed (t:<tenant id>: an agent became
// free, a call waits).
const deskChannel = "outcall_desk"

// notifyDesk tells every process's DeskHub, when tx commits, that keys
// changed.
func notifyDesk(ctx context.Context, tx pgx.Tx, keys ...string) error {
	for _, k := range keys {
		if _, err := tx.Exec(ctx, `SELECT pg_notify('`+deskChannel+`', $1)`, k); err != nil {
			return err
		}
	}
	return nil
}

// DeskHub wakes the desk's waiters of one process (an agent's long poll,
// a call waiting for an agent) when PostgreSQL tells of a change: one
// connection LISTENs for the process. Waiters look again on their own
// every second too, so a notification lost while the connection was
// re-made costs a second, never a call.
type DeskHub struct {
	pool   *pgxpool.Pool
	logger *slog.Logger

	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{}
	ready   chan struct{}
	once    sync.Once
}

// NewDeskHub returns a hub that listens through pool once Run runs.
func NewDeskHub(pool *pgxpool.Pool, logger *slog.Logger) *DeskHub {
	if logger == nil {
		logger = slog.Default()
	}
	return &DeskHub{pool: pool, logger: logger, waiters: map[string]map[chan struct{}]struct{}{}, ready: make(chan struct{})}
}

// Run listens until ctx ends, connecting again after a failure.
func (h *DeskHub) Run(ctx context.Context) {
	for ctx.Err() == nil {
		err := h.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		h.logger.WarnContext(ctx, "the desk's notifications stopped; listening again", slog.Any("error", err))
		h.wakeAll() // waiters look for themselves meanwhile
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// Ready is closed once the hub listens for the first time.
func (h *DeskHub) Ready() <-chan struct{} { return h.ready }

func (h *DeskHub) listen(ctx context.Context) error {
	conn, err := h.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection has LISTEN state: it never goes back to the pool.
	defer func() { _ = conn.Conn().Close(context.Background()); conn.Release() }()
	if _, err := conn.Exec(ctx, "LISTEN "+deskChannel); err != nil {
		return err
	}
	h.once.Do(func() { close(h.ready) })
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		h.wake(n.Payload)
	}
}

// Wait returns a channel that receives when key changes, and the function
// that stops waiting.
func (h *DeskHub) Wait(key string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	if h == nil {
		return ch, func() {}
	}
	h.mu.Lock()
	set := h.waiters[key]
	if set == nil {
		set = map[chan struct{}]struct{}{}
		h.waiters[key] = set
	}
	set[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.waiters[key], ch)
		if len(h.waiters[key]) == 0 {
			delete(h.waiters, key)
		}
		h.mu.Unlock()
	}
}

func (h *DeskHub) wake(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.waiters[key] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (h *DeskHub) wakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.waiters {
		for ch := range set {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

// deskLook is how long a waiter waits for a notification before it looks
// again by itself.
const deskLook = time.Second

// waitFor waits until key changes, d passes (at most deskLook), or ctx
// ends; it reports false when ctx ended.
func (h *DeskHub) waitFor(ctx context.Context, key string, d time.Duration) bool {
	ch, stop := h.Wait(key)
	defer stop()
	t := time.NewTimer(min(max(d, time.Millisecond), deskLook))
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
		return false
	}
	return true
}
