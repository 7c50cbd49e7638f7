-- Contacts and what may be done with them: lists of contacts with custom
-- attributes, consent evidence, the do-not-call list and its history,
-- per-tenant compliance settings, and CSV imports.

CREATE TABLE compliance_settings (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    -- settings is campaigns.Compliance as JSON; absent keys take defaults.
    settings   jsonb NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contact_lists (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_lists_tenant_idx ON contact_lists (tenant_id, created_at, id);

-- A contact is one phone number of a tenant (E.164); importing the same
-- number again merges into the same contact.
CREATE TABLE contacts (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    phone      text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{5,14}$'),
    name       text NOT NULL DEFAULT '',
    attributes jsonb NOT NULL DEFAULT '{}',
    -- time_zone is the callee's IANA zone: given, else from the number, else the tenant's.
    time_zone  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, phone)
);
CREATE INDEX contacts_tenant_idx ON contacts (tenant_id, created_at, id);

CREATE TABLE list_contacts (
    tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    list_id    uuid NOT NULL REFERENCES contact_lists(id) ON DELETE CASCADE,
    contact_id uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX list_contacts_contact_idx ON list_contacts (contact_id);

-- consents is the evidence that a number's owner agreed to be called: where
-- it came from, when it was given, and what it covers. Kept for the audit
-- trail even after it is withdrawn.
CREATE TABLE consents (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    phone       text NOT NULL,
    source      text NOT NULL CHECK (length(source) BETWEEN 1 AND 500),
    scope       text NOT NULL DEFAULT '',
    given_at    timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz
);
CREATE INDEX consents_phone_idx ON consents (tenant_id, phone);

CREATE TABLE dnc_numbers (
    tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    phone     text NOT NULL,
    -- source says how the number got here: api, import, callee_stop.
    source    text NOT NULL,
    reason    text NOT NULL DEFAULT '',
    added_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, phone)
);
CREATE INDEX dnc_numbers_list_idx ON dnc_numbers (tenant_id, added_at, phone);

-- dnc_events is the history of the list, for the audit trail.
CREATE TABLE dnc_events (
    id        bigserial PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    phone     text NOT NULL,
    action    text NOT NULL CHECK (action IN ('added', 'removed')),
    source    text NOT NULL,
    reason    text NOT NULL DEFAULT '',
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dnc_events_phone_idx ON dnc_events (tenant_id, phone, at);

CREATE TABLE imports (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    list_id       uuid NOT NULL REFERENCES contact_lists(id) ON DELETE CASCADE,
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    encoding      text NOT NULL,
    -- mapping maps a CSV column (by header) to phone, name, time_zone or attr:NAME.
    mapping       jsonb NOT NULL,
    data          bytea,
    size_bytes    bigint NOT NULL,
    rows_total    int NOT NULL DEFAULT 0,
    rows_done     int NOT NULL DEFAULT 0,
    rows_imported int NOT NULL DEFAULT 0,
    rows_merged   int NOT NULL DEFAULT 0,
    rows_failed   int NOT NULL DEFAULT 0,
    -- errors is the per-row report as CSV: row,column,reason.
    errors        text NOT NULL DEFAULT '',
    failure       text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX imports_tenant_idx ON imports (tenant_id, created_at, id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['compliance_settings', 'contact_lists', 'contacts', 'list_contacts',
                             'consents', 'dnc_numbers', 'dnc_events', 'imports'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END $$;

---- create above / drop below ----

DROP TABLE IF EXISTS imports;
DROP TABLE IF EXISTS dnc_events;
DROP TABLE IF EXISTS dnc_numbers;
DROP TABLE IF EXISTS consents;
DROP TABLE IF EXISTS list_contacts;
DROP TABLE IF EXISTS contacts;
DROP TABLE IF EXISTS contact_lists;
DROP TABLE IF EXISTS compliance_settings;
