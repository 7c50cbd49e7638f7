-- transfer_started_at is when a call's script began handing the callee to
-- a person: call.transferred is raised then, with the transcript so far,
-- in the transaction that sets it; a call closed as transferred without
-- it (the database was away at that moment) raises the event at its close
-- instead, so the event is sent once either way.
ALTER TABLE calls ADD COLUMN transfer_started_at timestamptz;

---- create above / drop below ----

ALTER TABLE calls DROP COLUMN IF EXISTS transfer_started_at;
