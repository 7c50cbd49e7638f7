-- The pacer picks a campaign's due contacts in (next_at, contact_id) order.
-- Contacts imported together share next_at, so an index on next_at alone
-- left every pending contact of the campaign to be read and sorted on each
-- pacing round; with contact_id in the index the pick reads only the rows
-- it takes.
CREATE INDEX campaign_contacts_due_pick_idx ON campaign_contacts (campaign_id, next_at, contact_id) WHERE state = 'pending';
DROP INDEX campaign_contacts_due_idx;

---- create above / drop below ----

CREATE INDEX IF NOT EXISTS campaign_contacts_due_idx ON campaign_contacts (campaign_id, next_at) WHERE state = 'pending';
DROP INDEX IF EXISTS campaign_contacts_due_pick_idx;
