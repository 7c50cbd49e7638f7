-- The caller ID a call went out with (from its trunk's pool), for the
-- call record, its export and the number's audit trail.
ALTER TABLE calls ADD COLUMN caller_id text NOT NULL DEFAULT '';

---- create above / drop below ----

ALTER TABLE calls DROP COLUMN IF EXISTS caller_id;
