-- Carriers cap each trunk's concurrent calls and calls per second. A
-- call claims its trunk in trunk_calls before it dials (the trunk's row
-- locked, so workers in every process queue), and gives the claim back
-- when it ends; a claim whose call has ended (a worker that died, its
-- call closed by the lease reaper) no longer counts. calls_per_second
-- refills pace_tokens by the database's clock.
ALTER TABLE trunks
    ADD COLUMN max_calls integer NOT NULL DEFAULT 0 CHECK (max_calls BETWEEN 0 AND 100000),
    ADD COLUMN calls_per_second double precision NOT NULL DEFAULT 0 CHECK (calls_per_second >= 0 AND calls_per_second <= 1000),
    ADD COLUMN pace_tokens double precision NOT NULL DEFAULT 0,
    ADD COLUMN pace_at timestamptz;

CREATE TABLE trunk_calls (
    tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    call_id    uuid NOT NULL,
    trunk_id   uuid NOT NULL REFERENCES trunks(id) ON DELETE CASCADE,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, call_id)
);
CREATE INDEX trunk_calls_trunk_idx ON trunk_calls (tenant_id, trunk_id);
ALTER TABLE trunk_calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE trunk_calls FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON trunk_calls
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

---- create above / drop below ----

DROP TABLE IF EXISTS trunk_calls;
ALTER TABLE trunks DROP COLUMN IF EXISTS pace_at, DROP COLUMN IF EXISTS pace_tokens,
    DROP COLUMN IF EXISTS calls_per_second, DROP COLUMN IF EXISTS max_calls;
