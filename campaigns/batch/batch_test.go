package batch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// item is a test request; the work records what it did in it and in the
// recorder.
type item struct {
	id  int
	key string
	// started, if set, is closed when the work reaches the item; the work
	// then waits for hold, if set.
	started, hold chan struct{}
	// worked counts the times the item's work stood (Together succeeded or
	// Alone ran).
	worked atomic.Int32
	by     string
}

// call is one call of Together or Alone.
type call struct {
	together bool
	key      string
	ids      []int
	ctx      context.Context
}

// recorder is the work of a test Batcher.
type recorder struct {
	// fail makes Together fail for a batch that holds one of these ids.
	fail func(ids []int) bool

	mu    sync.Mutex
	calls []call
}

func (r *recorder) record(c call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

func (r *recorder) log() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func reach(it *item) {
	if it.started != nil {
		close(it.started)
	}
	if it.hold != nil {
		<-it.hold
	}
}

func (r *recorder) together(ctx context.Context, key string, items []*item) error {
	ids := make([]int, len(items))
	for i, it := range items {
		ids[i] = it.id
	}
	r.record(call{together: true, key: key, ids: ids, ctx: ctx})
	for _, it := range items {
		reach(it)
	}
	if r.fail != nil && r.fail(ids) {
		return errors.New("together failed")
	}
	for _, it := range items {
		it.worked.Add(1)
		it.by = "together"
	}
	return nil
}

func (r *recorder) alone(ctx context.Context, key string, it *item) {
	r.record(call{key: key, ids: []int{it.id}, ctx: ctx})
	reach(it)
	it.worked.Add(1)
	it.by = "alone"
}

func newBatcher(r *recorder, max int, timeout time.Duration) *Batcher[string, *item] {
	return New(Options[string, *item]{Max: max, Timeout: timeout, Together: r.together, Alone: r.alone})
}

// within waits for ch, failing the test if nothing comes for long: a guard
// against a hang, not a measure of time.
func within[V any](t *testing.T, ch <-chan V) V {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatal("timed out waiting")
		panic("unreachable")
	}
}

