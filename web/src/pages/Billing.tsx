// Billing and usage: the plan, what this month used and will cost, usage per
// day, budgets, and subscribing or managing payment on Stripe's pages.
import { Alert, App, Button, Card, Col, Descriptions, Empty, Form, InputNumber, Row, Space, Statistic, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { problemMessage, showProblem } from "../components/forms";
import LazyChart from "../components/LazyChart";
import { useSession } from "../session/Session";

type Billing = Schemas["BillingBody"];
type Usage = Schemas["UsageBody"];
type Plan = Schemas["PlanBody"];

export function money(cents: number | null | undefined, currency = "usd", lang = "zh-CN"): string {
  if (cents === null || cents === undefined) return "—";
  return new Intl.NumberFormat(lang === "en" ? "en-US" : "zh-CN", { style: "currency", currency: currency.toUpperCase() }).format(cents / 100);
}

export default function BillingPage() {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const [billing, setBilling] = useState<Billing | null>(null);
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [b, u] = await Promise.all([unwrap(api.GET("/v1/billing")), unwrap(api.GET("/v1/billing/usage"))]);
      setBilling(b);
      setUsage(u);
      setError(null);
    } catch (e) {
      setError(problemMessage(e, t));
    }
  }, [t]);
  useEffect(() => {
    void load();
  }, [load]);

  const isOwner = atLeast(me?.role, "owner");
  const currency = billing?.plan.currency ?? usage?.currency ?? "usd";
  const m = (c: number | null | undefined) => money(c, currency, i18n.language);
  const here = `${window.location.origin}/billing`;

  const checkout = async (plan: "payg" | "pro") => {
    setBusy(plan);
    try {
      const r = await unwrap(api.POST("/v1/billing/checkout", { body: { plan, success_url: `${here}?subscribed=1`, cancel_url: here } }));
      window.location.assign(r.url);
    } catch (e) {
      message.error(problemMessage(e, t));
    } finally {
      setBusy(null);
    }
  };
  const portal = async () => {
    setBusy("portal");
    try {
      const r = await unwrap(api.POST("/v1/billing/portal", { body: { return_url: here } }));
      window.location.assign(r.url);
    } catch (e) {
      message.error(problemMessage(e, t));
    } finally {
      setBusy(null);
    }
  };

  const chart = useMemo(() => {
    const days = usage?.by_day ?? [];
    return {
      tooltip: { trigger: "axis" },
      legend: { data: [t("billing.minutes"), t("billing.calls")] },
      grid: { left: 40, right: 40, top: 40, bottom: 30 },
      xAxis: { type: "category", data: days.map((d) => d.day.slice(5)) },
      yAxis: [{ type: "value", name: t("billing.minutes") }, { type: "value", name: t("billing.calls") }],
      series: [
        { name: t("billing.minutes"), type: "bar", data: days.map((d) => d.minutes), itemStyle: { color: "#1677ff" } },
        { name: t("billing.calls"), type: "line", yAxisIndex: 1, data: days.map((d) => d.calls), itemStyle: { color: "#52c41a" } },
      ],
    };
  }, [usage, t]);

  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }} data-testid="page-title">
        {t("nav.billing")}
      </Typography.Title>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      {billing && !billing.can_dial && (
        <Alert type="warning" showIcon style={{ marginBottom: 16 }} title={t("billing.dialsStopped")} description={billing.dial_refusal_message} />
      )}
      {billing && !billing.enabled && <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t("billing.stripeOff")} />}
      {(billing?.notices ?? []).slice(0, 3).map((n) => (
        <Alert key={n.id} type={n.kind === "payment_failed" ? "error" : "warning"} showIcon style={{ marginBottom: 16 }} title={n.message} />
      ))}
      <Row gutter={[16, 16]}>
        <Col xs={24} md={6}>
          <Card loading={!usage}>
            <Statistic title={t("billing.estimated")} value={m(usage?.estimated_cents)} data-testid="billing-estimated" />
            <Typography.Text type="secondary">
              {usage && t("billing.period", { start: usage.period_start, end: usage.period_end })}
            </Typography.Text>
          </Card>
        </Col>
        <Col xs={8} md={6}>
          <Card loading={!usage}>
            <Statistic title={t("billing.calls")} value={usage?.totals.calls ?? 0} />
          </Card>
        </Col>
        <Col xs={8} md={6}>
          <Card loading={!usage}>
            <Statistic title={t("billing.minutes")} value={usage?.totals.minutes ?? 0} />
          </Card>
        </Col>
        <Col xs={8} md={6}>
          <Card loading={!usage}>
            <Statistic title={t("billing.attempts")} value={usage?.totals.attempts ?? 0} />
          </Card>
        </Col>
        <Col xs={8} md={8}>
          <Card loading={!usage} size="small">
            <Statistic title={t("billing.agentMinutes")} value={Math.ceil((usage?.totals.agent_seconds ?? 0) / 60)} data-testid="billing-agent-minutes" />
          </Card>
        </Col>
        <Col xs={8} md={8}>
          <Card loading={!usage} size="small">
            <Statistic title={t("billing.smsMessages")} value={usage?.totals.sms_messages ?? 0} data-testid="billing-sms" />
          </Card>
        </Col>
        <Col xs={8} md={8}>
          <Card loading={!usage} size="small">
            <Statistic title={t("billing.modelTokens")} value={usage?.totals.model_tokens ?? 0} data-testid="billing-model-tokens" />
          </Card>
        </Col>
      </Row>
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Col xs={24} lg={14}>
          <Card title={t("billing.usageByDay")}>
            {usage && (usage.by_day ?? []).length > 0 ? (
              <LazyChart option={chart} testId="usage-chart" />
            ) : (
              <Empty description={t("billing.noUsage")} />
            )}
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <Card
            title={t("billing.plan")}
            loading={!billing}
            extra={billing?.subscribed && <Tag color="green">{billing.subscription_status || t("billing.subscribed")}</Tag>}
          >
            {billing && (
              <>
                <Descriptions column={1} size="small">
                  <Descriptions.Item label={t("billing.planName")}>
                    <Typography.Text strong data-testid="plan-title">
                      {billing.plan.title}
                    </Typography.Text>
                  </Descriptions.Item>
                  <Descriptions.Item label={t("billing.lines")}>{billing.plan.concurrent_lines}</Descriptions.Item>
                  <Descriptions.Item label={t("billing.dailyCalls")}>{billing.plan.daily_calls}</Descriptions.Item>
                  <Descriptions.Item label={t("billing.perMinute")}>{m(billing.plan.per_minute_cents)}</Descriptions.Item>
                  <Descriptions.Item label={t("billing.perAttempt")}>{m(billing.plan.per_attempt_cents)}</Descriptions.Item>
                  <Descriptions.Item label={t("billing.monthly")}>{m(billing.plan.monthly_cents)}</Descriptions.Item>
                  {billing.plan.included_minutes > 0 && (
                    <Descriptions.Item label={t("billing.included")}>{billing.plan.included_minutes}</Descriptions.Item>
                  )}
                </Descriptions>
                <Space wrap style={{ marginTop: 12 }}>
                  {billing.subscribed ? (
                    <Button onClick={portal} loading={busy === "portal"} disabled={!billing.enabled || !isOwner}>
                      {t("billing.manage")}
                    </Button>
                  ) : (
                    (["payg", "pro"] as const).map((p) => (
                      <Button key={p} type={p === "pro" ? "primary" : "default"} onClick={() => checkout(p)} loading={busy === p} disabled={!billing.enabled || !isOwner}>
                        {t("billing.subscribeTo", { plan: billing.plans?.find((x) => x.name === p)?.title ?? p })}
                      </Button>
                    ))
                  )}
                </Space>
                {!isOwner && (
                  <div style={{ marginTop: 8 }}>
                    <Typography.Text type="secondary">{t("billing.ownerOnly")}</Typography.Text>
                  </div>
                )}
              </>
            )}
          </Card>
        </Col>
      </Row>
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Col xs={24} lg={14}>
          <Card title={t("billing.plans")}>
            <Table<Plan>
              rowKey="name"
              size="small"
              pagination={false}
              dataSource={billing?.plans ?? []}
              columns={[
                { title: t("billing.planName"), dataIndex: "title", render: (v: string, p) => (p.name === billing?.plan.name ? <Tag color="blue">{v}</Tag> : v) },
                { title: t("billing.lines"), dataIndex: "concurrent_lines" },
                { title: t("billing.perMinute"), dataIndex: "per_minute_cents", render: m },
                { title: t("billing.monthly"), dataIndex: "monthly_cents", render: m },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <BudgetCard billing={billing} currency={currency} disabled={!isOwner} onSaved={load} />
        </Col>
      </Row>
    </>
  );
}

