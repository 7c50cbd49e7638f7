// The reports: what works. Outcomes (接通率, conversions, transfers,
// refusals), the funnel per dialog state (流失率), topics, sentiment, the best
// hours to call in the callee's local time and A/B verdicts, each for the
// filters in the URL (so a view can be shared) and each downloadable as CSV.
// Admins also set what counts as a conversion here.
import { DownloadOutlined } from "@ant-design/icons";
import { Alert, App, AutoComplete, Button, Card, Col, Empty, Form, Input, Row, Segmented, Select, Skeleton, Space, Statistic, Table, Tabs, Tag, Typography } from "antd";
import { lazy, Suspense, useCallback, useEffect, useMemo, useState, type ComponentProps } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { ApiError } from "../api/problem";
import { formatTime } from "../format";
import { problemMessage } from "../components/forms";
import { useSession } from "../session/Session";
import {
  apiQuery,
  bestSlot,
  csvHref,
  filterKeys,
  filtersFromSearch,
  hourLabel,
  minCallsForVerdict,
  percent,
  points,
  signedPoints,
  verdict,
  type ReportFilters,
} from "./reportsView";

const Chart = lazy(() => import("./ReportsChart"));

function ReportChart(props: ComponentProps<typeof Chart>) {
  return (
    <Suspense fallback={<Skeleton.Node active style={{ width: "100%", height: props.height ?? 280 }} />}>
      <Chart {...props} />
    </Suspense>
  );
}

type Outcomes = Schemas["OutcomesReportBody"];
type Funnel = Schemas["FunnelReportBody"];
type Topics = Schemas["TopicsReportBody"];
type Sentiment = Schemas["SentimentReportBody"];
type TimeReport = Schemas["TimeReportBody"];
type AB = Schemas["ABReportBody"];
type Hygiene = Schemas["HygieneReportBody"];
type Slot = Schemas["TimeSlotBody"];
type Cell = Schemas["TimeCellBody"];
type FunnelState = Schemas["FunnelStateBody"];

type Loaded<T> = { data?: T; error?: string; status?: number };

type Reports = {
  outcomes: Loaded<Outcomes>;
  funnel: Loaded<Funnel>;
  topics: Loaded<Topics>;
  sentiment: Loaded<Sentiment>;
  time: Loaded<TimeReport>;
  ab: Loaded<AB>;
  "list-hygiene": Loaded<Hygiene>;
};

function CsvButton({ name, filters, label }: { name: string; filters: ReportFilters; label?: string }) {
  const { t } = useTranslation();
  return (
    <Button icon={<DownloadOutlined />} href={csvHref(name, filters)} download={`${name}.csv`} data-testid={`csv-${name}`}>
      {label ?? t("reports.csv")}
    </Button>
  );
}

