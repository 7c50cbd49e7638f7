package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// compactJSON is raw without insignificant spaces, as encoding/json writes
// a json.RawMessage.
func compactJSON(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A spooled close reads back as the ending the placer reported: times to
// the nanosecond and in their zones' instants, durations, JSON kept as
// JSON (whitespace aside), slots with integers beyond a float's precision,
// pointers, and zero values that stay zero.
func TestASpooledCloseReadsBackAsTheEndingItKeeps(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	answered := time.Date(2026, 12, 6, 23, 59, 30, 123456789, time.UTC)
	sentiment, confidence := float32(-0.1234567), float32(0.875)
	in := campaigns.Ending{
		Outcome: telephony.OutcomeAnswered, Reason: "", RingTime: 3*time.Second + 7*time.Nanosecond,
		AnsweredAt: answered, EndedAt: answered.Add(42*time.Second + time.Nanosecond), FinalState: "opted_out",
		Tags: []string{"outcome:stop", "vip"}, RecordingRef: "rec/2026/12/06/a.wav", CallbackIn: 36 * time.Hour, OptOut: true,
		SensitiveHits: []campaigns.SensitiveHit{{Word: "投诉", Turn: 2, Where: "heard"}},
		Silence:       1500 * time.Millisecond, CallbackAt: time.Date(2026, 12, 8, 15, 0, 0, 0, shanghai),
		Vars: json.RawMessage(`{ "order": "A-1", "items": [1, 2.5, "三"], "nested": {"ok": true, "none": null} }`),
		Slots: map[string]any{"when": "明天下午三点", "big": json.Number("9007199254740993"), "pi": json.Number("3.14159"),
			"list": []any{"a", json.Number("1")}, "map": map[string]any{"k": false}, "nil": nil},
		LastIntent: "stop", ModelTokens: 1234,
		ContactFields: map[string]json.RawMessage{"tier": json.RawMessage(`"gold"`), "age": json.RawMessage(`41`)},
		Turns: []campaigns.Turn{
			{Seq: 1, State: "greeting", Said: "您好", Heard: "嗯", Intent: "affirm", StartedAt: answered, EndedAt: answered.Add(time.Second)},
			{Seq: 2, State: "pitch", Said: "<b>&</b>", Heard: "别再打了", Intent: "stop", Sentiment: &sentiment, SentimentLabel: "angry",
				Confidence: &confidence, Sensitive: []string{"投诉"}, Model: json.RawMessage(`{"tokens": 1234, "model": "qwen"}`),
				Requests:  json.RawMessage(`[{"endpoint": "crm", "method": "GET", "path": "/balance", "status": 200, "latencyMs": 41.5}]`),
				StartedAt: answered.Add(time.Second).In(shanghai), EndedAt: answered.Add(40 * time.Second)},
		},
	}
	rec := spooledClose{Version: spoolVersion, TenantID: uuid.New(), CallID: uuid.New(), Phone: "138****1234", SpooledAt: time.Now(), Ending: forDisk(in, time.Now())}
	data, err := encodeClose(rec)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeClose(data)
	if err != nil {
		t.Fatal(err)
	}
	out := back.Ending
	if back.TenantID != rec.TenantID || back.CallID != rec.CallID || back.Phone != rec.Phone || !back.SpooledAt.Equal(rec.SpooledAt) {
		t.Fatalf("the file's header read back as %+v", back)
	}
	for _, c := range []struct {
		name    string
		in, out time.Time
	}{{"AnsweredAt", in.AnsweredAt, out.AnsweredAt}, {"EndedAt", in.EndedAt, out.EndedAt}, {"CallbackAt", in.CallbackAt, out.CallbackAt},
		{"turn 2 StartedAt", in.Turns[1].StartedAt, out.Turns[1].StartedAt}} {
		if !c.out.Equal(c.in) {
			t.Errorf("%s: %v, want %v", c.name, c.out, c.in)
		}
	}
	if out.RingTime != in.RingTime || out.CallbackIn != in.CallbackIn || out.Silence != in.Silence {
		t.Errorf("durations: %v %v %v", out.RingTime, out.CallbackIn, out.Silence)
	}
	if compactJSON(t, out.Vars) != compactJSON(t, in.Vars) || compactJSON(t, out.Turns[1].Model) != compactJSON(t, in.Turns[1].Model) ||
		compactJSON(t, out.Turns[1].Requests) != compactJSON(t, in.Turns[1].Requests) {
		t.Errorf("JSON values: %s, %s", out.Vars, out.Turns[1].Model)
	}
	slotsIn, _ := json.Marshal(in.Slots)
	slotsOut, _ := json.Marshal(out.Slots)
	if !bytes.Equal(slotsIn, slotsOut) || !bytes.Contains(slotsOut, []byte("9007199254740993")) {
		t.Errorf("slots: %s, want %s", slotsOut, slotsIn)
	}
	fieldsIn, _ := json.Marshal(in.ContactFields)
	fieldsOut, _ := json.Marshal(out.ContactFields)
	if !bytes.Equal(fieldsIn, fieldsOut) {
		t.Errorf("contact fields: %s, want %s", fieldsOut, fieldsIn)
	}
	if *out.Turns[1].Sentiment != sentiment || *out.Turns[1].Confidence != confidence || out.Turns[0].Sentiment != nil || out.Turns[0].Model != nil {
		t.Errorf("turn pointers: %+v", out.Turns)
	}
	// What remains compares as is, once the values checked above are
	// taken out of both.
	strip := func(e campaigns.Ending) campaigns.Ending {
		e.AnsweredAt, e.EndedAt, e.CallbackAt, e.Vars, e.Slots, e.ContactFields = time.Time{}, time.Time{}, time.Time{}, nil, nil, nil
		e.Turns = append([]campaigns.Turn(nil), e.Turns...)
		for i := range e.Turns {
			e.Turns[i].StartedAt, e.Turns[i].EndedAt, e.Turns[i].Model, e.Turns[i].Requests = time.Time{}, time.Time{}, nil, nil
		}
		return e
	}
	if !reflect.DeepEqual(strip(out), strip(in)) {
		t.Errorf("read back as\n%+v\nwant\n%+v", strip(out), strip(in))
	}
	// Written again, it is the same file: nothing drifts from one replay
	// to the next.
	again, err := encodeClose(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Errorf("the close changed when written again:\n%s\n%s", data, again)
	}

	// Zero values stay zero (no answer, no callback), nil stays nil.
	bare := campaigns.Ending{Outcome: telephony.OutcomeBusy, EndedAt: answered}
	data, _ = encodeClose(spooledClose{Version: spoolVersion, TenantID: uuid.New(), CallID: uuid.New(), Ending: forDisk(bare, time.Now())})
	back, err = decodeClose(data)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Ending.AnsweredAt.IsZero() || !back.Ending.CallbackAt.IsZero() || back.Ending.Turns != nil || back.Ending.Slots != nil || back.Ending.Vars != nil {
		t.Fatalf("a bare ending read back as %+v", back.Ending)
	}
}

// What CloseCall would fill in at the close is filled in when the close is
// spooled (a replay must not take its own moment for the call's end), and
// JSON values that are not JSON are dropped as CloseCall ignores them; the
// placer's ending is left as it was.
func TestASpooledCloseIsTheCloseAsItWouldHaveBeenRecorded(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	in := campaigns.Ending{Vars: json.RawMessage(`{"cut`), ContactFields: map[string]json.RawMessage{"ok": json.RawMessage(`1`), "bad": json.RawMessage(`{`)},
		Turns: []campaigns.Turn{{Seq: 1, Model: json.RawMessage(`nope`)}}}
	got := forDisk(in, now)
	if got.Outcome != telephony.OutcomeFailed || !got.EndedAt.Equal(now) || got.Vars != nil {
		t.Fatalf("spooled as %+v", got)
	}
	if got.Turns[0].Model != nil || got.ContactFields["ok"] == nil || got.ContactFields["bad"] != nil {
		t.Fatalf("spooled as %+v", got)
	}
	if in.Turns[0].Model == nil || len(in.ContactFields) != 2 || in.Vars == nil {
		t.Fatalf("the placer's ending was changed: %+v", in)
	}
	if _, err := encodeClose(spooledClose{Version: spoolVersion, TenantID: uuid.New(), CallID: uuid.New(), Ending: got}); err != nil {
		t.Fatalf("the spooled close cannot be written: %v", err)
	}
}

// Only a database that cannot take a close now is waited for on disk; one
// that refuses what the close holds is not (it would refuse it for ever).
func TestOnlyADatabaseThatCannotTakeACloseIsWaitedFor(t *testing.T) {
	for err, want := range map[error]bool{
		&pgconn.PgError{Code: "08006"}:                                     true,  // connection failure
		&pgconn.PgError{Code: "57P01"}:                                     true,  // admin shutdown
		&pgconn.PgError{Code: "53300"}:                                     true,  // too many connections
		&pgconn.PgError{Code: "40001"}:                                     true,  // serialization failure
		&pgconn.PgError{Code: "22021"}:                                     false, // invalid byte sequence (a NUL)
		&pgconn.PgError{Code: "23502"}:                                     false, // not-null violation
		context.DeadlineExceeded:                                           true,
		errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"): true,
		tenants.Errorf(tenants.EInvalid, "bad close"):                      false,
	} {
		if got := unavailable(err); got != want {
			t.Errorf("unavailable(%v) = %v, want %v", err, got, want)
		}
	}
}

// The pacer waits only for an outage it can name; any other error fails
// its job at once (River retries it with backoff), not after a slice of
// retries every second.
func TestThePacerWaitsOnlyForAnOutageItCanName(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for err, want := range map[error]bool{
		&pgconn.PgError{Code: "08006"}:                            true,
		fmt.Errorf("pace: %w", &pgconn.PgError{Code: "57P01"}):    true,
		fmt.Errorf("begin: %w", refused):                          true,
		fmt.Errorf("query: %w", pgconn.ErrConnClosed):             true,
		fmt.Errorf("read: %w", io.ErrUnexpectedEOF):               true,
		context.DeadlineExceeded:                                  true,
		&pgconn.PgError{Code: "23505"}:                            false, // unique violation
		tenants.Errorf(tenants.ENotFound, "no such campaign"):     false,
		errors.New("json: cannot unmarshal string into Go value"): false,
		nil: false,
	} {
		if got := databaseAway(err); got != want {
			t.Errorf("databaseAway(%v) = %v, want %v", err, got, want)
		}
	}
	// A close, unlike the pacer, keeps waiting on an error it cannot place.
	if !unavailable(errors.New("something odd")) {
		t.Error("a close set aside on an error nobody can place")
	}
}
