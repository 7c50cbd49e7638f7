-- The voice a turn was spoken in (neutral, happy, urgent, apologetic):
-- the script's choice, or the calm voice an upset callee was answered in.
ALTER TABLE call_turns ADD COLUMN emotion text NOT NULL DEFAULT '';

---- create above / drop below ----

ALTER TABLE call_turns DROP COLUMN IF EXISTS emotion;
