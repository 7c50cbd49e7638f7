-- A tenant may choose a FunASR runtime (WebSocket streaming) as its
-- recogniser; the constraint admits it by name.
ALTER TABLE speech_settings DROP CONSTRAINT speech_settings_asr_check;
ALTER TABLE speech_settings ADD CONSTRAINT speech_settings_asr_check
    CHECK (asr IN ('default', 'dtmf', 'pocketsphinx', 'http', 'funasr'));

---- create above / drop below ----

UPDATE speech_settings SET asr = 'default' WHERE asr = 'funasr';
ALTER TABLE speech_settings DROP CONSTRAINT speech_settings_asr_check;
ALTER TABLE speech_settings ADD CONSTRAINT speech_settings_asr_check
    CHECK (asr IN ('default', 'dtmf', 'pocketsphinx', 'http'));
