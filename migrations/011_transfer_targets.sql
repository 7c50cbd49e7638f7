-- transfer_targets names where a script's `transfer: "agent"` goes on this
-- trunk: {"agent": "+862150009999", "billing": "sip:billing@pbx.example"}.
ALTER TABLE trunks ADD COLUMN transfer_targets jsonb NOT NULL DEFAULT '{}';

---- create above / drop below ----

ALTER TABLE trunks DROP COLUMN IF EXISTS transfer_targets;
