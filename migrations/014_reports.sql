-- Reports: what a call contributes to the tenant's analytics, in rollups
-- that the call enters shortly after it closes (or is refused), so a report
-- reads a few thousand rollup rows rather than a million call records.

-- The call record keeps what the reports need and the close path knows.
ALTER TABLE calls ADD COLUMN silence_ms int NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN opted_out bool NOT NULL DEFAULT false;
ALTER TABLE call_turns ADD COLUMN sentiment_label text NOT NULL DEFAULT '';
ALTER TABLE call_turns ADD COLUMN confidence real;
ALTER TABLE call_turns ADD COLUMN sensitive text[] NOT NULL DEFAULT '{}';

-- list_id is the first of the campaign's lists that holds the contact, so
-- reports can be filtered by list.
ALTER TABLE campaign_contacts ADD COLUMN list_id uuid;

-- best_time orders a campaign's due contacts by the predicted answer rate of
-- their local hour.
ALTER TABLE campaigns ADD COLUMN best_time bool NOT NULL DEFAULT false;

-- report_settings says what counts as a conversion: a script outcome
-- (tagged "outcome:<name>" on the call) or a tag.
CREATE TABLE report_settings (
    tenant_id           uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    conversion_outcomes text[] NOT NULL DEFAULT '{confirmed}',
    conversion_tags     text[] NOT NULL DEFAULT '{converted}',
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- report_calls sums the calls of one day (bucket, UTC) by campaign, script
-- version, segment, list and the callee's local hour and weekday.
CREATE TABLE report_calls (
    tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    campaign_id    uuid NOT NULL,
    script_version text NOT NULL,
    segment        text NOT NULL,
    list_id        uuid NOT NULL,
    bucket         timestamptz NOT NULL,
    local_hour     smallint NOT NULL,
    local_dow      smallint NOT NULL,
    attempts       bigint NOT NULL DEFAULT 0,
    refused        bigint NOT NULL DEFAULT 0,
    dialled        bigint NOT NULL DEFAULT 0,
    connected      bigint NOT NULL DEFAULT 0,
    converted      bigint NOT NULL DEFAULT 0,
    transferred    bigint NOT NULL DEFAULT 0,
    opted_out      bigint NOT NULL DEFAULT 0,
    talk_ms        bigint NOT NULL DEFAULT 0,
    silence_ms     bigint NOT NULL DEFAULT 0,
    turns          bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, bucket, campaign_id, script_version, segment, list_id, local_hour, local_dow)
);

-- report_counts counts keyed facts of the same dimensions:
--   outcome (k1 outcome), refused (k1 reason), path (k1 state, k2 next
--   state or '' where the call ended), intent (k1), no_match (k1 what was
--   heard), sensitive (k1 word), state_sentiment (k1 state, k2 label),
--   call_sentiment (k1 label).
CREATE TABLE report_counts (
    tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind           text NOT NULL,
    bucket         timestamptz NOT NULL,
    campaign_id    uuid NOT NULL,
    script_version text NOT NULL,
    segment        text NOT NULL,
    list_id        uuid NOT NULL,
    k1             text NOT NULL,
    k2             text NOT NULL DEFAULT '',
    n              bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, kind, bucket, campaign_id, script_version, segment, list_id, k1, k2)
);

-- report_inbox holds the calls closed (or refused) since the rollups were
-- last brought up to date; the next report or best-time pacing round folds
-- them in. Closing a call only appends here, so concurrent closes do not
-- queue on the same rollup rows.
CREATE TABLE report_inbox (
    call_id   uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE
);
CREATE INDEX report_inbox_tenant_idx ON report_inbox (tenant_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['report_settings', 'report_calls', 'report_counts', 'report_inbox'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END $$;

---- create above / drop below ----

DROP TABLE IF EXISTS report_inbox;
DROP TABLE IF EXISTS report_counts;
DROP TABLE IF EXISTS report_calls;
DROP TABLE IF EXISTS report_settings;
ALTER TABLE campaigns DROP COLUMN IF EXISTS best_time;
ALTER TABLE campaign_contacts DROP COLUMN IF EXISTS list_id;
ALTER TABLE call_turns DROP COLUMN IF EXISTS sensitive;
ALTER TABLE call_turns DROP COLUMN IF EXISTS confidence;
ALTER TABLE call_turns DROP COLUMN IF EXISTS sentiment_label;
ALTER TABLE calls DROP COLUMN IF EXISTS opted_out;
ALTER TABLE calls DROP COLUMN IF EXISTS silence_ms;