/** The filters bar; every change goes into the URL. */
function FiltersBar({ filters, onChange }: { filters: ReportFilters; onChange: (f: ReportFilters) => void }) {
  const { t } = useTranslation();
  const [campaigns, setCampaigns] = useState<Schemas["CampaignBody"][]>([]);
  const [lists, setLists] = useState<Schemas["ListBody"][]>([]);
  const [versions, setVersions] = useState<{ value: string; label: string }[]>([]);
  const [segment, setSegment] = useState(filters.segment ?? "");
  useEffect(() => setSegment(filters.segment ?? ""), [filters.segment]);

  useEffect(() => {
    unwrap(api.GET("/v1/campaigns", { params: { query: { limit: 100 } } }))
      .then((r) => setCampaigns(r.items ?? []))
      .catch(() => setCampaigns([]));
    unwrap(api.GET("/v1/lists", { params: { query: { limit: 100 } } }))
      .then((r) => setLists(r.items ?? []))
      .catch(() => setLists([]));
    unwrap(api.GET("/v1/scripts", { params: { query: { limit: 100, kind: "dialog" } } }))
      .then(async (r) => {
        const all = await Promise.all(
          (r.items ?? []).map((s) =>
            unwrap(api.GET("/v1/scripts/{script_id}/versions", { params: { path: { script_id: s.id } } }))
              .then((v) => (v.items ?? []).map((x) => ({ value: x.id, label: t("reports.filters.versionLabel", { script: s.name, number: x.number }) })))
              .catch(() => []),
          ),
        );
        setVersions(all.flat());
      })
      .catch(() => setVersions([]));
  }, [t]);

  // Versions a campaign uses but the scripts list did not name (still selectable).
  const versionOptions = useMemo(() => {
    const known = new Set(versions.map((v) => v.value));
    const extra = new Set<string>();
    for (const c of campaigns) {
      for (const v of [c.script_version, ...Object.values(c.segment_versions ?? {}), ...(c.ab_split ?? []).map((a) => a.version)]) if (v && !known.has(v)) extra.add(v);
    }
    return [...versions, ...[...extra].map((v) => ({ value: v, label: v }))];
  }, [versions, campaigns]);
  const segmentOptions = useMemo(() => {
    const s = new Set<string>();
    for (const c of campaigns) {
      for (const k of Object.keys(c.segment_versions ?? {})) s.add(k);
      for (const k of c.segmentation?.filter ?? []) s.add(k);
    }
    return [...s].sort().map((value) => ({ value }));
  }, [campaigns]);

  const set = (k: keyof ReportFilters, v: string | undefined) => onChange({ ...filters, [k]: v || undefined });
  const commitSegment = () => {
    if ((filters.segment ?? "") !== segment.trim()) set("segment", segment.trim());
  };
  const clearable = filterKeys.some((k) => filters[k]);

  return (
    <Card size="small" style={{ marginBottom: 16 }} data-testid="report-filters">
      <Form layout="inline" style={{ rowGap: 8 }}>
        <Form.Item label={t("reports.filters.from")}>
          <Input type="date" value={filters.from ?? ""} max={filters.to} onChange={(e) => set("from", e.target.value)} data-testid="filter-from" style={{ width: 150 }} />
        </Form.Item>
        <Form.Item label={t("reports.filters.to")}>
          <Input type="date" value={filters.to ?? ""} min={filters.from} onChange={(e) => set("to", e.target.value)} data-testid="filter-to" style={{ width: 150 }} />
        </Form.Item>
        <Form.Item label={t("reports.filters.campaign")}>
          <Select
            allowClear
            showSearch={{ optionFilterProp: "label" }}
            placeholder={t("reports.filters.all")}
            style={{ width: 200 }}
            value={filters.campaign_id}
            onChange={(v) => set("campaign_id", v)}
            options={campaigns.map((c) => ({ value: c.id, label: c.name }))}
            data-testid="filter-campaign"
          />
        </Form.Item>
        <Form.Item label={t("reports.filters.scriptVersion")}>
          <Select
            allowClear
            showSearch={{ optionFilterProp: "label" }}
            placeholder={t("reports.filters.all")}
            style={{ width: 200 }}
            value={filters.script_version}
            onChange={(v) => set("script_version", v)}
            options={versionOptions}
            data-testid="filter-version"
          />
        </Form.Item>
        <Form.Item label={t("reports.filters.segment")}>
          <AutoComplete
            allowClear
            placeholder={t("reports.filters.all")}
            style={{ width: 150 }}
            value={segment}
            options={segmentOptions}
            onChange={(v) => setSegment(v ?? "")}
            onSelect={(v: string) => set("segment", v)}
            onClear={() => set("segment", undefined)}
            onBlur={commitSegment}
            onKeyDown={(e) => e.key === "Enter" && commitSegment()}
            data-testid="filter-segment"
          />
        </Form.Item>
        <Form.Item label={t("reports.filters.list")}>
          <Select
            allowClear
            showSearch={{ optionFilterProp: "label" }}
            placeholder={t("reports.filters.all")}
            style={{ width: 180 }}
            value={filters.list_id}
            onChange={(v) => set("list_id", v)}
            options={lists.map((l) => ({ value: l.id, label: l.name }))}
            data-testid="filter-list"
          />
        </Form.Item>
        {clearable && (
          <Form.Item>
            <Button onClick={() => onChange({})} data-testid="filter-clear">
              {t("reports.filters.clear")}
            </Button>
          </Form.Item>
        )}
      </Form>
    </Card>
  );
}

function ReportError({ loaded }: { loaded: Loaded<unknown> }) {
  return loaded.error ? <Alert type="error" showIcon title={loaded.error} style={{ marginBottom: 16 }} /> : null;
}

