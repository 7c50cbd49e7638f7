package api

import "context"

// output is the answer of an operation whose body is one named schema; the
// schema keeps the name of B.
type output[B any] struct{ Body B }

// reply answers an operation with v shown by body, or with the problem err
// describes: the end of every handler that gets, creates or changes one
// thing.
func reply[T, B any](s *Server, ctx context.Context, body func(T) B, v T, err error) (*output[B], error) {
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &output[B]{Body: body(v)}, nil
}

// forCaller fixes the caller of ctx in a body function that masks phone
// numbers for viewers, so that it serves where a function of the item alone
// is wanted (reply, page).
func forCaller[T, B any](ctx context.Context, body func(context.Context, T) B) func(T) B {
	return func(v T) B { return body(ctx, v) }
}
