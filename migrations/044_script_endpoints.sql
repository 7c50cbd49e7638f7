-- script_endpoints are the HTTPS services a tenant's dialog scripts may
-- call mid-call (a state's http): a name scripts use, the base URL and
-- the secret requests are signed with.
CREATE TABLE script_endpoints (
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
    url         text NOT NULL,
    description text NOT NULL DEFAULT '',
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);
ALTER TABLE script_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE script_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON script_endpoints
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- The requests a turn made to the tenant's endpoints, and what became of
-- them (scripting.RequestUse, without bodies).
ALTER TABLE call_turns ADD COLUMN requests jsonb;

---- create above / drop below ----

ALTER TABLE call_turns DROP COLUMN IF EXISTS requests;
DROP TABLE IF EXISTS script_endpoints;