function OutcomesReport({ r }: { r: Outcomes }) {
  const { t } = useTranslation();
  const s = t("reports.outcomes.seconds");
  const stats: { key: string; title: string; value: number | string; suffix?: string; precision?: number }[] = [
    { key: "attempts", title: t("reports.outcomes.attempts"), value: r.attempts },
    { key: "dialled", title: t("reports.outcomes.dialled"), value: r.dialled },
    { key: "connected", title: t("reports.outcomes.connected"), value: r.connected },
    { key: "connect-rate", title: t("reports.outcomes.connectRate"), value: percent(r.connect_rate) },
    { key: "conversions", title: t("reports.outcomes.conversions"), value: r.conversions },
    { key: "conversion-rate", title: t("reports.outcomes.conversionRate"), value: percent(r.conversion_rate) },
    { key: "transfers", title: t("reports.outcomes.transfers"), value: r.transfers },
    { key: "dnc", title: t("reports.outcomes.doNotCall"), value: r.do_not_call },
    { key: "refused", title: t("reports.outcomes.refused"), value: r.refused },
    { key: "talk", title: t("reports.outcomes.avgTalk"), value: r.avg_talk_seconds, suffix: s, precision: 1 },
    { key: "silence", title: t("reports.outcomes.avgSilence"), value: r.avg_silence_seconds, suffix: s, precision: 1 },
    { key: "turns", title: t("reports.outcomes.turnsPerCall"), value: r.turns_per_call, precision: 1 },
  ];
  const rows = (m: Record<string, number> | undefined, total: number) =>
    Object.entries(m ?? {})
      .sort((a, b) => b[1] - a[1])
      .map(([key, count]) => ({ key, count, share: total > 0 ? percent(count / total) : "—" }));
  const byOutcome = rows(r.by_outcome, r.dialled);
  const byReason = rows(r.refused_by_reason, r.refused);
  return (
    <>
      <Row gutter={[16, 16]}>
        {stats.map((st) => (
          <Col key={st.key} xs={12} md={8} xl={4}>
            <Card size="small" data-testid={`stat-${st.key}`}>
              <Statistic title={st.title} value={st.value} suffix={st.suffix} precision={st.precision} />
            </Card>
          </Col>
        ))}
      </Row>
      <Row gutter={16} style={{ marginTop: 16 }}>
        <Col xs={24} md={12}>
          <Card size="small" title={t("reports.outcomes.byOutcome")}>
            <Table
              size="small"
              pagination={false}
              dataSource={byOutcome}
              locale={{ emptyText: t("reports.outcomes.none") }}
              columns={[
                { title: t("reports.outcomes.outcome"), dataIndex: "key", render: (v: string) => <Tag>{v}</Tag> },
                { title: t("reports.outcomes.count"), dataIndex: "count", align: "right" },
                { title: t("reports.outcomes.share"), dataIndex: "share", align: "right" },
              ]}
              data-testid="outcomes-table"
            />
          </Card>
        </Col>
        <Col xs={24} md={12}>
          <Card size="small" title={t("reports.outcomes.byReason")}>
            <Table
              size="small"
              pagination={false}
              dataSource={byReason}
              locale={{ emptyText: t("reports.outcomes.none") }}
              columns={[
                { title: t("reports.outcomes.reason"), dataIndex: "key", render: (v: string) => <Tag color="orange">{v}</Tag> },
                { title: t("reports.outcomes.count"), dataIndex: "count", align: "right" },
                { title: t("reports.outcomes.share"), dataIndex: "share", align: "right" },
              ]}
              data-testid="refusals-table"
            />
          </Card>
        </Col>
      </Row>
    </>
  );
}

function FunnelReport({ loaded, versionName }: { loaded: Loaded<Funnel>; versionName: (v: string) => string }) {
  const { t } = useTranslation();
  if (loaded.status === 422) return <Alert type="info" showIcon title={t("reports.funnel.chooseVersion")} data-testid="funnel-choose-version" />;
  if (!loaded.data) return <ReportError loaded={loaded} />;
  const r = loaded.data;
  const states = r.states ?? [];
  if (!r.script_version && states.length === 0) return <Empty description={t("reports.funnel.noVersion")} />;
  const option = {
    tooltip: { trigger: "axis" },
    grid: { left: 120, right: 24, top: 16, bottom: 24 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: states.map((s) => s.state) },
    series: [
      { name: t("reports.funnel.entered"), type: "bar", stack: "a", data: states.map((s) => s.entered - s.dropped), itemStyle: { color: "#1677ff" } },
      { name: t("reports.funnel.dropped"), type: "bar", stack: "a", data: states.map((s) => s.dropped), itemStyle: { color: "#ff7875" } },
    ],
  };
  return (
    <>
      <Typography.Paragraph type="secondary">{t("reports.funnel.version", { version: r.script_version ? versionName(r.script_version) : "—" })}</Typography.Paragraph>
      <Card size="small" title={t("reports.funnel.chartTitle")} style={{ marginBottom: 16 }}>
        <ReportChart option={option} height={Math.max(160, states.length * 36 + 40)} testId="funnel-chart" />
      </Card>
      <Table
        size="small"
        rowKey="state"
        pagination={false}
        dataSource={states}
        onRow={(s) => ({ "data-state": s.state }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t("reports.funnel.state"),
            dataIndex: "state",
            width: 240,
            render: (v: string, s) => (
              <Space size={4}>
                <Typography.Text code data-testid="funnel-state" style={{ whiteSpace: "nowrap" }}>
                  {v}
                </Typography.Text>
                {v === r.start && <Tag color="blue">{t("reports.funnel.start")}</Tag>}
                {s.terminal && <Tag>{t("reports.funnel.terminal")}</Tag>}
              </Space>
            ),
          },
          { title: t("reports.funnel.entered"), dataIndex: "entered", align: "right", width: 80 },
          {
            title: t("reports.funnel.exits"),
            dataIndex: "exits",
            render: (exits: FunnelState["exits"]) => (
              <Space size={[4, 4]} wrap>
                {(exits ?? []).map((e) => (
                  <Tag key={e.to}>
                    → {e.to}: {e.calls}
                  </Tag>
                ))}
              </Space>
            ),
          },
          { title: t("reports.funnel.completed"), dataIndex: "completed", align: "right", width: 100 },
          { title: t("reports.funnel.dropped"), dataIndex: "dropped", align: "right", width: 140 },
          {
            title: t("reports.funnel.dropRate"),
            dataIndex: "drop_rate",
            align: "right",
            width: 100,
            render: (v: number, s) => (s.entered > 0 ? <Typography.Text type={v >= 0.3 ? "danger" : undefined}>{percent(v)}</Typography.Text> : "—"),
          },
        ]}
        data-testid="funnel-table"
      />
    </>
  );
}

