// One campaign: live progress (its counts polled every 1.5 s while it can
// change), start / pause / resume / cancel, its settings with its SMS
// follow-ups, its calls, and a link to the messages it sent.
import { CaretRightOutlined, MessageOutlined, PauseOutlined, StopOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Col, Descriptions, Empty, Popconfirm, Progress, Row, Space, Statistic, Tabs, Tag, Typography } from "antd";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import CallsTable, { campaignCalls } from "../components/CallsTable";
import { problemMessage } from "../components/forms";
import LazyChart from "../components/LazyChart";
import { formatTime } from "../format";
import { useSession } from "../session/Session";
import { isLive, StatusTag } from "./campaignStatus";
import { usePublishedVersions } from "./publishedVersions";

type Campaign = Schemas["CampaignBody"];
type Counts = Schemas["CountsBody"];

export const pollMs = 1500;

/** Contacts that need nothing more, and the share of all contacts they are. */
export function progressOf(c: Counts | null): { finished: number; percent: number } {
  if (!c || c.contacts === 0) return { finished: 0, percent: 0 };
  const by = c.by_state ?? {};
  const finished = (by.done ?? 0) + (by.dropped ?? 0);
  return { finished, percent: Math.floor((finished / c.contacts) * 100) };
}

export default function CampaignDetailPage() {
  const { id = "" } = useParams();
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const navigate = useNavigate();
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [counts, setCounts] = useState<Counts | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [lists, setLists] = useState<Record<string, string>>({});
  const timer = useRef<number | undefined>(undefined);
  const { labelOf } = usePublishedVersions();
  const canControl = atLeast(me?.role, "operator");

  const refresh = useCallback(async () => {
    const [c, n] = await Promise.all([
      unwrap(api.GET("/v1/campaigns/{campaign_id}", { params: { path: { campaign_id: id } } })),
      unwrap(api.GET("/v1/campaigns/{campaign_id}/counts", { params: { path: { campaign_id: id } } })),
    ]);
    setCampaign(c);
    setCounts(n);
    return c;
  }, [id]);

  // Poll while the campaign can still change; stop once it cannot.
  useEffect(() => {
    let live = true;
    const tick = async () => {
      try {
        const c = await refresh();
        setError(null);
        if (live && isLive(c.status)) timer.current = window.setTimeout(tick, pollMs);
      } catch (e) {
        setError(problemMessage(e, t));
        if (live) timer.current = window.setTimeout(tick, pollMs * 4);
      }
    };
    void tick();
    return () => {
      live = false;
      window.clearTimeout(timer.current);
    };
  }, [refresh, t, campaign?.status]);

  useEffect(() => {
    unwrap(api.GET("/v1/lists", { params: { query: { limit: 100 } } }))
      .then((p) => setLists(Object.fromEntries((p.items ?? []).map((l) => [l.id, l.name]))))
      .catch(() => undefined);
  }, []);

  const act = async (verb: "start" | "pause" | "resume" | "cancel") => {
    setBusy(verb);
    setActionError(null);
    try {
      const path = { params: { path: { campaign_id: id } } };
      const c =
        verb === "start"
          ? await unwrap(api.POST("/v1/campaigns/{campaign_id}/start", path))
          : verb === "pause"
            ? await unwrap(api.POST("/v1/campaigns/{campaign_id}/pause", path))
            : verb === "resume"
              ? await unwrap(api.POST("/v1/campaigns/{campaign_id}/resume", path))
              : await unwrap(api.POST("/v1/campaigns/{campaign_id}/cancel", path));
      setCampaign(c);
      message.success(t(`campaigns.did.${verb}`));
    } catch (e) {
      setActionError(problemMessage(e, t));
    } finally {
      setBusy(null);
    }
  };

  const { finished, percent } = progressOf(counts);
  const outcomes = counts?.outcomes ?? {};
  const refused = counts?.refused ?? {};
  const chart = useMemo(() => {
    const keys = Object.keys(outcomes).sort();
    return {
      tooltip: {},
      grid: { left: 40, right: 16, top: 16, bottom: 40 },
      xAxis: { type: "category", data: keys.map((k) => t(`calls.outcomes.${k}`, { defaultValue: k })) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: keys.map((k) => outcomes[k]), itemStyle: { color: "#1677ff" } }],
    };
  }, [outcomes, t]);
  const attempts = Object.values(outcomes).reduce((a, b) => a + b, 0);
  const answered = (outcomes.answered ?? 0) + (outcomes.transferred ?? 0);
  const callsKey = `${attempts}/${Object.values(refused).reduce((a, b) => a + b, 0)}/${finished}`;
  const source = useMemo(() => campaignCalls(id), [id]);

  if (error && !campaign) return <Alert type="error" showIcon title={error} />;
  if (!campaign) return <Card loading />;
  const st = campaign.status;
  return (
    <>
      <Space align="baseline" wrap style={{ marginBottom: 8, width: "100%", justifyContent: "space-between" }}>
        <Space align="baseline">
          <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
            <Link to="/campaigns">{t("nav.campaigns")}</Link> / {campaign.name}
          </Typography.Title>
          <StatusTag status={st} />
          {isLive(st) && <Typography.Text type="secondary">{t("campaigns.live")}</Typography.Text>}
        </Space>
        <Space>
          <Button icon={<MessageOutlined />} onClick={() => navigate(`/messages?campaign_id=${campaign.id}`)} data-testid="campaign-messages">
            {t("campaigns.messages")}
          </Button>
          {canControl && (
            <Space>
              {st === "draft" && (
                <Button type="primary" icon={<CaretRightOutlined />} loading={busy === "start"} onClick={() => act("start")} data-testid="campaign-start">
                  {t("campaigns.start")}
                </Button>
              )}
              {(st === "running" || st === "scheduled") && (
                <Button icon={<PauseOutlined />} loading={busy === "pause"} onClick={() => act("pause")} data-testid="campaign-pause">
                  {t("campaigns.pause")}
                </Button>
              )}
              {st === "paused" && (
                <Button type="primary" icon={<CaretRightOutlined />} loading={busy === "resume"} onClick={() => act("resume")} data-testid="campaign-resume">
                  {t("campaigns.resume")}
                </Button>
              )}
              {isLive(st) && (
                <Popconfirm title={t("campaigns.cancelConfirm")} okText={t("campaigns.cancelCampaign")} cancelText={t("common.cancel")} onConfirm={() => act("cancel")}>
                  <Button danger icon={<StopOutlined />} loading={busy === "cancel"} data-testid="campaign-cancel">
                    {t("campaigns.cancelCampaign")}
                  </Button>
                </Popconfirm>
              )}
            </Space>
          )}
        </Space>
      </Space>
      {actionError && <Alert type="error" showIcon closable title={actionError} style={{ marginBottom: 16 }} data-testid="campaign-action-error" onClose={() => setActionError(null)} />}
      {st === "draft" && <Alert type="info" showIcon title={t("campaigns.draftHint")} style={{ marginBottom: 16 }} />}
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={8}>
          <Card title={t("campaigns.progress")} data-testid="campaign-progress">
            <Progress type="dashboard" percent={percent} status={st === "cancelled" ? "exception" : st === "completed" ? "success" : "active"} />
            <div data-testid="progress-text">{t("campaigns.finishedOf", { finished, total: counts?.contacts ?? 0 })}</div>
            <Space wrap style={{ marginTop: 12 }}>
              {["pending", "queued", "dialling", "in_call", "done", "dropped"].map((k) => (
                <Tag key={k} data-testid={`state-${k}`}>
                  {t(`campaigns.states.${k}`)}: {counts?.by_state?.[k] ?? 0}
                </Tag>
              ))}
            </Space>
          </Card>
        </Col>
        <Col xs={24} lg={16}>
          <Card title={t("campaigns.outcomes")}>
            <Row gutter={16} style={{ marginBottom: 8 }}>
              <Col span={6}>
                <Statistic title={t("campaigns.attempts")} value={attempts} valueRender={(v) => <span data-testid="stat-attempts">{v}</span>} />
              </Col>
              <Col span={6}>
                <Statistic title={t("campaigns.answered")} value={answered} valueRender={(v) => <span data-testid="stat-answered">{v}</span>} />
              </Col>
              <Col span={6}>
                <Statistic title={t("campaigns.connectRate")} value={attempts ? Math.round((answered / attempts) * 100) : 0} suffix="%" />
              </Col>
              <Col span={6}>
                <Statistic title={t("campaigns.refusedTotal")} value={Object.values(refused).reduce((a, b) => a + b, 0)} valueRender={(v) => <span data-testid="stat-refused">{v}</span>} />
              </Col>
            </Row>
            {attempts > 0 ? <LazyChart option={chart} height={200} testId="outcomes-chart" /> : <Empty description={st === "draft" ? t("campaigns.notStarted") : t("campaigns.noAttempts")} />}
            {Object.keys(refused).length > 0 && (
              <Space wrap style={{ marginTop: 8 }}>
                <Typography.Text type="secondary">{t("campaigns.refusedBy")}</Typography.Text>
                {Object.entries(refused).map(([k, n]) => (
                  <Tag key={k} color="red">
                    {t(`calls.reasons.${k}`, { defaultValue: k })}: {n}
                  </Tag>
                ))}
              </Space>
            )}
          </Card>
        </Col>
      </Row>
      <Card style={{ marginTop: 16 }}>
        <Tabs
          items={[
            { key: "calls", label: <span data-testid="tab-calls">{t("nav.calls")}</span>, children: <CallsTable source={source} refreshKey={callsKey} /> },
            {
              key: "settings",
              label: t("campaigns.settings"),
              children: (
                <Descriptions bordered size="small" column={1}>
                  <Descriptions.Item label={t("campaigns.lists")}>{(campaign.list_ids ?? []).map((l) => lists[l] ?? l).join(", ")}</Descriptions.Item>
                  <Descriptions.Item label={t("campaigns.scriptVersion")}>{campaign.script_version ? labelOf(campaign.script_version) : "—"}</Descriptions.Item>
                  {Object.keys(campaign.segment_versions ?? {}).length > 0 && (
                    <Descriptions.Item label={t("campaigns.segments")}>
                      {Object.entries(campaign.segment_versions ?? {})
                        .map(([s, v]) => `${s} → ${labelOf(v)}`)
                        .join("; ")}
                    </Descriptions.Item>
                  )}
                  {(campaign.ab_split ?? []).length > 0 && (
                    <Descriptions.Item label={t("campaigns.abSplit")}>{(campaign.ab_split ?? []).map((a) => `${labelOf(a.version)} × ${a.weight}`).join(" / ")}</Descriptions.Item>
                  )}
                  <Descriptions.Item label={t("campaigns.schedule")}>
                    {campaign.starts_at ? formatTime(campaign.starts_at) : t("campaigns.whenStarted")} → {campaign.ends_at ? formatTime(campaign.ends_at) : t("campaigns.untilDone")}
                  </Descriptions.Item>
                  <Descriptions.Item label={t("campaigns.retries")}>
                    {Object.entries(campaign.retry_policy ?? {})
                      .map(([o, r]) => (r.times ? t("campaigns.retryRule", { outcome: t(`calls.outcomes.${o}`), times: r.times, after: r.after }) : t("campaigns.noRetry", { outcome: t(`calls.outcomes.${o}`) })))
                      .join("; ")}
                  </Descriptions.Item>
                  <Descriptions.Item label={t("campaigns.followUps")}>
                    <span data-testid="campaign-follow-ups">
                      {(campaign.follow_ups ?? []).length
                        ? (campaign.follow_ups ?? []).map((f) => t("campaigns.followUpRule", { when: t(`campaigns.followUpWhens.${f.when}`), template: f.template })).join("; ")
                        : t("campaigns.noFollowUps")}
                    </span>{" "}
                    <Link to={`/messages?campaign_id=${campaign.id}`}>{t("campaigns.messages")}</Link>
                  </Descriptions.Item>
                  <Descriptions.Item label={t("campaigns.overrides")}>{JSON.stringify(campaign.compliance) === "{}" ? t("campaigns.asTenant") : JSON.stringify(campaign.compliance)}</Descriptions.Item>
                  <Descriptions.Item label={t("common.created")}>{formatTime(campaign.created_at)}</Descriptions.Item>
                  <Descriptions.Item label={t("campaigns.startedAt")}>{formatTime(campaign.started_at)}</Descriptions.Item>
                  <Descriptions.Item label={t("campaigns.finishedAt")}>{formatTime(campaign.finished_at)}</Descriptions.Item>
                </Descriptions>
              ),
            },
          ]}
        />
      </Card>
    </>
  );
}
