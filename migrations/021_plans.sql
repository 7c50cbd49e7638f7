-- Plans are data, and the platform has operators.
--
-- 1. plans holds what each plan allows and costs. The three plans outcall
--    sold from code (trial, payg, pro) are its first rows, with the same ids,
--    so every tenants.plan keeps working; tenants.plan now references it. A
--    plan lists the countries its tenants may dial (ISO 3166 regions; none
--    means any) and the Stripe prices a subscription to it holds, by id or
--    lookup key: the Stripe webhook finds a subscription's plan there.
-- 2. admin_tokens are the platform operators' credentials for the admin API
--    (`outcall admin token create`): like API keys, only a hash is kept.
--    They belong to no tenant, so they carry no tenant_id and no policy.
-- 3. admin_audit records every change an operator made: who, when, what,
--    and to which plan or tenant (target_tenant_id, not tenant_id: the row
--    is the platform's record about a tenant, not the tenant's own, and it
--    outlives the tenant).
-- 4. admin_tenants lists every tenant with its usage in a period, for
--    operators; like the other functions that read across tenants it
--    belongs to outcall_definer and only outcall_app may execute it.

CREATE TABLE plans (
    id                text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 40),
    title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    -- concurrent_lines caps calls in progress; daily_calls the dials a
    -- tenant starts per day in its time zone; calls_per_second the pace
    -- of new dials the plan allows (0: none of its own; shown, while
    -- pacing follows the tenant's compliance settings).
    concurrent_lines  integer NOT NULL CHECK (concurrent_lines BETWEEN 1 AND 100000),
    calls_per_second  double precision NOT NULL DEFAULT 0 CHECK (calls_per_second >= 0 AND calls_per_second <= 10000),
    daily_calls       integer NOT NULL CHECK (daily_calls BETWEEN 1 AND 100000000),
    -- script_cpu_ms is the dialog script's CPU budget per turn, at most the
    -- sandbox's one second (scripting.MaxBudget).
    script_cpu_ms     integer NOT NULL CHECK (script_cpu_ms BETWEEN 1 AND 1000),
    -- included_minutes is how many connected minutes the plan allows in
    -- all (the trial's); 0 means no such limit.
    included_minutes  bigint NOT NULL DEFAULT 0 CHECK (included_minutes >= 0),
    -- destinations are the ISO 3166 regions ("CN", "HK") whose numbers the
    -- plan's tenants may dial; empty means any.
    destinations      text[] NOT NULL DEFAULT '{}',
    per_minute_cents  bigint NOT NULL DEFAULT 0 CHECK (per_minute_cents >= 0),
    per_attempt_cents bigint NOT NULL DEFAULT 0 CHECK (per_attempt_cents >= 0),
    monthly_cents     bigint NOT NULL DEFAULT 0 CHECK (monthly_cents >= 0),
    -- currency of the prices, as Stripe spells it ("usd", "cny").
    currency          text NOT NULL DEFAULT 'usd' CHECK (currency ~ '^[a-z]{3}$'),
    -- stripe_prices: [{"id": "price_…", "lookup_key": "…", "metered": true}];
    -- none means the plan is not sold through Stripe.
    stripe_prices     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(stripe_prices) = 'array'),
    -- minutes_meter and attempts_meter name the Stripe Billing Meters the
    -- usage ledger reports to; '' means not metered.
    minutes_meter     text NOT NULL DEFAULT '',
    attempts_meter    text NOT NULL DEFAULT '',
    -- public plans are listed to every tenant; the others (a contract for
    -- one customer) only to tenants on them.
    public            boolean NOT NULL DEFAULT false,
    -- version counts the plan's changes (each update adds one, under the
    -- row's lock), so a process that cached a plan can tell which of two
    -- reads is the newer whatever the clocks say.
    version           bigint NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

INSERT INTO plans (id, title, concurrent_lines, daily_calls, script_cpu_ms, included_minutes, per_minute_cents, per_attempt_cents,
        monthly_cents, currency, stripe_prices, minutes_meter, attempts_meter, public) VALUES
    ('trial', 'Trial', 2, 200, 50, 60, 0, 0, 0, 'usd', '[]', '', '', true),
    ('payg', 'Pay as you go', 20, 5000, 100, 0, 6, 1, 0, 'usd',
        '[{"lookup_key": "outcall_payg_minutes", "metered": true}, {"lookup_key": "outcall_payg_attempts", "metered": true}]',
        'outcall_call_minutes', 'outcall_call_attempts', true),
    ('pro', 'Pro', 200, 100000, 200, 0, 4, 0, 49900, 'usd',
        '[{"lookup_key": "outcall_pro_monthly", "metered": false}, {"lookup_key": "outcall_pro_minutes", "metered": true}]',
        'outcall_call_minutes', '', true);

-- A tenant on a plan the code no longer knew had the trial's limits; it
-- keeps them, as a plan of its own name. tenants forces row-level
-- security on its owner too, so the owner lifts that for this one read.
ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY;
INSERT INTO plans (id, title, concurrent_lines, daily_calls, script_cpu_ms, included_minutes)
    SELECT DISTINCT plan, plan, 2, 200, 50, 60 FROM tenants WHERE plan NOT IN (SELECT id FROM plans);
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
ALTER TABLE tenants ADD CONSTRAINT tenants_plan_fkey FOREIGN KEY (plan) REFERENCES plans(id);
CREATE INDEX tenants_plan_idx ON tenants (plan);

CREATE TABLE admin_tokens (
    id           uuid PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- prefix is the visible start of the token ("oca_1a2b3c4d").
    prefix       text NOT NULL UNIQUE,
    -- secret_hash is the SHA-256 of the whole token, shown once.
    secret_hash  bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE TABLE admin_audit (
    id               uuid PRIMARY KEY,
    at               timestamptz NOT NULL,
    -- actor: "token oca_1a2b3c4d (name)" through the admin API, or
    -- "cli (os user)" from `outcall admin` on a machine with the database.
    actor            text NOT NULL,
    action           text NOT NULL,
    plan_id          text,
    target_tenant_id uuid,
    -- detail: what changed (the plan's fields, the previous plan, the reason).
    detail           jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX admin_audit_at_idx ON admin_audit (at, id);
CREATE INDEX admin_audit_tenant_idx ON admin_audit (target_tenant_id, at) WHERE target_tenant_id IS NOT NULL;

-- admin_tenants pages through every tenant, oldest first, after p_after
-- (NULL: from the start), with its usage in the month p_period starts.
CREATE FUNCTION admin_tenants(p_after uuid, p_limit int, p_period date)
RETURNS TABLE (tenant_id uuid, name text, plan text, suspended_at timestamptz, created_at timestamptz,
    calls bigint, minutes bigint, attempts bigint, amount_cents bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT t.id, t.name, t.plan, t.suspended_at, t.created_at,
        coalesce(u.calls, 0), coalesce(u.minutes, 0), coalesce(u.attempts, 0), coalesce(u.amount_cents, 0)
    FROM tenants t
    LEFT JOIN usage_periods u ON u.tenant_id = t.id AND u.period_start = p_period
    WHERE p_after IS NULL OR (t.created_at, t.id) > (SELECT a.created_at, a.id FROM tenants a WHERE a.id = p_after)
    ORDER BY t.created_at, t.id
    LIMIT p_limit
$$;

GRANT USAGE ON SCHEMA public TO outcall_definer;
GRANT SELECT ON tenants, usage_periods TO outcall_definer;
GRANT CREATE ON SCHEMA public TO outcall_definer;
ALTER FUNCTION admin_tenants(uuid, int, date) OWNER TO outcall_definer;
REVOKE CREATE ON SCHEMA public FROM outcall_definer;
REVOKE EXECUTE ON FUNCTION admin_tenants(uuid, int, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION admin_tenants(uuid, int, date) TO outcall_app;

---- create above / drop below ----

DROP FUNCTION IF EXISTS admin_tenants(uuid, int, date);
REVOKE SELECT ON tenants, usage_periods FROM outcall_definer;
DROP TABLE IF EXISTS admin_audit;
DROP TABLE IF EXISTS admin_tokens;
DROP INDEX IF EXISTS tenants_plan_idx;
ALTER TABLE tenants DROP CONSTRAINT IF EXISTS tenants_plan_fkey;
DROP TABLE IF EXISTS plans;
