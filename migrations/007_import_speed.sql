-- List membership without per-row foreign-key checks. A million-row import
-- spent most of its time in the checks on list_contacts (one query per row
-- and key), although the import only ever links rows it has just read from
-- contact_lists and contacts. Deletes keep the table clean instead:
-- statement-level triggers remove the memberships of deleted lists and
-- contacts (tenant deletion cascades to both), once per statement.
ALTER TABLE list_contacts DROP CONSTRAINT list_contacts_tenant_id_fkey;
ALTER TABLE list_contacts DROP CONSTRAINT list_contacts_list_id_fkey;
ALTER TABLE list_contacts DROP CONSTRAINT list_contacts_contact_id_fkey;

CREATE FUNCTION list_contacts_forget_lists() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    DELETE FROM list_contacts lc USING gone WHERE lc.list_id = gone.id;
    RETURN NULL;
END $$;

CREATE FUNCTION list_contacts_forget_contacts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    DELETE FROM list_contacts lc USING gone WHERE lc.contact_id = gone.id;
    RETURN NULL;
END $$;

CREATE TRIGGER contact_lists_deleted AFTER DELETE ON contact_lists
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION list_contacts_forget_lists();
CREATE TRIGGER contacts_deleted AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION list_contacts_forget_contacts();

---- create above / drop below ----

DROP TRIGGER IF EXISTS contacts_deleted ON contacts;
DROP TRIGGER IF EXISTS contact_lists_deleted ON contact_lists;
DROP FUNCTION IF EXISTS list_contacts_forget_contacts();
DROP FUNCTION IF EXISTS list_contacts_forget_lists();
DELETE FROM list_contacts lc WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = lc.contact_id)
    OR NOT EXISTS (SELECT 1 FROM contact_lists l WHERE l.id = lc.list_id);
ALTER TABLE list_contacts ADD CONSTRAINT list_contacts_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE;
ALTER TABLE list_contacts ADD CONSTRAINT list_contacts_list_id_fkey FOREIGN KEY (list_id) REFERENCES contact_lists(id) ON DELETE CASCADE;
ALTER TABLE list_contacts ADD CONSTRAINT list_contacts_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES contacts(id) ON DELETE CASCADE;
