package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/scripting/llm"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/outcall/outcall/webhooks"
)

// telephonySettings say where calls go and how speech is handled.
type telephonySettings struct {
	// Trunk is the SIP carrier as a URL: udp://user:pass@host:port?caller_ids=…&from_domain=….
	Trunk string
	// CalleeSim runs the callee simulator in this process as the carrier
	// (the demo default of `outcall dev`).
	CalleeSim bool
	// SIPAddr is the local address for SIP and RTP.
	SIPAddr string
	// ASR is simulation, pocketsphinx, an http(s) URL of a
	// /v1/audio/transcriptions service, or funasr+ws(s)://host:port of a
	// FunASR runtime (OUTCALL_ASR_API_KEY is the key for either service).
	ASR string
	// Recordings is the folder call recordings are kept in.
	Recordings string
	// MediaRTPriority, when positive, paces RTP from threads in the
	// real-time scheduling class at this priority. MediaProcessRTPriority,
	// below it, moves the rest of the process into that class too, for
	// workers whose work is calls: the Go scheduler then hands a pacing
	// thread its goroutine back without waiting behind other work.
	MediaRTPriority, MediaProcessRTPriority int
	// SymmetricRTP latches on to where the carrier's RTP comes from even
	// when its SDP names a public address (carriers behind NAT).
	SymmetricRTP bool
	// WebRTCPublicIPs, WebRTCPorts and WebRTCLoopback say how agents'
	// browsers reach a worker's calls (see webrtc).
	WebRTCPublicIPs, WebRTCPorts string
	WebRTCLoopback               bool
	// LLMURL and LLMModel are the platform's language model, for every
	// tenant that has not chosen its own or none (OUTCALL_LLM_API_KEY is
	// its key).
	LLMURL, LLMModel string
}

// platformModel is the language model the operator set for every tenant,
// or nil.
func (t *telephonySettings) platformModel() (*llm.Config, error) {
	if t.LLMURL == "" {
		return nil, nil
	}
	u, err := url.Parse(t.LLMURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--llm-url %q: want the http(s) URL of an OpenAI-compatible API up to its version, such as https://dashscope.aliyuncs.com/compatible-mode/v1", t.LLMURL)
	}
	if t.LLMModel == "" {
		return nil, errors.New("--llm-url needs --llm-model: the model to ask, such as qwen-plus")
	}
	return &llm.Config{BaseURL: t.LLMURL, Model: t.LLMModel, APIKey: os.Getenv("OUTCALL_LLM_API_KEY")}, nil
}

