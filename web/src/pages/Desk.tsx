// The agent desk: calls the robot transfers to a queue ring here and are
// taken in the browser (WebRTC, the microphone and the speaker). The agent
// goes online, the desk long-polls for an offer, pops the caller's details
// and the transcript so far, and answers, declines or hangs up. Supervisors
// (operator+) also see the queues and agents live; queues are set up on the
// third tab (admins change them).
import { CustomerServiceOutlined, PhoneOutlined, RobotOutlined, UserOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Col, Descriptions, Empty, Progress, Row, Space, Spin, Switch, Tabs, Tag, Typography } from "antd";
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";
import { api, atLeast, unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import { problemMessage } from "../components/forms";
import { PageHeader } from "../components/ListPage";
import { formatTime } from "../format";
import { showPhone } from "../phone";
import { useSession } from "../session/Session";
import {
  CallError,
  closeCall,
  connectionEnded,
  deskReducer,
  formatDuration,
  initialDesk,
  pollOffers,
  polling,
  startCall,
  statusColor,
  transcriptLines,
  valuePairs,
  watching,
  type Call,
  type Offer,
} from "./desk";
import { useAudioContext, usePlayback, useRemoteLevel } from "./deskAudio";
import DeskLive from "./DeskLive";
import QueuesPanel from "./Queues";

export default function DeskPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const [params, setParams] = useSearchParams();
  const supervisor = atLeast(me?.role, "operator");
  const reader = atLeast(me?.role, "viewer");
  const asked = params.get("tab");
  const tab = (asked === "live" && supervisor) || (asked === "queues" && reader) ? asked : "desk";
  const toDesk = () => {
    if (tab !== "desk") setParams({});
  };
  const items = [
    { key: "desk", label: <span data-testid="tab-desk">{t("desk.tab")}</span>, children: <DeskPanel onRing={toDesk} /> },
    ...(supervisor ? [{ key: "live", label: <span data-testid="tab-live">{t("desk.live.tab")}</span>, children: <DeskLive /> }] : []),
    ...(reader ? [{ key: "queues", label: <span data-testid="tab-queues">{t("queues.tab")}</span>, children: <QueuesPanel /> }] : []),
  ];
  return (
    <>
      <PageHeader title={t("nav.desk")} intro={t("desk.intro")} />
      {items.length > 1 ? <Tabs activeKey={tab} onChange={(k) => setParams(k === "desk" ? {} : { tab: k })} items={items} /> : items[0].children}
    </>
  );
}

