-- Trunks whose carriers want them registered: the workers REGISTER them
-- and refresh the registration before it lapses, and keep here until when
-- the carrier granted it and what it last answered.
ALTER TABLE trunks
    ADD COLUMN register boolean NOT NULL DEFAULT false,
    ADD COLUMN registered_until timestamptz,
    ADD COLUMN register_detail text NOT NULL DEFAULT '';

-- registering_trunks lists every tenant's enabled trunks that register.
CREATE FUNCTION registering_trunks() RETURNS TABLE (tenant_id uuid, trunk_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER AS $$
    SELECT tenant_id, id FROM trunks WHERE enabled AND register
$$;
GRANT USAGE ON SCHEMA public TO outcall_definer;
GRANT CREATE ON SCHEMA public TO outcall_definer;
ALTER FUNCTION registering_trunks() OWNER TO outcall_definer;
ALTER FUNCTION registering_trunks() SET search_path = public, pg_temp;
REVOKE CREATE ON SCHEMA public FROM outcall_definer;
REVOKE EXECUTE ON FUNCTION registering_trunks() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION registering_trunks() TO outcall_app;

---- create above / drop below ----

DROP FUNCTION IF EXISTS registering_trunks();
ALTER TABLE trunks DROP COLUMN IF EXISTS register_detail, DROP COLUMN IF EXISTS registered_until, DROP COLUMN IF EXISTS register;
