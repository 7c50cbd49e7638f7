// Package batch runs requests that arrive together as one piece of work.
//
// A Batcher is for work that costs much the same whether it is done for one
// item or for a hundred, such as a database transaction: while a batch of a
// key's items runs, the items that arrive for the same key wait, and the
// next batch takes them all at once (up to Max). Keys are independent: one
// key's slow batch never holds up another key's items.
//
// No goroutine of its own runs a batch. Each caller of Do waits in its key's
// queue; the caller at the head of the queue leads: it takes the waiting
// items, runs the batch on its own goroutine, and when the batch is done
// hands the lead to the new head of the queue, if there is one, by waking
// it. Every member of a batch returns from Do once the batch is done.
//
// To use it, make a Batcher once with New and call Do from every request:
//
//	b := batch.New(batch.Options[uuid.UUID, *job]{
//		Max:      100,
//		Timeout:  time.Minute,
//		Together: func(ctx context.Context, tenant uuid.UUID, jobs []*job) error { ... },
//		Alone:    func(ctx context.Context, tenant uuid.UUID, j *job) { ... },
//	})
//	j := &job{...}
//	if err := b.Do(ctx, tenantID, j); err != nil {
//		return err // ctx ended before the job was taken into a batch
//	}
//	// j now holds its result.
//
// Results travel in the items themselves, so T is typically a pointer:
// Together and Alone write each item's result (and its own error) into it,
// and Do's caller reads it once Do returns nil. Together does a whole batch
// in one go; if it returns an error, nothing of its work is assumed to
// stand, and Alone then does each item of the batch on its own, so one
// item's error stays its own. A batch of one item goes straight to Alone.
//
// Contexts: Do takes its caller's context. While an item waits in the queue,
// the end of its caller's context takes it out of the queue and Do returns
// the context's error; its work is never done. Once the item is in a
// running batch, Do waits for the batch to finish and returns nil, since the
// work may have been committed. The batch runs under a context of its own:
// it carries none of its members' values, since the work is done for every
// member alike and not for the one that happens to lead (what one caller
// put in its context, such as who it acts for, must not pass for the
// others'), and it is cancelled only when the context of every member has
// ended (each call also ends at Options.Timeout), so one member giving up
// does not cancel the work the others wait for. Work that needs something
// of a caller takes it from the caller's item.
package batch

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options are what a Batcher does and how much of it at once.
type Options[K comparable, T any] struct {
	// Max caps the items of one batch; it must be at least 1.
	Max int
	// Timeout, when positive, bounds each call of Together and of Alone on
	// its own, so a failed Together leaves the fall-back its full time.
	Timeout time.Duration
	// Together does the work of a batch of two or more items of key in one
	// go, writing each item's result into it. An error means none of the
	// batch's work stands: each item is then done by Alone.
	Together func(ctx context.Context, key K, items []T) error
	// Alone does the work of one item, writing its result (and its error)
	// into it.
	Alone func(ctx context.Context, key K, item T)
}

// Batcher runs the items of each key in batches; make one with New. Its
// methods are safe for concurrent use.
type Batcher[K comparable, T any] struct {
	opts Options[K, T]

	mu sync.Mutex
	// queues holds each key's queue while the key has a leader (a caller
	// woken to lead, or running a batch).
	queues map[K]*queue[T]

	// memberDone, when set (by tests), is called after a member's context
	// ended during its batch and was counted.
	memberDone func()
}

// queue is one key's waiting callers, in arrival order.
type queue[T any] struct {
	waiting []*waiter[T]
}

// waiter is one call of Do.
type waiter[T any] struct {
	ctx  context.Context
	item T
	// lead is closed when the waiter is to lead; done when its batch is
	// over, after err is set.
	lead, done chan struct{}
	err        error
	// leads and taken (guarded by the Batcher's mu) say the waiter was woken
	// to lead, and that its item is in a batch.
	leads, taken bool
}

// ErrLeaderPanicked is what Do returns to the members of a batch whose work
// panicked (the panic itself goes on in the leader's goroutine); their items
// hold no result.
var ErrLeaderPanicked = errors.New("batch: the batch's work panicked")

