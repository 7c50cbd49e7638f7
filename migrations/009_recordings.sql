-- Recording retention: find every tenant's recordings past the tenant's
-- recording_retention_days (default 180), for the retention job, which
-- deletes each file and then clears the call's reference (the call record
-- itself, and the fact that it was recorded, stay in the audit trail).

ALTER TABLE calls ADD COLUMN recording_deleted_at timestamptz;

CREATE FUNCTION recordings_past_retention(p_limit int)
RETURNS TABLE (tenant_id uuid, call_id uuid, recording_ref text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT c.tenant_id, c.id, c.recording_ref
    FROM calls c
    LEFT JOIN compliance_settings s ON s.tenant_id = c.tenant_id
    WHERE c.recording_ref <> ''
      AND c.ended_at < now() - make_interval(days => coalesce((s.settings->>'recording_retention_days')::int, 180))
    ORDER BY c.ended_at
    LIMIT p_limit
$$;

---- create above / drop below ----

DROP FUNCTION IF EXISTS recordings_past_retention(int);
ALTER TABLE calls DROP COLUMN recording_deleted_at;
