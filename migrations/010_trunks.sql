-- Each tenant's SIP trunks: where its calls go, the credentials (encrypted
-- with the service's secret key; never returned by the API) and the pool of
-- caller IDs shown to callees.

CREATE TABLE trunks (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    host          text NOT NULL CHECK (length(host) BETWEEN 1 AND 253),
    port          int NOT NULL DEFAULT 0 CHECK (port BETWEEN 0 AND 65535),
    transport     text NOT NULL DEFAULT 'udp' CHECK (transport IN ('udp', 'tcp', 'tls')),
    username      text NOT NULL DEFAULT '',
    -- password_enc is AES-GCM(nonce || ciphertext) under the service key.
    password_enc  bytea,
    from_domain   text NOT NULL DEFAULT '',
    caller_ids    text[] NOT NULL DEFAULT '{}',
    enabled       boolean NOT NULL DEFAULT true,
    last_check_at timestamptz,
    last_check_up boolean,
    last_check_detail text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trunks_tenant_idx ON trunks (tenant_id, created_at, id);
ALTER TABLE trunks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON trunks
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- enabled_trunks lists every tenant's enabled trunks for the health check.
CREATE FUNCTION enabled_trunks() RETURNS TABLE (tenant_id uuid, trunk_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT tenant_id, id FROM trunks WHERE enabled
$$;

---- create above / drop below ----

DROP FUNCTION IF EXISTS enabled_trunks();
DROP TABLE IF EXISTS trunks;