function CountTable({ title, hint, rows, keyTitle, testId }: { title: string; hint?: string; rows: Schemas["KeyCountBody"][]; keyTitle: string; testId: string }) {
  const { t } = useTranslation();
  return (
    <Card size="small" title={title} style={{ height: "100%" }}>
      {hint && <Typography.Paragraph type="secondary">{hint}</Typography.Paragraph>}
      <Table
        size="small"
        rowKey="key"
        pagination={rows.length > 10 ? { pageSize: 10, size: "small" } : false}
        dataSource={rows}
        locale={{ emptyText: t("reports.topics.none") }}
        columns={[
          { title: keyTitle, dataIndex: "key" },
          { title: t("reports.topics.count"), dataIndex: "count", align: "right", width: 90 },
        ]}
        data-testid={testId}
      />
    </Card>
  );
}

function TopicsReport({ r }: { r: Topics }) {
  const { t } = useTranslation();
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={8}>
        <CountTable title={t("reports.topics.intents")} rows={r.intents ?? []} keyTitle={t("reports.topics.intent")} testId="topics-intents" />
      </Col>
      <Col xs={24} lg={8}>
        <CountTable title={t("reports.topics.noMatch")} hint={t("reports.topics.noMatchHint")} rows={r.no_match ?? []} keyTitle={t("reports.topics.phrase")} testId="topics-no-match" />
      </Col>
      <Col xs={24} lg={8}>
        <CountTable title={t("reports.topics.sensitive")} rows={r.sensitive ?? []} keyTitle={t("reports.topics.word")} testId="topics-sensitive" />
      </Col>
    </Row>
  );
}

const fateColor: Record<string, string> = { dead: "red", unreachable: "orange", unanswered: "default" };

function HygieneReport({ r }: { r: Hygiene }) {
  const { t } = useTranslation();
  const stats = [
    { key: "numbers", value: r.numbers },
    { key: "reached", value: r.reached },
    { key: "dead", value: r.dead },
    { key: "unreachable", value: r.unreachable },
    { key: "unanswered", value: r.unanswered },
  ];
  return (
    <>
      <Typography.Paragraph type="secondary">{t("reports.hygiene.hint")}</Typography.Paragraph>
      <Row gutter={[16, 16]} style={{ marginBottom: 16 }} data-testid="hygiene-stats">
        {stats.map((x) => (
          <Col key={x.key} xs={12} md={4}>
            <Statistic title={t(`reports.hygiene.${x.key}`)} value={x.value} />
          </Col>
        ))}
        <Col xs={12} md={4}>
          <Statistic title={t("reports.hygiene.deadShare")} value={percent(r.dead_share)} />
        </Col>
      </Row>
      <Table
        size="small"
        rowKey="phone"
        data-testid="hygiene-numbers"
        dataSource={r.not_reached ?? []}
        pagination={{ pageSize: 20 }}
        columns={[
          { title: t("reports.hygiene.phone"), dataIndex: "phone" },
          { title: t("reports.hygiene.category"), dataIndex: "category", render: (c: string) => <Tag color={fateColor[c]}>{t(`reports.hygiene.categories.${c}`)}</Tag> },
          { title: t("reports.hygiene.attempts"), dataIndex: "attempts" },
          { title: t("reports.hygiene.lastOutcome"), dataIndex: "last_outcome", render: (o: string) => t(`calls.outcomes.${o}`, { defaultValue: o }) },
          { title: t("reports.hygiene.lastReason"), dataIndex: "last_reason" },
          { title: t("reports.hygiene.lastAt"), dataIndex: "last_at", render: (v: string) => formatTime(v) },
        ]}
      />
    </>
  );
}