func addTelephonyFlags(cmd *cobra.Command, t *telephonySettings) {
	fs := cmd.Flags()
	dev := cmd.Name() == "dev"
	stringFlag(fs, &t.Trunk, "sip-trunk", "", "SIP trunk for campaign calls, as udp|tcp|tls://[user:password@]host[:port][?caller_ids=+86…,+86…&from_domain=…]")
	boolFlag(fs, &t.CalleeSim, "callee-sim", dev, "run the callee simulator in this process and send calls to it (simulation; on by default for dev)")
	stringFlag(fs, &t.SIPAddr, "sip-addr", "127.0.0.1", "local IP address for SIP and RTP")
	asr := "pocketsphinx"
	if dev {
		asr = "simulation"
	}
	stringFlag(fs, &t.ASR, "asr", asr, "speech recognition: simulation (callee-sim's text channel), pocketsphinx (offline, English grammars), "+
		"an http(s) URL of a /v1/audio/transcriptions service, nls+wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1?appkey=… for Alibaba Cloud NLS "+
		"(OUTCALL_ASR_API_KEY=AccessKeyId:AccessKeySecret), or funasr+ws://host:10095 (funasr+wss://…) for a FunASR runtime, streaming "+
		"(optional ?mode=2pass|online|offline); OUTCALL_ASR_API_KEY is sent to either service as a bearer key")
	stringFlag(fs, &t.Recordings, "recordings-dir", filepath.Join(".data", "recordings"), "folder for call recordings")
	intFlag(fs, &t.MediaRTPriority, "media-rt-priority", 0, "pace RTP from threads in the real-time class (SCHED_FIFO) at this priority, 1-99, as media servers do; needs CAP_SYS_NICE (0: normal priority)")
	intFlag(fs, &t.MediaProcessRTPriority, "media-process-rt-priority", 0, "with --media-rt-priority: the rest of the process (and the espeak-ng it starts) in the real-time class at this lower priority, for workers that only place calls (0: off)")
	boolFlag(fs, &t.SymmetricRTP, "symmetric-rtp", false, "take the carrier's RTP from where its first packet comes (from the SDP's host or the trunk's, within 5 s of the answer) even when its SDP names a public address, for carriers behind NAT; "+
		"RTP is otherwise taken only from the SDP's address, and latching is automatic when that address is private")
	stringFlag(fs, &t.WebRTCPublicIPs, "webrtc-public-ip", "", "the public addresses agents' browsers reach this worker's calls at, comma-separated, for a worker behind a 1:1 NAT (empty: its own addresses)")
	stringFlag(fs, &t.WebRTCPorts, "webrtc-ports", "", "the UDP port range agents' browsers reach this worker's calls on, as min-max (empty: any); open it in the firewall")
	stringFlag(fs, &t.LLMURL, "llm-url", "", "the platform's language model for every tenant that has not chosen its own or none: the base URL of an OpenAI-compatible chat API "+
		"(vLLM or Ollama serving Qwen or DeepSeek, DashScope's compatible mode, DeepSeek, OpenAI), up to its version; its key in OUTCALL_LLM_API_KEY (empty: no platform model)")
	stringFlag(fs, &t.LLMModel, "llm-model", "", "the platform model's name, such as qwen-plus (with --llm-url)")
	boolFlag(fs, &t.WebRTCLoopback, "webrtc-loopback", dev, "also offer agents' browsers this host's loopback address (a browser on the same machine; on by default for dev)")
}

// webrtc is how agents' browsers reach the calls of this process.
func (t *telephonySettings) webrtc() (telephony.WebRTCConfig, error) {
	c := telephony.WebRTCConfig{Loopback: t.WebRTCLoopback}
	for _, ip := range strings.Split(t.WebRTCPublicIPs, ",") {
		if ip = strings.TrimSpace(ip); ip != "" {
			if net.ParseIP(ip) == nil {
				return c, fmt.Errorf("--webrtc-public-ip %q: not an IP address", ip)
			}
			c.PublicIPs = append(c.PublicIPs, ip)
		}
	}
	if t.WebRTCPorts != "" {
		lo, hi, ok := strings.Cut(t.WebRTCPorts, "-")
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b, err2 := strconv.ParseUint(hi, 10, 16)
		if !ok || err1 != nil || err2 != nil || a == 0 || a > b {
			return c, fmt.Errorf("--webrtc-ports %q: want min-max, as 40000-40999", t.WebRTCPorts)
		}
		c.PortMin, c.PortMax = uint16(a), uint16(b)
	}
	return c, nil
}

// parseTrunk reads a trunk URL.
func parseTrunk(raw string) (telephony.Trunk, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return telephony.Trunk{}, fmt.Errorf("--sip-trunk %q: want udp|tcp|tls://[user:password@]host[:port]", raw)
	}
	t := telephony.Trunk{ID: "default", Host: u.Hostname(), Transport: u.Scheme, FromDomain: u.Query().Get("from_domain")}
	if p := u.Port(); p != "" {
		if t.Port, err = strconv.Atoi(p); err != nil {
			return t, fmt.Errorf("--sip-trunk: bad port %q", p)
		}
	}
	if u.User != nil {
		t.Username = u.User.Username()
		t.Password, _ = u.User.Password()
	}
	if ids := u.Query().Get("caller_ids"); ids != "" {
		t.CallerIDs = strings.Split(ids, ",")
	}
	return t, t.Validate()
}

