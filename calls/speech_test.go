package calls_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/outcall/outcall/telephony/funasrtest"
	"github.com/outcall/outcall/telephony/nlstest"
	"github.com/outcall/outcall/tenants"
)

// speechServices is a stand-in for a tenant's HTTP speech provider (the
// /v1/audio/speech and /v1/audio/transcriptions shapes): it speaks every
// prompt as a tone and hears every utterance as heard.
type speechServices struct {
	mu            sync.Mutex
	spoken        []string
	transcribed   int
	audioBytes    int
	authorization []string
	heard         string
}

func (s *speechServices) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authorization = append(s.authorization, r.Header.Get("Authorization"))
	switch r.URL.Path {
	case "/v1/audio/speech":
		var req struct{ Input, Voice string }
		json.NewDecoder(r.Body).Decode(&req)
		s.spoken = append(s.spoken, req.Input+" / "+req.Voice)
		samples := make([]int, 0, 4000)
		for _, v := range telephony.Tone(440, 4000, 8000) {
			samples = append(samples, int(v))
		}
		wav, _ := telephony.EncodeWAV(samples, 1)
		w.Header().Set("Content-Type", "audio/wav")
		w.Write(wav)
	case "/v1/audio/transcriptions":
		file, _, err := r.FormFile("file")
		if err == nil {
			b, _ := io.ReadAll(file)
			s.audioBytes += len(b)
		}
		s.transcribed++
		json.NewEncoder(w).Encode(map[string]string{"text": s.heard})
	default:
		http.NotFound(w, r)
	}
}

// TestATenantsOwnSpeechProvidersSpeakAndHearItsCalls places a real SIP call
// for a tenant that chose HTTP speech services: the prompts come from its
// synthesis service (with its voice and key) and the callee's words from
// its recogniser, while the dialer's own recogniser hears only keys.
func TestATenantsOwnSpeechProvidersSpeakAndHearItsCalls(t *testing.T) {
	skipUnlessCallsCanRun(t, "this test is about speech providers and compares no times of either clock (TestACampaignCallsTheSimulatorOverSIPAndRunsItsScript covers a call's records there)")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := newSpeechTenant(t, ctx)

	services := &speechServices{heard: "是的"}
	srv := httptest.NewServer(services)
	defer srv.Close()
	ttsKey, asrKey := "sk-tts", "sk-asr"
	if _, err := st.speech.Set(ctx, st.p, telephony.SpeechInput{TTS: "http", TTSURL: srv.URL, TTSVoice: "nova", TTSKey: &ttsKey,
		ASR: "http", ASRURL: srv.URL, ASRKey: &asrKey}); err != nil {
		t.Fatal(err)
	}

	placer := st.placerFor(t, ctx, calleesim.Persona{Name: "agrees", Voice: "cmn", Greeting: "喂?", Lines: []calleesim.Line{{Say: "是的"}}, HoldMS: 3000})

	res, err := placer.Place(ctx, st.placement())
	if err != nil {
		t.Fatal(err)
	}
	services.mu.Lock()
	defer services.mu.Unlock()
	if res.Outcome != telephony.OutcomeAnswered || res.FinalState != "confirm" {
		t.Fatalf("outcome %s in state %q (%s); the tenant's recogniser was asked %d times", res.Outcome, res.FinalState, res.Reason, services.transcribed)
	}
	// The AI disclosure first, then the greeting, both in the tenant's voice.
	if len(services.spoken) < 3 || services.spoken[0] != "您好,本次通话由人工智能语音助手为您服务。 / nova" || services.spoken[1] != "您好王先生,想跟您确认订单。 / nova" {
		t.Fatalf("the tenant's synthesis service spoke %q", services.spoken)
	}
	if services.transcribed < 1 || services.audioBytes < 1000 {
		t.Fatalf("the tenant's recogniser got %d requests with %d bytes of audio", services.transcribed, services.audioBytes)
	}
	for _, a := range services.authorization {
		if a != "Bearer sk-tts" && a != "Bearer sk-asr" {
			t.Fatalf("a speech request carried %q, not the tenant's key", a)
		}
	}
}