const moods = ["angry", "negative", "neutral", "positive"] as const;
const moodColor: Record<(typeof moods)[number], string> = { angry: "#cf1322", negative: "#fa8c16", neutral: "#bfbfbf", positive: "#52c41a" };

function SentimentReport({ r }: { r: Sentiment }) {
  const { t } = useTranslation();
  const rows = [{ state: t("reports.sentiment.calls"), ...r.calls }, ...(r.by_state ?? [])];
  const option = {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 120, right: 24, top: 32, bottom: 24 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: rows.map((s) => s.state) },
    series: moods.map((m) => ({ name: t(`reports.sentiment.${m}`), type: "bar", stack: "s", data: rows.map((s) => s[m]), itemStyle: { color: moodColor[m] } })),
  };
  return (
    <>
      <Row gutter={16} style={{ marginBottom: 16 }}>
        <Col xs={24} md={8}>
          <Card size="small" data-testid="stat-angry-share">
            <Statistic title={t("reports.sentiment.angryShare")} value={percent(r.angry_share)} />
            <Typography.Text type="secondary">{t("reports.sentiment.angryShareHint", { angry: r.calls.angry, connected: r.connected })}</Typography.Text>
          </Card>
        </Col>
      </Row>
      <Card size="small" title={t("reports.sentiment.byState")} style={{ marginBottom: 16 }}>
        <ReportChart option={option} height={Math.max(160, rows.length * 36 + 60)} testId="sentiment-chart" />
      </Card>
      <Table
        size="small"
        rowKey="state"
        pagination={false}
        dataSource={rows}
        columns={[
          { title: t("reports.sentiment.state"), dataIndex: "state" },
          ...moods.map((m) => ({ title: t(`reports.sentiment.${m}`), dataIndex: m, align: "right" as const })),
        ]}
        data-testid="sentiment-table"
      />
    </>
  );
}

/** A heatmap of answer and conversion rates over slots, with counts in the tooltip. */
function SlotHeatmap({ slots, label, axis = label, testId }: { slots: Slot[]; label: (n: number) => string; axis?: (n: number) => string; testId: string }) {
  const { t } = useTranslation();
  const metrics = [t("reports.time.answerRate"), t("reports.time.conversionRate")];
  const data = slots.flatMap((s, x) => [
    // A slot without calls stays blank rather than reading 0 %.
    [x, 0, s.dialled > 0 ? Math.round(s.answer_rate * 1000) / 10 : "-"],
    [x, 1, s.connected > 0 ? Math.round(s.conversion_rate * 1000) / 10 : "-"],
  ]);
  const option = {
    tooltip: {
      formatter: (p: { data: [number, number, number | string] }) => {
        const [x, y] = p.data;
        const s = slots[x];
        return y === 0
          ? t("reports.time.tooltip", { slot: label(s.slot), metric: metrics[0], rate: percent(s.answer_rate), num: s.connected, den: s.dialled })
          : t("reports.time.tooltip", { slot: label(s.slot), metric: metrics[1], rate: percent(s.conversion_rate), num: s.conversions, den: s.connected });
      },
    },
    grid: { left: 90, right: 24, top: 8, bottom: 64 },
    xAxis: { type: "category", data: slots.map((s) => axis(s.slot)), splitArea: { show: true } },
    yAxis: { type: "category", data: metrics, splitArea: { show: true } },
    visualMap: { min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120, text: ["100%", "0%"] },
    series: [{ type: "heatmap", data, label: { show: slots.length <= 7, formatter: (p: { data: (number | string)[] }) => (typeof p.data[2] === "number" ? `${p.data[2]}%` : "") } }],
  };
  return <ReportChart option={option} height={200} testId={testId} />;
}

/**
 * The weekday × hour grid: one metric at a time as colour, both rates and
 * their counts in the tooltip; a cell without calls stays blank.
 */
