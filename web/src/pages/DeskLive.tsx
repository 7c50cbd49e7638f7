// The supervisors' live view of the desk (operator+), read every 2 s: each
// queue's callers waiting and agents free or busy, every agent's status and
// since when, and the calls waiting for an agent or on with one. A connected
// call can be listened in on: the browser receives both voices mixed by the
// server (WebRTC, receive only); stopping closes the connection.
import { SoundOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Col, Empty, Row, Space, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../api/client";
import { problemMessage } from "../components/forms";
import { formatTime } from "../format";
import {
  agentEmail,
  closeCall,
  connectionEnded,
  formatDuration,
  liveConnected,
  startListening,
  statusColor,
  type DeskLive as Live,
  type LiveAgent,
  type LiveCall,
  type LiveQueue,
} from "./desk";
import { useAudioContext, usePlayback, useRemoteLevel } from "./deskAudio";

/** The call listened in on, and its audio. */
interface Listen {
  call: LiveCall;
  stream: MediaStream;
}

/** POST /v1/desk/live/{offer_id}/listen: the browser's offer for the server's answer. */
const postListen = async (offerId: string, sdp: string) => (await unwrap(api.POST("/v1/desk/live/{offer_id}/listen", { params: { path: { offer_id: offerId } }, body: { sdp } }))).sdp;

export default function DeskLive() {
  const { t } = useTranslation();
  const [live, setLive] = useState<Live | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const { message } = App.useApp();
  const context = useAudioContext();
  const [listen, setListen] = useState<Listen | null>(null);
  /** The call whose listening is being set up. */
  const [joining, setJoining] = useState<string | null>(null);
  const [listenError, setListenError] = useState<string | null>(null);
  const pcRef = useRef<RTCPeerConnection | null>(null);
  /** The current listening's; aborting it gives that one up. */
  const ctlRef = useRef<AbortController | null>(null);
  const audioRef = useRef<HTMLAudioElement>(null);
  const level = useRemoteLevel(listen?.stream ?? null, context);
  usePlayback(audioRef, listen?.stream ?? null);

  useEffect(() => {
    let stopped = false;
    const load = () =>
      unwrap(api.GET("/v1/desk/live"))
        .then((l) => {
          if (stopped) return;
          setLive(l);
          setNow(Date.now());
          setError(null);
        })
        .catch((e) => !stopped && setError(problemMessage(e, t)));
    void load();
    const timer = setInterval(load, 2000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [t]);

  /** Stops listening (or setting it up): the connection closes; the API is not called. */
  const stop = useCallback(() => {
    ctlRef.current?.abort();
    ctlRef.current = null;
    closeCall({ pc: pcRef.current ?? undefined });
    pcRef.current = null;
    setListen(null);
    setJoining(null);
  }, []);
  useEffect(() => stop, [stop]);

  const listenTo = async (call: LiveCall) => {
    stop();
    setListenError(null);
    // Made now, while the click lets a page start audio.
    context();
    const ctl = new AbortController();
    ctlRef.current = ctl;
    setJoining(call.offer_id);
    try {
      const l = await startListening(postListen, call.offer_id, {
        signal: ctl.signal,
        onState: (state) => {
          if (!connectionEnded(state) || ctlRef.current !== ctl) return;
          stop();
          message.warning(t("desk.live.listenLost"));
        },
      });
      if (ctl.signal.aborted) {
        closeCall(l);
        return;
      }
      pcRef.current = l.pc;
      setListen({ call, stream: l.stream });
    } catch (e) {
      if (ctl.signal.aborted) return;
      setListenError(t("desk.live.listenFailed", { why: problemMessage(e, t) }));
    } finally {
      if (ctlRef.current === ctl) setJoining(null);
    }
  };

  // The call hung up (it left the list, or is no longer connected): stop listening.
  const target = listen?.call.offer_id ?? joining;
  useEffect(() => {
    if (!target || !live || liveConnected(live.calls, target)) return;
    stop();
    message.info(t("desk.live.listenEnded"));
  }, [live, target, stop, message, t]);
  const listened = listen ? (live?.calls?.find((c) => c.offer_id === listen.call.offer_id) ?? listen.call) : null;

  const since = (iso: string | null | undefined) => {
    if (!iso) return "—";
    const ms = now - Date.parse(iso);
    return (
      <Space size={4}>
        <span>{formatTime(iso)}</span>
        {ms >= 0 && <Typography.Text type="secondary">({formatDuration(ms)})</Typography.Text>}
      </Space>
    );
  };
  const empty = (text: string) => ({ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={text} /> });

  return (
    <div data-testid="desk-live">
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="desk-live-error" />}
      {listenError && <Alert type="error" showIcon closable onClose={() => setListenError(null)} title={listenError} style={{ marginBottom: 16 }} data-testid="live-listen-error" />}
      {listen && listened && (
        <Card size="small" style={{ marginBottom: 16 }} data-testid="live-listening" data-offer-id={listened.offer_id}>
          <Space wrap size="middle">
            <Tag color="red" icon={<SoundOutlined />}>
              {t("desk.live.listening")}
            </Tag>
            <Typography.Text strong data-testid="live-listen-call">
              {t("desk.live.listenWhat", { contact: listened.contact_name || "—", queue: listened.queue, agent: agentEmail(live?.agents, listened.agent_id) || "—" })}
            </Typography.Text>
            <Typography.Text type="secondary">
              {t("desk.live.level")}: <span data-testid="live-level">{level.toFixed(3)}</span>
            </Typography.Text>
            <Button danger size="small" onClick={stop} data-testid="live-stop">
              {t("desk.live.stop")}
            </Button>
          </Space>
          <Typography.Paragraph type="secondary" style={{ margin: "8px 0 0", fontSize: 12 }}>
            {t("desk.live.listenHint")}
          </Typography.Paragraph>
          <audio ref={audioRef} autoPlay data-testid="live-audio" />
        </Card>
      )}
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={10}>
          <Card title={t("desk.live.queues")} size="small">
            <Table<LiveQueue>
              rowKey="id"
              size="small"
              pagination={false}
              loading={!live && !error}
              dataSource={live?.queues ?? []}
              locale={empty(t("desk.live.noQueues"))}
              data-testid="live-queues"
              columns={[
                { title: t("desk.queue"), dataIndex: "name", render: (n: string) => <Tag color="purple">{n}</Tag> },
                { title: t("desk.live.waiting"), dataIndex: "waiting", render: (n: number) => <Typography.Text type={n > 0 ? "warning" : undefined} strong={n > 0}>{n}</Typography.Text> },
                { title: t("desk.live.available"), dataIndex: "available" },
                { title: t("desk.live.busy"), dataIndex: "busy" },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={14}>
          <Card title={t("desk.live.agents")} size="small">
            <Table<LiveAgent>
              rowKey="user_id"
              size="small"
              pagination={false}
              loading={!live && !error}
              dataSource={live?.agents ?? []}
              locale={empty(t("desk.live.noAgents"))}
              data-testid="live-agents"
              columns={[
                { title: t("desk.live.agent"), dataIndex: "email" },
                { title: t("common.status"), dataIndex: "status", render: (s: string) => <Tag color={statusColor(s)}>{t(`desk.statuses.${s}`, { defaultValue: s })}</Tag> },
                { title: t("desk.live.since"), dataIndex: "status_since", render: since },
                {
                  title: t("desk.live.queuesServed"),
                  dataIndex: "queues",
                  render: (qs: string[] | null) => (
                    <Space size={[4, 4]} wrap>
                      {(qs ?? []).map((q) => (
                        <Tag key={q}>{q}</Tag>
                      ))}
                    </Space>
                  ),
                },
              ]}
            />
          </Card>
        </Col>
        <Col span={24}>
          <Card title={t("desk.live.calls")} size="small">
            <Table<LiveCall>
              rowKey="offer_id"
              size="small"
              pagination={false}
              loading={!live && !error}
              dataSource={live?.calls ?? []}
              locale={empty(t("desk.live.noCalls"))}
              data-testid="live-calls"
              columns={[
                { title: t("desk.queue"), dataIndex: "queue", render: (n: string) => <Tag color="purple">{n}</Tag> },
                { title: t("desk.live.contact"), dataIndex: "contact_name", render: (n: string) => n || "—" },
                { title: t("common.status"), dataIndex: "state", render: (s: string) => <Tag color={statusColor(s)}>{t(`desk.live.callStates.${s}`, { defaultValue: s })}</Tag> },
                { title: t("desk.live.since"), dataIndex: "since", render: since },
                { title: t("desk.live.agent"), dataIndex: "agent_id", render: (id: string | null) => agentEmail(live?.agents, id) || "—" },
                {
                  title: t("common.actions"),
                  key: "listen",
                  render: (_: unknown, c: LiveCall) => {
                    if (c.state !== "connected") return null;
                    if (listen?.call.offer_id === c.offer_id)
                      return (
                        <Tag color="red" icon={<SoundOutlined />}>
                          {t("desk.live.listening")}
                        </Tag>
                      );
                    return (
                      <Button
                        size="small"
                        icon={<SoundOutlined />}
                        loading={joining === c.offer_id}
                        disabled={joining !== null && joining !== c.offer_id}
                        onClick={() => void listenTo(c)}
                        data-testid="live-listen"
                        data-offer-id={c.offer_id}
                      >
                        {t("desk.live.listen")}
                      </Button>
                    );
                  },
                },
              ]}
            />
          </Card>
        </Col>
      </Row>
    </div>
  );
}
