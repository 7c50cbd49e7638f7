-- Tenants, their people, API keys and portal sessions. Every table that a
-- tenant owns carries tenant_id and a row-level-security policy keyed by the
-- per-transaction setting app.tenant_id (see tenants.DB.InTenant). The
-- application runs as the role outcall_app, which owns nothing and cannot
-- bypass these policies; the tables' owner (the migrating role) can, which is
-- what the few SECURITY DEFINER functions below rely on.

CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    plan        text NOT NULL DEFAULT 'trial',
    -- default_region is the ISO 3166 region used to read national phone numbers.
    default_region text NOT NULL DEFAULT 'CN',
    time_zone   text NOT NULL DEFAULT 'Asia/Shanghai',
    default_lang text NOT NULL DEFAULT 'zh-CN',
    suspended_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email         citext NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    name          text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'viewer')),
    -- password_hash is an argon2id PHC string; NULL while an invitation is open.
    password_hash text,
    -- invite_hash is the SHA-256 of an open invitation token.
    invite_hash   bytea UNIQUE,
    invite_expires_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);
-- One person, one login: an email address belongs to a single user of a single tenant.
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_tenant_idx ON users (tenant_id, created_at, id);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- prefix is the visible start of the key ("oc_1a2b3c4d"), shown in lists.
    prefix       text NOT NULL UNIQUE,
    -- secret_hash is the SHA-256 of the whole key; the key itself is shown once.
    secret_hash  bytea NOT NULL,
    role         text NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'viewer')),
    created_by   uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at, id);

CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- token_hash is the SHA-256 of the cookie value; csrf_token guards cookie writes.
    token_hash   bytea NOT NULL UNIQUE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'api_keys', 'sessions'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END $$;

-- Authentication must find a credential before the tenant is known. These
-- functions run as their owner (SECURITY DEFINER, so past row-level security),
-- and each returns only what checking that one credential needs.
CREATE FUNCTION auth_user_by_email(p_email text)
RETURNS TABLE (user_id uuid, tenant_id uuid, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT id, tenant_id, password_hash FROM users WHERE email = p_email::citext
$$;

CREATE FUNCTION auth_api_key_by_prefix(p_prefix text)
RETURNS TABLE (key_id uuid, tenant_id uuid, secret_hash bytea, role text, revoked boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT id, tenant_id, secret_hash, role, revoked_at IS NOT NULL FROM api_keys WHERE prefix = p_prefix
$$;

CREATE FUNCTION auth_session_by_token(p_hash bytea)
RETURNS TABLE (session_id uuid, tenant_id uuid, user_id uuid, csrf_token text, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT id, tenant_id, user_id, csrf_token, expires_at FROM sessions WHERE token_hash = p_hash
$$;

CREATE FUNCTION auth_invitation_by_token(p_hash bytea)
RETURNS TABLE (user_id uuid, tenant_id uuid, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT id, tenant_id, invite_expires_at FROM users WHERE invite_hash = p_hash
$$;

-- purge_expired_sessions deletes every tenant's expired sessions; the
-- session-cleanup job calls it.
CREATE FUNCTION purge_expired_sessions() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    WITH gone AS (DELETE FROM sessions WHERE expires_at < now() RETURNING 1)
    SELECT count(*) FROM gone
$$;

---- create above / drop below ----

DROP FUNCTION IF EXISTS purge_expired_sessions();
DROP FUNCTION IF EXISTS auth_invitation_by_token(bytea);
DROP FUNCTION IF EXISTS auth_session_by_token(bytea);
DROP FUNCTION IF EXISTS auth_api_key_by_prefix(text);
DROP FUNCTION IF EXISTS auth_user_by_email(text);
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS api_keys;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS tenants;
