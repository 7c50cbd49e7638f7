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

// MediaClock paces the RTP of many calls. Each shard is one goroutine that
// owns a set of sessions split into slots: the 20 ms period is cut into
// one sub-tick per slot, and at each sub-tick the shard sends one frame for
// each session of that slot. A session keeps its slot for life, so its
// packets leave every 20 ms, and the work of a period is spread over it in
// small passes instead of one long one (a long pass would move a session's
// send time by as much as the pass takes whenever the CPU is shared).
// Shards are offset against each other within a sub-tick so the CPUs share
// the work evenly. The clock measures every session's send interval into a
// histogram, so the jitter it achieves can be read back (SendJitter).
type MediaClock struct {
	shards    []*clockShard
	slots     int
	jitter    jitterHistogram
	late      jitterHistogram // how late each shard woke
	work      jitterHistogram // how long each shard's pass over a slot took
	stop      chan struct{}
	stopped   sync.Once
	nice      int
	rtPrio    int
	dedicated bool
	raised    atomic.Int32
	realtime  atomic.Int32
	processRT bool
	wg        sync.WaitGroup
	placeMu   sync.Mutex // serialises slot choice so calls spread evenly
}

type clockShard struct {
	mu    sync.Mutex
	slots [][]*MediaSession
	count atomic.Int32
}

// NewMediaClock starts a clock with one shard per CPU when shards is 0.
func NewMediaClock(shards int) *MediaClock {
	return NewMediaClockWith(ClockOptions{Shards: shards})
}

// DefaultClockSlots cuts the 20 ms period into 2 ms sub-ticks.
const DefaultClockSlots = 10

// ClockOptions tune a MediaClock.
type ClockOptions struct {
	// Shards is the number of pacing goroutines (0: one per CPU).
	Shards int
	// Slots is the number of sub-ticks each shard spreads its sessions
	// over within the 20 ms period (0: DefaultClockSlots; 1: all of a
	// shard's sessions at once).
	Slots int
	// Nice, when negative, runs each shard on its own OS thread with this
	// scheduling priority (-20 to -1), as media servers do for their RTP
	// threads: on a busy machine the pacing then wins the CPU over batch
	// work. It needs CAP_SYS_NICE (root); without it the clock runs at
	// normal priority and PriorityRaised reports false. A nice value only
	// ranks threads of the same scheduling group: with autogroups (the
	// Linux desktop and container default) other sessions' processes
	// still get an equal share, which RealtimePriority avoids.
	Nice int
	// RealtimePriority, from 1 to 99, runs each shard on its own OS thread
	// in the SCHED_FIFO real-time class at this priority, as Asterisk (-p)
	// and FreeSWITCH (-rp) run their timing threads: the thread runs the
	// instant its deadline comes, ahead of every normal process on the
	// machine. A shard only runs for its short passes, and the kernel keeps
	// 5 % of each CPU for normal tasks whatever happens. It needs
	// CAP_SYS_NICE; without it the clock falls back to Nice, and Realtime
	// reports false.
	RealtimePriority int
	// ProcessRealtimePriority, from 1 to 99 and below RealtimePriority,
	// moves every thread of the process into the real-time class at this
	// lower priority. The Go scheduler hands a shard's goroutine back to
	// its thread through other threads now and then (after a garbage
	// collection pause, for example); when those run at normal priority
	// on a busy machine, the hand-over can wait for many milliseconds.
	// Only for a process whose work is media (the benchmark, callee-sim):
	// programs it starts afterwards inherit the class.
	ProcessRealtimePriority int
	// DedicatedThreads (with Nice or RealtimePriority) makes each shard
	// sleep in the kernel on its own thread, so it runs the instant its
	// deadline comes instead of queueing behind other goroutines for a Go
	// timer; the clock raises GOMAXPROCS by the number of shards so the
	// shards find a free scheduler slot when they wake. For a process whose main work is media (a dialer
	// worker, the benchmark).
	DedicatedThreads bool
}

