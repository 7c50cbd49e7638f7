// One webhook endpoint: its settings, a test send, secret rotation (the new
// secret shown once) and the delivery log with redelivery.
import { ArrowLeftOutlined, ReloadOutlined, SendOutlined, SyncOutlined } from "@ant-design/icons";
import { App, Button, Card, Descriptions, InputNumber, Modal, Popconfirm, Space, Switch, Tag, Typography } from "antd";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { api, atLeast, unwrap, type Delivery, type Endpoint } from "../api/client";
import { problemMessage } from "../components/forms";
import { ErrorAlert, PagedTable } from "../components/ListPage";
import { SecretOnceModal } from "../components/SecretOnce";
import { usePagedList } from "../components/usePagedList";
import { formatTime } from "../format";
import { useSession } from "../session/Session";
import { EndpointModal, EventTypesTags } from "./Webhooks";

export default function WebhookDetailPage() {
  const { t } = useTranslation();
  const { id = "" } = useParams();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { me } = useSession();
  const [endpoint, setEndpoint] = useState<Endpoint | null>(null);
  const [editing, setEditing] = useState(false);
  const [rotating, setRotating] = useState(false);
  const [overlapHours, setOverlapHours] = useState(24);
  const [secret, setSecret] = useState<string | null>(null);
  const polls = useRef<number[]>([]);

  // Each load reads the endpoint again with the page of deliveries.
  const list = usePagedList(async (cursor) => {
    const path = { endpoint_id: id };
    const [e, page] = await Promise.all([
      unwrap(api.GET("/v1/webhooks/endpoints/{endpoint_id}", { params: { path } })),
      unwrap(api.GET("/v1/webhooks/endpoints/{endpoint_id}/deliveries", { params: { path, query: { limit: 50, cursor } } })),
    ]);
    setEndpoint(e);
    return page;
  }, [id]);
  const { load } = list;
  useEffect(() => {
    const timers = polls.current;
    return () => timers.forEach((x) => clearTimeout(x));
  }, [load]);

  // Deliveries happen in the background: look again a few times.
  const refreshSoon = () => {
    for (const ms of [1000, 2500, 5000, 10000]) polls.current.push(window.setTimeout(() => void load(), ms));
  };

  const canManage = atLeast(me?.role, "admin");
  const path = { endpoint_id: id };
  const sendTest = async () => {
    try {
      await unwrap(api.POST("/v1/webhooks/endpoints/{endpoint_id}/test", { params: { path } }));
      message.success(t("webhooks.testQueued"));
      refreshSoon();
    } catch (e) {
      message.error(problemMessage(e, t));
    }
  };
  const rotate = async () => {
    try {
      const r = await unwrap(
        api.POST("/v1/webhooks/endpoints/{endpoint_id}/rotate-secret", { params: { path }, body: { overlap_seconds: Math.round(overlapHours * 3600) } }),
      );
      setRotating(false);
      setSecret(r.secret);
      void load();
    } catch (e) {
      message.error(problemMessage(e, t));
    }
  };
  const toggle = async (enabled: boolean) => {
    try {
      await unwrap(api.PATCH("/v1/webhooks/endpoints/{endpoint_id}", { params: { path }, body: { enabled } }));
    } catch (e) {
      message.error(problemMessage(e, t));
    }
    void load();
  };
  const remove = async () => {
    try {
      await unwrap(api.DELETE("/v1/webhooks/endpoints/{endpoint_id}", { params: { path } }));
      message.success(t("webhooks.deleted"));
      navigate("/webhooks");
    } catch (e) {
      message.error(problemMessage(e, t));
    }
  };
  const redeliver = async (d: Delivery) => {
    try {
      await unwrap(api.POST("/v1/webhooks/deliveries/{delivery_id}/redeliver", { params: { path: { delivery_id: d.id } } }));
      message.success(t("webhooks.redeliverQueued"));
      refreshSoon();
    } catch (e) {
      message.error(problemMessage(e, t));
    }
  };

  return (
    <>
      <Link to="/webhooks">
        <ArrowLeftOutlined /> {t("nav.webhooks")}
      </Link>
      <Typography.Title level={3} style={{ marginTop: 8 }} data-testid="page-title">
        {t("webhooks.endpoint")}
      </Typography.Title>
      <ErrorAlert error={list.error} />
      {endpoint && (
        <Card
          style={{ marginBottom: 16 }}
          extra={
            <Space wrap>
              <Button icon={<SendOutlined />} onClick={sendTest} disabled={!canManage || !endpoint.enabled} data-testid="send-test">
                {t("webhooks.sendTest")}
              </Button>
              <Button icon={<SyncOutlined />} onClick={() => setRotating(true)} disabled={!canManage} data-testid="rotate-secret">
                {t("webhooks.rotate")}
              </Button>
              <Button onClick={() => setEditing(true)} disabled={!canManage}>
                {t("common.edit")}
              </Button>
              <Popconfirm title={t("webhooks.deleteConfirm")} okText={t("common.delete")} okButtonProps={{ danger: true }} cancelText={t("common.cancel")} onConfirm={remove}>
                <Button danger disabled={!canManage}>
                  {t("common.delete")}
                </Button>
              </Popconfirm>
            </Space>
          }
        >
          <Descriptions column={1} size="small">
            <Descriptions.Item label={t("webhooks.url")}>
              <Typography.Text copyable data-testid="endpoint-url-value">
                {endpoint.url}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t("webhooks.description")}>{endpoint.description || "—"}</Descriptions.Item>
            <Descriptions.Item label={t("webhooks.events")}>
              <EventTypesTags types={endpoint.event_types ?? []} />
            </Descriptions.Item>
            <Descriptions.Item label={t("webhooks.enabled")}>
              <Space>
                <Switch checked={endpoint.enabled} disabled={!canManage} onChange={toggle} />
                {endpoint.disabled_reason && <Typography.Text type="danger">{endpoint.disabled_reason}</Typography.Text>}
              </Space>
            </Descriptions.Item>
            <Descriptions.Item label={t("webhooks.failures")}>{endpoint.consecutive_failures}</Descriptions.Item>
            {endpoint.previous_secret_expires_at && (
              <Descriptions.Item label={t("webhooks.previousSecret")}>
                {t("webhooks.previousSecretUntil", { time: formatTime(endpoint.previous_secret_expires_at) })}
              </Descriptions.Item>
            )}
            <Descriptions.Item label={t("common.created")}>{formatTime(endpoint.created_at)}</Descriptions.Item>
          </Descriptions>
        </Card>
      )}
      <PagedTable<Delivery>
        list={list}
        cardTitle={t("webhooks.deliveryLog")}
        extra={
          <Button icon={<ReloadOutlined />} onClick={() => load()} data-testid="refresh-deliveries">
            {t("common.refresh")}
          </Button>
        }
        data-testid="deliveries"
        empty={t("webhooks.noDeliveries")}
        expandable={{
          expandedRowRender: (d) => (
            <Space direction="vertical" style={{ width: "100%" }}>
              <Typography.Text type="secondary">
                {t("webhooks.eventId")}: <Typography.Text copyable>{d.event_id}</Typography.Text>
              </Typography.Text>
              {d.error && <Typography.Text type="danger">{d.error}</Typography.Text>}
              <pre style={{ whiteSpace: "pre-wrap", background: "#fafafa", padding: 8, margin: 0 }}>{d.response_excerpt || t("webhooks.noBody")}</pre>
            </Space>
          ),
        }}
        columns={[
          { title: t("webhooks.time"), dataIndex: "created_at", render: formatTime },
          { title: t("webhooks.event"), dataIndex: "event_type", render: (x: string) => <Tag>{x}</Tag> },
          { title: t("webhooks.attempt"), dataIndex: "attempt" },
          {
            title: t("common.status"),
            render: (_: unknown, d) =>
              d.status_code ? (
                <Tag color={d.status_code >= 200 && d.status_code < 300 ? "green" : "red"} data-testid="delivery-status">
                  {d.status_code}
                </Tag>
              ) : (
                <Tag color="red" data-testid="delivery-status">
                  {t("webhooks.noAnswer")}
                </Tag>
              ),
          },
          { title: t("webhooks.latency"), dataIndex: "latency_ms", render: (ms: number) => `${ms} ms` },
          {
            title: t("webhooks.excerpt"),
            render: (_: unknown, d) => (
              <Typography.Text ellipsis style={{ maxWidth: 260 }} type={d.error ? "danger" : undefined}>
                {d.error || d.response_excerpt || "—"}
              </Typography.Text>
            ),
          },
          {
            title: t("common.actions"),
            render: (_: unknown, d) => (
              <Button size="small" onClick={() => redeliver(d)} disabled={!canManage} data-testid="redeliver">
                {t("webhooks.redeliver")}
              </Button>
            ),
          },
        ]}
      />
      <EndpointModal
        endpoint={editing ? endpoint : null}
        onClose={() => setEditing(false)}
        onSaved={() => {
          setEditing(false);
          message.success(t("webhooks.saved"));
          void load();
        }}
      />
      <Modal
        open={rotating}
        title={t("webhooks.rotate")}
        okText={t("webhooks.rotateButton")}
        cancelText={t("common.cancel")}
        onOk={rotate}
        onCancel={() => setRotating(false)}
        okButtonProps={{ "data-testid": "rotate-submit" }}
      >
        <Typography.Paragraph>{t("webhooks.rotateExplain")}</Typography.Paragraph>
        <Space>
          {t("webhooks.overlap")}
          <InputNumber min={0} max={168} value={overlapHours} onChange={(v) => setOverlapHours(v ?? 0)} addonAfter={t("webhooks.hours")} />
        </Space>
      </Modal>
      <SecretOnceModal
        open={secret !== null}
        title={t("webhooks.newSecretTitle")}
        note={t("webhooks.newSecretNote", { hours: overlapHours })}
        value={secret ?? ""}
        testId="rotated-secret"
        onClose={() => setSecret(null)}
      />
    </>
  );
}
