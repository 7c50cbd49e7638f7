-- speech_settings is a tenant's choice of speech providers: which
-- synthesiser speaks its prompts and which recogniser hears its callees.
-- API keys are sealed with the service key like trunk passwords.
CREATE TABLE speech_settings (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    tts        text NOT NULL DEFAULT 'default' CHECK (tts IN ('default', 'espeak', 'http')),
    tts_url    text NOT NULL DEFAULT '',
    tts_model  text NOT NULL DEFAULT '',
    tts_voice  text NOT NULL DEFAULT '',
    tts_key_enc bytea,
    asr        text NOT NULL DEFAULT 'default' CHECK (asr IN ('default', 'dtmf', 'pocketsphinx', 'http')),
    asr_url    text NOT NULL DEFAULT '',
    asr_model  text NOT NULL DEFAULT '',
    asr_key_enc bytea,
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE speech_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON speech_settings
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

---- create above / drop below ----

DROP TABLE IF EXISTS speech_settings;
