-- paced_at is when a pacer last worked on the campaign (renewed every few
-- seconds while one runs): a running pacer job whose campaign has not been
-- paced for a while belongs to a worker that died, and the lease reaper
-- hands it back to the queue instead of leaving the campaign stalled
-- until River's rescuer takes the job minutes later.
ALTER TABLE campaigns ADD COLUMN paced_at timestamptz;

---- create above / drop below ----

ALTER TABLE campaigns DROP COLUMN IF EXISTS paced_at;
