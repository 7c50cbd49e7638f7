-- A tenant's language model may be the platform's: 'default' uses the one
-- the operator configured for every tenant (none configured: no model),
-- 'off' none, 'openai' the tenant's own. Tenants who never chose follow
-- the platform.
ALTER TABLE speech_settings DROP CONSTRAINT IF EXISTS speech_settings_llm_check;
ALTER TABLE speech_settings ADD CONSTRAINT speech_settings_llm_check CHECK (llm IN ('default', 'off', 'openai'));
ALTER TABLE speech_settings ALTER COLUMN llm SET DEFAULT 'default';

---- create above / drop below ----

UPDATE speech_settings SET llm = 'off' WHERE llm = 'default';
ALTER TABLE speech_settings ALTER COLUMN llm SET DEFAULT 'off';
ALTER TABLE speech_settings DROP CONSTRAINT IF EXISTS speech_settings_llm_check;
ALTER TABLE speech_settings ADD CONSTRAINT speech_settings_llm_check CHECK (llm IN ('off', 'openai'));
