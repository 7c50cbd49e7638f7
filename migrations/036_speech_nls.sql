-- A tenant may choose Alibaba Cloud Intelligent Speech Interaction (NLS)
-- real-time recognition as its recogniser; the constraint admits it by
-- name.
ALTER TABLE speech_settings DROP CONSTRAINT speech_settings_asr_check;
ALTER TABLE speech_settings ADD CONSTRAINT speech_settings_asr_check
    CHECK (asr IN ('default', 'dtmf', 'pocketsphinx', 'http', 'funasr', 'nls'));

---- create above / drop below ----

UPDATE speech_settings SET asr = 'default' WHERE asr = 'nls';
ALTER TABLE speech_settings DROP CONSTRAINT speech_settings_asr_check;
ALTER TABLE speech_settings ADD CONSTRAINT speech_settings_asr_check
    CHECK (asr IN ('default', 'dtmf', 'pocketsphinx', 'http', 'funasr'));
