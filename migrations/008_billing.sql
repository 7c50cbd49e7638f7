-- Billing: the usage ledger (the source of truth for what a tenant used and
-- owes), each tenant's billing account (Stripe customer, subscription,
-- budgets, payment state), the notices billing raised, the Stripe events
-- already applied, and daily dial counts for the plans' daily caps.

-- usage_ledger holds one row per billable event. A connected call gives a
-- 'call_minutes' row (quantity = minutes, every started minute counted); a
-- plan with an attempt fee adds a 'call_attempt' row (quantity = 1). A call
-- has at most one row of each kind, so recording it twice changes nothing.
CREATE TABLE usage_ledger (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('call_minutes', 'call_attempt')),
    call_id           uuid NOT NULL,
    campaign_id       uuid,
    -- plan is the tenant's plan when the call ended; it prices the row.
    plan              text NOT NULL,
    quantity          bigint NOT NULL CHECK (quantity >= 0),
    connected_seconds integer NOT NULL DEFAULT 0 CHECK (connected_seconds >= 0),
    billable_seconds  integer NOT NULL DEFAULT 0 CHECK (billable_seconds >= 0),
    -- amount_cents is the estimated charge at the plan's list price.
    amount_cents      bigint NOT NULL DEFAULT 0,
    occurred_at       timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    -- stripe_status: 'pending' until Stripe accepted the meter event
    -- ('reported'); 'not_billed' for plans without a meter (trial);
    -- 'failed' when Stripe refused it for good (see report_error).
    stripe_status     text NOT NULL CHECK (stripe_status IN ('pending', 'reported', 'not_billed', 'failed')),
    reported_at       timestamptz,
    report_attempts   integer NOT NULL DEFAULT 0,
    next_report_at    timestamptz NOT NULL DEFAULT now(),
    report_error      text,
    UNIQUE (tenant_id, call_id, kind)
);
CREATE INDEX usage_ledger_period_idx ON usage_ledger (tenant_id, occurred_at);
CREATE INDEX usage_ledger_pending_idx ON usage_ledger (tenant_id, next_report_at) WHERE stripe_status = 'pending';

-- usage_periods keeps each tenant's running totals per calendar month
-- (UTC), updated with every ledger row, so budgets are checked without
-- summing the ledger on every dial.
CREATE TABLE usage_periods (
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    period_start  date NOT NULL,
    calls         bigint NOT NULL DEFAULT 0,
    minutes       bigint NOT NULL DEFAULT 0,
    attempts      bigint NOT NULL DEFAULT 0,
    amount_cents  bigint NOT NULL DEFAULT 0,
    -- trial_minutes counts the minutes used while on the trial plan.
    trial_minutes bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, period_start)
);

CREATE TABLE billing_accounts (
    tenant_id              uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    stripe_customer_id     text UNIQUE,
    stripe_subscription_id text,
    subscription_status    text,
    -- subscription_event_at is the creation time of the newest Stripe
    -- subscription event applied; older ones arriving late are ignored.
    subscription_event_at  timestamptz,
    -- budget_cents raises usage.threshold_reached at 80 % and 100 % of it
    -- in a period; hard_budget_cents stops new dials when reached.
    budget_cents           bigint CHECK (budget_cents > 0),
    hard_budget_cents      bigint CHECK (hard_budget_cents > 0),
    -- payment_failed_at is set by invoice.payment_failed and cleared by
    -- invoice.paid; dialling stops at payment_grace_until.
    payment_failed_at      timestamptz,
    payment_grace_until    timestamptz,
    payment_event_at       timestamptz,
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- billing_notices are what billing told the tenant: thresholds reached,
-- payments failed. A threshold is raised once per period.
CREATE TABLE billing_notices (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind         text NOT NULL,
    period_start date NOT NULL,
    message      text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, kind, period_start)
);

-- stripe_events remembers every Stripe event applied, so a replay changes
-- nothing.
CREATE TABLE stripe_events (
    event_id     text PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    type         text NOT NULL,
    created      timestamptz NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stripe_events_tenant_idx ON stripe_events (tenant_id, processed_at);

-- dial_counts counts the dials a tenant started per day (in its time zone),
-- for the plan's daily call cap.
CREATE TABLE dial_counts (
    tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day       date NOT NULL,
    dials     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['usage_ledger', 'usage_periods', 'billing_accounts', 'billing_notices', 'stripe_events', 'dial_counts'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END $$;

-- The usage reporter works across tenants: it asks which tenants have
-- usage due for Stripe, then reports each in that tenant's own transaction.
CREATE FUNCTION billing_tenants_with_pending_usage(p_limit int)
RETURNS TABLE (tenant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT DISTINCT l.tenant_id FROM usage_ledger l
    JOIN billing_accounts a ON a.tenant_id = l.tenant_id AND a.stripe_customer_id IS NOT NULL
    WHERE l.stripe_status = 'pending' AND l.next_report_at <= now()
    LIMIT p_limit
$$;

-- A Stripe webhook names a customer, not a tenant.
CREATE FUNCTION billing_tenant_by_customer(p_customer text)
RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT tenant_id FROM billing_accounts WHERE stripe_customer_id = p_customer
$$;

---- create above / drop below ----

DROP FUNCTION IF EXISTS billing_tenant_by_customer(text);
DROP FUNCTION IF EXISTS billing_tenants_with_pending_usage(int);
DROP TABLE IF EXISTS dial_counts;
DROP TABLE IF EXISTS stripe_events;
DROP TABLE IF EXISTS billing_notices;
DROP TABLE IF EXISTS billing_accounts;
DROP TABLE IF EXISTS usage_periods;
DROP TABLE IF EXISTS usage_ledger;
