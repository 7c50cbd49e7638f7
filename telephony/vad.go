package telephony

import (
	"math"
	"time"
)

// VADConfig tunes the energy-based voice activity detector. The zero value
// is not useful; start from DefaultVADConfig.
type VADConfig struct {
	// ThresholdDB is the lowest frame level (dBFS) that may count as speech.
	ThresholdDB float64
	// AboveNoiseDB is how far above the running noise floor a frame must be
	// to count as speech, so a noisy line does not read as talk.
	AboveNoiseDB float64
	// StartFrames of speech in a row start an utterance (debounces clicks).
	StartFrames int
	// EndSilence is the pause that ends an utterance (end of speech).
	EndSilence time.Duration
}

// DefaultVADConfig suits telephone speech at 8 kHz.
func DefaultVADConfig() VADConfig {
	return VADConfig{ThresholdDB: -42, AboveNoiseDB: 10, StartFrames: 3, EndSilence: 600 * time.Millisecond}
}

// VADEvent is what a frame changed.
type VADEvent int

const (
	VADNone        VADEvent = iota
	VADSpeechStart          // enough speech frames in a row: the callee is talking
	VADSpeechEnd            // EndSilence of quiet after speech: the utterance is over
)

// VAD detects talk and silence in 20 ms frames. Durations are counted in
// frames, so they are exact for the audio received whatever the clock does.
// It is not safe for concurrent use.
type VAD struct {
	cfg        VADConfig
	noiseDB    float64
	speaking   bool
	run        int // speech frames in a row (while quiet) or quiet frames in a row (while speaking)
	talkFrames int // frames of the utterance in progress, pauses included
	silFrames  int // frames of silence since the last utterance ended
	endFrames  int
	lastTalk   time.Duration
	lastSil    time.Duration
}

// NewVAD returns a detector.
func NewVAD(cfg VADConfig) *VAD {
	end := int(cfg.EndSilence / FrameDuration)
	if end < 1 {
		end = 1
	}
	if cfg.StartFrames < 1 {
		cfg.StartFrames = 1
	}
	return &VAD{cfg: cfg, noiseDB: -70, endFrames: end}
}

// SetEndSilence changes the quiet that ends an utterance (0: the
// configured EndSilence), from the next frame on.
func (v *VAD) SetEndSilence(d time.Duration) {
	if d <= 0 {
		d = v.cfg.EndSilence
	}
	v.endFrames = max(int(d/FrameDuration), 1)
}

// FrameLevelDB returns the RMS level of a frame in dBFS.
func FrameLevelDB(frame []int16) float64 {
	if len(frame) == 0 {
		return -100
	}
	var sum float64
	for _, s := range frame {
		f := float64(s)
		sum += f * f
	}
	rms := math.Sqrt(sum / float64(len(frame)))
	if rms < 1 {
		return -100
	}
	return 20 * math.Log10(rms/32768)
}

// Process feeds one frame and reports a change.
func (v *VAD) Process(frame []int16) VADEvent {
	level := FrameLevelDB(frame)
	threshold := math.Max(v.cfg.ThresholdDB, v.noiseDB+v.cfg.AboveNoiseDB)
	loud := level >= threshold
	if !loud {
		// Track the floor slowly upward, quickly downward.
		if level < v.noiseDB {
			v.noiseDB = 0.7*v.noiseDB + 0.3*level
		} else {
			v.noiseDB = 0.98*v.noiseDB + 0.02*level
		}
		if v.noiseDB < -70 {
			v.noiseDB = -70
		}
	}
	if !v.speaking {
		v.silFrames++
		if loud {
			v.run++
			if v.run >= v.cfg.StartFrames {
				v.speaking = true
				v.talkFrames = v.run
				v.lastSil = time.Duration(v.silFrames-v.run) * FrameDuration
				v.run = 0
				return VADSpeechStart
			}
		} else {
			v.run = 0
		}
		return VADNone
	}
	v.talkFrames++
	if loud {
		v.run = 0
		return VADNone
	}
	v.run++
	if v.run >= v.endFrames {
		v.speaking = false
		v.lastTalk = time.Duration(v.talkFrames-v.run) * FrameDuration
		v.silFrames = v.run
		v.run = 0
		return VADSpeechEnd
	}
	return VADNone
}

// Speaking reports whether an utterance is in progress.
func (v *VAD) Speaking() bool { return v.speaking }

// LastTalk is the length of the last finished utterance, trailing pause excluded.
func (v *VAD) LastTalk() time.Duration { return v.lastTalk }

// LastSilence is the quiet before the last utterance began.
func (v *VAD) LastSilence() time.Duration { return v.lastSil }

// Pause is how long the utterance in progress has been quiet since its
// last loud frame (0 when none is in progress or it is loud now).
func (v *VAD) Pause() time.Duration {
	if !v.speaking {
		return 0
	}
	return time.Duration(v.run) * FrameDuration
}

// CurrentTalk is how long the utterance in progress has lasted, up to its
// last loud frame (a pause that may yet end it does not count).
func (v *VAD) CurrentTalk() time.Duration {
	if !v.speaking {
		return 0
	}
	return time.Duration(v.talkFrames-v.run) * FrameDuration
}

// Silence is how long it has been quiet (0 while speaking).
func (v *VAD) Silence() time.Duration {
	if v.speaking {
		return 0
	}
	return time.Duration(v.silFrames) * FrameDuration
}
