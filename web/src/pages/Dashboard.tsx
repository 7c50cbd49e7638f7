// The dashboard: what a manager reads at a glance. Today's and this
// period's calls, connect rate, conversions and transfers come from the
// outcomes report, minutes and spend from the usage ledger; calls per hour
// today from the time report (hours in the callee's time), the funnel of the
// script version most calls connected with, and how callees sounded. Until
// campaigns run there are no numbers to read, so a new tenant sees what to
// do first, in order.
import { ApiOutlined, CodeOutlined, ContactsOutlined, KeyOutlined, RocketOutlined, SafetyOutlined, TeamOutlined } from "@ant-design/icons";
import { Button, Card, Col, Empty, List, Row, Statistic, Typography } from "antd";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation, useNavigate } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import LazyChart from "../components/LazyChart";
import { SecretOnceModal } from "../components/SecretOnce";
import { money } from "./Billing";
import { busiestVersion, hours, periodFrom, todayFrom } from "./dashboardView";
import { usePublishedVersions } from "./publishedVersions";
import { percent } from "./reportsView";
import { useSession } from "../session/Session";
const steps = [
  { key: "team", icon: <TeamOutlined />, to: "/members" },
  { key: "compliance", icon: <SafetyOutlined />, to: "/compliance" },
  { key: "contacts", icon: <ContactsOutlined />, to: "/contacts" },
  { key: "script", icon: <CodeOutlined />, to: "/scripts" },
  { key: "campaign", icon: <RocketOutlined />, to: "/campaigns" },
  { key: "integrate", icon: <KeyOutlined />, to: "/api-keys" },
  { key: "webhooks", icon: <ApiOutlined />, to: "/webhooks" },
];

type Outcomes = Schemas["OutcomesReportBody"];
type Figures = {
  today: Outcomes;
  period: Outcomes;
  hours: Schemas["TimeSlotBody"][];
  sentiment: Schemas["SentimentReportBody"];
  funnel: Schemas["FunnelReportBody"] | null;
};

const moods = ["angry", "negative", "neutral", "positive"] as const;
const moodColor: Record<(typeof moods)[number], string> = { angry: "#cf1322", negative: "#fa8c16", neutral: "#bfbfbf", positive: "#52c41a" };

/** Reads the dashboard's reports: the usage first, for the period's first day. */
async function loadFigures(periodStart: string | undefined): Promise<Figures> {
  const today = { params: { query: { from: todayFrom() } } };
  const period = { params: { query: { from: periodFrom(periodStart) } } };
  const [t, p, time, sentiment, ab] = await Promise.all([
    unwrap(api.GET("/v1/reports/outcomes", today)),
    unwrap(api.GET("/v1/reports/outcomes", period)),
    unwrap(api.GET("/v1/reports/time", today)),
    unwrap(api.GET("/v1/reports/sentiment", period)),
    unwrap(api.GET("/v1/reports/ab", period)),
  ]);
  const version = busiestVersion(ab.arms ?? []);
  const funnel = version ? await unwrap(api.GET("/v1/reports/funnel", { params: { query: { ...period.params.query, script_version: version } } })).catch(() => null) : null;
  return { today: t, period: p, hours: time.by_hour ?? [], sentiment, funnel };
}

function OutcomeStats({ o, prefix, extra }: { o: Outcomes | undefined; prefix: string; extra?: { key: string; value: string | number; testId: string }[] }) {
  const { t } = useTranslation();
  const stats = [
    { key: "dialled", value: o ? o.dialled : "—", testId: `${prefix}-dialled` },
    { key: "connectedCalls", value: o ? o.connected : "—", testId: `${prefix}-connected` },
    { key: "connectRate", value: o ? percent(o.connect_rate) : "—", testId: `${prefix}-rate` },
    { key: "conversions", value: o ? o.conversions : "—", testId: `${prefix}-conversions` },
    { key: "transfers", value: o ? o.transfers : "—", testId: `${prefix}-transfers` },
    ...(extra ?? []),
  ];
  return (
    <Row gutter={[16, 16]}>
      {stats.map((s) => (
        <Col xs={12} sm={8} md={stats.length > 5 ? 6 : 8} xl={stats.length > 5 ? 3 : 4} key={s.key}>
          <Statistic title={t(`dashboard.${s.key}`)} value={s.value} valueRender={(v) => <span data-testid={s.testId}>{v}</span>} />
        </Col>
      ))}
    </Row>
  );
}

