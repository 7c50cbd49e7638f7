package telephony

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// SampleRate of all call audio (G.711).
	SampleRate = 8000
	// FrameDuration is the packetisation time: one RTP packet per 20 ms.
	FrameDuration = 20 * time.Millisecond
	frameSamples  = SampleRate / 50
)

// MediaClock paces the RTP of many calls: each shard is one goroutine that
// wakes every 20 ms and sends one frame for each of its sessions. Shards
// are spread over the 20 ms period so the CPUs share the work evenly. The
// clock measures every session's send interval into a histogram, so the
// jitter it achieves can be read back (SendJitter).
type MediaClock struct {
	shards    []*clockShard
	next      atomic.Uint32
	jitter    jitterHistogram
	late      jitterHistogram // how late each shard woke
	work      jitterHistogram // how long each shard's pass took
	stop      chan struct{}
	stopped   sync.Once
	nice      int
	dedicated bool
	raised    atomic.Int32
	wg        sync.WaitGroup
}

type clockShard struct {
	mu       sync.Mutex
	sessions []*MediaSession
}

// NewMediaClock starts a clock with one shard per CPU when shards is 0.
func NewMediaClock(shards int) *MediaClock {
	return NewMediaClockWith(ClockOptions{Shards: shards})
}

// ClockOptions tune a MediaClock.
type ClockOptions struct {
	// Shards is the number of pacing goroutines (0: one per CPU).
	Shards int
	// Nice, when negative, runs each shard on its own OS thread with this
	// scheduling priority (-20 to -1), as media servers do for their RTP
	// threads: on a busy machine the pacing then wins the CPU over batch
	// work. It needs CAP_SYS_NICE (root); without it the clock runs at
	// normal priority and PriorityRaised reports false.
	Nice int
	// DedicatedThreads (with Nice) makes each shard sleep in the kernel
	// holding its Go scheduler slot, so it runs the instant its deadline
	// comes instead of queueing behind other goroutines; the clock raises
	// GOMAXPROCS by the number of shards to make up for it. For a process
	// whose main work is media (a dialer worker, the benchmark).
	DedicatedThreads bool
}

// NewMediaClockWith starts a clock with options.
func NewMediaClockWith(o ClockOptions) *MediaClock {
	shards := o.Shards
	if shards <= 0 {
		shards = runtime.GOMAXPROCS(0)
	}
	c := &MediaClock{stop: make(chan struct{}), nice: o.Nice, dedicated: o.DedicatedThreads}
	if o.DedicatedThreads && o.Nice < 0 {
		// Each shard keeps a scheduler slot while it sleeps in the kernel;
		// give the rest of the program its slots back.
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + shards)
	}
	start := time.Now()
	for i := 0; i < shards; i++ {
		sh := &clockShard{}
		c.shards = append(c.shards, sh)
		offset := time.Duration(i) * FrameDuration / time.Duration(shards)
		c.wg.Add(1)
		go c.run(sh, start.Add(offset))
	}
	return c
}

// Close stops the clock; sessions still attached stop sending.
func (c *MediaClock) Close() {
	c.stopped.Do(func() { close(c.stop) })
	c.wg.Wait()
}

func (c *MediaClock) add(s *MediaSession) {
	sh := c.shards[int(c.next.Add(1))%len(c.shards)]
	sh.mu.Lock()
	sh.sessions = append(sh.sessions, s)
	sh.mu.Unlock()
	s.shard = sh
}

func (c *MediaClock) remove(s *MediaSession) {
	sh := s.shard
	if sh == nil {
		return
	}
	sh.mu.Lock()
	for i, x := range sh.sessions {
		if x == s {
			last := len(sh.sessions) - 1
			sh.sessions[i] = sh.sessions[last]
			sh.sessions[last] = nil
			sh.sessions = sh.sessions[:last]
			break
		}
	}
	sh.mu.Unlock()
}

// PriorityRaised reports whether every shard thread got the requested
// priority.
func (c *MediaClock) PriorityRaised() bool {
	return c.nice < 0 && int(c.raised.Load()) == len(c.shards)
}

func (c *MediaClock) run(sh *clockShard, next time.Time) {
	defer c.wg.Done()
	kernelSleep := false
	if c.nice < 0 {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if setThreadNice(c.nice) == nil {
			c.raised.Add(1)
			kernelSleep = c.dedicated
		}
	}
	var batch []*MediaSession
	buf := make([]byte, 2048)
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		if kernelSleep && sleepUntilKernel(next) {
			select {
			case <-c.stop:
				return
			default:
			}
		} else {
			select {
			case <-c.stop:
				return
			case <-timer.C:
			}
		}
		woke := time.Now()
		c.late.observe(woke.Sub(next))
		sh.mu.Lock()
		batch = append(batch[:0], sh.sessions...)
		sh.mu.Unlock()
		for _, s := range batch {
			s.tick(&c.jitter, buf)
		}
		clear(batch)
		c.work.observe(time.Since(woke))
		next = next.Add(FrameDuration)
		if late := time.Since(next); late > 5*FrameDuration {
			// Far behind (the machine stalled): skip ahead rather than
			// burst a backlog of packets.
			next = next.Add(late.Truncate(FrameDuration))
		}
		if !kernelSleep {
			timer.Reset(time.Until(next))
		}
	}
}

// JitterStats summarises send-interval deviation from 20 ms.
type JitterStats struct {
	Samples int64
	P50     time.Duration
	P99     time.Duration
	Max     time.Duration
}

// SendJitter returns the distribution of |interval - 20 ms| between
// consecutive packets of the same session, over all sessions so far.
func (c *MediaClock) SendJitter() JitterStats { return c.jitter.stats() }

// ResetJitter clears the histograms (for example after a warm-up).
func (c *MediaClock) ResetJitter() {
	c.jitter.reset()
	c.late.reset()
	c.work.reset()
}

// TickStats tells where send jitter comes from: how late the shards woke
// up (the operating system and Go scheduler) and how long a pass over
// their sessions took (our own work).
func (c *MediaClock) TickStats() (wakeLate, pass JitterStats) { return c.late.stats(), c.work.stats() }

// jitterHistogram counts deviations in 50 µs buckets up to 100 ms.
type jitterHistogram struct {
	buckets [2001]atomic.Int64
	max     atomic.Int64
}

const jitterBucket = 50 * time.Microsecond

func (h *jitterHistogram) observe(d time.Duration) {
	if d < 0 {
		d = -d
	}
	i := int(d / jitterBucket)
	if i >= len(h.buckets) {
		i = len(h.buckets) - 1
	}
	h.buckets[i].Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			break
		}
	}
}

func (h *jitterHistogram) reset() {
	for i := range h.buckets {
		h.buckets[i].Store(0)
	}
	h.max.Store(0)
}

func (h *jitterHistogram) stats() JitterStats {
	var counts [len(h.buckets)]int64
	var total int64
	for i := range h.buckets {
		counts[i] = h.buckets[i].Load()
		total += counts[i]
	}
	st := JitterStats{Samples: total, Max: time.Duration(h.max.Load())}
	if total == 0 {
		return st
	}
	q := func(p float64) time.Duration {
		want := int64(math.Ceil(p * float64(total)))
		var acc int64
		for i, n := range counts {
			acc += n
			if acc >= want {
				return time.Duration(i+1) * jitterBucket
			}
		}
		return st.Max
	}
	st.P50, st.P99 = q(0.50), q(0.99)
	return st
}
