-- A session's expires_at is written from the service's clock, and the
-- service checks it against that clock; the purge compared it with the
-- database's now(), so a database whose clock ran ahead of the service's
-- deleted sessions the service still held valid. The purge now takes the
-- service's moment.
DROP FUNCTION IF EXISTS purge_expired_sessions();

-- purge_expired_sessions deletes every tenant's sessions that expired
-- before p_now (the service's clock); the session-cleanup job calls it.
CREATE FUNCTION purge_expired_sessions(p_now timestamptz) RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    WITH gone AS (DELETE FROM sessions WHERE expires_at < p_now RETURNING 1)
    SELECT count(*) FROM gone
$$;

---- create above / drop below ----

DROP FUNCTION IF EXISTS purge_expired_sessions(timestamptz);
CREATE FUNCTION purge_expired_sessions() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
    WITH gone AS (DELETE FROM sessions WHERE expires_at < now() RETURNING 1)
    SELECT count(*) FROM gone
$$;
