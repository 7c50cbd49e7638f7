package campaigns

import (
	"context"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Adaptive pacing. Every dial holds one of the tenant's lines from the
// moment its attempt is recorded until its call closes, so the lines are
// a hard cap on calls in progress. What pacing can win is the gap between
// a line freeing and the next dial taking it: a pacing round, the job
// insert, a worker picking the job up. When calls are short (few answered,
// quick rings), that gap is a large share of each line's time.
//
// So a pacing round also queues the dials for the lines it expects to
// free before its queued jobs are picked up: busy lines × lookahead ÷ the
// measured time a dial holds a line, which is the ring time plus the answer
// rate × the talk time of the tenant's recent calls. The jobs wait for a
// worker; none can dial without a free line, the calls-per-second budget
// still bounds every round, and jobs already queued count against the
// next round, so the queue never runs further ahead than that.

// paceSamples is how many of the tenant's latest ended calls are measured.
const paceSamples = 200

// paceMinSamples is how many ended calls it takes to trust the measure;
// with fewer, pacing queues only for free lines.
const paceMinSamples = 20

// CallMeasure describes a tenant's recent calls, as pacing sees them.
type CallMeasure struct {
	// Calls is how many ended calls were measured.
	Calls int
	// AnswerRate is the share of them that were answered.
	AnswerRate float64
	// Ring is the mean ring time; Talk the mean answered call's length.
	Ring, Talk time.Duration
}

// Hold is how long a dial holds a line, on average.
func (m CallMeasure) Hold() time.Duration {
	return m.Ring + time.Duration(m.AnswerRate*float64(m.Talk))
}

// Ahead is how many of busy lines are expected to free within lookahead:
// the dials worth queueing before they do. Zero until enough calls were
// measured; never more than busy.
func (m CallMeasure) Ahead(busy int, lookahead time.Duration) int {
	if busy <= 0 || lookahead <= 0 || m.Calls < paceMinSamples {
		return 0
	}
	hold := max(m.Hold(), 10*time.Millisecond)
	return min(busy, int(math.Floor(float64(busy)*float64(lookahead)/float64(hold))))
}

// measureCalls measures the tenant's latest ended calls (all campaigns
// share the tenant's lines).
func measureCalls(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (CallMeasure, error) {
	var m CallMeasure
	var answered int
	var ringMS, talkS float64
	err := tx.QueryRow(ctx, `SELECT count(*), count(answered_at), coalesce(avg(coalesce(ring_ms, 0)), 0)::float8,
			coalesce(avg(extract(epoch FROM ended_at - answered_at)) FILTER (WHERE answered_at IS NOT NULL), 0)::float8
		FROM (SELECT ring_ms, answered_at, ended_at FROM calls WHERE tenant_id = $1 AND state = 'ended'
			ORDER BY created_at DESC, id DESC LIMIT $2) recent`, tenantID, paceSamples).Scan(&m.Calls, &answered, &ringMS, &talkS)
	if err != nil || m.Calls == 0 {
		return m, err
	}
	m.AnswerRate = float64(answered) / float64(m.Calls)
	m.Ring = time.Duration(ringMS * float64(time.Millisecond))
	m.Talk = time.Duration(max(talkS, 0) * float64(time.Second))
	return m, nil
}

// lookahead is how far ahead a pacing round queues: until the next round,
// plus about as long again for a queued job to reach a worker.
func (s *Service) lookahead() time.Duration {
	if s.opts.PaceLookahead != 0 {
		return max(s.opts.PaceLookahead, 0)
	}
	interval := s.opts.PaceInterval
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	return 2 * interval
}

// paceAhead measures the tenant's calls and says how many dials to queue
// beyond the free lines, when the lines (not the budget) are what holds
// the round back.
func (s *Service) paceAhead(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, busy, room, budget int, r *PaceRound) (int, error) {
	if busy <= 0 || room >= budget || s.lookahead() == 0 {
		return 0, nil
	}
	m, err := measureCalls(ctx, tx, tenantID)
	if err != nil {
		return 0, err
	}
	r.Measure = m
	r.Ahead = m.Ahead(busy, s.lookahead())
	return r.Ahead, nil
}
