package campaigns

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/outcall/outcall/reports"
	"github.com/outcall/outcall/telephony"
)

// Calls close in groups too: the calls of one tenant that end while a
// group is being closed are closed together in the next transaction, with
// one statement per step for the whole group. Each call's close is what
// CloseCall documents; the group only shares the transaction.

// maxCloseGroup caps the calls closed in one transaction.
const maxCloseGroup = 100

// closeItem is one call waiting for its group's close.
type closeItem struct {
	callID uuid.UUID
	res    Ending
	c      *Call
	err    error
}

// CloseCall ends a placed call in one transaction: the call record with its
// outcome, timings, billable seconds and turns; the line freed; the
// contact's follow-up (retry per the campaign's policy, a callback, the
// do-not-call list when the callee asked to stop, or done); and every
// OnClose hook (billing's usage row, webhook events). Closing a closed call
// changes nothing and returns it. Calls of one tenant that end together
// share the transaction. If ctx ends while the call waits for its group,
// nothing of it is closed and ctx's error is returned; callers that must
// close whatever happens pass a context that outlives them.
func (s *Service) CloseCall(ctx context.Context, tenantID, callID uuid.UUID, res Ending) (*Call, error) {
	it := &closeItem{callID: callID, res: res}
	if err := s.group().closes.Do(ctx, tenantID, it); err != nil {
		return nil, err
	}
	return it.c, it.err
}

// closeCall closes one call in a transaction of its own.
func (s *Service) closeCall(ctx context.Context, tenantID, callID uuid.UUID, res Ending) (*Call, error) {
	var c *Call
	err := pgx.BeginFunc(ctx, s.db.Pool(), func(tx pgx.Tx) (err error) {
		c, err = s.closeCallTx(ctx, tx, tenantID, callID, res)
		return err
	})
	return c, err
}

// closeSet is one call's new values, as the group's update reads them.
type closeSet struct {
	CallID       uuid.UUID         `json:"call_id"`
	Outcome      telephony.Outcome `json:"set_outcome"`
	AnsweredAt   *time.Time        `json:"set_answered_at"`
	EndedAt      time.Time         `json:"set_ended_at"`
	RingMS       *int              `json:"set_ring_ms"`
	Billable     int               `json:"set_billable"`
	FinalState   string            `json:"set_final_state"`
	Tags         []string          `json:"set_tags"`
	RecordingRef string            `json:"set_recording_ref"`
	Reason       string            `json:"set_reason"`
	Hits         json.RawMessage   `json:"set_hits"`
	SilenceMS    int               `json:"set_silence_ms"`
	OptOut       bool              `json:"set_opted_out"`
	Vars         json.RawMessage   `json:"set_vars"`
	Slots        map[string]any    `json:"set_slots"`
	LastIntent   string            `json:"set_last_intent"`
	CallbackAt   *time.Time        `json:"set_callback_at"`
	ModelTokens  int               `json:"set_model_tokens"`
	CallerID     string            `json:"set_caller_id"`
}

