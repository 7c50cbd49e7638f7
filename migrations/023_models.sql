-- A tenant's language model: an OpenAI-compatible chat endpoint that
-- dialog scripts' `llm` states ask when the built-in understanding is
-- unsure. Its API key is sealed with the service key like the speech
-- providers' keys.
ALTER TABLE speech_settings
    ADD COLUMN llm text NOT NULL DEFAULT 'off' CHECK (llm IN ('off', 'openai')),
    ADD COLUMN llm_url text NOT NULL DEFAULT '',
    ADD COLUMN llm_model text NOT NULL DEFAULT '',
    ADD COLUMN llm_key_enc bytea;

-- What the model did in a turn (when it was asked, why, what became of
-- its answer), and the tokens a call's model used in all.
ALTER TABLE call_turns ADD COLUMN model jsonb;
ALTER TABLE calls ADD COLUMN model_tokens integer NOT NULL DEFAULT 0 CHECK (model_tokens >= 0);

-- Tokens are metered: one 'model_tokens' row per call that used any.
ALTER TABLE usage_ledger DROP CONSTRAINT usage_ledger_kind_check;
ALTER TABLE usage_ledger ADD CONSTRAINT usage_ledger_kind_check
    CHECK (kind IN ('call_minutes', 'call_attempt', 'model_tokens'));
ALTER TABLE usage_periods ADD COLUMN model_tokens bigint NOT NULL DEFAULT 0;

---- create above / drop below ----

ALTER TABLE usage_periods DROP COLUMN IF EXISTS model_tokens;
DELETE FROM usage_ledger WHERE kind = 'model_tokens';
ALTER TABLE usage_ledger DROP CONSTRAINT usage_ledger_kind_check;
ALTER TABLE usage_ledger ADD CONSTRAINT usage_ledger_kind_check CHECK (kind IN ('call_minutes', 'call_attempt'));
ALTER TABLE calls DROP COLUMN IF EXISTS model_tokens;
ALTER TABLE call_turns DROP COLUMN IF EXISTS model;
ALTER TABLE speech_settings DROP COLUMN IF EXISTS llm_key_enc, DROP COLUMN IF EXISTS llm_model,
    DROP COLUMN IF EXISTS llm_url, DROP COLUMN IF EXISTS llm;