/** A clock that ticks every ms while on (for call timers), else stands still. */
function useNow(ms: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (ms === null) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

function DeskPanel({ onRing }: { onRing: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const [s, dispatch] = useReducer(deskReducer, initialDesk);
  const [busy, setBusy] = useState<"status" | "answer" | "decline" | "hangup" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [remote, setRemote] = useState<MediaStream | null>(null);
  const callRef = useRef<Call | null>(null);
  const audioRef = useRef<HTMLAudioElement>(null);
  const phaseRef = useRef(s.phase);
  phaseRef.current = s.phase;
  const onRingRef = useRef(onRing);
  onRingRef.current = onRing;

  const refresh = useCallback(async () => {
    dispatch({ type: "desk", desk: await unwrap(api.GET("/v1/desk")) });
  }, []);
  const context = useAudioContext();
  const level = useRemoteLevel(remote, context);
  const now = useNow(s.phase === "connected" ? 1000 : null);

  useEffect(() => {
    refresh().catch((e) => setError(problemMessage(e, t)));
  }, [refresh, t]);

  // While waiting: the long poll, again and again, until something rings.
  const isPolling = polling(s);
  useEffect(() => {
    if (!isPolling) return;
    const ctl = new AbortController();
    void pollOffers({
      signal: ctl.signal,
      fetchOffer: async (signal) => (await unwrap(api.GET("/v1/desk/offer", { params: { query: { wait: 25 } }, signal }))).offer ?? null,
      onOffer: (offer) => dispatch({ type: "offer", offer }),
    });
    return () => ctl.abort();
  }, [isPolling]);

  // While a call rings or is on, and once it ended: the desk every 2 s.
  const isWatching = watching(s);
  useEffect(() => {
    if (!isWatching) return;
    const timer = setInterval(() => void refresh().catch(() => undefined), 2000);
    return () => clearInterval(timer);
  }, [isWatching, refresh]);
  useEffect(() => {
    if (s.phase === "ended") void refresh().catch(() => undefined);
  }, [s.phase, refresh]);

  // Off a call: no connection, no microphone.
  const onCall = s.phase === "connecting" || s.phase === "connected";
  useEffect(() => {
    if (onCall) return;
    closeCall(callRef.current);
    callRef.current = null;
    setRemote(null);
  }, [onCall]);
  useEffect(
    () => () => {
      closeCall(callRef.current);
      callRef.current = null;
    },
    [],
  );

  // A call rings: the desk's tab comes to the front, and the window's title says so.
  const ringing = s.phase === "ringing";
  useEffect(() => {
    if (!ringing) return;
    onRingRef.current();
    const title = document.title;
    document.title = `☎ ${t("desk.ringingTitle")}`;
    return () => {
      document.title = title;
    };
  }, [ringing, t]);

  // Leaving the page ends the call: ask first.
  useEffect(() => {
    if (!onCall) return;
    const ask = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = "";
    };
    window.addEventListener("beforeunload", ask);
    return () => window.removeEventListener("beforeunload", ask);
  }, [onCall]);

  // Autoplay may be refused; the answer's click normally allows it.
  usePlayback(audioRef, remote);

  const setStatus = async (available: boolean) => {
    setBusy("status");
    setError(null);
    try {
      dispatch({ type: "desk", desk: await unwrap(api.PUT("/v1/desk/status", { body: { status: available ? "available" : "offline" } })) });
    } catch (e) {
      setError(e instanceof ApiError && e.status === 409 ? t("desk.statusOnCall") : problemMessage(e, t));
    } finally {
      setBusy(null);
    }
  };

  const hangupThere = (offer: Offer) => unwrap(api.POST("/v1/desk/offers/{offer_id}/hangup", { params: { path: { offer_id: offer.id } } }));

  const answer = async (offer: Offer) => {
    setBusy("answer");
    setError(null);
    dispatch({ type: "answer" });
    // Made now, while the click lets a page start audio.
    context();
    try {
      const call = await startCall({
        getUserMedia: (c) => navigator.mediaDevices.getUserMedia(c),
        createPeer: (c) => new RTCPeerConnection(c),
        answer: async (sdp) => (await unwrap(api.POST("/v1/desk/offers/{offer_id}/answer", { params: { path: { offer_id: offer.id } }, body: { sdp } }))).sdp,
        onRemote: setRemote,
        onState: (state) => {
          const phase = phaseRef.current;
          if (!connectionEnded(state) || (phase !== "connecting" && phase !== "connected")) return;
          void hangupThere(offer).catch(() => undefined);
          dispatch({ type: "ended" });
        },
      });
      if (phaseRef.current !== "connecting") {
        // It ended while being answered.
        closeCall(call);
        return;
      }
      callRef.current = call;
      dispatch({ type: "connected", at: Date.now() });
    } catch (e) {
      dispatch({ type: "answerFailed" });
      if (e instanceof CallError && e.stage === "mic") {
        // Without a microphone the call goes on to the next agent.
        void unwrap(api.POST("/v1/desk/offers/{offer_id}/decline", { params: { path: { offer_id: offer.id } } })).catch(() => undefined);
        setError(t("desk.micRefused"));
      } else {
        const cause = e instanceof CallError ? e.cause : e;
        setError(cause instanceof ApiError && cause.status === 409 ? t("desk.stoppedRinging") : t("desk.answerFailed", { why: problemMessage(cause, t) }));
      }
    } finally {
      setBusy(null);
    }
  };

  const decline = async (offer: Offer) => {
    setBusy("decline");
    setError(null);
    try {
      await unwrap(api.POST("/v1/desk/offers/{offer_id}/decline", { params: { path: { offer_id: offer.id } } }));
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 409 || e.status === 404))) message.error(problemMessage(e, t));
    } finally {
      dispatch({ type: "declined" });
      setBusy(null);
    }
  };

  const hangup = async (offer: Offer) => {
    setBusy("hangup");
    try {
      await hangupThere(offer);
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 409 || e.status === 404))) message.error(problemMessage(e, t));
    } finally {
      closeCall(callRef.current);
      callRef.current = null;
      dispatch({ type: "ended" });
      setBusy(null);
    }
  };

  const online = s.status !== "offline";
  const offer = s.offer;
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={7}>
        <Card title={t("desk.myStatus")} loading={!s.loaded && !error}>
          <Space orientation="vertical" style={{ width: "100%" }}>
            <Space>
              <Switch
                checked={online}
                loading={busy === "status"}
                disabled={!s.loaded || s.phase === "ringing" || onCall}
                onChange={setStatus}
                checkedChildren={t("desk.online")}
                unCheckedChildren={t("desk.offline")}
                data-testid="desk-status-switch"
              />
              <Tag color={statusColor(s.status)} data-testid="desk-status" data-status={s.status}>
                {t(`desk.statuses.${s.status}`)}
              </Tag>
            </Space>
            {s.statusSince && (
              <Typography.Text type="secondary" data-testid="desk-status-since">
                {t("desk.since", { when: formatTime(s.statusSince) })}
              </Typography.Text>
            )}
            <Typography.Text strong>{t("desk.myQueues")}</Typography.Text>
            {s.queues.length ? (
              <Space size={[4, 4]} wrap data-testid="desk-queues">
                {s.queues.map((q) => (
                  <Tag key={q.id} color="purple">
                    {q.name}
                  </Tag>
                ))}
              </Space>
            ) : (
              <Typography.Text type="secondary" data-testid="desk-no-queues">
                {t("desk.noQueues")}
              </Typography.Text>
            )}
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t("desk.remoteLevel")}: <span data-testid="desk-remote-level">{level.toFixed(3)}</span>
            </Typography.Text>
          </Space>
        </Card>
      </Col>
      <Col xs={24} lg={17}>
        {error && <Alert type="error" showIcon closable onClose={() => setError(null)} title={error} style={{ marginBottom: 16 }} data-testid="desk-error" />}
        {s.missed && <Alert type="warning" showIcon title={t("desk.missed")} style={{ marginBottom: 16 }} data-testid="desk-missed" />}
        {offer ? (
          <OfferCard
            offer={offer}
            phase={s.phase}
            talk={s.connectedAt !== null ? formatDuration(now - s.connectedAt) : null}
            level={level}
            busy={busy}
            role={me?.role}
            onAnswer={() => answer(offer)}
            onDecline={() => decline(offer)}
            onHangup={() => hangup(offer)}
          />
        ) : (
          <Card>
            {s.lastCall && (
              <Alert
                type="info"
                showIcon
                style={{ marginBottom: 16 }}
                data-testid="desk-last-call"
                title={t("desk.lastCall", { who: s.lastCall.offer.contact.name || showPhone(s.lastCall.offer.contact.phone, me?.role), talk: formatDuration(s.lastCall.talkMs) })}
              />
            )}
            {s.phase === "waiting" ? (
              <div style={{ textAlign: "center", padding: "48px 0" }} data-testid="desk-waiting">
                <Spin />
                <Typography.Paragraph type="secondary" style={{ marginTop: 16 }}>
                  {t("desk.waiting")}
                </Typography.Paragraph>
              </div>
            ) : (
              <Empty image={<CustomerServiceOutlined style={{ fontSize: 48, color: "#bfbfbf" }} />} description={<span data-testid="desk-idle">{s.phase === "ended" ? t("desk.ended") : t("desk.goOnline")}</span>} />
            )}
          </Card>
        )}
        <audio ref={audioRef} autoPlay data-testid="desk-audio" />
      </Col>
    </Row>
  );
}