// waitQueued waits until key's queue holds n waiting callers.
func waitQueued(t *testing.T, b *Batcher[string, *item], key string, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		b.mu.Lock()
		got := 0
		if q := b.queues[key]; q != nil {
			got = len(q.waiting)
		}
		b.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d callers queued for %q, want %d", got, key, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// holdFirst starts a Do of key whose work waits until the returned release
// is called; it returns once that work has started, with the channel Do's
// error comes on.
func holdFirst(t *testing.T, b *Batcher[string, *item], key string) (release func(), done <-chan error) {
	t.Helper()
	first := &item{id: -1, key: key, started: make(chan struct{}), hold: make(chan struct{})}
	done = start(context.Background(), b, first)
	within(t, first.started)
	return func() { close(first.hold) }, done
}

// start runs Do for it in a goroutine; its error comes on the channel.
func start(ctx context.Context, b *Batcher[string, *item], it *item) <-chan error {
	done := make(chan error, 1)
	go func() { done <- b.Do(ctx, it.key, it) }()
	return done
}

// enqueue starts Do for it and waits until it is the nth caller queued
// behind a running batch, so that callers queue in a known order.
func enqueue(t *testing.T, ctx context.Context, b *Batcher[string, *item], it *item, n int) <-chan error {
	t.Helper()
	done := start(ctx, b, it)
	waitQueued(t, b, it.key, n)
	return done
}

func sizes(calls []call) []int {
	var s []int
	for _, c := range calls {
		s = append(s, len(c.ids))
	}
	return s
}

func TestBatchesFormWhileOneRunsAndNeverExceedMax(t *testing.T) {
	for _, tc := range []struct {
		name   string
		max    int
		queued int
		want   []int
	}{
		{"seven queued behind a batch split into batches of three", 3, 7, []int{1, 3, 3, 1}},
		{"four queued behind a batch form one batch under the max", 10, 4, []int{1, 4}},
		{"a max of one runs every item alone", 1, 3, []int{1, 1, 1, 1}},
		{"exactly max queued form one full batch", 5, 5, []int{1, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			b := newBatcher(r, tc.max, 0)
			release, firstDone := holdFirst(t, b, "k")
			items := make([]*item, tc.queued)
			var dones []<-chan error
			for i := range items {
				items[i] = &item{id: i, key: "k"}
				dones = append(dones, enqueue(t, context.Background(), b, items[i], i+1))
			}
			release()
			for _, d := range append(dones, firstDone) {
				if err := within(t, d); err != nil {
					t.Fatalf("Do: %v", err)
				}
			}
			if got := sizes(r.log()); !slices.Equal(got, tc.want) {
				t.Errorf("batch sizes %v, want %v", got, tc.want)
			}
			for _, it := range items {
				if n := it.worked.Load(); n != 1 {
					t.Errorf("item %d worked %d times, want 1", it.id, n)
				}
			}
		})
	}
}

func TestKeysAreIndependent(t *testing.T) {
	r := &recorder{}
	b := newBatcher(r, 10, 0)
	release, slowDone := holdFirst(t, b, "slow")
	queued := &item{id: 1, key: "slow"}
	queuedDone := enqueue(t, context.Background(), b, queued, 1)

	fast := &item{id: 2, key: "fast"}
	if err := within(t, start(context.Background(), b, fast)); err != nil {
		t.Fatalf("Do of another key: %v", err)
	}
	if fast.worked.Load() != 1 || queued.worked.Load() != 0 {
		t.Fatalf("fast worked %d times and the slow key's queued item %d, want 1 and 0",
			fast.worked.Load(), queued.worked.Load())
	}
	release()
	for _, d := range []<-chan error{slowDone, queuedDone} {
		if err := within(t, d); err != nil {
			t.Fatalf("Do: %v", err)
		}
	}
	if queued.worked.Load() != 1 {
		t.Errorf("the slow key's queued item worked %d times, want 1", queued.worked.Load())
	}
}

func TestWhoDoesABatchsWork(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		fail bool
		want []string // the calls after the held first batch
		by   string
	}{
		{"a batch of one is done by Alone", 1, false, []string{"alone [0]"}, "alone"},
		{"a batch of one is done by Alone even where Together would fail", 1, true, []string{"alone [0]"}, "alone"},
		{"a batch of several is done by Together", 3, false, []string{"together [0 1 2]"}, "together"},
		{"a failed Together falls back to Alone for each item", 3, true,
			[]string{"together [0 1 2]", "alone [0]", "alone [1]", "alone [2]"}, "alone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{fail: func([]int) bool { return tc.fail }}
			b := newBatcher(r, 10, 0)
			release, firstDone := holdFirst(t, b, "k")
			var items []*item
			var dones []<-chan error
			for i := range tc.n {
				it := &item{id: i, key: "k"}
				items = append(items, it)
				dones = append(dones, enqueue(t, context.Background(), b, it, i+1))
			}
			release()
			for _, d := range append(dones, firstDone) {
				if err := within(t, d); err != nil {
					t.Fatalf("Do: %v", err)
				}
			}
			var got []string
			for _, c := range r.log()[1:] {
				kind := "alone"
				if c.together {
					kind = "together"
				}
				got = append(got, fmt.Sprint(kind, " ", c.ids))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("calls %q, want %q", got, tc.want)
			}
			for _, it := range items {
				if it.worked.Load() != 1 || it.by != tc.by {
					t.Errorf("item %d worked %d times by %s, want once by %s", it.id, it.worked.Load(), it.by, tc.by)
				}
			}
		})
	}
}

type ctxKey struct{}

