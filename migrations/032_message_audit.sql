-- A number's audit trail shows its follow-up messages too: each message is
-- one event, ordered by audit_seq like the rest of the trail. It draws a
-- number when it is queued and a new one when the send is decided (sent or
-- refused), after the decision read the do-not-call list and consent, so a
-- refusal always follows the entry that caused it.
ALTER TABLE messages ADD COLUMN audit_seq bigint NOT NULL DEFAULT nextval('audit_seq');

---- create above / drop below ----

ALTER TABLE messages DROP COLUMN IF EXISTS audit_seq;
