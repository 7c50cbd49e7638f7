// The dashboard. Until campaigns run there are no numbers to chart, so a new
// tenant sees what to do first, in order.
import { ApiOutlined, CodeOutlined, ContactsOutlined, KeyOutlined, RocketOutlined, SafetyOutlined, TeamOutlined } from "@ant-design/icons";
import { Button, Card, Col, Empty, List, Row, Statistic, Tag, Typography } from "antd";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation, useNavigate } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import LazyChart from "../components/LazyChart";
import { SecretOnceModal } from "../components/SecretOnce";
import { money } from "./Billing";
import { useSession } from "../session/Session";

const steps = [
  { key: "team", icon: <TeamOutlined />, to: "/members", ready: true },
  { key: "compliance", icon: <SafetyOutlined />, to: "/compliance", ready: true },
  { key: "contacts", icon: <ContactsOutlined />, to: "/contacts", ready: true },
  { key: "script", icon: <CodeOutlined />, to: "/scripts", ready: true },
  { key: "campaign", icon: <RocketOutlined />, to: "/campaigns", ready: true },
  { key: "integrate", icon: <KeyOutlined />, to: "/api-keys", ready: true },
  { key: "webhooks", icon: <ApiOutlined />, to: "/webhooks", ready: true },
];

export default function DashboardPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const firstKey = (location.state as { firstKey?: string } | null)?.firstKey;
  const [showKey, setShowKey] = useState(Boolean(firstKey));
  const [usage, setUsage] = useState<Schemas["UsageBody"] | null>(null);
  const { i18n } = useTranslation();

  useEffect(() => {
    unwrap(api.GET("/v1/billing/usage"))
      .then(setUsage)
      .catch(() => setUsage(null));
  }, []);
  const today = new Date().toISOString().slice(0, 10);
  const todays = (usage?.by_day ?? []).find((d) => d.day.slice(0, 10) === today);
  const totals = usage?.totals;
  const stats: { key: string; value: string | number; testId: string }[] = [
    { key: "callsToday", value: usage ? (todays?.calls ?? 0) : "—", testId: "dash-calls-today" },
    { key: "connectedPeriod", value: totals ? totals.calls : "—", testId: "dash-connected" },
    { key: "minutes", value: totals ? totals.minutes : "—", testId: "dash-minutes" },
    { key: "spend", value: usage ? money(usage.estimated_cents, usage.currency, i18n.language) : "—", testId: "dash-spend" },
  ];
  const days = usage?.by_day ?? [];
  const chart = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { data: [t("dashboard.connected"), t("dashboard.minutesShort")] },
      grid: { left: 40, right: 16, top: 36, bottom: 30 },
      xAxis: { type: "category", data: days.map((d) => d.day.slice(5, 10)) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: t("dashboard.connected"), type: "bar", data: days.map((d) => d.calls), itemStyle: { color: "#1677ff" } },
        { name: t("dashboard.minutesShort"), type: "bar", data: days.map((d) => d.minutes), itemStyle: { color: "#91caff" } },
      ],
    }),
    [days, t],
  );

  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }} data-testid="page-title">
        {t("dashboard.welcome", { name: me?.tenant.name })}
      </Typography.Title>
      <Row gutter={[16, 16]}>
        {stats.map((s) => (
          <Col xs={12} md={6} key={s.key}>
            <Card>
              <Statistic title={t(`dashboard.${s.key}`)} value={s.value} valueRender={(v) => <span data-testid={s.testId}>{v}</span>} />
            </Card>
          </Col>
        ))}
      </Row>
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Col xs={24} lg={14}>
          <Card title={t("dashboard.getStarted")} data-testid="get-started">
            <List
              dataSource={steps}
              renderItem={(s, i) => (
                <List.Item
                  actions={[
                    s.ready ? (
                      <Link key="go" to={s.to}>
                        {t(`dashboard.steps.${s.key}.action`)}
                      </Link>
                    ) : (
                      <Tag key="soon" bordered={false}>
                        {t("nav.soon")}
                      </Tag>
                    ),
                  ]}
                >
                  <List.Item.Meta
                    avatar={s.icon}
                    title={`${i + 1}. ${t(`dashboard.steps.${s.key}.title`)}`}
                    description={t(`dashboard.steps.${s.key}.description`)}
                  />
                </List.Item>
              )}
            />
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <Card title={t("dashboard.chartsTitle")}>
            {days.some((d) => d.calls > 0 || d.attempts > 0) ? (
              <LazyChart option={chart} height={300} testId="dashboard-chart" />
            ) : (
              <Empty description={t("dashboard.noCallsYet")}>
                <Button onClick={() => navigate("/campaigns/new")}>{t("dashboard.startCampaign")}</Button>
              </Empty>
            )}
          </Card>
        </Col>
      </Row>
      <SecretOnceModal
        open={showKey && Boolean(firstKey)}
        title={t("dashboard.firstKeyTitle")}
        note={t("dashboard.firstKeyNote")}
        value={firstKey ?? ""}
        testId="first-key"
        onClose={() => {
          setShowKey(false);
          navigate(".", { replace: true, state: null });
        }}
      />
    </>
  );
}
