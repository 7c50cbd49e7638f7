-- Row-level security without exceptions, and call records that outlive
-- their contact.
--
-- 1. Every table with row-level security forces it, so the tables' owner
--    (the migrating role) is held by the policies too; only a superuser or
--    a role with BYPASSRLS reads past them.
-- 2. The SECURITY DEFINER functions, which read across tenants on purpose,
--    are owned by outcall_definer (NOLOGIN BYPASSRLS, created by migrate
--    before this runs) with only the table privileges they use, rather than
--    by the tables' owner, whom FORCE would now hold. Each resolves names in
--    public and then pg_temp (never a temporary table of the caller's first),
--    and only outcall_app may execute it. Functions the migrating role
--    creates from now on start closed to PUBLIC.
-- 3. Deleting a contact no longer deletes its call records (and with them
--    their turns): a call is the evidence of what was dialled, billed and
--    recorded. calls.contact_id keeps the id of the contact that was called,
--    as usage_ledger.call_id keeps its call's, with no foreign key: the
--    record stands without the contact, and a call in progress while its
--    contact is deleted can still be found by (campaign, contact, attempt)
--    and closed.

DO $$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT c.oid FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relrowsecurity AND NOT c.relforcerowsecurity LOOP
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    END LOOP;
END $$;

GRANT USAGE ON SCHEMA public TO outcall_definer;
-- What the functions below read and delete, and nothing more.
GRANT SELECT ON users, api_keys, campaigns, usage_ledger, billing_accounts, calls, compliance_settings, trunks
    TO outcall_definer;
GRANT SELECT, DELETE ON sessions, idempotency_keys, list_contacts TO outcall_definer;

-- A function's new owner must be allowed to create it where it lives; it
-- holds that right only while the functions move.
GRANT CREATE ON SCHEMA public TO outcall_definer;
DO $$
DECLARE f regprocedure;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'auth_user_by_email(text)', 'auth_api_key_by_prefix(text)', 'auth_session_by_token(bytea)',
        'auth_invitation_by_token(bytea)', 'purge_expired_sessions(timestamptz)', 'purge_idempotency_keys()',
        'active_campaigns()', 'list_contacts_forget_lists()', 'list_contacts_forget_contacts()',
        'billing_tenants_with_pending_usage(int)', 'billing_tenant_by_customer(text)',
        'recordings_past_retention(int)', 'enabled_trunks()']::regprocedure[] LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO outcall_definer', f);
        EXECUTE format('ALTER FUNCTION %s SET search_path = public, pg_temp', f);
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO outcall_app', f);
    END LOOP;
END $$;
REVOKE CREATE ON SCHEMA public FROM outcall_definer;

-- Functions created by the migrating role from now on: no EXECUTE for
-- PUBLIC (migrate grants outcall_app EXECUTE on the schema's functions).
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

ALTER TABLE calls DROP CONSTRAINT calls_contact_id_fkey;

---- create above / drop below ----

-- Calls whose contact is gone stay; the restored key checks new rows only.
ALTER TABLE calls ADD CONSTRAINT calls_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES contacts(id) ON DELETE CASCADE NOT VALID;

ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;

DO $$
DECLARE f regprocedure;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'auth_user_by_email(text)', 'auth_api_key_by_prefix(text)', 'auth_session_by_token(bytea)',
        'auth_invitation_by_token(bytea)', 'purge_expired_sessions(timestamptz)', 'purge_idempotency_keys()',
        'active_campaigns()', 'list_contacts_forget_lists()', 'list_contacts_forget_contacts()',
        'billing_tenants_with_pending_usage(int)', 'billing_tenant_by_customer(text)',
        'recordings_past_retention(int)', 'enabled_trunks()']::regprocedure[] LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO %I', f, current_user);
        EXECUTE format('ALTER FUNCTION %s SET search_path = public', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f);
    END LOOP;
END $$;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM outcall_definer;
REVOKE USAGE ON SCHEMA public FROM outcall_definer;

DO $$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT c.oid FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relrowsecurity AND c.relforcerowsecurity LOOP
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', t);
    END LOOP;
END $$;
