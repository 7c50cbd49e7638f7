-- prompt_audio keeps a tenant's prompts as its speech provider made them
-- (8 kHz 16-bit PCM), so every worker speaks a sentence a provider has
-- made once without asking for it again: rendered when a script version
-- is published, and on first use. key hashes the provider, its voice, the
-- emotion and the sentence.
CREATE TABLE prompt_audio (
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    key          text NOT NULL,
    pcm          bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
ALTER TABLE prompt_audio ENABLE ROW LEVEL SECURITY;
ALTER TABLE prompt_audio FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON prompt_audio
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

---- create above / drop below ----

DROP TABLE IF EXISTS prompt_audio;
