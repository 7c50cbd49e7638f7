package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/outcall/outcall/telephony"
)

func TestMediaPriorityFlagsRefuseWhatTheKernelWouldNot(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		rt, proc int
		want     string
	}{
		{150, 0, "--media-rt-priority 150: want 1 to 99"},
		{20, 20, "--media-process-rt-priority 20: want 0 (off) or below --media-rt-priority 20"},
		{20, -1, "--media-process-rt-priority -1"},
	} {
		ts := telephonySettings{Trunk: "udp://127.0.0.1:5060", ASR: "simulation", Recordings: t.TempDir(), MediaRTPriority: c.rt, MediaProcessRTPriority: c.proc}
		d, stop, err := ts.placer(context.Background(), log, nil, nil, nil, false, nil, nil)
		stop()
		if err == nil || !strings.Contains(err.Error(), c.want) || d != nil {
			t.Errorf("rt %d, process %d: err %v, want one saying %q", c.rt, c.proc, err, c.want)
		}
	}
}

func TestSymmetricRTPFlagAndEnvironment(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  string
		want bool
	}{
		{nil, "", false},
		{[]string{"--symmetric-rtp"}, "", true},
		{nil, "true", true},
	} {
		t.Setenv("OUTCALL_SYMMETRIC_RTP", c.env)
		cmd := &cobra.Command{Use: "worker"}
		var ts telephonySettings
		addTelephonyFlags(cmd, &ts)
		if err := cmd.ParseFlags(c.args); err != nil {
			t.Fatal(err)
		}
		if ts.SymmetricRTP != c.want {
			t.Errorf("args %q, OUTCALL_SYMMETRIC_RTP=%q: SymmetricRTP %v, want %v", c.args, c.env, ts.SymmetricRTP, c.want)
		}
	}
}

func TestASRFlagTakesAFunASRRuntime(t *testing.T) {
	t.Setenv("OUTCALL_ASR_API_KEY", "sk-proxy")
	ts := telephonySettings{ASR: "funasr+wss://asr.example.com:10095?mode=online"}
	r, err := ts.recognizer()
	if err != nil {
		t.Fatal(err)
	}
	f, ok := r.(*telephony.FunASRRecognizer)
	if !ok || f.URL != "wss://asr.example.com:10095" || f.Mode != "online" || f.APIKey != "sk-proxy" {
		t.Fatalf("--asr %s built %#v", ts.ASR, r)
	}
	for _, bad := range []string{"ws://asr.example.com:10095", "funasr+http://asr.example.com", "funasr+ws://asr.example.com?mode=fast", "whisper"} {
		ts := telephonySettings{ASR: bad}
		if _, err := ts.recognizer(); err == nil || !strings.Contains(err.Error(), "--asr") {
			t.Errorf("--asr %s: %v", bad, err)
		}
	}
}

func TestASRFlagTakesAlibabaNLS(t *testing.T) {
	t.Setenv("OUTCALL_ASR_API_KEY", "LTAI5t-id:the-secret")
	ts := telephonySettings{ASR: "nls+wss://nls-gateway-cn-beijing.aliyuncs.com/ws/v1?appkey=k1&vocabulary_id=v2"}
	r, err := ts.recognizer()
	if err != nil {
		t.Fatal(err)
	}
	n, ok := r.(*telephony.NLSRecognizer)
	if !ok || n.URL != "wss://nls-gateway-cn-beijing.aliyuncs.com/ws/v1" || n.AppKey != "k1" || n.VocabularyID != "v2" || n.Tokens == nil ||
		n.Tokens.AccessKeyID != "LTAI5t-id" || n.Tokens.Endpoint != "https://nls-meta.cn-beijing.aliyuncs.com/" {
		t.Fatalf("--asr %s built %#v", ts.ASR, r)
	}
	for _, bad := range []string{"nls+wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1", "nls+https://nls.example.com"} {
		ts := telephonySettings{ASR: bad}
		if _, err := ts.recognizer(); err == nil || !strings.Contains(err.Error(), "--asr") {
			t.Errorf("--asr %s: %v", bad, err)
		}
	}
}

func TestServeSaysAtStartWhichScriptLanguagesItsRecogniserCannotHear(t *testing.T) {
	for _, c := range []struct {
		asr, trunk string
		want       []string // in the log; nil: no warning
	}{
		{"pocketsphinx", "", []string{"cannot hear every script language", "zh-CN"}},
		{"funasr+ws://127.0.0.1:10095", "", nil},
		{"https://speech.example.com", "", nil},
		{"simulation", "", nil},
		{"simulation", "udp://sip.carrier.example", []string{"hears nothing else"}},
	} {
		var buf strings.Builder
		log := slog.New(slog.NewTextHandler(&buf, nil))
		ts := telephonySettings{ASR: c.asr, Trunk: c.trunk, CalleeSim: c.trunk == ""}
		r, err := ts.recognizer()
		if err != nil {
			t.Fatal(err)
		}
		ts.sayWhatItHears(log, r)
		got := buf.String()
		if c.want == nil && strings.Contains(got, "level=WARN") && !strings.Contains(got, "not ready") {
			t.Errorf("--asr %s: warned %s", c.asr, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("--asr %s: log %q lacks %q", c.asr, got, w)
			}
		}
	}
}

// The platform's language model is read from --llm-url and --llm-model,
// its key from OUTCALL_LLM_API_KEY; a URL that is not an API's, or no
// model named, stops the start with why.
func TestThePlatformsModelComesFromItsFlags(t *testing.T) {
	t.Setenv("OUTCALL_LLM_API_KEY", "sk-platform")
	none := &telephonySettings{}
	if c, err := none.platformModel(); c != nil || err != nil {
		t.Fatalf("without --llm-url: %+v %v", c, err)
	}
	ok := &telephonySettings{LLMURL: "https://dashscope.aliyuncs.com/compatible-mode/v1", LLMModel: "qwen-plus"}
	c, err := ok.platformModel()
	if err != nil || c.BaseURL != ok.LLMURL || c.Model != "qwen-plus" || c.APIKey != "sk-platform" {
		t.Fatalf("platform model %+v %v", c, err)
	}
	for _, bad := range []telephonySettings{{LLMURL: "ftp://llm.example/v1", LLMModel: "x"}, {LLMURL: "https://llm.example/v1"}} {
		if _, err := bad.platformModel(); err == nil || !strings.Contains(err.Error(), "--llm") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