export default function DashboardPage() {
  const { t, i18n } = useTranslation();
  const { me } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const firstKey = (location.state as { firstKey?: string } | null)?.firstKey;
  const [showKey, setShowKey] = useState(Boolean(firstKey));
  const [usage, setUsage] = useState<Schemas["UsageBody"] | null>(null);
  const [figures, setFigures] = useState<Figures | null>(null);
  const [loaded, setLoaded] = useState(false);
  const { labelOf } = usePublishedVersions();

  useEffect(() => {
    let gone = false;
    (async () => {
      const u = await unwrap(api.GET("/v1/billing/usage")).catch(() => null);
      if (gone) return;
      setUsage(u);
      const f = await loadFigures(u?.period_start).catch(() => null);
      if (gone) return;
      setFigures(f);
      setLoaded(true);
    })();
    return () => {
      gone = true;
    };
  }, []);

  const hasCalls = Boolean(figures && figures.period.attempts > 0) || (usage?.by_day ?? []).some((d) => d.calls > 0 || d.attempts > 0);
  const perHour = useMemo(() => hours(figures?.hours ?? []), [figures]);
  const hourChart = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [t("dashboard.dialled"), t("dashboard.connectedCalls")] },
      grid: { left: 40, right: 16, top: 36, bottom: 30 },
      xAxis: { type: "category", data: perHour.map((h) => `${String(h.slot).padStart(2, "0")}:00`) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: t("dashboard.dialled"), type: "bar", data: perHour.map((h) => h.dialled), itemStyle: { color: "#91caff" } },
        { name: t("dashboard.connectedCalls"), type: "bar", data: perHour.map((h) => h.connected), itemStyle: { color: "#1677ff" } },
      ],
    }),
    [perHour, t],
  );
  const funnelStates = figures?.funnel?.states ?? [];
  const funnelChart = useMemo(
    () => ({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, data: [t("dashboard.entered"), t("dashboard.dropped")] },
      grid: { left: 110, right: 24, top: 36, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: funnelStates.map((s) => s.state), axisLabel: { width: 100, overflow: "truncate" } },
      series: [
        { name: t("dashboard.entered"), type: "bar", data: funnelStates.map((s) => s.entered), itemStyle: { color: "#1677ff" } },
        { name: t("dashboard.dropped"), type: "bar", data: funnelStates.map((s) => s.dropped), itemStyle: { color: "#ff7875" } },
      ],
    }),
    [funnelStates, t],
  );
  const sentimentCalls = figures?.sentiment.calls;
  const sentimentChart = useMemo(
    () => ({
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0, data: moods.map((m) => t(`reports.sentiment.${m}`)) },
      series: [
        {
          type: "pie",
          radius: ["40%", "70%"],
          label: { formatter: "{b} {c}" },
          top: -20,
          // Moods no call had are left out, so their labels do not pile up at zero.
          data: moods
            .filter((m) => (sentimentCalls?.[m] ?? 0) > 0)
            .map((m) => ({ name: t(`reports.sentiment.${m}`), value: sentimentCalls![m], itemStyle: { color: moodColor[m] } })),
        },
      ],
    }),
    [sentimentCalls, t],
  );
  const period = usage ? `${usage.period_start.slice(0, 10)} – ${new Date().toISOString().slice(0, 10)}` : "";
  const getStarted = (
    <Card title={t("dashboard.getStarted")} data-testid="get-started">
      <List
        dataSource={steps}
        renderItem={(s, i) => (
          <List.Item
            actions={[
              <Link key="go" to={s.to}>
                {t(`dashboard.steps.${s.key}.action`)}
              </Link>,
            ]}
          >
            <List.Item.Meta avatar={s.icon} title={`${i + 1}. ${t(`dashboard.steps.${s.key}.title`)}`} description={t(`dashboard.steps.${s.key}.description`)} />
          </List.Item>
        )}
      />
    </Card>
  );

  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }} data-testid="page-title">
        {t("dashboard.welcome", { name: me?.tenant.name })}
      </Typography.Title>
      <Card title={t("dashboard.today")} size="small" loading={!loaded} data-testid="dash-today">
        <OutcomeStats o={figures?.today} prefix="dash-today" />
      </Card>
      <Card title={t("dashboard.period", { period })} size="small" loading={!loaded} style={{ marginTop: 16 }} data-testid="dash-period">
        <OutcomeStats
          o={figures?.period}
          prefix="dash-period"
          extra={[
            { key: "minutes", value: usage ? usage.totals.minutes : "—", testId: "dash-minutes" },
            { key: "spend", value: usage ? money(usage.estimated_cents, usage.currency, i18n.language) : "—", testId: "dash-spend" },
          ]}
        />
      </Card>
      {loaded && !hasCalls ? (
        <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
          <Col xs={24} lg={14}>
            {getStarted}
          </Col>
          <Col xs={24} lg={10}>
            <Card title={t("dashboard.chartsTitle")}>
              <Empty description={t("dashboard.noCallsYet")}>
                <Button onClick={() => navigate("/campaigns/new")}>{t("dashboard.startCampaign")}</Button>
              </Empty>
            </Card>
          </Col>
        </Row>
      ) : (
        loaded && (
          <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
            <Col xs={24} xl={12}>
              <Card title={t("dashboard.perHour")} extra={<Typography.Text type="secondary">{t("dashboard.perHourHint")}</Typography.Text>}>
                {perHour.some((h) => h.dialled > 0) ? <LazyChart option={hourChart} height={280} testId="dashboard-chart" /> : <Empty description={t("dashboard.noCallsToday")} />}
              </Card>
            </Col>
            <Col xs={24} xl={12}>
              <Card title={t("dashboard.sentiment")}>
                {sentimentCalls && moods.some((m) => sentimentCalls[m] > 0) ? (
                  <LazyChart option={sentimentChart} height={280} testId="dashboard-sentiment" />
                ) : (
                  <Empty description={t("dashboard.noSentiment")} />
                )}
              </Card>
            </Col>
            <Col xs={24}>
              <Card
                title={t("dashboard.funnel")}
                extra={figures?.funnel && (
                    <Link
                      to={`/reports?tab=funnel&script_version=${encodeURIComponent(figures.funnel.script_version)}`}
                      data-testid="dashboard-funnel-version"
                      data-version={figures.funnel.script_version}
                    >
                      {labelOf(figures.funnel.script_version)}
                    </Link>
                  )}
              >
                {funnelStates.length ? <LazyChart option={funnelChart} height={Math.max(200, 36 * funnelStates.length + 60)} testId="dashboard-funnel" /> : <Empty description={t("dashboard.noFunnel")} />}
              </Card>
            </Col>
          </Row>
        )
      )}
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
