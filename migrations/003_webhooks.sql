-- Outbound webhooks: the endpoints tenants register, the events outcall
-- emits (written in the same transaction as the change they describe), every
-- delivery attempt, and notices to the tenant (e.g. an endpoint disabled).

CREATE TABLE webhook_endpoints (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    url           text NOT NULL CHECK (length(url) <= 2000),
    description   text NOT NULL DEFAULT '',
    -- event_types lists the types delivered; empty means every type.
    event_types   text[] NOT NULL DEFAULT '{}',
    enabled       boolean NOT NULL DEFAULT true,
    secret        text NOT NULL,
    -- previous_secret still signs (as a second v1) until it expires, so
    -- receivers can switch secrets without dropping deliveries.
    previous_secret text,
    previous_secret_expires_at timestamptz,
    consecutive_failures int NOT NULL DEFAULT 0,
    disabled_reason text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, created_at, id);

CREATE TABLE webhook_events (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    type       text NOT NULL,
    data       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_tenant_idx ON webhook_events (tenant_id, created_at, id);

CREATE TABLE webhook_deliveries (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    endpoint_id   uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id      uuid NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    attempt       int NOT NULL,
    status_code   int,
    error         text,
    latency_ms    int NOT NULL,
    response_excerpt text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (tenant_id, endpoint_id, created_at, id);

CREATE TABLE notices (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind       text NOT NULL,
    message    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz
);
CREATE INDEX notices_tenant_idx ON notices (tenant_id, created_at, id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['webhook_endpoints', 'webhook_events', 'webhook_deliveries', 'notices'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END $$;

---- create above / drop below ----

DROP TABLE IF EXISTS notices;
DROP TABLE IF EXISTS webhook_deliveries;
DROP TABLE IF EXISTS webhook_events;
DROP TABLE IF EXISTS webhook_endpoints;
