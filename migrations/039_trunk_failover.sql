-- A tenant's calls go out over all its enabled trunks: by priority (the
-- lowest number first, the next one when a trunk fails: 5xx, 408 or no
-- answer to the INVITE), and among trunks of one priority spread by
-- weight.
ALTER TABLE trunks
    ADD COLUMN priority integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 100),
    ADD COLUMN weight integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 1000);

---- create above / drop below ----

ALTER TABLE trunks DROP COLUMN IF EXISTS weight, DROP COLUMN IF EXISTS priority;
