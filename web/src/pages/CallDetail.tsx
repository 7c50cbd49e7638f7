// One call: what happened (outcome, times, script version, tags), the
// recording, and the transcript turn by turn with state, intent and
// sentiment.
import { RobotOutlined, UserOutlined } from "@ant-design/icons";
import { Alert, Card, Col, Descriptions, Empty, Row, Space, Tag, Timeline, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import { OutcomeTag } from "../components/CallsTable";
import { problemMessage } from "../components/forms";
import { formatTime } from "../format";
import { showPhone } from "../phone";
import { useSession } from "../session/Session";
import { ModelTag } from "../components/ModelTag";
import { RequestTags } from "../components/RequestTags";

type Call = Schemas["CallBody"];

/** A sentiment score (-1 … 1) as a word and a colour. */
export function sentimentOf(score: number | undefined): { label: "positive" | "neutral" | "negative"; color: string } | null {
  if (score === undefined || score === null) return null;
  if (score > 0.2) return { label: "positive", color: "green" };
  if (score < -0.2) return { label: "negative", color: "red" };
  return { label: "neutral", color: "default" };
}

export default function CallDetailPage() {
  const { id = "" } = useParams();
  const { t } = useTranslation();
  const { me } = useSession();
  const [call, setCall] = useState<Call | null>(null);
  const [campaignName, setCampaignName] = useState<string>("");
  const [error, setError] = useState<string | null>(null);
  const [audioError, setAudioError] = useState(false);

  useEffect(() => {
    unwrap(api.GET("/v1/calls/{call_id}", { params: { path: { call_id: id } } }))
      .then((c) => {
        setCall(c);
        return unwrap(api.GET("/v1/campaigns/{campaign_id}", { params: { path: { campaign_id: c.campaign_id } } })).then((cp) => setCampaignName(cp.name));
      })
      .catch((e) => setError(problemMessage(e, t)));
  }, [id, t]);

  if (error) return <Alert type="error" showIcon title={error} />;
  if (!call) return <Card loading />;
  const secs = (a?: string, b?: string) => (a && b ? Math.max(0, Math.round((new Date(b).getTime() - new Date(a).getTime()) / 1000)) : null);
  const talk = secs(call.answered_at, call.ended_at);
  return (
    <>
      <Space align="baseline" wrap style={{ marginBottom: 8 }}>
        <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
          <Link to={`/campaigns/${call.campaign_id}`}>{campaignName || t("nav.campaigns")}</Link> / {t("calls.call")} {showPhone(call.phone, me?.role)}
        </Typography.Title>
        <OutcomeTag call={call} />
      </Space>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={9}>
          <Card title={t("calls.details")}>
            <Descriptions size="small" column={1} data-testid="call-details">
              <Descriptions.Item label={t("contacts.phone")}>
                <Typography.Text code>{showPhone(call.phone, me?.role)}</Typography.Text>
              </Descriptions.Item>
              <Descriptions.Item label={t("calls.attempt")}>{call.attempt}</Descriptions.Item>
              {call.caller_id && (
                <Descriptions.Item label={t("calls.callerId")}>
                  <Typography.Text code>{call.caller_id}</Typography.Text>
                </Descriptions.Item>
              )}
              {call.model_tokens ? <Descriptions.Item label={t("calls.modelTokens")}>{call.model_tokens}</Descriptions.Item> : null}
              <Descriptions.Item label={t("calls.state")}>{t(`calls.states.${call.state}`)}</Descriptions.Item>
              {call.reason && <Descriptions.Item label={t("calls.reason")}>{t(`calls.reasons.${call.reason}`, { defaultValue: call.reason })}</Descriptions.Item>}
              <Descriptions.Item label={t("calls.time")}>{formatTime(call.created_at)}</Descriptions.Item>
              <Descriptions.Item label={t("calls.answeredAt")}>{formatTime(call.answered_at)}</Descriptions.Item>
              <Descriptions.Item label={t("calls.endedAt")}>{formatTime(call.ended_at)}</Descriptions.Item>
              {call.ring_ms != null && <Descriptions.Item label={t("calls.ring")}>{t("calls.seconds", { n: (call.ring_ms / 1000).toFixed(1) })}</Descriptions.Item>}
              {talk != null && <Descriptions.Item label={t("calls.talk")}>{t("calls.seconds", { n: talk })}</Descriptions.Item>}
              <Descriptions.Item label={t("calls.billable")}>{t("calls.seconds", { n: call.billable_seconds })}</Descriptions.Item>
              <Descriptions.Item label={t("calls.finalState")}>{call.final_state || "—"}</Descriptions.Item>
              {call.segment && <Descriptions.Item label={t("calls.segment")}>{call.segment}</Descriptions.Item>}
              {call.next_at && <Descriptions.Item label={t("calls.nextAt")}>{formatTime(call.next_at)}</Descriptions.Item>}
              <Descriptions.Item label={t("calls.tags")}>
                <span data-testid="call-tags">
                  {(call.tags ?? []).length
                    ? (call.tags ?? []).map((x) => (
                        <Tag key={x} color="blue">
                          {x}
                        </Tag>
                      ))
                    : "—"}
                </span>
              </Descriptions.Item>
            </Descriptions>
          </Card>
          <Card title={t("calls.recording")} style={{ marginTop: 16 }}>
            {call.recording_ref && !audioError ? (
              <>
                <audio controls preload="metadata" src={`/v1/calls/${call.id}/recording`} style={{ width: "100%" }} data-testid="recording" onError={() => setAudioError(true)} />
                <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
                  {t("calls.recordingHint")}{" "}
                  <a href={`/v1/calls/${call.id}/recording`} download>
                    {t("calls.download")}
                  </a>
                </Typography.Paragraph>
              </>
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={audioError ? t("calls.recordingGone") : t("calls.noRecording")} />
            )}
          </Card>
        </Col>
        <Col xs={24} lg={15}>
          <Card title={t("calls.transcript")}>
            {(call.turns ?? []).length === 0 ? (
              <Empty description={t("calls.noTurns")} />
            ) : (
              <Timeline
                data-testid="transcript"
                items={(call.turns ?? []).map((turn) => {
                  const s = sentimentOf(turn.sentiment);
                  return {
                    key: turn.seq,
                    children: (
                      <div data-testid="turn">
                        <Space wrap size={4}>
                          <Tag color="purple" data-testid="turn-state">
                            {turn.state}
                          </Tag>
                          {turn.intent && (
                            <Tag color="blue" data-testid="turn-intent">
                              {t("scripts.intent")}: {turn.intent}
                            </Tag>
                          )}
                          {s && (
                            <Tag color={s.color}>
                              {t("scripts.sentiment")}: {t(`scripts.sentiments.${s.label}`)} ({turn.sentiment!.toFixed(2)})
                            </Tag>
                          )}
                          {turn.emotion && turn.emotion !== "neutral" && <Tag data-testid="turn-emotion">{t("calls.voice", { emotion: turn.emotion })}</Tag>}
                          <ModelTag use={turn.model} testId="turn-model" />
                          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                            {formatTime(turn.started_at)}
                          </Typography.Text>
                        </Space>
                        {/* What the callee said led to this state, which then spoke. */}
                        {turn.heard && (
                          <div style={{ marginTop: 4, color: "#1677ff" }} data-testid="turn-heard">
                            <UserOutlined /> {turn.heard}
                          </div>
                        )}
                        {turn.requests && turn.requests.length > 0 && (
                          <div style={{ marginTop: 4 }}>
                            <RequestTags requests={turn.requests} />
                          </div>
                        )}
                        {turn.said && (
                          <div style={{ marginTop: 4 }} data-testid="turn-said">
                            <RobotOutlined /> {turn.said}
                          </div>
                        )}
                      </div>
                    ),
                  };
                })}
              />
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}