func TestALoneCallerLeadsItsOwnBatchUnderAContextWithoutItsValues(t *testing.T) {
	r := &recorder{}
	b := newBatcher(r, 10, 0)
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), ctxKey{}, "leader"), time.Hour)
	defer cancel()
	it := &item{key: "k"}
	if err := b.Do(ctx, "k", it); err != nil {
		t.Fatalf("Do: %v", err)
	}
	calls := r.log()
	if len(calls) != 1 || calls[0].together || calls[0].key != "k" {
		t.Fatalf("calls %+v, want one call of Alone for k", calls)
	}
	if v := calls[0].ctx.Value(ctxKey{}); v != nil {
		t.Errorf("the batch's context has the caller's value %v, want none", v)
	}
	if d, ok := calls[0].ctx.Deadline(); ok {
		t.Errorf("the batch's context has the caller's deadline %v, want none (no Timeout)", d)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queues) != 0 {
		t.Errorf("%d queues left after the batch, want none", len(b.queues))
	}
}

func TestTheBatchContextCarriesNoMembersValues(t *testing.T) {
	r := &recorder{}
	b := newBatcher(r, 10, 0)
	release, firstDone := holdFirst(t, b, "k")
	var dones []<-chan error
	for i, who := range []string{"leader", "member"} {
		ctx := context.WithValue(context.Background(), ctxKey{}, who)
		dones = append(dones, enqueue(t, ctx, b, &item{id: i, key: "k"}, i+1))
	}
	release()
	for _, d := range append(dones, firstDone) {
		if err := within(t, d); err != nil {
			t.Fatalf("Do: %v", err)
		}
	}
	calls := r.log()
	last := calls[len(calls)-1]
	if !last.together || !slices.Equal(last.ids, []int{0, 1}) {
		t.Fatalf("the last call is %+v, want Together of items 0 and 1", last)
	}
	if v := last.ctx.Value(ctxKey{}); v != nil {
		t.Errorf("the batch's context has the value %v of one of its members, want none", v)
	}
}

func TestAQueuedCallerWhoseContextEndsGetsItsErrorAndItsItemIsNeverWorked(t *testing.T) {
	for _, tc := range []struct {
		name string
		// waitFirst waits for the cancelled Do to return before the batch
		// ahead ends; otherwise the two race.
		waitFirst bool
	}{
		{"cancelled while the batch ahead runs", true},
		{"cancelled as the batch ahead ends", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			b := newBatcher(r, 10, 0)
			release, firstDone := holdFirst(t, b, "k")
			ctx, cancel := context.WithCancel(context.Background())
			gone := &item{id: 1, key: "k"}
			goneDone := enqueue(t, ctx, b, gone, 1)
			stays := &item{id: 2, key: "k"}
			staysDone := enqueue(t, context.Background(), b, stays, 2)

			cancel()
			var err error
			if tc.waitFirst {
				err = within(t, goneDone)
			}
			release()
			if !tc.waitFirst {
				err = within(t, goneDone)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Do of the cancelled caller: %v, want %v", err, context.Canceled)
			}
			for _, d := range []<-chan error{firstDone, staysDone} {
				if err := within(t, d); err != nil {
					t.Fatalf("Do: %v", err)
				}
			}
			if gone.worked.Load() != 0 || stays.worked.Load() != 1 {
				t.Errorf("the cancelled item worked %d times and the other %d, want 0 and 1",
					gone.worked.Load(), stays.worked.Load())
			}
			for _, c := range r.log() {
				if slices.Contains(c.ids, gone.id) {
					t.Errorf("the cancelled item was in a call: %v", c.ids)
				}
			}
		})
	}
}