// New returns a Batcher that works as o says. It panics if o.Max is below 1
// or Together or Alone is missing.
func New[K comparable, T any](o Options[K, T]) *Batcher[K, T] {
	if o.Max < 1 || o.Together == nil || o.Alone == nil {
		panic("batch: New needs Max of at least 1, Together and Alone")
	}
	return &Batcher[K, T]{opts: o, queues: map[K]*queue[T]{}}
}

// Do has item worked in a batch of key's items and waits until it is. It
// returns ctx's error, with the item not worked, if ctx ends while the item
// is still queued; otherwise it returns nil once the item's batch is done,
// and the item holds its result.
func (b *Batcher[K, T]) Do(ctx context.Context, key K, item T) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &waiter[T]{ctx: ctx, item: item, lead: make(chan struct{}), done: make(chan struct{})}
	b.mu.Lock()
	q := b.queues[key]
	if q == nil {
		q = &queue[T]{}
		b.queues[key] = q
		w.leads = true
		close(w.lead)
	}
	q.waiting = append(q.waiting, w)
	b.mu.Unlock()

	select {
	case <-w.done:
		return w.err
	case <-w.lead:
	case <-ctx.Done():
	}
	b.mu.Lock()
	if w.taken {
		// In a running batch: its work may commit, so wait for it.
		b.mu.Unlock()
		<-w.done
		return w.err
	}
	if err := ctx.Err(); err != nil {
		if i := slices.Index(q.waiting, w); i >= 0 {
			q.waiting = slices.Delete(q.waiting, i, i+1)
		}
		if w.leads {
			b.handOff(key, q)
		}
		b.mu.Unlock()
		return err
	}
	// Woken to lead, with ctx alive: w heads the queue, so its item is in
	// the batch it takes.
	members := b.take(q)
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.handOff(key, q)
		b.mu.Unlock()
	}()
	b.run(key, members)
	return nil
}

// take removes from q the next batch, at most Max items from its head (the
// leader's first), and marks them taken; callers whose context has ended on
// the way are dropped from the queue (their Do returns their context's
// error). b.mu is held.
func (b *Batcher[K, T]) take(q *queue[T]) []*waiter[T] {
	var members []*waiter[T]
	rest := q.waiting[:0]
	for _, w := range q.waiting {
		switch {
		case len(members) == b.opts.Max:
			rest = append(rest, w)
		case w.leads || w.ctx.Err() == nil:
			// The leader is taken even if its context has just ended: it
			// checked it under b.mu and goes on to run the batch.
			w.taken = true
			members = append(members, w)
		}
	}
	clear(q.waiting[len(rest):])
	q.waiting = rest
	return members
}

// handOff wakes the head of q to lead the next batch, or drops q when no
// one waits. b.mu is held.
func (b *Batcher[K, T]) handOff(key K, q *queue[T]) {
	if len(q.waiting) == 0 {
		delete(b.queues, key)
		return
	}
	next := q.waiting[0]
	next.leads = true
	close(next.lead)
}

// run does the work of members under a context that carries no member's
// values and ends when every member's context has ended, or at the
// timeout; then it releases the members.
func (b *Batcher[K, T]) run(key K, members []*waiter[T]) {
	finished := false
	defer func() {
		for _, w := range members {
			if !finished {
				w.err = ErrLeaderPanicked
			}
			close(w.done)
		}
	}()

	// The batch's own context: no caller's values, no caller's deadline;
	// the members' contexts end it together, below.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var live atomic.Int64
	live.Store(int64(len(members)))
	for _, w := range members {
		stop := context.AfterFunc(w.ctx, func() {
			if live.Add(-1) == 0 {
				cancel()
			}
			if b.memberDone != nil {
				b.memberDone()
			}
		})
		defer stop()
	}

	items := make([]T, len(members))
	for i, w := range members {
		items[i] = w.item
	}
	// Each call has the timeout to itself, so a Together that spent it
	// waiting for an absent database leaves its fall-back time of its own.
	within := func(f func(context.Context)) {
		c, cancel := ctx, context.CancelFunc(func() {})
		if b.opts.Timeout > 0 {
			c, cancel = context.WithTimeout(ctx, b.opts.Timeout)
		}
		defer cancel()
		f(c)
	}
	together := len(items) > 1
	if together {
		within(func(c context.Context) { together = b.opts.Together(c, key, items) == nil })
	}
	if !together {
		for _, it := range items {
			within(func(c context.Context) { b.opts.Alone(c, key, it) })
		}
	}
	finished = true
}
