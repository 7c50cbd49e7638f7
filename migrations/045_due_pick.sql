-- A pacing round picks a campaign's due contacts through
-- campaign_contacts_due_pick_idx, in (next_at, contact_id) order, reading
-- only the rows it takes. A campaign just started has no statistics yet,
-- and the planner took the (campaign_id, state) index instead: every
-- pending contact of the campaign read and sorted on each round. That
-- index now leaves pending contacts out (the due index has them), so it
-- cannot be taken for a pick.
CREATE INDEX campaign_contacts_busy_idx ON campaign_contacts (campaign_id, state) WHERE state <> 'pending';
DROP INDEX campaign_contacts_state_idx;

---- create above / drop below ----

CREATE INDEX IF NOT EXISTS campaign_contacts_state_idx ON campaign_contacts (campaign_id, state);
DROP INDEX IF EXISTS campaign_contacts_busy_idx;
