package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outcall/outcall/scripting"
	"github.com/spf13/cobra"
)

// benchDialog is a typical order-confirmation script: a function say, a
// template say, a function target and c.vars, so a turn exercises the
// runtime as well as understanding.
const benchDialog = `export default {
  start: "greeting",
  lang: "zh-CN",
  intents: { price: ["多少钱", "价格", "how much"] },
  fallback: { say: "抱歉,我没听清,您能再说一遍吗?", retries: 2, end: "no_understanding" },
  states: {
    greeting: {
      say: c => ` + "`您好${c.contact.name},这里是某某商城,想跟您确认一下订单。`" + `,
      emotion: "happy",
      on: { affirm: "confirm", deny: "objection", later: "callback",
            price: c => { c.vars.asked = (c.vars.asked || 0) + 1; return c.contact.vip ? "vip_price" : "price"; } },
    },
    price: { say: "这单是${c.contact.amount}元,确认吗?", on: { affirm: "confirm", deny: "objection", price: "price" } },
    vip_price: { say: c => "会员价" + Math.round(c.contact.amount * 0.9) + "元,确认吗?", on: { affirm: "confirm", deny: "objection", price: "vip_price" } },
    objection: { say: "好的,请问是哪里不满意呢?", on: { complaint: "agent" }, default: "cancelled" },
    confirm:  { say: "好的,已为您确认。", end: "confirmed", tags: ["converted"] },
    cancelled: { say: "好的,已为您取消。", end: "cancelled" },
    callback: { say: "好的,我们稍后联系您。", end: "callback", callbackIn: "2h" },
    agent:    { say: "正在为您转接人工客服。", transfer: "agent" },
  },
};`

// benchConversation keeps a call going for several turns before it ends.
var benchConversation = []string{"多少钱", "价格是多少", "嗯哼哈嘿", "价格", "是的"}

var benchUtterances = []string{"是的", "不需要", "明天下午三点再打吧", "我在开会", "这个多少钱", "转人工", "stop calling me", "not interested", "你们这帮骗子", "好的没问题"}

const benchSegmenter = `export function segment(c) {
  if (c.vip) return "vip";
  if (c.orders >= 5 && c.city === "杭州") return "loyal_local";
  if (c.orders >= 5) return "loyal";
  if (c.lastOrderDays > 180) return "dormant";
  return null;
}`

func init() {
	benchGroups["scripting"] = benchScripting
}

