-- Campaigns, the contacts they dial, the telephone lines they hold, the
-- per-number dial counters the compliance check keeps, and call records
-- with their dialog turns.

CREATE TABLE campaigns (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status      text NOT NULL CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled')),
    list_ids    uuid[] NOT NULL DEFAULT '{}',
    -- script_version is the published dialog script version every call runs,
    -- unless segment_versions maps the contact's segment to another one.
    script_version   text NOT NULL DEFAULT '',
    segment_versions jsonb NOT NULL DEFAULT '{}',
    -- ab_split is [{"version": …, "weight": …}, …]; empty means no split.
    ab_split    jsonb NOT NULL DEFAULT '[]',
    -- compliance tightens the tenant's settings (campaigns.Compliance as JSON).
    compliance  jsonb NOT NULL DEFAULT '{}',
    retry_policy jsonb NOT NULL DEFAULT '{}',
    starts_at   timestamptz,
    ends_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz,
    finished_at timestamptz
);
CREATE INDEX campaigns_tenant_idx ON campaigns (tenant_id, created_at, id);

-- campaign_contacts is one contact's way through one campaign.
--   pending  waits for next_at; queued: a dial job exists; dialling and
--   in_call hold a line; done has a final outcome; dropped was refused for good.
CREATE TABLE campaign_contacts (
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    campaign_id uuid NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    contact_id  uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    phone       text NOT NULL,
    time_zone   text NOT NULL,
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'queued', 'dialling', 'in_call', 'done', 'dropped')),
    attempt     int NOT NULL DEFAULT 0,
    next_at     timestamptz NOT NULL DEFAULT now(),
    -- tries counts dialled attempts by retryable outcome, for the retry policy.
    tries       jsonb NOT NULL DEFAULT '{}',
    last_outcome text,
    last_reason  text,
    segment     text NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, contact_id)
);
CREATE INDEX campaign_contacts_due_idx ON campaign_contacts (campaign_id, next_at) WHERE state = 'pending';
CREATE INDEX campaign_contacts_state_idx ON campaign_contacts (campaign_id, state);

-- lines are the tenant's concurrent call slots; a dial leases one for its call.
CREATE TABLE lines (
    tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    slot      int NOT NULL,
    call_id   uuid,
    leased_at timestamptz,
    PRIMARY KEY (tenant_id, slot)
);

-- dial_numbers counts dials per number in the callee's calendar day, across
-- all campaigns; the compliance check locks the row, so racing dials queue.
CREATE TABLE dial_numbers (
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    phone        text NOT NULL,
    last_dial_at timestamptz,
    day          date,
    day_count    int NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, phone)
);

-- calls has one row per attempt: a refusal (state refused, reason) or a
-- dial (dialling → in_call → ended, with its outcome).
CREATE TABLE calls (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    campaign_id     uuid NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    contact_id      uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    attempt         int NOT NULL,
    phone           text NOT NULL,
    state           text NOT NULL CHECK (state IN ('refused', 'dialling', 'in_call', 'ended')),
    outcome         text,
    reason          text,
    next_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    answered_at     timestamptz,
    ended_at        timestamptz,
    ring_ms         int,
    billable_seconds int NOT NULL DEFAULT 0,
    script_version  text NOT NULL DEFAULT '',
    segment         text NOT NULL DEFAULT '',
    final_state     text NOT NULL DEFAULT '',
    tags            text[] NOT NULL DEFAULT '{}',
    recording_ref   text NOT NULL DEFAULT '',
    UNIQUE (campaign_id, contact_id, attempt)
);
CREATE INDEX calls_tenant_idx ON calls (tenant_id, created_at, id);
CREATE INDEX calls_phone_idx ON calls (tenant_id, phone, created_at);
CREATE INDEX calls_campaign_idx ON calls (campaign_id, state, outcome);

CREATE TABLE call_turns (
    tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    call_id    uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    seq        int NOT NULL,
    state      text NOT NULL DEFAULT '',
    said       text NOT NULL DEFAULT '',
    heard      text NOT NULL DEFAULT '',
    intent     text NOT NULL DEFAULT '',
    sentiment  real,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz NOT NULL,
    PRIMARY KEY (call_id, seq)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['campaigns', 'campaign_contacts', 'lines', 'dial_numbers', 'calls', 'call_turns'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END $$;

-- active_campaigns lists every tenant's scheduled, running and paused
-- campaigns, for the periodic job that makes sure each has a pacer.
CREATE FUNCTION active_campaigns()
RETURNS TABLE (tenant_id uuid, campaign_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT tenant_id, id FROM campaigns WHERE status IN ('scheduled', 'running', 'paused')
$$;

---- create above / drop below ----

DROP FUNCTION IF EXISTS active_campaigns();
DROP TABLE IF EXISTS call_turns;
DROP TABLE IF EXISTS calls;
DROP TABLE IF EXISTS dial_numbers;
DROP TABLE IF EXISTS lines;
DROP TABLE IF EXISTS campaign_contacts;
DROP TABLE IF EXISTS campaigns;