// closeCalls closes items in tx, each as CloseCall documents; a call
// asked to close twice in the group is closed by its first request.
func (s *Service) closeCalls(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, items []*closeItem) error {
	now := s.now()
	sets := make([]closeSet, 0, len(items))
	ids := make([]uuid.UUID, 0, len(items))
	first := map[uuid.UUID]*closeItem{}
	for _, it := range items {
		it.c, it.err = nil, nil
		if first[it.callID] != nil {
			continue // closed by its first request; read back below
		}
		first[it.callID] = it
		res := &it.res
		res.dropNUL()
		if res.EndedAt.IsZero() {
			res.EndedAt = now
		}
		if res.Outcome == "" {
			res.Outcome = telephony.OutcomeFailed
		}
		if len(res.SensitiveHits) > 0 && !slices.Contains(res.Tags, TagReviewRequired) {
			res.Tags = append(slices.Clone(res.Tags), TagReviewRequired)
		}
		hits, _ := json.Marshal(orNoHits(res.SensitiveHits))
		set := closeSet{CallID: it.callID, Outcome: res.Outcome, EndedAt: res.EndedAt, FinalState: res.FinalState,
			Tags: orNoTags(res.Tags), RecordingRef: res.RecordingRef, Reason: res.Reason, Hits: hits,
			SilenceMS: int(res.Silence / time.Millisecond), OptOut: res.OptOut, Vars: res.Vars, Slots: res.Slots, LastIntent: res.LastIntent,
			ModelTokens: max(res.ModelTokens, 0), CallerID: res.CallerID}
		if len(set.Vars) == 0 || !json.Valid(set.Vars) || string(set.Vars) == "null" {
			set.Vars = json.RawMessage(`{}`)
		}
		if !res.CallbackAt.IsZero() {
			at := res.CallbackAt
			set.CallbackAt = &at
		}
		if !res.AnsweredAt.IsZero() {
			at := res.AnsweredAt
			set.AnsweredAt = &at
			set.Billable = int(math.Ceil(res.EndedAt.Sub(res.AnsweredAt).Seconds()))
		}
		if res.RingTime > 0 {
			ms := int(res.RingTime / time.Millisecond)
			set.RingMS = &ms
		}
		sets = append(sets, set)
		ids = append(ids, it.callID)
	}
	raw, err := json.Marshal(sets)
	if err != nil {
		return err
	}

	closed := map[uuid.UUID]*Call{}
	type follow struct {
		row           pgtype.TID
		tries, policy []byte
	}
	follows := map[uuid.UUID]follow{}
	unmarked := map[uuid.UUID]bool{} // calls still dialling: no answered mark landed
	b := tenantBatch(tenantID)
	// The calls first, in id order, as answered marks lock them: a group
	// and a mark never wait for each other in opposite orders. Locked,
	// a call's state says whether its mark landed before this close; a
	// mark that comes after it changes nothing.
	b.Queue(`SELECT id, state = 'dialling' FROM calls WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`, tenantID, ids).Query(func(rows pgx.Rows) error {
		var id uuid.UUID
		var dialling bool
		_, err := pgx.ForEachRow(rows, []any{&id, &dialling}, func() error {
			unmarked[id] = dialling
			return nil
		})
		return err
	})
	b.Queue(`UPDATE calls c SET state = 'ended', outcome = u.set_outcome, answered_at = coalesce(u.set_answered_at, c.answered_at),
			ended_at = u.set_ended_at, ring_ms = u.set_ring_ms, billable_seconds = u.set_billable, final_state = u.set_final_state,
			tags = u.set_tags, recording_ref = u.set_recording_ref, reason = nullif(u.set_reason, ''), sensitive_hits = u.set_hits,
			review_status = CASE WHEN 'review_required' = ANY(u.set_tags) THEN 'pending' END, silence_ms = u.set_silence_ms,
			opted_out = u.set_opted_out, vars = u.set_vars, slots = coalesce(u.set_slots, '{}'), last_intent = u.set_last_intent,
			callback_at = u.set_callback_at, model_tokens = u.set_model_tokens, caller_id = coalesce(u.set_caller_id, '')
		FROM jsonb_to_recordset($1) AS u(call_id uuid, set_outcome text, set_answered_at timestamptz, set_ended_at timestamptz,
			set_ring_ms int, set_billable int, set_final_state text, set_tags text[], set_recording_ref text, set_reason text,
			set_hits jsonb, set_silence_ms int, set_opted_out bool, set_vars jsonb, set_slots jsonb, set_last_intent text,
			set_callback_at timestamptz, set_model_tokens int, set_caller_id text)
		WHERE c.tenant_id = $2 AND c.id = ANY($3) AND c.id = u.call_id AND c.state IN ('dialling', 'in_call')
		RETURNING `+callColumns, raw, tenantID, ids).Query(func(rows pgx.Rows) error {
		ended, err := pgx.CollectRows(rows, rowToCall)
		for i := range ended {
			closed[ended[i].ID] = &ended[i]
		}
		return err
	})
	b.Queue(`UPDATE lines SET call_id = NULL, leased_at = NULL WHERE tenant_id = $1 AND call_id = ANY($2)`, tenantID, ids)
	// Each call's contact is looked up (and locked) by its key.
	b.Queue(`SELECT c.id, f.ctid, f.tries, f.retry_policy FROM calls c
		CROSS JOIN LATERAL (SELECT cc.ctid, cc.tries, cp.retry_policy FROM campaign_contacts cc JOIN campaigns cp ON cp.id = cc.campaign_id
			WHERE cc.campaign_id = c.campaign_id AND cc.contact_id = c.contact_id FOR UPDATE OF cc) f
		WHERE c.tenant_id = $1 AND c.id = ANY($2)`, tenantID, ids).Query(func(rows pgx.Rows) error {
		var id uuid.UUID
		var f follow
		_, err := pgx.ForEachRow(rows, []any{&id, &f.row, &f.tries, &f.policy}, func() error {
			follows[id] = f
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}

	var (
		ccRows     []pgtype.TID
		ccStates   []string
		ccNextAt   []*time.Time
		ccTries    [][]byte
		ccOutcomes []string
		nextIDs    []uuid.UUID
		nextAt     []time.Time
		inbox      []uuid.UUID
	)
	b = &pgx.Batch{}
	for _, it := range items {
		c := closed[it.callID]
		if c == nil || first[it.callID] != it {
			continue
		}
		res := it.res
		f, ok := follows[it.callID]
		if !ok {
			f = follow{}
		}
		state, next, tj, err := s.nextStep(ctx, tx, tenantID, c.Phone, res, f.tries, f.policy, now)
		if err != nil {
			return err
		}
		if ok {
			ccRows = append(ccRows, f.row)
			ccStates = append(ccStates, state)
			ccNextAt = append(ccNextAt, next)
			ccTries = append(ccTries, tj)
			ccOutcomes = append(ccOutcomes, string(res.Outcome))
		}
		if next != nil {
			nextIDs = append(nextIDs, c.ID)
			nextAt = append(nextAt, *next)
			c.NextAt = next
		}
		for i, t := range res.Turns {
			seq := t.Seq
			if seq == 0 {
				seq = i + 1
			}
			var model, requests any
			if json.Valid(t.Model) {
				model = t.Model
			}
			if json.Valid(t.Requests) {
				requests = t.Requests
			}
			b.Queue(`INSERT INTO call_turns (tenant_id, call_id, seq, state, said, heard, intent, sentiment, started_at, ended_at,
					sentiment_label, confidence, sensitive, model, emotion, requests)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
				tenantID, c.ID, seq, t.State, t.Said, t.Heard, t.Intent, t.Sentiment, t.StartedAt, t.EndedAt,
				t.SentimentLabel, t.Confidence, orNoTags(t.Sensitive), model, t.Emotion, requests)
		}
		if len(res.Turns) > 0 {
			c.Turns = res.Turns
		}
		if len(res.ContactFields) > 0 {
			fields, err := json.Marshal(res.ContactFields)
			if err != nil {
				return err
			}
			b.Queue(`UPDATE contacts SET attributes = attributes || $3::jsonb WHERE tenant_id = $1 AND id = $2`, tenantID, c.ContactID, fields)
		}
		inbox = append(inbox, c.ID)
	}
	if len(ccRows) > 0 {
		b.Queue(`UPDATE campaign_contacts cc SET state = u.state, next_at = coalesce(u.next_at, cc.next_at), tries = u.tries,
				last_outcome = u.outcome
			FROM unnest($2::tid[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::text[]) AS u(row, state, next_at, tries, outcome)
			WHERE cc.tenant_id = $1 AND cc.ctid = ANY($2) AND cc.ctid = u.row`,
			tenantID, ccRows, ccStates, ccNextAt, ccTries, ccOutcomes).Exec(func(ct pgconn.CommandTag) error {
			return checkRows(ct, len(ccRows))
		})
	}
	if len(nextIDs) > 0 {
		b.Queue(`UPDATE calls c SET next_at = ($3::timestamptz[])[array_position($2::uuid[], c.id)]
			WHERE c.tenant_id = $1 AND c.id = ANY($2)`, tenantID, nextIDs, nextAt)
	}
	if len(inbox) > 0 {
		reports.QueueRollUp(b, tenantID, inbox)
	}
	if b.Len() > 0 {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
	}
	var (
		done     []*Call
		answered []Answered // talked calls whose answered mark never landed
	)
	scripted := map[uuid.UUID][]string{}
	for _, it := range items {
		if c := closed[it.callID]; c != nil && first[it.callID] == it {
			done = append(done, c)
			if len(it.res.FollowUps) > 0 {
				scripted[c.ID] = it.res.FollowUps
			}
			if it.res.Talked && unmarked[c.ID] && c.AnsweredAt != nil {
				answered = append(answered, Answered{CallID: c.ID, CampaignID: c.CampaignID, ContactID: c.ContactID, Attempt: c.Attempt, AnsweredAt: *c.AnsweredAt})
			}
		}
	}
	// The answer hooks of talked calls whose mark never landed run in the
	// close's transaction, beside its close hooks.
	if len(answered) > 0 {
		for _, hook := range s.opts.OnAnswer {
			if err := hook(ctx, tx, tenantID, answered); err != nil {
				return err
			}
		}
	}
	if len(done) > 0 {
		if err := s.queueFollowUps(ctx, tx, tenantID, done, scripted); err != nil {
			return err
		}
		for _, hook := range s.opts.OnClose {
			if err := hook(ctx, tx, done); err != nil {
				return err
			}
		}
	}

	// Calls this group did not close (closed before, or by an earlier
	// request in the group) are read back as they stand.
	for _, it := range items {
		if c := closed[it.callID]; c != nil && first[it.callID] == it {
			it.c = c
			continue
		}
		c := &Call{}
		err := tx.QueryRow(ctx, `SELECT `+callColumns+` FROM calls WHERE tenant_id = $1 AND id = $2`, tenantID, it.callID).Scan(c.scanDest()...)
		if errors.Is(err, pgx.ErrNoRows) {
			it.err = notFound("call")
			continue
		}
		if err != nil {
			return err
		}
		it.c = c.settle()
	}
	return nil
}

// markItem is one answered mark waiting for its group.
type markItem struct {
	callID uuid.UUID
	at     time.Time
	err    error
}

// MarkAnswered records that the callee picked up (for live counts). Marks
// of one tenant that come together are written together. If ctx ends while
// the mark waits for its group, it is not written and ctx's error is
// returned.
func (s *Service) MarkAnswered(ctx context.Context, tenantID, callID uuid.UUID, at time.Time) error {
	it := &markItem{callID: callID, at: at}
	if err := s.group().marks.Do(ctx, tenantID, it); err != nil {
		return err
	}
	return it.err
}

// Answered is a call the callee picked up, as an AnswerHook gets it.
type Answered struct {
	CallID, CampaignID, ContactID uuid.UUID
	Attempt                       int
	AnsweredAt                    time.Time
}

// AnswerHook runs in the transaction that marks calls answered, with the
// calls it marked (a mark that came twice is in it once).
type AnswerHook func(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, answered []Answered) error

// markAnswered writes a group of marks; each takes the group's error.
func (s *Service) markAnswered(ctx context.Context, tenantID uuid.UUID, items []*markItem) {
	ids, ats := make([]uuid.UUID, len(items)), make([]time.Time, len(items))
	for i, it := range items {
		ids[i], ats[i] = it.callID, it.at
	}
	// One round trip: a batch sent outside a transaction runs as one
	// implicit transaction, which scopes the tenant setting as well. The
	// calls are locked in id order, as a closing group locks them. With
	// answer hooks, the batch runs in a transaction of its own, and the
	// hooks after it.
	var answered []Answered
	b := tenantBatch(tenantID)
	b.Queue(`SELECT 1 FROM calls WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`, tenantID, ids)
	// The contact stays dialling: a campaign's counts tell its contacts in
	// a call by their calls (see CampaignCounts).
	b.Queue(`UPDATE calls c SET state = 'in_call', answered_at = ($3::timestamptz[])[array_position($2::uuid[], c.id)]
		WHERE c.tenant_id = $1 AND c.id = ANY($2) AND c.state = 'dialling'
		RETURNING c.id, c.campaign_id, c.contact_id, c.attempt, c.answered_at`, tenantID, ids, ats).Query(func(rows pgx.Rows) (err error) {
		answered, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Answered])
		return err
	})
	var err error
	if len(s.opts.OnAnswer) == 0 {
		err = s.db.Pool().SendBatch(ctx, b).Close()
	} else {
		err = pgx.BeginFunc(ctx, s.db.Pool(), func(tx pgx.Tx) error {
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
			if len(answered) == 0 {
				return nil
			}
			for _, hook := range s.opts.OnAnswer {
				if err := hook(ctx, tx, tenantID, answered); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for _, it := range items {
		it.err = err
	}
}

// Transferring is a call whose script is handing the callee to a person,
// with what the call had so far, as a TransferHook gets it.
type Transferring struct {
	CallID, CampaignID, ContactID uuid.UUID
	Attempt                       int
	// Target is the transfer target's name as the script gave it.
	Target    string
	StartedAt time.Time
	// State is the script's state at the transfer, LastIntent the last
	// intent it heard: why it transferred.
	State, LastIntent string
	// Turns, Vars and Slots are the call so far, secrets redacted.
	Turns []Turn
	Vars  json.RawMessage
	Slots map[string]any
}

// TransferHook runs in the transaction that marks a call's transfer
// started.
type TransferHook func(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, t Transferring) error

// MarkTransferring records that the call's transfer started and runs the
// transfer hooks with it, in one transaction. A call whose transfer was
// already marked, or that has ended, is left alone.
func (s *Service) MarkTransferring(ctx context.Context, tenantID uuid.UUID, t Transferring) error {
	return s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE calls SET transfer_started_at = $3
			WHERE tenant_id = $1 AND id = $2 AND transfer_started_at IS NULL AND state IN ('dialling', 'in_call')
			RETURNING campaign_id, contact_id, attempt`, tenantID, t.CallID, t.StartedAt).Scan(&t.CampaignID, &t.ContactID, &t.Attempt)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, hook := range s.opts.OnTransfer {
			if err := hook(ctx, tx, tenantID, t); err != nil {
				return err
			}
		}
		return nil
	})
}
