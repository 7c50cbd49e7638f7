-- sms_settings is a tenant's SMS provider for follow-up messages: Alibaba
-- Cloud or Tencent Cloud, its access key (the secret sealed with the
-- service key like trunk passwords), the approved signature messages go
-- out under, and its approved templates by the names campaigns use:
-- {"payment_link": {"id": "SMS_123", "params": ["name", "link"]}}.
CREATE TABLE sms_settings (
    tenant_id     uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    provider      text NOT NULL DEFAULT 'off' CHECK (provider IN ('off', 'aliyun', 'tencent')),
    endpoint      text NOT NULL DEFAULT '',
    region        text NOT NULL DEFAULT '',
    access_key_id text NOT NULL DEFAULT '',
    secret_enc    bytea,
    app_id        text NOT NULL DEFAULT '',
    sign_name     text NOT NULL DEFAULT '',
    templates     jsonb NOT NULL DEFAULT '{}',
    updated_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE sms_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE sms_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sms_settings
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- A campaign's follow-ups: messages it sends a contact after its calls,
-- [{"channel": "sms", "template": "payment_link", "when": "unanswered"}].
ALTER TABLE campaigns ADD COLUMN follow_ups jsonb NOT NULL DEFAULT '[]';

-- messages are the follow-up texts, one row per message from the moment
-- a closed call asks for it (in the transaction that closes the call, so
-- a message exists exactly when its call record does) to its carrier's
-- receipt.
--   queued     waits for its send job (send_after: quiet hours, the cap)
--   refused    compliance said no for good (reason: dnc, no_consent…)
--   sending    handed to the provider; its answer not yet recorded
--   sent       the provider took it (provider_id), no receipt yet
--   delivered  the carrier reported it on the handset
--   failed     the provider refused it or the carrier gave up (reason)
CREATE TABLE messages (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    campaign_id  uuid REFERENCES campaigns(id) ON DELETE SET NULL,
    contact_id   uuid REFERENCES contacts(id) ON DELETE SET NULL,
    call_id      uuid REFERENCES calls(id) ON DELETE SET NULL,
    phone        text NOT NULL,
    time_zone    text NOT NULL,
    channel      text NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms')),
    template     text NOT NULL,
    params       jsonb NOT NULL DEFAULT '{}',
    state        text NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'refused', 'sending', 'sent', 'delivered', 'failed')),
    reason       text NOT NULL DEFAULT '',
    provider     text NOT NULL DEFAULT '',
    provider_id  text NOT NULL DEFAULT '',
    fee          int NOT NULL DEFAULT 0,
    receipt_code text NOT NULL DEFAULT '',
    send_after   timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    done_at      timestamptz,
    UNIQUE (call_id, template)
);
CREATE INDEX messages_tenant_created_idx ON messages (tenant_id, created_at DESC);
CREATE INDEX messages_receipts_idx ON messages (sent_at) WHERE state = 'sent';
CREATE INDEX messages_phone_idx ON messages (tenant_id, phone, sent_at);
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON messages
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

---- create above / drop below ----

DROP TABLE IF EXISTS messages;
ALTER TABLE campaigns DROP COLUMN IF EXISTS follow_ups;
DROP TABLE IF EXISTS sms_settings;
