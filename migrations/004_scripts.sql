-- Dialog scripts and segmentation rules, and their versions. A version is
-- immutable once saved: campaigns pin versions, and what a call ran must stay
-- what it was.

CREATE TABLE scripts (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- kind is 'dialog' (a conversation) or 'segment' (segmentation rules).
    kind        text NOT NULL CHECK (kind IN ('dialog', 'segment')),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scripts_tenant_idx ON scripts (tenant_id, created_at, id);

CREATE TABLE script_versions (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    script_id    uuid NOT NULL REFERENCES scripts(id) ON DELETE CASCADE,
    number       int NOT NULL,
    source       text NOT NULL,
    -- hash names the source; equal sources share one compiled program.
    hash         text NOT NULL,
    -- graph is the dialog's states and edges (dialog scripts only).
    graph        jsonb,
    -- warnings are the findings that did not stop the save.
    warnings     jsonb NOT NULL DEFAULT '[]',
    published_at timestamptz,
    created_by   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (script_id, number)
);
CREATE INDEX script_versions_tenant_idx ON script_versions (tenant_id, script_id, number);

-- Versions never change, except to be published.
CREATE FUNCTION script_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.source IS DISTINCT FROM OLD.source OR NEW.number IS DISTINCT FROM OLD.number
       OR NEW.script_id IS DISTINCT FROM OLD.script_id OR NEW.graph IS DISTINCT FROM OLD.graph THEN
        RAISE EXCEPTION 'script versions are immutable: save a new version instead';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER script_versions_immutable BEFORE UPDATE ON script_versions
    FOR EACH ROW EXECUTE FUNCTION script_versions_immutable();

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['scripts', 'script_versions'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END $$;

---- create above / drop below ----

DROP TABLE IF EXISTS script_versions;
DROP FUNCTION IF EXISTS script_versions_immutable();
DROP TABLE IF EXISTS scripts;