function GridHeatmap({ cells, weekday, hour }: { cells: Cell[]; weekday: (d: number) => string; hour: (h: number) => string }) {
  const { t } = useTranslation();
  const [metric, setMetric] = useState<"answer" | "conversion">("answer");
  const data = cells.map((c) => {
    const [rate, base] = metric === "answer" ? [c.answer_rate, c.dialled] : [c.conversion_rate, c.connected];
    return [c.hour, c.weekday, base > 0 ? Math.round(rate * 1000) / 10 : "-"];
  });
  const option = {
    tooltip: {
      formatter: (p: { data: [number, number, number | string] }) => {
        const c = cells.find((x) => x.hour === p.data[0] && x.weekday === p.data[1]);
        if (!c) return "";
        return t("reports.time.gridTooltip", {
          day: weekday(c.weekday),
          slot: hour(c.hour),
          dialled: c.dialled,
          connected: c.connected,
          conversions: c.conversions,
          answer: percent(c.answer_rate),
          conversion: percent(c.conversion_rate),
        });
      },
    },
    grid: { left: 90, right: 24, top: 8, bottom: 64 },
    xAxis: { type: "category", data: Array.from({ length: 24 }, (_, h) => hourLabel(h)), splitArea: { show: true } },
    yAxis: { type: "category", data: Array.from({ length: 7 }, (_, d) => weekday(d)), splitArea: { show: true }, inverse: true },
    visualMap: { min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120, text: ["100%", "0%"] },
    series: [{ type: "heatmap", data }],
  };
  return (
    <>
      <Segmented
        size="small"
        style={{ marginBottom: 8 }}
        value={metric}
        onChange={(v) => setMetric(v as "answer" | "conversion")}
        options={[
          { value: "answer", label: t("reports.time.answerRate") },
          { value: "conversion", label: t("reports.time.conversionRate") },
        ]}
        data-testid="time-grid-metric"
      />
      <ReportChart option={option} height={320} testId="time-grid" />
    </>
  );
}

function TimeReportView({ r }: { r: TimeReport }) {
  const { t } = useTranslation();
  const hour = (h: number) => t("reports.time.hour", { from: hourLabel(h), to: hourLabel(h + 1) });
  const weekday = (d: number) => t(`reports.time.weekdays.${d}`);
  const best = bestSlot(r.by_hour ?? []);
  return (
    <>
      <Alert
        type={best ? (best.better ? "success" : "warning") : "info"}
        showIcon
        style={{ marginBottom: 16 }}
        data-testid="best-hour"
        title={
          best
            ? t(best.better ? "reports.time.best" : "reports.time.worst", {
                slot: hour(best.slot.slot),
                lift: Math.abs(Math.round(best.slot.answer_lift * 100)),
                dialled: best.slot.dialled,
              })
            : t("reports.time.notEnough", { min: minCallsForVerdict })
        }
        description={t("reports.time.overall", { answer: percent(r.overall.answer_rate), conversion: percent(r.overall.conversion_rate) })}
      />
      <Card size="small" title={t("reports.time.byHour")} style={{ marginBottom: 16 }}>
        <SlotHeatmap slots={r.by_hour ?? []} label={hour} axis={hourLabel} testId="time-hours" />
      </Card>
      <Card size="small" title={t("reports.time.byWeekday")} style={{ marginBottom: 16 }}>
        <SlotHeatmap slots={r.by_weekday ?? []} label={weekday} testId="time-weekdays" />
      </Card>
      <Card size="small" title={t("reports.time.grid")}>
        <GridHeatmap cells={r.grid ?? []} weekday={weekday} hour={hour} />
      </Card>
    </>
  );
}