func TestACallerWhoseContextHasEndedIsNotQueued(t *testing.T) {
	r := &recorder{}
	b := newBatcher(r, 10, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	it := &item{key: "k"}
	if err := b.Do(ctx, "k", it); !errors.Is(err, context.Canceled) {
		t.Fatalf("Do: %v, want %v", err, context.Canceled)
	}
	if len(r.log()) != 0 {
		t.Errorf("the work ran for a caller whose context had ended")
	}
}

func TestTheBatchContextEndsOnlyWhenEveryMembersContextHas(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cancel   []int // the members (by id) whose context ends
		wantDone bool
	}{
		{"one cancelled member does not cancel the batch", []int{0}, false},
		{"another cancelled member does not either", []int{1}, false},
		{"all members cancelled cancel the batch", []int{0, 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			b := newBatcher(r, 10, 0)
			counted := make(chan struct{}, 2)
			b.memberDone = func() { counted <- struct{}{} }
			release, firstDone := holdFirst(t, b, "k")
			var items []*item
			var cancels []context.CancelFunc
			var dones []<-chan error
			for i := range 2 {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				it := &item{id: i, key: "k"}
				if i == 0 {
					// The second batch waits in its work until the members
					// have been cancelled.
					it.started, it.hold = make(chan struct{}), make(chan struct{})
				}
				items = append(items, it)
				cancels = append(cancels, cancel)
				dones = append(dones, enqueue(t, ctx, b, it, i+1))
			}
			release()
			within(t, items[0].started)
			calls := r.log()
			batchCtx := calls[len(calls)-1].ctx
			for _, i := range tc.cancel {
				cancels[i]()
				within(t, counted)
			}
			if tc.wantDone {
				within(t, batchCtx.Done())
				if !errors.Is(batchCtx.Err(), context.Canceled) {
					t.Errorf("the batch context's error is %v, want %v", batchCtx.Err(), context.Canceled)
				}
			} else if err := batchCtx.Err(); err != nil {
				t.Errorf("the batch context ended (%v) while a member still waits", err)
			}
			close(items[0].hold)
			for _, d := range append(dones, firstDone) {
				if err := within(t, d); err != nil {
					t.Errorf("Do of a member of a running batch: %v, want nil", err)
				}
			}
			for _, it := range items {
				if it.worked.Load() != 1 {
					t.Errorf("item %d worked %d times, want 1", it.id, it.worked.Load())
				}
			}
		})
	}
}

func TestTheBatchTimeoutBoundsTheBatch(t *testing.T) {
	for _, tc := range []struct {
		name     string
		timeout  time.Duration
		caller   time.Duration // the caller's own deadline, 0 for none
		deadline bool
	}{
		{"a timeout gives the batch a deadline", time.Millisecond, 0, true},
		{"without a timeout the batch has no deadline", 0, 0, false},
		{"the caller's deadline is not the batch's", 0, time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got error
			var hasDeadline bool
			b := New(Options[string, *item]{Max: 10, Timeout: tc.timeout,
				Together: func(context.Context, string, []*item) error { return nil },
				Alone: func(ctx context.Context, _ string, _ *item) {
					_, hasDeadline = ctx.Deadline()
					if hasDeadline {
						<-ctx.Done()
					}
					got = ctx.Err()
				}})
			ctx := context.Background()
			if tc.caller > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.caller)
				defer cancel()
			}
			if err := b.Do(ctx, "k", &item{}); err != nil {
				t.Fatalf("Do: %v", err)
			}
			if hasDeadline != tc.deadline {
				t.Fatalf("the batch context has a deadline: %v, want %v", hasDeadline, tc.deadline)
			}
			if tc.deadline && !errors.Is(got, context.DeadlineExceeded) {
				t.Errorf("the batch context ended with %v, want %v", got, context.DeadlineExceeded)
			}
		})
	}
}

func TestAPanickingBatchReleasesItsMembersAndPassesTheLead(t *testing.T) {
	r := &recorder{}
	b := New(Options[string, *item]{Max: 2,
		Together: func(context.Context, string, []*item) error { panic("work panicked") },
		Alone:    r.alone})
	release, firstDone := holdFirst(t, b, "k")
	leader := &item{id: 0, key: "k"}
	leaderDone := make(chan any, 1)
	go func() {
		defer func() { leaderDone <- recover() }()
		b.Do(context.Background(), "k", leader)
	}()
	waitQueued(t, b, "k", 1)
	member := &item{id: 1, key: "k"}
	memberDone := enqueue(t, context.Background(), b, member, 2)
	next := &item{id: 2, key: "k"}
	nextDone := enqueue(t, context.Background(), b, next, 3)
	release()
	if err := within(t, firstDone); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if p := within(t, leaderDone); p != "work panicked" {
		t.Errorf("the leader's Do panicked with %v, want the work's panic", p)
	}
	if err := within(t, memberDone); !errors.Is(err, ErrLeaderPanicked) {
		t.Errorf("the member's Do: %v, want %v", err, ErrLeaderPanicked)
	}
	if err := within(t, nextDone); err != nil || next.worked.Load() != 1 {
		t.Errorf("the next caller's Do: %v, worked %d times; want nil and once", err, next.worked.Load())
	}
}