// speechTenant is a tenant with the confirm script (zh-CN) published, and
// what its calls need: the script hosts that run its script among them.
type speechTenant struct {
	p       tenants.Principal
	version *scripting.StoredVersion
	store   *scripting.Store
	hosts   *scripting.HostPool
	trunks  *telephony.TrunkStore
	speech  *telephony.SpeechStore
}

func newSpeechTenant(t *testing.T, ctx context.Context) speechTenant {
	t.Helper()
	shop := dbtest.Tenant(ctx, t)
	db, p := shop.DB, shop.Owner
	hosts, err := scripting.NewHostPool(scripting.HostConfig{Command: hostCommand, Env: hostEnv, Hosts: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hosts.Close)
	store := &scripting.Store{DB: db, Runner: hosts}
	version := publishScript(t, ctx, store, p, "确认", confirmScript)
	trunks, err := telephony.NewTrunkStore(db, "a secret key for the tests")
	if err != nil {
		t.Fatal(err)
	}
	return speechTenant{p: p, version: version, store: store, hosts: hosts, trunks: trunks, speech: &telephony.SpeechStore{Trunks: trunks}}
}

// publishScript stores source as the first version of a new dialog script
// of p's tenant called name, publishes it and returns the version.
func publishScript(t *testing.T, ctx context.Context, store *scripting.Store, p tenants.Principal, name, source string) *scripting.StoredVersion {
	t.Helper()
	script, err := store.CreateScript(ctx, p, name, scripting.KindDialog, "")
	if err != nil {
		t.Fatal(err)
	}
	version, err := store.CreateVersion(ctx, p, script.ID, source)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Publish(ctx, p, script.ID, version.Number, nil, false); err != nil {
		t.Fatal(err)
	}
	return version
}

// placerFor places the tenant's calls over SIP to a callee simulator that
// plays callee, with the tenant's speech settings.
func (st speechTenant) placerFor(t *testing.T, ctx context.Context, callee calleesim.Persona) *calls.Service {
	t.Helper()
	sim, sip := simulatedCallee(t, ctx, callee, telephony.DTMFOnly{})
	return calls.New(calls.Options{SIP: sip, Scripts: st.store, Hosts: st.hosts, Trunk: sim.Trunk(), Trunks: st.trunks, Speech: st.speech,
		RingTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
}

// simulatedCallee starts a callee simulator that plays callee and a SIP
// dialer that hears it with asr (the simulator's text channel, with
// telephony.SimulationRecognizer).
func simulatedCallee(t *testing.T, ctx context.Context, callee calleesim.Persona, asr telephony.Recognizer) (*calleesim.Simulator, *telephony.SIPDialer) {
	t.Helper()
	tts := telephony.NewCachedTTS(telephony.EspeakTTS{}, 100)
	sim, err := calleesim.Start(ctx, calleesim.Config{TTS: tts, Personas: []calleesim.Persona{callee}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	sip, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: tts, ASR: asr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sip.Close() })
	return sim, sip
}

func (st speechTenant) placement() campaigns.Placement {
	return campaigns.Placement{CallID: uuid.New(), TenantID: st.p.TenantID, CampaignID: uuid.New(), ContactID: uuid.New(),
		Attempt: 1, Phone: "+8613800000001", ContactName: "王先生", ScriptVersion: st.version.ID.String()}
}

// A Mandarin script's call is not dialled when its recogniser hears
// English only: the attempt fails at once with the reason, and nobody is
// called who could not be understood.
func TestAMandarinScriptIsNotDialledWithARecogniserThatHearsOnlyEnglish(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := newSpeechTenant(t, ctx)
	if _, err := st.speech.Set(ctx, st.p, telephony.SpeechInput{ASR: "pocketsphinx"}); err != nil {
		t.Fatal(err)
	}
	sip, err := telephony.NewSIPDialer(telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sip.Close() })
	dialled := &requestsTo{Dialer: sip}
	placer := calls.New(calls.Options{SIP: dialled, Scripts: st.store, Trunk: telephony.Trunk{ID: "sim", Host: "127.0.0.1", Port: 5099},
		Speech: st.speech, Logger: slog.New(slog.DiscardHandler)})
	res, err := placer.Place(ctx, st.placement())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeFailed || !strings.Contains(res.Reason, "pocketsphinx hears English only") || !res.AnsweredAt.IsZero() {
		t.Fatalf("outcome %s: %q", res.Outcome, res.Reason)
	}
	if n := len(dialled.all()); n != 0 {
		t.Fatalf("dialled %d times", n)
	}
}

// A tenant on Alibaba Cloud NLS hears its calls through it (its test
// double here): a token from CreateToken with the tenant's AccessKey, the
// project's appkey, the callee's audio streamed; a token the service
// revokes fails the call that meets it, saying so, and the next call gets
// a new token.
func TestATenantsAlibabaNLSHearsItsCalls(t *testing.T) {
	t.Parallel()
	skipUnlessCallsCanRun(t, "this test is about speech providers and compares no times of either clock (TestACampaignCallsTheSimulatorOverSIPAndRunsItsScript covers a call's records there)")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st := newSpeechTenant(t, ctx)
	nls := nlstest.NewServer("LTAI-tenant", "tenant-secret")
	defer nls.Close()
	nls.RequireKey("only-tokens-it-made")
	nls.Answer([]string{"是"}, "是的。", 0)
	key := "LTAI-tenant:tenant-secret"
	gateway := nls.URL + "?token_url=" + nls.TokenURL
	if _, err := st.speech.Set(ctx, st.p, telephony.SpeechInput{ASR: "nls", ASRURL: gateway, ASRModel: "appkey-7", ASRKey: &key,
		TTS: "nls", TTSURL: gateway, TTSModel: "appkey-7", TTSVoice: "zhitian_emo", TTSKey: &key}); err != nil {
		t.Fatal(err)
	}
	placer := st.placerFor(t, ctx, calleesim.Persona{Name: "agrees", Voice: "cmn", Lines: []calleesim.Line{{Say: "是的,没问题", PauseMS: 200}}, HoldMS: 3000})
	res, err := placer.Place(ctx, st.placement())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || res.FinalState != "confirm" {
		t.Fatalf("outcome %s in state %q (%s)", res.Outcome, res.FinalState, res.Reason)
	}
	sessions := nls.Sessions()
	if len(sessions) == 0 || sessions[0].AppKey != "appkey-7" || sessions[0].Token == "" || sessions[0].AudioDuration() < 500*time.Millisecond {
		t.Fatalf("the service's %d sessions: the first with appkey %q, token %q, %s of audio", len(sessions), sessions[0].AppKey, sessions[0].Token, sessions[0].AudioDuration())
	}
	first := sessions[0].Token
	if synths := nls.Syntheses(); len(synths) == 0 || synths[0].Payload["voice"] != "zhitian_emo" || synths[0].AppKey != "appkey-7" {
		t.Fatalf("the prompts were not spoken by the tenant's NLS voice: %+v", synths)
	}

	// The service revokes the tokens: the call that meets it says so.
	nls.RevokeTokens()
	res, err = placer.Place(ctx, st.placement())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome == telephony.OutcomeAnswered && res.FinalState == "confirm" || !strings.Contains(res.Reason, "nls") || !strings.Contains(res.Reason, "40000001") {
		t.Fatalf("with a revoked token: outcome %s in state %q, reason %q", res.Outcome, res.FinalState, res.Reason)
	}
	res, err = placer.Place(ctx, st.placement())
	if err != nil {
		t.Fatal(err)
	}
	sessions = nls.Sessions()
	if res.Outcome != telephony.OutcomeAnswered || res.FinalState != "confirm" || sessions[len(sessions)-1].Token == first {
		t.Fatalf("the call after: outcome %s (%s), token renewed %v", res.Outcome, res.Reason, sessions[len(sessions)-1].Token != first)
	}
}

// A tenant that runs its own FunASR runtime hears its calls through it,
// streaming, with the contact's name as a hotword; when the runtime
// refuses the key the call ends failed, saying so, not answered.
func TestATenantsFunASRRuntimeHearsItsCalls(t *testing.T) {
	t.Parallel()
	skipUnlessCallsCanRun(t, "this test is about speech providers and compares no times of either clock (TestACampaignCallsTheSimulatorOverSIPAndRunsItsScript covers a call's records there)")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st := newSpeechTenant(t, ctx)
	runtime := funasrtest.NewServer(funasrtest.Script{Partials: []string{"是"}, Final: "是的。"})
	defer runtime.Close()
	runtime.RequireKey("sk-proxy")
	key := "sk-proxy"
	if _, err := st.speech.Set(ctx, st.p, telephony.SpeechInput{ASR: "funasr", ASRURL: runtime.URL, ASRKey: &key}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.speech.Get(ctx, st.p); err != nil || got.ASR != "funasr" || got.ASRURL != runtime.URL || !got.ASRHasKey {
		t.Fatalf("the settings read back as %+v (%v)", got, err)
	}

	placer := st.placerFor(t, ctx, calleesim.Persona{Name: "agrees", Voice: "cmn", Lines: []calleesim.Line{{Say: "是的,没问题", PauseMS: 200}}, HoldMS: 3000})

	res, err := placer.Place(ctx, st.placement())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || res.FinalState != "confirm" {
		t.Fatalf("outcome %s in state %q (%s)", res.Outcome, res.FinalState, res.Reason)
	}
	sessions := runtime.Sessions()
	if len(sessions) == 0 || sessions[0].Hotwords["王先生"] == 0 || sessions[0].Speech == 0 || sessions[0].BinaryMessages < 10 {
		t.Fatalf("the runtime's sessions: %+v", sessions)
	}

	// The key changes on the runtime's side: the next call cannot hear.
	runtime.RequireKey("sk-rotated")
	res, err = placer.Place(ctx, st.placement())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeFailed || res.AnsweredAt.IsZero() || !strings.Contains(res.Reason, "speech recognition failed: funasr") {
		t.Fatalf("with a refused key: outcome %s, answered %v, reason %q", res.Outcome, res.AnsweredAt, res.Reason)
	}
}

// A campaign whose calls could not hear their callees does not start.
func TestHearingRefusesACampaignWhoseCallsCouldNotHear(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := newSpeechTenant(t, ctx)
	version := st.version.ID.String()
	check := func(h calls.Hearing) error { return h.Check(ctx, st.p.TenantID, version) }
	base := calls.Hearing{Scripts: st.store, Speech: st.speech, Trunks: st.trunks}

	pocketsphinx := base
	pocketsphinx.Platform = &telephony.PocketsphinxRecognizer{}
	err := check(pocketsphinx)
	if tenants.ErrorCode(err) != tenants.EConflict || !strings.Contains(err.Error(), "pocketsphinx hears English only") {
		t.Errorf("a zh-CN script on the platform's pocketsphinx: %v", err)
	}
	if _, err := st.speech.Set(ctx, st.p, telephony.SpeechInput{ASR: "funasr", ASRURL: "ws://asr.example.com:10095"}); err != nil {
		t.Fatal(err)
	}
	if err := check(pocketsphinx); err != nil {
		t.Errorf("the tenant's own FunASR hears Mandarin: %v", err)
	}
	if _, err := st.speech.Set(ctx, st.p, telephony.SpeechInput{}); err != nil {
		t.Fatal(err)
	}

	simulation := base
	simulation.Platform, simulation.Simulated = telephony.SimulationRecognizer{}, true
	if err := check(simulation); err != nil {
		t.Errorf("the simulation channel to the callee simulator: %v", err)
	}
	name, host := "carrier", "sip.carrier.example"
	if _, err := st.trunks.Create(ctx, st.p, telephony.TrunkInput{Name: &name, Host: &host}); err != nil {
		t.Fatal(err)
	}
	if err := check(simulation); tenants.ErrorCode(err) != tenants.EConflict || !strings.Contains(err.Error(), "simulation") {
		t.Errorf("the simulation recogniser over the tenant's own trunk: %v", err)
	}
}

// skipUnlessCallsCanRun skips a test that calls the callee simulator over
// SIP where it cannot run: on a PostgreSQL clock shifted for the clock
// tests (why the test need not run there), or without espeak-ng, which the
// simulator speaks with.
func skipUnlessCallsCanRun(t *testing.T, why string) {
	t.Helper()
	if at := dbtest.ShiftedClock(); at != "" {
		t.Skipf("PostgreSQL's clock at %s: %s", at, why)
	}
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng): the callee simulator cannot speak")
	}
}
