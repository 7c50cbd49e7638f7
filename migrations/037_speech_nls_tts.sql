-- A tenant may choose Alibaba Cloud NLS speech synthesis for its prompts;
-- the constraint admits it by name.
ALTER TABLE speech_settings DROP CONSTRAINT speech_settings_tts_check;
ALTER TABLE speech_settings ADD CONSTRAINT speech_settings_tts_check
    CHECK (tts IN ('default', 'espeak', 'http', 'nls'));

---- create above / drop below ----

UPDATE speech_settings SET tts = 'default' WHERE tts = 'nls';
ALTER TABLE speech_settings DROP CONSTRAINT speech_settings_tts_check;
ALTER TABLE speech_settings ADD CONSTRAINT speech_settings_tts_check
    CHECK (tts IN ('default', 'espeak', 'http'));