func TestTheLeadPassesOnSoEveryQueuedItemIsWorked(t *testing.T) {
	const (
		keys    = 4
		callers = 60
		max     = 4
	)
	r := &recorder{fail: func(ids []int) bool { return slices.ContainsFunc(ids, func(id int) bool { return id%7 == 0 }) }}
	b := newBatcher(r, max, 0)
	items := make([]*item, keys*callers)
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i := range items {
		items[i] = &item{id: i, key: fmt.Sprint("key", i%keys)}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if i%3 == 0 {
			wg.Go(cancel) // some callers give up at some moment
		}
		wg.Go(func() { errs[i] = b.Do(ctx, items[i].key, items[i]) })
	}
	wg.Wait()

	inCalls := map[int]bool{}
	for _, c := range r.log() {
		if len(c.ids) > max {
			t.Errorf("a batch of %d items, over the max of %d", len(c.ids), max)
		}
		for _, id := range c.ids {
			inCalls[id] = true
			if items[id].key != c.key {
				t.Errorf("item %d of %s was worked for %s", id, items[id].key, c.key)
			}
		}
	}
	for i, it := range items {
		switch {
		case errs[i] == nil && it.worked.Load() != 1:
			t.Errorf("item %d: Do returned nil but the item worked %d times", i, it.worked.Load())
		case errs[i] != nil && !errors.Is(errs[i], context.Canceled):
			t.Errorf("item %d: Do: %v", i, errs[i])
		case errs[i] != nil && inCalls[i]:
			t.Errorf("item %d: Do returned %v but the item was in a batch", i, errs[i])
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queues) != 0 {
		t.Errorf("%d queues left after every caller returned, want none", len(b.queues))
	}
}

func TestNewRefusesOptionsThatCannotWork(t *testing.T) {
	together := func(context.Context, string, []int) error { return nil }
	alone := func(context.Context, string, int) {}
	for _, tc := range []struct {
		name string
		o    Options[string, int]
	}{
		{"a max below one", Options[string, int]{Max: 0, Together: together, Alone: alone}},
		{"no Together", Options[string, int]{Max: 1, Alone: alone}},
		{"no Alone", Options[string, int]{Max: 1, Together: together}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			New(tc.o)
		})
	}
}

// A Together that spent the whole timeout (waiting for a database that is
// away, say) leaves the fall-back its own time: each Alone starts with a
// live context and a deadline of its own.
func TestAFailedTogetherLeavesTheFallBackItsOwnTime(t *testing.T) {
	var aloneErrs []error
	b := New(Options[string, *item]{Max: 10, Timeout: 20 * time.Millisecond,
		Together: func(ctx context.Context, _ string, _ []*item) error {
			<-ctx.Done() // used up its time
			return ctx.Err()
		},
		Alone: func(ctx context.Context, _ string, _ *item) {
			err := ctx.Err()
			if _, ok := ctx.Deadline(); !ok {
				err = errors.New("no deadline")
			}
			aloneErrs = append(aloneErrs, err)
		}})
	members := []*waiter[*item]{
		{ctx: context.Background(), item: &item{id: 1}, done: make(chan struct{})},
		{ctx: context.Background(), item: &item{id: 2}, done: make(chan struct{})},
	}
	b.run("k", members)
	if len(aloneErrs) != 2 {
		t.Fatalf("Alone ran %d times, want once per item", len(aloneErrs))
	}
	for i, err := range aloneErrs {
		if err != nil {
			t.Errorf("item %d's Alone started with %v, want a live context with a deadline", i+1, err)
		}
	}
}
