-- What a call captured, kept on its record: the script's c.vars, every slot
-- the call heard (a date, an amount), the last intent the callee expressed,
-- and the callback time the callee named (the contact's next attempt is
-- scheduled then, and the dial check still applies quiet hours, caps and
-- the do-not-call list to it).
ALTER TABLE calls
    ADD COLUMN vars jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN slots jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN last_intent text NOT NULL DEFAULT '',
    ADD COLUMN callback_at timestamptz;

---- create above / drop below ----

ALTER TABLE calls
    DROP COLUMN IF EXISTS callback_at,
    DROP COLUMN IF EXISTS last_intent,
    DROP COLUMN IF EXISTS slots,
    DROP COLUMN IF EXISTS vars;
