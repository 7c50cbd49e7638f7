-- dial_pace is each tenant's bucket of dial starts: its campaigns' pacers,
-- in any number of worker processes, take from it in the transaction that
-- queues their dials, so the tenant's calls per second (its compliance
-- settings, within its plan's) hold across all its campaigns at once.
-- tokens refill at that pace up to one second's worth.
CREATE TABLE dial_pace (
    tenant_id   uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    tokens      double precision NOT NULL,
    refilled_at timestamptz NOT NULL
);
ALTER TABLE dial_pace ENABLE ROW LEVEL SECURITY;
ALTER TABLE dial_pace FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON dial_pace
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

---- create above / drop below ----

DROP TABLE IF EXISTS dial_pace;
