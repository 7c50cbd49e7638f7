-- The audit trail of a number (attempts, refusals, consents, do-not-call
-- changes) is read by regulators and complaint handlers, so it must put
-- every cause before its effect. Its times all come from the service's one
-- clock (the application writes them; no column of the trail defaults to
-- the database's now()), and its order comes from audit_seq: one sequence
-- across the trail's tables, drawn as each event is written. A sequence is
-- causal where two clocks are not: a refusal that read a do-not-call entry
-- was written after that entry committed, so it draws a larger number, and
-- the events of one transaction keep the order they were written in.
CREATE SEQUENCE audit_seq;

ALTER TABLE dnc_events ADD COLUMN audit_seq bigint NOT NULL DEFAULT nextval('audit_seq');
ALTER TABLE consents ADD COLUMN audit_seq bigint NOT NULL DEFAULT nextval('audit_seq');
ALTER TABLE consents ADD COLUMN withdrawn_seq bigint;
ALTER TABLE calls ADD COLUMN audit_seq bigint NOT NULL DEFAULT nextval('audit_seq');

ALTER TABLE dnc_events ALTER COLUMN at DROP DEFAULT;
ALTER TABLE consents ALTER COLUMN recorded_at DROP DEFAULT;
ALTER TABLE dnc_numbers ALTER COLUMN added_at DROP DEFAULT;

---- create above / drop below ----

ALTER TABLE dnc_numbers ALTER COLUMN added_at SET DEFAULT now();
ALTER TABLE consents ALTER COLUMN recorded_at SET DEFAULT now();
ALTER TABLE dnc_events ALTER COLUMN at SET DEFAULT now();
ALTER TABLE calls DROP COLUMN IF EXISTS audit_seq;
ALTER TABLE consents DROP COLUMN IF EXISTS withdrawn_seq;
ALTER TABLE consents DROP COLUMN IF EXISTS audit_seq;
ALTER TABLE dnc_events DROP COLUMN IF EXISTS audit_seq;
DROP SEQUENCE IF EXISTS audit_seq;