// NewMediaClockWith starts a clock with options.
func NewMediaClockWith(o ClockOptions) *MediaClock {
	shards := o.Shards
	if shards <= 0 {
		shards = runtime.GOMAXPROCS(0)
	}
	slots := o.Slots
	if slots <= 0 {
		slots = DefaultClockSlots
	}
	c := &MediaClock{stop: make(chan struct{}), slots: slots, nice: o.Nice, rtPrio: o.RealtimePriority, dedicated: o.DedicatedThreads}
	if o.DedicatedThreads && (o.Nice < 0 || o.RealtimePriority > 0) {
		// Each shard keeps a scheduler slot while it sleeps in the kernel;
		// give the rest of the program its slots back.
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + shards)
	}
	if o.RealtimePriority > 0 && o.ProcessRealtimePriority > 0 && o.ProcessRealtimePriority < o.RealtimePriority {
		if setProcessRealtime(o.ProcessRealtimePriority) == nil {
			c.processRT = true
		}
	}
	start := time.Now()
	sub := FrameDuration / time.Duration(slots)
	for i := 0; i < shards; i++ {
		sh := &clockShard{slots: make([][]*MediaSession, slots)}
		c.shards = append(c.shards, sh)
		offset := time.Duration(i) * sub / time.Duration(shards)
		c.wg.Add(1)
		go c.run(sh, start.Add(offset), sub)
	}
	return c
}

// Close stops the clock; sessions still attached stop sending.
func (c *MediaClock) Close() {
	c.stopped.Do(func() { close(c.stop) })
	c.wg.Wait()
}

// add places a session in the least loaded slot of the least loaded shard.
func (c *MediaClock) add(s *MediaSession) {
	c.placeMu.Lock()
	defer c.placeMu.Unlock()
	sh := c.shards[0]
	for _, x := range c.shards[1:] {
		if x.count.Load() < sh.count.Load() {
			sh = x
		}
	}
	sh.mu.Lock()
	slot := 0
	for i := range sh.slots {
		if len(sh.slots[i]) < len(sh.slots[slot]) {
			slot = i
		}
	}
	sh.slots[slot] = append(sh.slots[slot], s)
	sh.count.Add(1)
	sh.mu.Unlock()
	s.shard, s.slot = sh, slot
}

func (c *MediaClock) remove(s *MediaSession) {
	sh := s.shard
	if sh == nil {
		return
	}
	sh.mu.Lock()
	list := sh.slots[s.slot]
	for i, x := range list {
		if x == s {
			// Keep the order: the sessions after this one move up by one
			// packet's work, not by a whole pass.
			copy(list[i:], list[i+1:])
			list[len(list)-1] = nil
			sh.slots[s.slot] = list[:len(list)-1]
			sh.count.Add(-1)
			break
		}
	}
	sh.mu.Unlock()
}

// PriorityRaised reports whether every shard thread got the requested
// priority (the real-time class when asked for, else the nice value).
func (c *MediaClock) PriorityRaised() bool {
	if c.rtPrio > 0 && int(c.realtime.Load()) == len(c.shards) {
		return true
	}
	return c.nice < 0 && int(c.raised.Load()) == len(c.shards)
}

// Realtime reports whether every shard thread runs in the real-time class.
func (c *MediaClock) Realtime() bool {
	return c.rtPrio > 0 && int(c.realtime.Load()) == len(c.shards)
}

// ProcessRealtime reports whether the whole process was moved into the
// real-time class (ProcessRealtimePriority).
func (c *MediaClock) ProcessRealtime() bool { return c.processRT }

func (c *MediaClock) run(sh *clockShard, next time.Time, sub time.Duration) {
	defer c.wg.Done()
	kernelSleep := false
	if c.nice < 0 || c.rtPrio > 0 {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		switch {
		case c.rtPrio > 0 && setThreadRealtime(c.rtPrio) == nil:
			c.realtime.Add(1)
			kernelSleep = c.dedicated
		case c.nice < 0 && setThreadNice(c.nice) == nil:
			c.raised.Add(1)
			kernelSleep = c.dedicated
		}
	}
	var batch []*MediaSession
	buf := make([]byte, 2048)
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	slot := 0
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
		batch = append(batch[:0], sh.slots[slot]...)
		sh.mu.Unlock()
		for _, s := range batch {
			s.tick(&c.jitter, buf)
		}
		clear(batch)
		c.work.observe(time.Since(woke))
		next = next.Add(sub)
		slot = (slot + 1) % len(sh.slots)
		if late := time.Since(next); late > 5*FrameDuration {
			// Far behind (the machine stalled): skip ahead by whole
			// periods, keeping each slot's phase, rather than burst a
			// backlog of packets.
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
// up (the operating system and Go scheduler) and how long a pass over the
// sessions of one slot took (our own work).
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