function OfferCard({
  offer,
  phase,
  talk,
  level,
  busy,
  role,
  onAnswer,
  onDecline,
  onHangup,
}: {
  offer: Offer;
  phase: string;
  talk: string | null;
  level: number;
  busy: string | null;
  role: Parameters<typeof showPhone>[1];
  onAnswer: () => void;
  onDecline: () => void;
  onHangup: () => void;
}) {
  const { t } = useTranslation();
  const lines = transcriptLines(offer.transcript);
  const vars = valuePairs(offer.vars as Record<string, unknown>);
  const slots = valuePairs(offer.slots as Record<string, unknown>);
  const actions =
    phase === "ringing" ? (
      <Space>
        <Button type="primary" icon={<PhoneOutlined />} loading={busy === "answer"} disabled={busy !== null} onClick={onAnswer} data-testid="desk-answer">
          {t("desk.answer")}
        </Button>
        <Button danger loading={busy === "decline"} disabled={busy !== null} onClick={onDecline} data-testid="desk-decline">
          {t("desk.decline")}
        </Button>
      </Space>
    ) : (
      <Space>
        {phase === "connected" && talk !== null && (
          <Tag color="blue" data-testid="desk-timer">
            {talk}
          </Tag>
        )}
        <Button danger type="primary" icon={<PhoneOutlined rotate={135} />} loading={busy === "hangup"} disabled={phase === "connecting"} onClick={onHangup} data-testid="desk-hangup">
          {t("desk.hangup")}
        </Button>
      </Space>
    );
  return (
    <Card
      data-testid="desk-offer"
      data-phase={phase}
      title={
        <Space>
          <Tag color={phase === "ringing" ? "gold" : phase === "connected" ? "blue" : "default"} data-testid="desk-phase">
            {t(`desk.phases.${phase}`)}
          </Tag>
          <span data-testid="desk-contact">{offer.contact.name || t("desk.unknownCaller")}</span>
          <Typography.Text code data-testid="desk-phone">
            {showPhone(offer.contact.phone, role)}
          </Typography.Text>
        </Space>
      }
      extra={actions}
    >
      {phase === "connected" && (
        <Space style={{ marginBottom: 12, width: "100%" }}>
          <Typography.Text type="secondary">{t("desk.remoteLevel")}</Typography.Text>
          <Progress percent={Math.min(100, Math.round(level * 400))} showInfo={false} size="small" style={{ width: 160 }} />
        </Space>
      )}
      <Descriptions size="small" column={{ xs: 1, md: 2 }} data-testid="desk-offer-details">
        <Descriptions.Item label={t("desk.campaign")}>{offer.campaign_name || "—"}</Descriptions.Item>
        <Descriptions.Item label={t("desk.queue")}>
          <Tag color="purple">{offer.queue}</Tag>
        </Descriptions.Item>
        <Descriptions.Item label={t("desk.offeredAt")}>{formatTime(offer.offered_at)}</Descriptions.Item>
        <Descriptions.Item label={t("desk.why")} span="filled">
          <span data-testid="desk-why">
            {t("desk.whyText", { state: offer.transfer_state || "—", intent: offer.last_intent || "—" })}
          </span>
        </Descriptions.Item>
      </Descriptions>
      <Row gutter={16} style={{ marginTop: 12 }}>
        <Col xs={24} xl={15}>
          <Typography.Title level={5}>{t("desk.transcript")}</Typography.Title>
          <div data-testid="desk-transcript" style={{ maxHeight: 360, overflowY: "auto" }}>
            {lines.length === 0 ? (
              <Typography.Text type="secondary">{t("desk.noTranscript")}</Typography.Text>
            ) : (
              lines.map((l) => (
                <div key={l.key} data-testid="desk-line" data-who={l.who} style={{ marginBottom: 8, color: l.who === "callee" ? "#1677ff" : undefined }}>
                  {l.who === "callee" ? <UserOutlined /> : <RobotOutlined />} {l.text}{" "}
                  {l.state && <Tag color="purple">{l.state}</Tag>}
                  {l.intent && (
                    <Tag color="blue">
                      {t("scripts.intent")}: {l.intent}
                    </Tag>
                  )}
                  {l.sentiment && (
                    <Tag color={l.sentiment.color}>
                      {t("scripts.sentiment")}: {t(`scripts.sentiments.${l.sentiment.label}`)}
                      {l.sentiment.score !== null ? ` (${l.sentiment.score.toFixed(2)})` : ""}
                    </Tag>
                  )}
                </div>
              ))
            )}
          </div>
        </Col>
        <Col xs={24} xl={9}>
          <Typography.Title level={5}>{t("desk.vars")}</Typography.Title>
          <Pairs pairs={vars} testId="desk-vars" />
          <Typography.Title level={5} style={{ marginTop: 12 }}>
            {t("desk.slots")}
          </Typography.Title>
          <Pairs pairs={slots} testId="desk-slots" />
        </Col>
      </Row>
    </Card>
  );
}

function Pairs({ pairs, testId }: { pairs: [string, string][]; testId: string }) {
  const { t } = useTranslation();
  if (!pairs.length) return <Typography.Text type="secondary">{t("desk.none")}</Typography.Text>;
  return (
    <Descriptions size="small" column={1} bordered data-testid={testId}>
      {pairs.map(([k, v]) => (
        <Descriptions.Item key={k} label={k}>
          {v}
        </Descriptions.Item>
      ))}
    </Descriptions>
  );
}
