package calls_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/nlstest"
)

// Publishing a version queues the making of its prompts in the tenant's
// voice; a worker makes each fixed sentence once (and its calm form) and
// keeps it for every worker: another worker, its own caches empty, speaks
// them without asking the provider again. A template's ${…} sentence is
// left to the call; a tenant on espeak-ng has nothing to render.
func TestPublishedPromptsAreMadeOnceInTheTenantsVoiceForEveryWorker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := newSpeechTenant(t, ctx)
	nls := nlstest.NewServer("LTAI-tenant", "tenant-secret")
	defer nls.Close()
	key := "LTAI-tenant:tenant-secret"
	if _, err := st.speech.Set(ctx, st.p, telephony.SpeechInput{TTS: "nls", TTSURL: nls.URL + "?token_url=" + nls.TokenURL, TTSModel: "appkey-7", TTSKey: &key}); err != nil {
		t.Fatal(err)
	}
	inserter, err := river.NewClient(riverpgxv5.New(st.store.DB.Pool()), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	store := &scripting.Store{DB: st.store.DB, Runner: st.hosts, Jobs: inserter}
	version := publishScript(t, ctx, store, st.p, "提醒", `export default {
  start: "hello",
  states: {
    hello: { say: "您好${contact.name}。这里是幸福银行,提醒您按时还款。", on: { affirm: "bye" } },
    bye: { say: "好的,再见。", emotion: "happy", end: "done" },
  },
};`)
	var queued int
	if err := st.store.DB.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'render_prompts' AND args->>'version_id' = $1`, version.ID.String()).Scan(&queued); err != nil || queued != 1 {
		t.Fatalf("render jobs queued by the publish: %d %v", queued, err)
	}

	worker := func() *jobs.RenderPromptsWorker {
		return &jobs.RenderPromptsWorker{Prompts: calls.New(calls.Options{Scripts: st.store, Hosts: st.hosts, Trunks: st.trunks, Speech: st.speech}),
			Logger: slog.New(slog.DiscardHandler)}
	}
	job := &river.Job[scripting.RenderPromptsArgs]{Args: scripting.RenderPromptsArgs{TenantID: st.p.TenantID, VersionID: version.ID}}
	if err := worker().Work(ctx, job); err != nil {
		t.Fatal(err)
	}
	// 这里是幸福银行,提醒您按时还款。 neutral and calm; 好的,再见。 happy:
	// the greeting's ${…} sentence waits for its call.
	made := nls.Syntheses()
	if len(made) != 3 {
		t.Fatalf("%d sentences made, want 3: %+v", len(made), made)
	}
	for _, m := range made {
		if text := m.Payload["text"].(string); text != "这里是幸福银行,提醒您按时还款。" && text != "好的,再见。" {
			t.Errorf("made %q", text)
		}
	}
	// Another worker, its caches empty: everything comes from the store.
	if err := worker().Work(ctx, job); err != nil {
		t.Fatal(err)
	}
	if again := nls.Syntheses(); len(again) != 3 {
		t.Fatalf("another worker asked the provider again: %d syntheses in all", len(again))
	}

	// espeak-ng runs here: nothing to render, and the job is done.
	if _, err := st.speech.Set(ctx, st.p, telephony.SpeechInput{TTS: "espeak"}); err != nil {
		t.Fatal(err)
	}
	w := worker()
	if n, err := w.Prompts.RenderPrompts(ctx, st.p.TenantID, version.ID); err != nil || n != 0 {
		t.Fatalf("rendering for espeak-ng: %d sentences, %v", n, err)
	}
	if err := w.Work(ctx, job); err != nil {
		t.Fatalf("the job for a tenant on espeak-ng: %v", err)
	}
}
