-- agent_listeners are supervisors listening in on a call at the desk: the
-- supervisor's browser offers to receive audio (sdp_offer), the worker
-- that holds the call answers (sdp_answer) and sends them both voices.
--   requested  waits for the call's worker
--   connected  the supervisor hears the call
--   ended      the call or the supervisor ended it
--   failed     the worker could not join the supervisor's browser (reason)
CREATE TABLE agent_listeners (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    offer_id    uuid NOT NULL REFERENCES agent_offers(id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    state       text NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'connected', 'ended', 'failed')),
    sdp_offer   text NOT NULL,
    sdp_answer  text NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz
);
CREATE INDEX agent_listeners_offer_idx ON agent_listeners (offer_id) WHERE state IN ('requested', 'connected');
ALTER TABLE agent_listeners ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_listeners FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_listeners
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

---- create above / drop below ----

DROP TABLE IF EXISTS agent_listeners;
