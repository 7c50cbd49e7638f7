package calls_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
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
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng): the callee simulator cannot speak")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := tenants.Open(ctx, dbtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	su, err := tenants.NewService(db).Signup(ctx, tenants.SignupRequest{TenantName: "Shop", Email: "ops@shop.example", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	p := tenants.Principal{TenantID: su.Tenant.ID, Role: tenants.RoleOwner}

	hosts, err := scripting.NewHostPool(scripting.HostConfig{Command: hostCommand, Env: hostEnv, Hosts: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hosts.Close)
	store := &scripting.Store{DB: db, Runner: hosts}
	script, err := store.CreateScript(ctx, p, "确认", scripting.KindDialog, "")
	if err != nil {
		t.Fatal(err)
	}
	version, err := store.CreateVersion(ctx, p, script.ID, confirmScript)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Publish(ctx, p, script.ID, version.Number, nil, false); err != nil {
		t.Fatal(err)
	}

	services := &speechServices{heard: "是的"}
	srv := httptest.NewServer(services)
	defer srv.Close()
	trunks, err := telephony.NewTrunkStore(db, "a secret key for the tests")
	if err != nil {
		t.Fatal(err)
	}
	speech := &telephony.SpeechStore{Trunks: trunks}
	ttsKey, asrKey := "sk-tts", "sk-asr"
	if _, err := speech.Set(ctx, p, telephony.SpeechInput{TTS: "http", TTSURL: srv.URL, TTSVoice: "nova", TTSKey: &ttsKey,
		ASR: "http", ASRURL: srv.URL, ASRKey: &asrKey}); err != nil {
		t.Fatal(err)
	}

	tts := telephony.NewCachedTTS(telephony.EspeakTTS{}, 100)
	sim, err := calleesim.Start(ctx, calleesim.Config{TTS: tts, Personas: []calleesim.Persona{
		{Name: "agrees", Voice: "cmn", Greeting: "喂?", Lines: []calleesim.Line{{Say: "是的"}}, HoldMS: 3000},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	sip, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: tts, ASR: telephony.DTMFOnly{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sip.Close() })
	placer := calls.New(calls.Options{SIP: sip, Scripts: store, Hosts: hosts, Trunk: sim.Trunk(), Speech: speech, RingTimeout: 5 * time.Second,
		Logger: slog.New(slog.DiscardHandler)})

	res, err := placer.Place(ctx, campaigns.Placement{CallID: uuid.New(), TenantID: p.TenantID, CampaignID: uuid.New(), ContactID: uuid.New(),
		Attempt: 1, Phone: "+8613800000001", ContactName: "王先生", ScriptVersion: version.ID.String()})
	if err != nil {
		t.Fatal(err)
	}
	services.mu.Lock()
	defer services.mu.Unlock()
	if res.Outcome != telephony.OutcomeAnswered || res.FinalState != "confirm" {
		t.Fatalf("outcome %s in state %q (%s); the tenant's recogniser was asked %d times", res.Outcome, res.FinalState, res.Reason, services.transcribed)
	}
	if len(services.spoken) < 2 || services.spoken[0] != "您好王先生,想跟您确认订单。 / nova" {
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