// recognizer builds the --asr recogniser: the platform's, heard by every
// tenant on the default speech settings.
func (t *telephonySettings) recognizer() (telephony.Recognizer, error) {
	key := os.Getenv("OUTCALL_ASR_API_KEY")
	switch {
	case t.ASR == "simulation":
		return telephony.SimulationRecognizer{}, nil
	case t.ASR == "pocketsphinx":
		return &telephony.PocketsphinxRecognizer{}, nil
	case strings.HasPrefix(t.ASR, "http://") || strings.HasPrefix(t.ASR, "https://"):
		return &telephony.HTTPRecognizer{BaseURL: t.ASR, APIKey: key}, nil
	case strings.HasPrefix(t.ASR, "funasr+ws://") || strings.HasPrefix(t.ASR, "funasr+wss://"):
		r, err := telephony.NewFunASRRecognizer(t.ASR, key)
		if err != nil {
			return nil, fmt.Errorf("--asr: %w", err)
		}
		return r, nil
	case strings.HasPrefix(t.ASR, "nls+wss://") || strings.HasPrefix(t.ASR, "nls+ws://"):
		// Alibaba Cloud NLS: the appkey in the URL, the AccessKey
		// (AccessKeyId:AccessKeySecret) in OUTCALL_ASR_API_KEY.
		r, err := telephony.NewNLSRecognizer(t.ASR, "", key)
		if err != nil {
			return nil, fmt.Errorf("--asr: %w", err)
		}
		return r, nil
	}
	return nil, fmt.Errorf("--asr %q: want simulation, pocketsphinx, an http(s) URL, funasr+ws(s)://host:port or nls+wss://gateway/ws/v1?appkey=…", t.ASR)
}

// simulated reports whether the platform's calls take the callee
// simulator's text channel: with --asr simulation, whose dialer takes it
// (the simulator may be in this process or reached by --sip-trunk, as the
// benchmarks do). A tenant's own trunk never does.
func (t *telephonySettings) simulated() bool { return t.ASR == "simulation" }

// sayWhatItHears logs at start what the platform's recogniser can hear,
// so an operator learns before the first call, not from failed calls,
// that scripts in some language will be refused.
func (t *telephonySettings) sayWhatItHears(log *slog.Logger, asr telephony.Recognizer) {
	var cannot []string
	for _, lang := range []string{"zh-CN", "en"} {
		if telephony.CheckHearing(asr, lang, t.simulated()) != nil {
			cannot = append(cannot, lang)
		}
	}
	switch {
	case t.ASR == "simulation" && t.Trunk != "":
		log.Warn("--asr simulation takes the text a peer sends over SIP INFO as what the callee said, and hears nothing else: "+
			"use it only with a callee simulator as the carrier; for people set --asr funasr+ws://… (Mandarin), an http(s) Whisper-shaped service or pocketsphinx (English)",
			slog.String("trunk", t.Trunk))
	case len(cannot) > 0:
		log.Warn("the platform's recogniser cannot hear every script language: calls of scripts in these languages are refused unless the tenant "+
			"chooses a recogniser that hears them in its speech settings", slog.String("asr", t.ASR), slog.Any("cannot_hear", cannot))
	}
	if r, ok := asr.(interface{ Ready() error }); ok {
		if err := r.Ready(); err != nil {
			log.Warn("the platform's recogniser is not ready: calls of tenants on the default speech settings are refused until it is", slog.Any("error", err))
		}
	}
}

// Hearing is the check a campaign's start should pass (see calls.Hearing):
// the platform's recogniser from --asr, tenants' choices from their
// speech settings.
func (t *telephonySettings) hearing(scripts *scripting.Store, trunks *telephony.TrunkStore) (calls.Hearing, error) {
	var asr telephony.Recognizer
	if t.ASR != "" { // settings built without the flags name none: no opinion
		var err error
		if asr, err = t.recognizer(); err != nil {
			return calls.Hearing{}, err
		}
	}
	h := calls.Hearing{Scripts: scripts, Trunks: trunks, Platform: asr, Simulated: t.simulated()}
	if trunks != nil {
		h.Speech = &telephony.SpeechStore{Trunks: trunks}
	}
	return h, nil
}

