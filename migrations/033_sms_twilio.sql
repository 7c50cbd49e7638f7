-- Twilio sends follow-ups abroad: its templates are the tenant's own text
-- (templates' id holds it), and sign_name holds the sender (a number or a
-- messaging service).
ALTER TABLE sms_settings DROP CONSTRAINT sms_settings_provider_check;
ALTER TABLE sms_settings ADD CONSTRAINT sms_settings_provider_check CHECK (provider IN ('off', 'aliyun', 'tencent', 'twilio'));

---- create above / drop below ----

UPDATE sms_settings SET provider = 'off' WHERE provider = 'twilio';
ALTER TABLE sms_settings DROP CONSTRAINT sms_settings_provider_check;
ALTER TABLE sms_settings ADD CONSTRAINT sms_settings_provider_check CHECK (provider IN ('off', 'aliyun', 'tencent'));
