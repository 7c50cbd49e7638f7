-- API key scopes, and the responses remembered for Idempotency-Key.

-- scopes lists what a key may do (e.g. 'contacts:write'); its role still
-- bounds it. Keys made before scopes existed may do everything.
ALTER TABLE api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT ARRAY['*'];

DROP FUNCTION auth_api_key_by_prefix(text);
CREATE FUNCTION auth_api_key_by_prefix(p_prefix text)
RETURNS TABLE (key_id uuid, tenant_id uuid, secret_hash bytea, role text, revoked boolean, scopes text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT id, tenant_id, secret_hash, role, revoked_at IS NOT NULL, scopes FROM api_keys WHERE prefix = p_prefix
$$;

-- idempotency_keys remembers the first answer to a POST sent with an
-- Idempotency-Key, for 24 hours. status is NULL while the first request runs.
CREATE TABLE idempotency_keys (
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    key           text NOT NULL,
    request_hash  bytea NOT NULL,
    status        int,
    content_type  text,
    location      text,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

CREATE FUNCTION purge_idempotency_keys() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    WITH gone AS (DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours' RETURNING 1)
    SELECT count(*) FROM gone
$$;

---- create above / drop below ----

DROP FUNCTION IF EXISTS purge_idempotency_keys();
DROP TABLE IF EXISTS idempotency_keys;
DROP FUNCTION auth_api_key_by_prefix(text);
CREATE FUNCTION auth_api_key_by_prefix(p_prefix text)
RETURNS TABLE (key_id uuid, tenant_id uuid, secret_hash bytea, role text, revoked boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT id, tenant_id, secret_hash, role, revoked_at IS NOT NULL FROM api_keys WHERE prefix = p_prefix
$$;
ALTER TABLE api_keys DROP COLUMN scopes;
