package telephony

import (
	"fmt"
	"time"
)

// Outcome is how a call attempt ended, as campaigns count it: the dialer
// reports all but interrupted, which package campaigns sets itself.
type Outcome string

const (
	OutcomeAnswered      Outcome = "answered"       // a person answered; the handler ran
	OutcomeBusy          Outcome = "busy"           // 486/600
	OutcomeNoAnswer      Outcome = "no_answer"      // rang out (CANCEL sent) or 480/408
	OutcomeInvalidNumber Outcome = "invalid_number" // 404/410/484/485/604, or the carrier says so (空号, 已停机)
	// OutcomeUnreachable is a phone its carrier says cannot be reached now:
	// switched off, out of coverage, barred (已关机, 不在服务区, 无法接通).
	OutcomeUnreachable Outcome = "unreachable"
	OutcomeRejected    Outcome = "rejected"    // the callee declined: 403/603
	OutcomeFailed      Outcome = "failed"      // trunk, network, codec or protocol trouble
	OutcomeVoicemail   Outcome = "voicemail"   // answering machine detected
	OutcomeTransferred Outcome = "transferred" // handed to a human by REFER, or bridged to one
	// OutcomeInterrupted is an attempt whose worker stopped mid-call; it is
	// closed without a second dial and retried like failed.
	OutcomeInterrupted Outcome = "interrupted"
)

// CallResult is everything the dialer knows about one SIP call attempt.
type CallResult struct {
	Outcome Outcome
	// SIPCode and SIPReason of the final INVITE response (0 when none came).
	SIPCode   int
	SIPReason string
	// Reason explains the outcome for people ("ring timeout after 30s,
	// CANCEL sent", "trunk rejected credentials (401)").
	Reason string
	// HangupBy is "callee", "us" or "" when the call was not answered.
	HangupBy string
	CallID   string
	CallerID string
	TrunkID  string
	Codec    string
	Started  time.Time
	// Answered is zero when the call was not answered.
	Answered time.Time
	Ended    time.Time
	// RingTime is INVITE to final response; Talk is answer to hang-up.
	RingTime time.Duration
	Talk     time.Duration
	// EarlyMedia is true when the network sent audio before the answer.
	EarlyMedia bool
	// EarlyAnnouncement is what a carrier's announcement in early media
	// said (long digit runs masked) when it ended the attempt.
	EarlyAnnouncement string `json:",omitempty"`
	// AMD is the answering-machine verdict when detection ran.
	AMD *AMDResult
	// RecordingKey names the recording in the RecordingStore ("" if none).
	RecordingKey string
	// TransferTarget is set for transferred calls.
	TransferTarget string
	// BridgeCallID is the Call-ID of the call to the transfer target when
	// the peer refused REFER and the dialer bridged the two calls itself.
	BridgeCallID string
	// Transcript is what was said and keyed in the call, line by line.
	Transcript []TranscriptLine
	Media      MediaStats
	// HandlerErr is what the CallHandler returned, if anything.
	HandlerErr error `json:"-"`
}

// TranscriptLine is one line of a call's transcript: a prompt the robot
// said or keyed, or what the callee said or keyed, and when.
type TranscriptLine struct {
	Speaker string // "robot" or "callee"
	Text    string
	Emotion string        `json:",omitempty"`
	DTMF    string        `json:",omitempty"`
	At      time.Duration // since answer
	// BargeIn marks a robot prompt the callee interrupted.
	BargeIn bool `json:",omitempty"`
	// Backchannel marks the callee's "嗯", "对", "uh-huh" while the robot
	// spoke: heard, and the prompt went on.
	Backchannel bool `json:",omitempty"`
}

// OutcomeForStatus maps a final non-2xx INVITE response to an outcome.
func OutcomeForStatus(code int) Outcome {
	switch code {
	case 486, 600:
		return OutcomeBusy
	case 408, 480, 487:
		return OutcomeNoAnswer
	case 404, 410, 484, 485, 604:
		return OutcomeInvalidNumber
	case 403, 603:
		return OutcomeRejected
	}
	return OutcomeFailed
}

func statusReason(code int, reason string) string {
	switch code {
	case 401, 407:
		return fmt.Sprintf("trunk rejected credentials (%d %s): check the trunk username and password", code, reason)
	case 488, 606:
		return fmt.Sprintf("callee accepts none of PCMU, PCMA (%d %s)", code, reason)
	}
	return fmt.Sprintf("%d %s", code, reason)
}
