// The supervisors' live view of the desk (operator+), read every 2 s: each
// queue's callers waiting and agents free or busy, every agent's status and
// since when, and the calls waiting for an agent or on with one.
import { Alert, Card, Col, Empty, Row, Space, Table, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../api/client";
import { problemMessage } from "../components/forms";
import { formatTime } from "../format";
import { agentEmail, formatDuration, statusColor, type DeskLive as Live, type LiveAgent, type LiveCall, type LiveQueue } from "./desk";

export default function DeskLive() {
  const { t } = useTranslation();
  const [live, setLive] = useState<Live | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());

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
              ]}
            />
          </Card>
        </Col>
      </Row>
    </div>
  );
}
