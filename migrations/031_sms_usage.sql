-- A follow-up message is metered as its own usage kind: one 'sms' row per
-- message the provider took, its quantity the provider's count of billable
-- messages. Such a row bills a message, not a call: message_id names it
-- and call_id is empty. No plan prices messages yet: the rows are kept
-- (not_billed) and totalled per period, like model tokens.
ALTER TABLE usage_ledger ADD COLUMN message_id uuid;
ALTER TABLE usage_ledger ALTER COLUMN call_id DROP NOT NULL;
ALTER TABLE usage_ledger ADD CONSTRAINT usage_ledger_bills_one_thing
    CHECK ((call_id IS NULL) <> (message_id IS NULL));
CREATE UNIQUE INDEX usage_ledger_message_idx ON usage_ledger (tenant_id, message_id, kind) WHERE message_id IS NOT NULL;
ALTER TABLE usage_ledger DROP CONSTRAINT usage_ledger_kind_check;
ALTER TABLE usage_ledger ADD CONSTRAINT usage_ledger_kind_check
    CHECK (kind IN ('call_minutes', 'call_attempt', 'model_tokens', 'sms'));
ALTER TABLE usage_periods ADD COLUMN sms_messages bigint NOT NULL DEFAULT 0;

---- create above / drop below ----

ALTER TABLE usage_periods DROP COLUMN IF EXISTS sms_messages;
DELETE FROM usage_ledger WHERE kind = 'sms' OR message_id IS NOT NULL;
ALTER TABLE usage_ledger DROP CONSTRAINT usage_ledger_kind_check;
ALTER TABLE usage_ledger ADD CONSTRAINT usage_ledger_kind_check
    CHECK (kind IN ('call_minutes', 'call_attempt', 'model_tokens'));
DROP INDEX IF EXISTS usage_ledger_message_idx;
ALTER TABLE usage_ledger DROP CONSTRAINT IF EXISTS usage_ledger_bills_one_thing;
ALTER TABLE usage_ledger ALTER COLUMN call_id SET NOT NULL;
ALTER TABLE usage_ledger DROP COLUMN IF EXISTS message_id;