function ABReport({ r, versionName }: { r: AB; versionName: (v: string) => string }) {
  const { t } = useTranslation();
  if (!r.arms?.length) return <Empty description={t("reports.ab.none")} />;
  return (
    <>
      <Card size="small" title={t("reports.ab.arms")} style={{ marginBottom: 16 }}>
        <Table
          size="small"
          rowKey="version"
          pagination={false}
          dataSource={r.arms ?? []}
          columns={[
            { title: t("reports.ab.version"), dataIndex: "version", render: (v: string) => versionName(v) },
            { title: t("reports.ab.sample"), dataIndex: "connected", align: "right" },
            { title: t("reports.ab.conversions"), dataIndex: "conversions", align: "right" },
            { title: t("reports.ab.rate"), dataIndex: "conversion_rate", align: "right", render: (v: number) => percent(v) },
          ]}
          data-testid="ab-arms"
        />
      </Card>
      <Card size="small" title={t("reports.ab.comparisons")}>
        <Space orientation="vertical" style={{ width: "100%" }}>
          {(r.comparisons ?? []).map((c) => {
            const v = verdict(c);
            return (
              <Alert
                key={c.version}
                type={v === "unsure" ? "info" : v === "better" ? "success" : "warning"}
                showIcon
                data-testid="ab-verdict"
                title={t(`reports.ab.${v}`, {
                  version: versionName(c.version),
                  baseline: versionName(c.baseline),
                  diff: points(c.difference),
                  low: signedPoints(c.ci_low),
                  high: signedPoints(c.ci_high),
                })}
                description={
                  <Space size="large" wrap>
                    <span>
                      {t("reports.ab.difference")}: {signedPoints(c.difference)}
                    </span>
                    <span>
                      {t("reports.ab.interval")}: [{signedPoints(c.ci_low)}, {signedPoints(c.ci_high)}]
                    </span>
                    <span>
                      {t("reports.ab.significant")}: {c.significant ? t("reports.ab.yes") : t("reports.ab.no")} (p = {c.p_value.toFixed(3)})
                    </span>
                  </Space>
                }
              />
            );
          })}
        </Space>
      </Card>
    </>
  );
}

function ConversionSettings() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const canEdit = atLeast(me?.role, "admin");
  const [form] = Form.useForm<{ conversion_outcomes: string[]; conversion_tags: string[] }>();
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    unwrap(api.GET("/v1/reports/settings"))
      .then((s) => form.setFieldsValue({ conversion_outcomes: s.conversion_outcomes ?? [], conversion_tags: s.conversion_tags ?? [] }))
      .catch((e) => setError(problemMessage(e, t)));
  }, [form, t]);
  const save = async (v: { conversion_outcomes: string[]; conversion_tags: string[] }) => {
    setSaving(true);
    try {
      await unwrap(api.PUT("/v1/reports/settings", { body: { conversion_outcomes: v.conversion_outcomes ?? [], conversion_tags: v.conversion_tags ?? [] } }));
      setError(null);
      message.success(t("reports.settings.saved"));
    } catch (e) {
      setError(problemMessage(e, t));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Card size="small" style={{ maxWidth: 720 }}>
      <Typography.Paragraph>{t("reports.settings.intro")}</Typography.Paragraph>
      {!canEdit && <Alert type="info" showIcon title={t("reports.settings.adminsOnly")} style={{ marginBottom: 16 }} />}
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={save} disabled={!canEdit}>
        <Form.Item name="conversion_outcomes" label={t("reports.settings.outcomes")}>
          <Select mode="tags" placeholder={t("reports.settings.placeholder")} open={false} data-testid="settings-outcomes" />
        </Form.Item>
        <Form.Item name="conversion_tags" label={t("reports.settings.tags")}>
          <Select mode="tags" placeholder={t("reports.settings.placeholder")} open={false} data-testid="settings-tags" />
        </Form.Item>
        {canEdit && (
          <Button type="primary" htmlType="submit" loading={saving} data-testid="settings-save">
            {t("reports.settings.save")}
          </Button>
        )}
      </Form>
    </Card>
  );
}

/** One report, or what the API said instead, in the portal's language. */
async function load<T>(p: Promise<T>, t: Parameters<typeof problemMessage>[1]): Promise<Loaded<T>> {
  try {
    return { data: await p };
  } catch (e) {
    return { error: problemMessage(e, t), status: e instanceof ApiError ? e.status : undefined };
  }
}