function BudgetCard({ billing, currency, disabled, onSaved }: { billing: Billing | null; currency: string; disabled: boolean; onSaved: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  // The fields carry the API's names (so its errors land on them) but show
  // currency units, not cents.
  const [form] = Form.useForm<{ budget_cents?: number | null; hard_budget_cents?: number | null }>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (billing)
      form.setFieldsValue({
        budget_cents: billing.budget_cents != null ? billing.budget_cents / 100 : null,
        hard_budget_cents: billing.hard_budget_cents != null ? billing.hard_budget_cents / 100 : null,
      });
  }, [billing, form]);
  const cents = (v?: number | null) => (v === null || v === undefined ? null : Math.round(v * 100));
  const submit = async (v: { budget_cents?: number | null; hard_budget_cents?: number | null }) => {
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.PUT("/v1/billing/budget", { body: { budget_cents: cents(v.budget_cents), hard_budget_cents: cents(v.hard_budget_cents) } }));
      message.success(t("billing.budgetSaved"));
      onSaved();
    } catch (e) {
      setError(showProblem(form, e, ["budget_cents", "hard_budget_cents"], t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t("billing.budgets")}>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={submit} disabled={disabled}>
        <Form.Item name="budget_cents" label={t("billing.budget")} extra={t("billing.budgetHint")}>
          <InputNumber min={0.01} step={10} addonAfter={currency.toUpperCase()} style={{ width: "100%" }} />
        </Form.Item>
        <Form.Item name="hard_budget_cents" label={t("billing.hardBudget")} extra={t("billing.hardBudgetHint")}>
          <InputNumber min={0.01} step={10} addonAfter={currency.toUpperCase()} style={{ width: "100%" }} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t("common.save")}
        </Button>
      </Form>
    </Card>
  );
}