// placer builds the conversation service that places campaign calls, or nil
// (dial jobs then wait) when no carrier is configured. The returned stop
// function releases what it started.
func (t *telephonySettings) placer(ctx context.Context, log *slog.Logger, scripts *scripting.Store, hosts *scripting.HostPool, trunks *telephony.TrunkStore,
	allowPrivate bool, metrics *calls.Metrics, desk *calls.Desk) (*calls.Service, func(), error) {
	var trunk telephony.Trunk
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	tts := telephony.NewCachedTTS(telephony.EspeakTTS{}, 2000)
	switch {
	case t.Trunk != "":
		var err error
		if trunk, err = parseTrunk(t.Trunk); err != nil {
			return nil, stop, err
		}
	case t.CalleeSim:
		sim, err := calleesim.Start(ctx, calleesim.Config{Personas: calleesim.DefaultPersonas(), TTS: tts, Logger: log.With("component", "callee-sim")})
		if err != nil {
			return nil, stop, fmt.Errorf("start the callee simulator: %w", err)
		}
		stops = append(stops, func() { sim.Close() })
		trunk = sim.Trunk()
		log.Info("callee simulator answering campaign calls (simulation)", slog.String("addr", sim.Addr()))
	case trunks == nil:
		log.Warn("no SIP trunk: campaign calls wait until one is set with --sip-trunk or --callee-sim, or tenants add their own (which needs OUTCALL_SECRET_KEY)")
		return nil, stop, nil
	}
	asr, err := t.recognizer()
	if err != nil {
		return nil, stop, err
	}
	t.sayWhatItHears(log, asr)
	if err := os.MkdirAll(t.Recordings, 0o750); err != nil {
		return nil, stop, err
	}
	var clock *telephony.MediaClock
	if t.MediaRTPriority > 0 {
		if t.MediaRTPriority > 99 {
			return nil, stop, fmt.Errorf("--media-rt-priority %d: want 1 to 99", t.MediaRTPriority)
		}
		if t.MediaProcessRTPriority < 0 || t.MediaProcessRTPriority >= t.MediaRTPriority {
			return nil, stop, fmt.Errorf("--media-process-rt-priority %d: want 0 (off) or below --media-rt-priority %d", t.MediaProcessRTPriority, t.MediaRTPriority)
		}
		clock = telephony.NewMediaClockWith(telephony.ClockOptions{RealtimePriority: t.MediaRTPriority,
			ProcessRealtimePriority: t.MediaProcessRTPriority, DedicatedThreads: true})
		stops = append(stops, clock.Close)
		if !clock.Realtime() {
			log.Warn("--media-rt-priority: the media threads could not enter the real-time class (needs CAP_SYS_NICE); pacing at normal priority")
		}
	}
	sip, err := telephony.NewSIPDialer(telephony.DialerConfig{ListenIP: t.SIPAddr, TTS: tts, ASR: asr, Clock: clock,
		// The simulation channel (SIP INFO text) only with the simulation
		// recogniser: a real carrier's peers must not speak for the callee.
		Simulation: t.ASR == "simulation", SymmetricRTP: t.SymmetricRTP,
		Recordings: telephony.LocalRecordingStore{Dir: t.Recordings}, Logger: log.With("component", "sip")})
	if err != nil {
		return nil, stop, fmt.Errorf("start the SIP user agent: %w", err)
	}
	stops = append(stops, func() { sip.Close() })
	o := calls.Options{SIP: sip, Scripts: scripts, Hosts: hosts, Trunk: trunk, Trunks: trunks, DetectMachine: true, Logger: log, Espeak: tts, Metrics: metrics, Desk: desk,
		CallerIDs: &telephony.CallerIDs{DB: scripts.DB},
		// Scripts' requests reach the tenant's registered endpoints only,
		// guarded as webhooks are.
		Endpoints: &calls.Endpoints{DB: scripts.DB, Client: webhooks.NewHTTPClient(allowPrivate), AllowPrivate: allowPrivate}}
	platform, err := t.platformModel()
	if err != nil {
		return nil, stop, err
	}
	if trunks != nil {
		// Tenants' own speech services are reached like their webhook
		// endpoints: never internal addresses, unless allowed.
		o.Speech, o.SpeechClient = &telephony.SpeechStore{Trunks: trunks}, webhooks.NewHTTPClient(allowPrivate)
		// Their language models too.
		o.Models = &llm.Tenants{Load: calls.ModelSettings(o.Speech), HTTP: o.SpeechClient, Platform: platform}
	} else if platform != nil {
		o.Models = &llm.Tenants{Platform: platform}
	}
	if p, ok := asr.(*telephony.PocketsphinxRecognizer); ok {
		o.Pocketsphinx = p
	}
	return calls.New(o), stop, nil
}
