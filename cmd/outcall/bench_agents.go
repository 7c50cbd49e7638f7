package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/agentsim"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/outcall/outcall/tenants"
)

// bench agents: the agent desk under load. Simulated agents (agentsim:
// WebRTC peers on loopback, as browsers) wait at their desks; calls to the
// callee simulator over SIP are handed to their queue as a script's
// transfer hands them (calls.Desk.HandOff), the longest-idle agent's desk
// rings, the agent answers over WebRTC, talks for a moment and hangs up.
// It reports how long after the transfer a desk rang (through PostgreSQL's
// notifications, as across processes), how long the browser took to be
// joined after answering, and the calls that did not reach an agent.
func init() {
	benchGroups["agents"] = func(cmd *cobra.Command, report func(string, float64, string)) error {
		return benchAgents(cmd.Context(), report, 8, 40, 8)
	}
}

func benchAgents(ctx context.Context, report func(string, float64, string), agents, total, concurrent int) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	env, cleanup, err := openBench(ctx, "Desk Bench", "owner@desk-bench.example")
	if err != nil {
		return err
	}
	defer cleanup()
	hub := calls.NewDeskHub(env.DB.Pool(), slog.New(slog.DiscardHandler))
	hubCtx, stopHub := context.WithCancel(ctx)
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); hub.Run(hubCtx) }()
	defer func() { stopHub(); <-hubDone }()
	select {
	case <-hub.Ready():
	case <-ctx.Done():
		return ctx.Err()
	}
	desk := &calls.Desk{DB: env.DB, Hub: hub, WebRTC: telephony.WebRTCConfig{LoopbackOnly: true}}

	// The agents, one queue, and the calls to hand it.
	ts := tenants.NewService(env.DB)
	var people []tenants.Principal
	var ids []uuid.UUID
	for i := range agents {
		added, err := ts.AddUser(ctx, env.P, tenants.AddUserRequest{Email: fmt.Sprintf("agent%d@desk-bench.example", i), Role: tenants.RoleAgent, Password: "bench-password"})
		if err != nil {
			return err
		}
		id := added.User.ID
		ids = append(ids, id)
		people = append(people, tenants.Principal{TenantID: env.P.TenantID, Role: tenants.RoleAgent, UserID: &id})
	}
	name := "bench"
	if _, err := desk.CreateQueue(ctx, env.P, calls.QueueInput{Name: &name, TimeoutSeconds: ptrTo(60), AgentIDs: &ids}); err != nil {
		return err
	}
	callIDs, err := seedDeskCalls(ctx, env, total)
	if err != nil {
		return err
	}

	sim, err := calleesim.Start(ctx, calleesim.Config{TTS: telephony.ToneTTS{}, Personas: []calleesim.Persona{{Name: "waits", HoldMS: 60000}}})
	if err != nil {
		return err
	}
	defer sim.Close()
	sip, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: telephony.ToneTTS{}, ASR: telephony.SimulationRecognizer{}})
	if err != nil {
		return err
	}
	defer sip.Close()

	var (
		mu        sync.Mutex
		transfers = map[uuid.UUID]time.Time{}
		rings     []float64
		joins     []float64
		taken     int
	)
	agentCtx, stopAgents := context.WithCancel(ctx)
	defer stopAgents()
	var agentsDone sync.WaitGroup
	for _, p := range people {
		if _, err := desk.SetStatus(ctx, p, calls.AgentAvailable); err != nil {
			return err
		}
		agentsDone.Add(1)
		go func() {
			defer agentsDone.Done()
			for agentCtx.Err() == nil {
				offer, err := desk.WaitOffer(agentCtx, p, 5*time.Second)
				if err != nil || offer == nil || offer.State != calls.OfferRinging {
					continue
				}
				rang := time.Now()
				mu.Lock()
				if at, ok := transfers[offer.CallID]; ok {
					rings = append(rings, float64(rang.Sub(at).Microseconds())/1000)
				}
				mu.Unlock()
				if err := takeCall(agentCtx, desk, p, offer.ID, &mu, &joins); err == nil {
					mu.Lock()
					taken++
					mu.Unlock()
				}
			}
		}()
	}

	trunk := sim.Trunk()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrent)
	failed := 0
	start := time.Now()
	for i := range total {
		callID := callIDs[i]
		g.Go(func() error {
			res, err := sip.Dial(gctx, telephony.DialRequest{Trunk: trunk, To: fmt.Sprintf("+86139%08d", i), RingTimeout: 10 * time.Second},
				telephony.CallHandlerFunc(func(ctx context.Context, call telephony.Call) error {
					mu.Lock()
					transfers[callID] = time.Now()
					mu.Unlock()
					out, err := desk.HandOff(ctx, call, calls.HandOff{TenantID: env.P.TenantID, CallID: callID, Queue: "bench", Lang: "zh-CN"})
					if err == nil && out.Agent == "" {
						err = fmt.Errorf("no agent took the call (%+v)", out)
					}
					return err
				}))
			if err != nil || res.HandlerErr != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	elapsed := time.Since(start)
	stopAgents()
	agentsDone.Wait()

	report("agents_calls", float64(total), "calls")
	report("agents_desks", float64(agents), "agents")
	report("agents_ring_p50_ms", percentile(rings, 50), "ms")
	report("agents_ring_p99_ms", percentile(rings, 99), "ms")
	report("agents_join_p50_ms", percentile(joins, 50), "ms")
	report("agents_join_p99_ms", percentile(joins, 99), "ms")
	report("agents_calls_taken", float64(taken), "calls")
	report("agents_calls_failed", float64(failed), "calls")
	report("agents_calls_per_s", float64(total)/elapsed.Seconds(), "calls/s")
	if failed > 0 || taken != total {
		return fmt.Errorf("%d of %d calls reached an agent, %d failed", taken, total, failed)
	}
	return nil
}

// takeCall answers an offer as a browser does, talks for half a second
// and hangs up; joins gets how long the browser took to be joined after
// it answered.
func takeCall(ctx context.Context, desk *calls.Desk, p tenants.Principal, offerID uuid.UUID, mu *sync.Mutex, joins *[]float64) error {
	answered := time.Now()
	browser, sdp, err := agentsim.New(ctx)
	if err != nil {
		return err
	}
	defer browser.Close()
	answer, err := desk.Answer(ctx, p, offerID, sdp)
	if err != nil {
		return err
	}
	if err := browser.Answer(answer); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := browser.WaitConnected(cctx); err != nil {
		return err
	}
	mu.Lock()
	*joins = append(*joins, float64(time.Since(answered).Microseconds())/1000)
	mu.Unlock()
	browser.Speak(440)
	select {
	case <-time.After(500 * time.Millisecond):
	case <-ctx.Done():
	}
	return desk.Hangup(context.WithoutCancel(ctx), p, offerID)
}

// seedDeskCalls records n calls of a campaign, as dialling does, for the
// desk's offers to belong to.
func seedDeskCalls(ctx context.Context, env *benchEnv, n int) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := env.DB.InTenant(ctx, env.P.TenantID, func(tx pgx.Tx) error {
		campaign := uuid.New()
		if _, err := tx.Exec(ctx, `INSERT INTO campaigns (id, tenant_id, name, status) VALUES ($1, $2, 'desk bench', $3)`, campaign, env.P.TenantID, campaigns.StatusRunning); err != nil {
			return err
		}
		for i := range n {
			contact, call := uuid.New(), uuid.New()
			phone := fmt.Sprintf("+86139%08d", i)
			if _, err := tx.Exec(ctx, `INSERT INTO contacts (id, tenant_id, phone, name, time_zone) VALUES ($1, $2, $3, $4, 'Asia/Shanghai')`,
				contact, env.P.TenantID, phone, fmt.Sprintf("客户%d", i)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO calls (id, tenant_id, campaign_id, contact_id, attempt, phone, state) VALUES ($1, $2, $3, $4, 1, $5, 'in_call')`,
				call, env.P.TenantID, campaign, contact, phone); err != nil {
				return err
			}
			ids = append(ids, call)
		}
		return nil
	})
	return ids, err
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ptrTo[T any](v T) *T { return &v }
