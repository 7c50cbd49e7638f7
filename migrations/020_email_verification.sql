-- Email verification: a tenant's owner proves the address before the
-- tenant's first campaign on the platform's lines. A verification token,
-- like an invitation's, is stored only as its SHA-256.
ALTER TABLE users
    ADD COLUMN email_verified_at timestamptz,
    ADD COLUMN verify_hash bytea UNIQUE,
    ADD COLUMN verify_expires_at timestamptz;

-- People who signed up before verification existed keep what they had.
UPDATE users SET email_verified_at = created_at WHERE password_hash IS NOT NULL;

-- auth_email_verification_by_token finds whose token it is, across
-- tenants (the link is opened without a session), as the invitation's does.
CREATE FUNCTION auth_email_verification_by_token(p_hash bytea)
RETURNS TABLE (user_id uuid, tenant_id uuid, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT id, tenant_id, verify_expires_at FROM users WHERE verify_hash = p_hash
$$;
GRANT CREATE ON SCHEMA public TO outcall_definer;
ALTER FUNCTION auth_email_verification_by_token(bytea) OWNER TO outcall_definer;
REVOKE CREATE ON SCHEMA public FROM outcall_definer;
REVOKE EXECUTE ON FUNCTION auth_email_verification_by_token(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_email_verification_by_token(bytea) TO outcall_app;

---- create above / drop below ----

DROP FUNCTION IF EXISTS auth_email_verification_by_token(bytea);
ALTER TABLE users
    DROP COLUMN IF EXISTS verify_expires_at,
    DROP COLUMN IF EXISTS verify_hash,
    DROP COLUMN IF EXISTS email_verified_at;
