-- caller_id_rests holds the caller IDs a tenant's calls leave out for a
-- while: rested by hand, or by the health check when a number's answer
-- rate collapses (phone apps marking it as spam). A number comes back by
-- itself at rested_until.
CREATE TABLE caller_id_rests (
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    caller_id    text NOT NULL,
    rested_until timestamptz NOT NULL,
    reason       text NOT NULL,
    automatic    boolean NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, caller_id)
);
ALTER TABLE caller_id_rests ENABLE ROW LEVEL SECURITY;
ALTER TABLE caller_id_rests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON caller_id_rests
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

CREATE INDEX calls_caller_id_idx ON calls (tenant_id, caller_id, created_at) WHERE caller_id <> '';

-- caller_id_tenants lists the tenants whose calls went out with a caller
-- ID since a time, for the health check.
CREATE FUNCTION caller_id_tenants(since timestamptz) RETURNS TABLE (tenant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER AS $$
    SELECT t.id FROM tenants t
    WHERE EXISTS (SELECT 1 FROM calls c WHERE c.tenant_id = t.id AND c.caller_id <> '' AND c.created_at >= since)
$$;
GRANT USAGE ON SCHEMA public TO outcall_definer;
GRANT CREATE ON SCHEMA public TO outcall_definer;
ALTER FUNCTION caller_id_tenants(timestamptz) OWNER TO outcall_definer;
ALTER FUNCTION caller_id_tenants(timestamptz) SET search_path = public, pg_temp;
REVOKE CREATE ON SCHEMA public FROM outcall_definer;
REVOKE EXECUTE ON FUNCTION caller_id_tenants(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION caller_id_tenants(timestamptz) TO outcall_app;

---- create above / drop below ----

DROP FUNCTION IF EXISTS caller_id_tenants(timestamptz);
DROP INDEX IF EXISTS calls_caller_id_idx;
DROP TABLE IF EXISTS caller_id_rests;
