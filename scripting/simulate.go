package scripting

import (
	"context"
	"errors"
)

// Transcript is a simulated conversation: the step of every turn, greeting
// first, and the outcome when the call ended (nil when it would go on). It
// is what `outcall script test` prints and what the simulate API returns.
type Transcript struct {
	Turns  []*Step `json:"turns"`
	Result *Result `json:"result"`
	// State and Vars are where the call stands when it has not ended.
	State string `json:"state,omitempty"`
	Vars  string `json:"vars,omitempty"`
}

// Simulate runs a conversation in process: the greeting, then one turn per
// utterance until the call ends or the utterances run out. Use it for
// trusted tools; a service simulating tenant scripts should call
// HostPool.Simulate. With a model, states with `llm` ask it as a call
// would.
func (s *Script) Simulate(contact Contact, utterances []string, opts SessionOptions, model ...Model) (*Transcript, error) {
	var m Model
	if len(model) > 0 {
		m = model[0]
	}
	opts.AskModel = m != nil
	sess, err := s.NewSession(contact, opts)
	if err != nil {
		return nil, err
	}
	tr := &Transcript{}
	t, err := sess.Start()
	if err != nil {
		return nil, err
	}
	tr.Turns = append(tr.Turns, t)
	for _, u := range utterances {
		if sess.Done() {
			break
		}
		t, err := sess.Turn(u)
		if err == nil && t.Ask != nil {
			t, err = sess.Resolve(m.Answer(context.Background(), t.Ask))
		}
		if err != nil {
			return nil, err
		}
		tr.Turns = append(tr.Turns, t)
	}
	tr.Result = sess.Result()
	if tr.Result == nil {
		tr.State, tr.Vars = sess.State(), sess.Vars()
	}
	return tr, nil
}

// Simulate runs a conversation in a script host, the way the service
// simulates a tenant's script. Diagnostics come back when the script does
// not compile.
// With a model, states with `llm` ask it as a call would; with a fetcher,
// states with `http` make their requests (without one they fail).
func (p *HostPool) Simulate(ctx context.Context, name, source string, contact Contact, utterances []string, opts SessionOptions, model Model, fetch Fetcher) (*Transcript, []Diagnostic, error) {
	opts.AskModel, opts.HTTP = model != nil, fetch != nil
	rs, ds, err := p.Open(ctx, Caller{}, name, source, contact, opts)
	if err != nil {
		return nil, ds, err
	}
	defer rs.Close()
	tr := &Transcript{}
	t, err := rs.Start(ctx)
	if err == nil {
		t, err = rs.Finish(ctx, t, model, fetch)
	}
	if err != nil {
		return nil, nil, err
	}
	tr.Turns = append(tr.Turns, t)
	for _, u := range utterances {
		if rs.Done() {
			break
		}
		t, err := rs.Turn(ctx, u)
		if err == nil {
			t, err = rs.Finish(ctx, t, model, fetch)
		}
		if errors.Is(err, ErrSessionDone) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		tr.Turns = append(tr.Turns, t)
	}
	tr.Result = rs.Result()
	return tr, nil, nil
}

// Finish carries a step that waits to its end: it asks the model (Ask)
// and makes the requests (Request) the step waits for, one after another,
// and returns the finished step.
func (r *RemoteSession) Finish(ctx context.Context, t *Step, model Model, fetch Fetcher) (*Step, error) {
	var err error
	for err == nil && t != nil {
		switch {
		case t.Ask != nil && model != nil:
			t, err = r.Resolve(ctx, model.Answer(ctx, t.Ask))
		case t.Ask != nil:
			t, err = r.Resolve(ctx, Answer{Failure: "no model"})
		case t.Request != nil && fetch != nil:
			t, err = r.Respond(ctx, fetch.Fetch(ctx, t.Request))
		case t.Request != nil:
			t, err = r.Respond(ctx, Response{Failure: noFetcher})
		default:
			return t, nil
		}
	}
	return t, err
}