export default function ReportsPage() {
  const { t } = useTranslation();
  const [search, setSearch] = useSearchParams();
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const query = useMemo(() => apiQuery(filters), [filters]);
  const [reports, setReports] = useState<Reports | null>(null);
  const [loading, setLoading] = useState(true);
  const [tab, setTab] = useState(search.get("tab") ?? "outcomes");
  const [versionNames, setVersionNames] = useState<Record<string, string>>({});

  const setFilters = (f: ReportFilters) => {
    const next = new URLSearchParams();
    for (const k of filterKeys) if (f[k]) next.set(k, f[k]!);
    if (tab !== "outcomes") next.set("tab", tab);
    setSearch(next);
  };
  const switchTab = (k: string) => {
    setTab(k);
    const next = new URLSearchParams(search);
    if (k === "outcomes") next.delete("tab");
    else next.set("tab", k);
    setSearch(next, { replace: true });
  };

  const refresh = useCallback(async () => {
    setLoading(true);
    const params = { params: { query } };
    const [outcomes, funnel, topics, sentiment, time, ab, hygiene] = await Promise.all([
      load(unwrap(api.GET("/v1/reports/outcomes", params)), t),
      load(unwrap(api.GET("/v1/reports/funnel", params)), t),
      load(unwrap(api.GET("/v1/reports/topics", params)), t),
      load(unwrap(api.GET("/v1/reports/sentiment", params)), t),
      load(unwrap(api.GET("/v1/reports/time", params)), t),
      load(unwrap(api.GET("/v1/reports/ab", params)), t),
      load(unwrap(api.GET("/v1/reports/list-hygiene", params)), t),
    ]);
    setReports({ outcomes, funnel, topics, sentiment, time, ab, "list-hygiene": hygiene });
    setLoading(false);
  }, [query, t]);
  useEffect(() => {
    void refresh();
  }, [refresh]);

  // Names for the A/B versions: "script vN".
  useEffect(() => {
    unwrap(api.GET("/v1/scripts", { params: { query: { limit: 100, kind: "dialog" } } }))
      .then(async (r) => {
        const names: Record<string, string> = {};
        await Promise.all(
          (r.items ?? []).map((s) =>
            unwrap(api.GET("/v1/scripts/{script_id}/versions", { params: { path: { script_id: s.id } } }))
              .then((v) => {
                for (const x of v.items ?? []) names[x.id] = t("reports.filters.versionLabel", { script: s.name, number: x.number });
              })
              .catch(() => undefined),
          ),
        );
        setVersionNames(names);
      })
      .catch(() => setVersionNames({}));
  }, [t]);
  const versionName = (v: string) => versionNames[v] ?? v;

  const filtered = filterKeys.some((k) => filters[k]);
  const noCalls = reports?.outcomes.data?.attempts === 0;
  const body = (key: keyof Reports, render: () => React.ReactNode) => {
    if (!reports) return <Skeleton active />;
    const r = reports[key];
    if (key !== "funnel" && !r.data) return <ReportError loaded={r} />;
    return (
      <>
        <div style={{ display: "flex", justifyContent: "flex-end", marginBottom: 12 }}>
          <CsvButton name={key} filters={filters} />
        </div>
        {render()}
      </>
    );
  };

  const tabs = [
    { key: "outcomes", label: t("reports.tabs.outcomes"), children: body("outcomes", () => <OutcomesReport r={reports!.outcomes.data!} />) },
    { key: "funnel", label: t("reports.tabs.funnel"), children: body("funnel", () => <FunnelReport loaded={reports!.funnel} versionName={versionName} />) },
    { key: "topics", label: t("reports.tabs.topics"), children: body("topics", () => <TopicsReport r={reports!.topics.data!} />) },
    { key: "sentiment", label: t("reports.tabs.sentiment"), children: body("sentiment", () => <SentimentReport r={reports!.sentiment.data!} />) },
    { key: "time", label: t("reports.tabs.time"), children: body("time", () => <TimeReportView r={reports!.time.data!} />) },
    { key: "ab", label: t("reports.tabs.ab"), children: body("ab", () => <ABReport r={reports!.ab.data!} versionName={versionName} />) },
    { key: "list-hygiene", label: t("reports.tabs.hygiene"), children: body("list-hygiene", () => <HygieneReport r={reports!["list-hygiene"].data!} />) },
    { key: "settings", label: t("reports.tabs.settings"), children: <ConversionSettings /> },
  ];

  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between", marginBottom: 16 }} align="start" wrap>
        <div>
          <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
            {t("nav.reports")}
          </Typography.Title>
          <Typography.Text type="secondary">{t("reports.subtitle")}</Typography.Text>
        </div>
        <Space wrap>
          <CsvButton name="calls" filters={filters} label={t("reports.rawCalls")} />
          <CsvButton name="turns" filters={filters} label={t("reports.rawTurns")} />
        </Space>
      </Space>
      <FiltersBar filters={filters} onChange={setFilters} />
      {noCalls && !loading && tab !== "settings" ? (
        <>
          <Card data-testid="reports-empty" style={{ marginBottom: 16 }}>
            <Empty
              description={
                <>
                  <Typography.Title level={5}>{t("reports.empty.title")}</Typography.Title>
                  <Typography.Text type="secondary">{filtered ? t("reports.empty.filtered") : t("reports.empty.body")}</Typography.Text>
                </>
              }
            >
              {!filtered && (
                <Link to="/campaigns">
                  <Button type="primary">{t("reports.empty.action")}</Button>
                </Link>
              )}
            </Empty>
          </Card>
          <Tabs activeKey="settings" items={tabs.filter((x) => x.key === "settings")} />
        </>
      ) : (
        <Tabs activeKey={tab} onChange={switchTab} items={tabs} data-testid="report-tabs" />
      )}
    </>
  );
}
