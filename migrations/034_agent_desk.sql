-- The agent desk: people who take the calls a script hands over, in the
-- browser. A user with the role 'agent' sees only the desk; any user may
-- serve a queue.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('owner', 'admin', 'operator', 'viewer', 'agent'));
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('owner', 'admin', 'operator', 'viewer', 'agent'));

-- agent_queues are where a script's transfer: "queue:<name>" goes: the
-- agents who serve it, how long a callee waits for one (timeout_seconds)
-- and one desk rings (ring_seconds), and what happens after the wait: the
-- overflow number on the trunk, or the overflow message and a callback.
CREATE TABLE agent_queues (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
    timeout_seconds  int NOT NULL DEFAULT 60 CHECK (timeout_seconds BETWEEN 5 AND 600),
    ring_seconds     int NOT NULL DEFAULT 20 CHECK (ring_seconds BETWEEN 5 AND 120),
    overflow_number  text NOT NULL DEFAULT '',
    overflow_message text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

CREATE TABLE agent_queue_members (
    tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    queue_id  uuid NOT NULL REFERENCES agent_queues(id) ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (queue_id, user_id)
);
CREATE INDEX agent_queue_members_user_idx ON agent_queue_members (user_id);

-- agents is where each person at the desk stands: offline, available
-- (since when: the longest idle is offered the next call), ringing or busy
-- with a call (offer_id).
CREATE TABLE agents (
    user_id      uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    status       text NOT NULL DEFAULT 'offline' CHECK (status IN ('offline', 'available', 'ringing', 'busy')),
    status_since timestamptz NOT NULL DEFAULT now(),
    offer_id     uuid
);
CREATE INDEX agents_available_idx ON agents (tenant_id, status_since) WHERE status = 'available';

-- agent_offers are the calls handed to a queue, one row per call from the
-- transfer to its end:
--   waiting    no agent yet (none free, or the last one declined or missed it)
--   ringing    user_id's desk rings
--   answering  the agent answered: sdp_offer waits for the call's worker
--   connected  the call and the agent's browser are joined (sdp_answer)
--   ended      the agent or the callee hung up after they talked
--   overflowed nobody answered within the queue's timeout (reason says where it went)
--   abandoned  the callee hung up while waiting
-- screen holds what the agent's screen shows: the contact, the campaign,
-- the transcript so far and what the call captured.
CREATE TABLE agent_offers (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    call_id       uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    queue_id      uuid REFERENCES agent_queues(id) ON DELETE SET NULL,
    queue         text NOT NULL,
    user_id       uuid REFERENCES users(id) ON DELETE SET NULL,
    state         text NOT NULL DEFAULT 'waiting'
                  CHECK (state IN ('waiting', 'ringing', 'answering', 'connected', 'ended', 'overflowed', 'abandoned')),
    declined_by   uuid[] NOT NULL DEFAULT '{}',
    screen        jsonb NOT NULL DEFAULT '{}',
    sdp_offer     text NOT NULL DEFAULT '',
    sdp_answer    text NOT NULL DEFAULT '',
    hangup        boolean NOT NULL DEFAULT false,
    reason        text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    offered_at    timestamptz,
    answered_at   timestamptz,
    ended_at      timestamptz,
    UNIQUE (call_id)
);
CREATE INDEX agent_offers_live_idx ON agent_offers (tenant_id, created_at) WHERE state IN ('waiting', 'ringing', 'answering', 'connected');
CREATE INDEX agent_offers_user_idx ON agent_offers (user_id) WHERE state IN ('ringing', 'answering', 'connected');

ALTER TABLE agent_queues ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_queues FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_queues
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE agent_queue_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_queue_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_queue_members
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE agents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agents
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE agent_offers ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_offers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_offers
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Agent time is metered as its own usage kind: one 'agent_seconds' row per
-- call an agent took.
ALTER TABLE usage_ledger DROP CONSTRAINT usage_ledger_kind_check;
ALTER TABLE usage_ledger ADD CONSTRAINT usage_ledger_kind_check
    CHECK (kind IN ('call_minutes', 'call_attempt', 'model_tokens', 'sms', 'agent_seconds'));
ALTER TABLE usage_periods ADD COLUMN agent_seconds bigint NOT NULL DEFAULT 0;

---- create above / drop below ----

ALTER TABLE usage_periods DROP COLUMN IF EXISTS agent_seconds;
DELETE FROM usage_ledger WHERE kind = 'agent_seconds';
ALTER TABLE usage_ledger DROP CONSTRAINT usage_ledger_kind_check;
ALTER TABLE usage_ledger ADD CONSTRAINT usage_ledger_kind_check
    CHECK (kind IN ('call_minutes', 'call_attempt', 'model_tokens', 'sms'));
DROP TABLE IF EXISTS agent_offers;
DROP TABLE IF EXISTS agents;
DROP TABLE IF EXISTS agent_queue_members;
DROP TABLE IF EXISTS agent_queues;
UPDATE users SET role = 'viewer' WHERE role = 'agent';
UPDATE api_keys SET role = 'viewer' WHERE role = 'agent';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('owner', 'admin', 'operator', 'viewer'));
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('owner', 'admin', 'operator', 'viewer'));
