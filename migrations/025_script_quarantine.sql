-- script_quarantine keeps the scripts that brought a script host down
-- (by a hash of their source: nothing of the tenant's is kept), so every
-- pool and every restarted process refuses them until they are changed.
-- It is the platform's, not a tenant's: no row belongs to one.
CREATE TABLE script_quarantine (
    key            text PRIMARY KEY,
    why            text NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now()
);

---- create above / drop below ----

DROP TABLE IF EXISTS script_quarantine;