func benchScripting(cmd *cobra.Command, report func(name string, value float64, unit string)) error {
	contact := scripting.Contact{"name": "王先生", "amount": 199, "vip": true, "city": "杭州"}
	script, ds := scripting.Compile("bench.js", benchDialog)
	if script == nil {
		return fmt.Errorf("bench script: %v", ds)
	}

	// Understanding alone.
	const nClassify = 20000
	start := time.Now()
	for i := 0; i < nClassify; i++ {
		scripting.Classify("zh", benchUtterances[i%len(benchUtterances)], map[string][]string{"price": {"多少钱", "价格", "how much"}})
	}
	report("classify_us", float64(time.Since(start).Microseconds())/nClassify, "us")

	// One turn in process, no contention: script + understanding.
	local := measureTurns(func() turnRunner {
		s, _ := script.NewSession(contact, scripting.SessionOptions{})
		return localRunner{s}
	}, 3000)
	report("turn_inprocess_p50_us", local.p50, "us")

	// The same through a script host: the process boundary's cost.
	pool, err := scripting.NewHostPool(scripting.HostConfig{Hosts: runtime.GOMAXPROCS(0)})
	if err != nil {
		return err
	}
	defer pool.Close()
	ctx := cmd.Context()
	remote := measureTurns(func() turnRunner {
		s, _, err := pool.Open(ctx, scripting.Caller{}, "bench.js", benchDialog, contact, scripting.SessionOptions{})
		if err != nil {
			panic(err)
		}
		return remoteRunner{ctx, s}
	}, 3000)
	report("turn_host_p50_us", remote.p50, "us")
	report("boundary_us", remote.mean-local.mean, "us")

	// 1,000 concurrent calls through the hosts, each taking a turn every
	// 1-3 s (speaking a sentence and hearing the answer takes longer in a
	// real call), for 15 seconds.
	const calls, window = 1000, 15 * time.Second
	paced, rate, err := pacedTurns("through the hosts", calls, window, func() (turnRunner, error) {
		s, _, err := pool.Open(ctx, scripting.Caller{}, "bench.js", benchDialog, contact, scripting.SessionOptions{})
		if err != nil {
			return nil, err
		}
		return remoteRunner{ctx, s}, nil
	})
	if err != nil {
		return err
	}
	report("turn_p50_us", paced.p50, "us")
	report("turn_p99_us", paced.p99, "us")
	report("turns_per_s", rate, "turns/s")

	// What the same load costs without the boundary (each call's script
	// in this process), and what the boundary alone costs under it (an
	// empty request to the call's host in place of each turn): the two
	// parts turn_p50_us is made of.
	inproc, _, err := pacedTurns("in this process", calls, window, func() (turnRunner, error) {
		s, err := script.NewSession(contact, scripting.SessionOptions{})
		return localRunner{s}, err
	})
	if err != nil {
		return err
	}
	report("turn_inprocess_paced_p50_us", inproc.p50, "us")
	var key atomic.Uint64
	ping, _, err := pacedTurns("empty requests to the hosts", calls, window, func() (turnRunner, error) {
		return pingRunner{ctx, pool, key.Add(1)}, nil
	})
	if err != nil {
		return err
	}
	report("host_ping_p50_us", ping.p50, "us")
	report("host_ping_p99_us", ping.p99, "us")

	// Segmentation.
	sg, ds := scripting.CompileSegmenter("segment.js", benchSegmenter)
	if sg == nil {
		return fmt.Errorf("bench segmenter: %v", ds)
	}
	contacts := make([]scripting.Contact, 10000)
	cities := []string{"杭州", "上海", "北京", "深圳"}
	for i := range contacts {
		contacts[i] = scripting.Contact{"name": fmt.Sprintf("客户%d", i), "phone": fmt.Sprintf("+86138%08d", i), "vip": i%17 == 0, "orders": float64(i % 9), "city": cities[i%4], "lastOrderDays": float64(i % 365)}
	}
	const nSeg = 200000
	workers := runtime.GOMAXPROCS(0)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start = time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > nSeg {
					return
				}
				if _, err := sg.Segment(contacts[int(i)%len(contacts)]); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	report("segment_per_s", nSeg/time.Since(start).Seconds(), "contacts/s")
	if n := failed.Load(); n > 0 {
		fmt.Fprintf(os.Stderr, "bench group scripting: %d contacts failed (budget overruns on a loaded machine?)\n", n)
	}

	// Memory per idle (started, waiting for the callee) session.
	const nIdle = 20000
	sessions := make([]*scripting.Session, nIdle)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range sessions {
		s, _ := script.NewSession(contact, scripting.SessionOptions{})
		if _, err := s.Start(); err != nil {
			return err
		}
		sessions[i] = s
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	report("session_kb", float64(after.HeapAlloc-before.HeapAlloc)/nIdle/1024, "KB")
	runtime.KeepAlive(sessions)
	return nil
}

type turnRunner interface {
	start() error
	turn(text string) (done bool, err error)
}

type localRunner struct{ s *scripting.Session }

func (r localRunner) start() error { _, err := r.s.Start(); return err }
func (r localRunner) turn(text string) (bool, error) {
	t, err := r.s.Turn(text)
	if err != nil {
		return true, err
	}
	if t.Error != nil {
		return true, t.Error
	}
	return t.Done, nil
}

type remoteRunner struct {
	ctx context.Context
	s   *scripting.RemoteSession
}

func (r remoteRunner) start() error { _, err := r.s.Start(r.ctx); return err }
func (r remoteRunner) turn(text string) (bool, error) {
	t, err := r.s.Turn(r.ctx, text)
	if err != nil {
		return true, err
	}
	if t.Error != nil {
		return true, t.Error
	}
	if t.Done {
		r.s.Close()
	}
	return t.Done, nil
}

type turnStats struct{ p50, p99, mean float64 }

// measureTurns runs conversations one after another and times each turn.
func measureTurns(open func() turnRunner, n int) turnStats {
	var lat []time.Duration
	for len(lat) < n {
		r := open()
		if err := r.start(); err != nil {
			panic(err)
		}
		for _, say := range benchConversation {
			t0 := time.Now()
			done, err := r.turn(say)
			lat = append(lat, time.Since(t0))
			if err != nil {
				panic(err)
			}
			if done {
				break
			}
		}
	}
	return stats(lat)
}

func stats(lat []time.Duration) turnStats {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	var sum time.Duration
	for _, l := range lat {
		sum += l
	}
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
	return turnStats{p50: us(lat[len(lat)/2]), p99: us(lat[len(lat)*99/100]), mean: us(sum) / float64(len(lat))}
}

// pingRunner stands in for a call, sending an empty request to a host at
// each turn.
type pingRunner struct {
	ctx  context.Context
	pool *scripting.HostPool
	key  uint64
}

func (r pingRunner) start() error { return nil }
func (r pingRunner) turn(string) (bool, error) {
	return false, r.pool.Ping(r.ctx, r.key)
}

// pacedTurns runs `calls` concurrent calls for d, each one conversation
// after another, taking a turn every 1-3 s, and times every turn.
func pacedTurns(what string, calls int, d time.Duration, open func() (turnRunner, error)) (turnStats, float64, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 7))
			mine := make([]time.Duration, 0, 128)
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			// Spread the calls' starts over the first think time.
			time.Sleep(time.Duration(rng.IntN(3000)) * time.Millisecond)
			for time.Now().Before(deadline) {
				r, err := open()
				if err != nil {
					fail(err)
					return
				}
				if err := r.start(); err != nil {
					fail(err)
					return
				}
				for _, say := range benchConversation {
					time.Sleep(time.Duration(1000+rng.IntN(2000)) * time.Millisecond)
					t0 := time.Now()
					done, err := r.turn(say)
					mine = append(mine, time.Since(t0))
					if err != nil {
						fail(err)
						return
					}
					if done || !time.Now().Before(deadline) {
						break
					}
				}
			}
		}(uint64(i))
	}
	wg.Wait()
	if firstErr != nil {
		return turnStats{}, 0, firstErr
	}
	if len(lat) == 0 {
		return turnStats{}, 0, fmt.Errorf("no turns measured")
	}
	n := len(lat)
	load, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(load))
	fmt.Fprintf(os.Stderr, "bench group scripting: %d turns %s in %v across %d concurrent calls (load average %s)\n", n, what, d, calls, strings.Join(f[:min(3, len(f))], " "))
	return stats(lat), float64(n) / d.Seconds(), nil
}
