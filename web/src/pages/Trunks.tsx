// SIP trunks and the caller-ID pool: where the tenant's calls go out and
// which numbers callees see; each trunk's health from its SIP OPTIONS
// pings, and a button to ping now.
import { DeleteOutlined, EditOutlined, PlusOutlined, ThunderboltOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Empty, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Tooltip, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { problemMessage, showProblem } from "../components/forms";
import { formatTime } from "../format";
import { useSession } from "../session/Session";

type Trunk = Schemas["TrunkBody"];

interface TrunkValues {
  name: string;
  host: string;
  port?: number | null;
  transport: "udp" | "tcp" | "tls";
  username?: string;
  password?: string;
  from_domain?: string;
  caller_ids?: string[];
  enabled: boolean;
}

const fields = ["name", "host", "port", "transport", "username", "password", "from_domain", "caller_ids", "enabled"] as const;

export default function TrunksPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const [items, setItems] = useState<Trunk[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Trunk | "new" | null>(null);
  const [checking, setChecking] = useState<string | null>(null);
  const canManage = atLeast(me?.role, "admin");

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const r = await unwrap(api.GET("/v1/trunks"));
      setItems(r.items ?? []);
      setError(null);
    } catch (e) {
      setError(problemMessage(e, t));
    } finally {
      setLoading(false);
    }
  }, [t]);
  useEffect(() => {
    void load();
  }, [load]);

  const check = async (tr: Trunk) => {
    setChecking(tr.id);
    try {
      const r = await unwrap(api.POST("/v1/trunks/{trunk_id}/check", { params: { path: { trunk_id: tr.id } } }));
      if (r.up) message.success(t("trunks.up", { ms: r.rtt_ms }));
      else message.warning(t("trunks.down", { detail: r.detail }));
      await load();
    } catch (e) {
      message.error(problemMessage(e, t));
    } finally {
      setChecking(null);
    }
  };
  const toggle = async (tr: Trunk, enabled: boolean) => {
    try {
      await unwrap(api.PATCH("/v1/trunks/{trunk_id}", { params: { path: { trunk_id: tr.id } }, body: { enabled } }));
      await load();
    } catch (e) {
      message.error(problemMessage(e, t));
    }
  };
  const remove = async (tr: Trunk) => {
    try {
      await unwrap(api.DELETE("/v1/trunks/{trunk_id}", { params: { path: { trunk_id: tr.id } } }));
      await load();
    } catch (e) {
      message.error(problemMessage(e, t));
    }
  };

  return (
    <>
      <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
        {t("nav.trunks")}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t("trunks.intro")}</Typography.Paragraph>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="trunks-error" />}
      <Card
        extra={
          <Button type="primary" icon={<PlusOutlined />} disabled={!canManage} onClick={() => setEditing("new")} data-testid="add-trunk">
            {t("trunks.add")}
          </Button>
        }
      >
        <Table<Trunk>
          rowKey="id"
          loading={loading}
          dataSource={items}
          pagination={false}
          data-testid="trunks-table"
          locale={{ emptyText: <Empty description={t("trunks.empty")} /> }}
          columns={[
            { title: t("trunks.name"), dataIndex: "name" },
            {
              title: t("trunks.address"),
              render: (_: unknown, tr) => (
                <Typography.Text code>
                  {tr.transport}://{tr.host}
                  {tr.port ? `:${tr.port}` : ""}
                </Typography.Text>
              ),
            },
            { title: t("trunks.username"), render: (_: unknown, tr) => (tr.username ? `${tr.username}${tr.has_password ? " · ••••" : ""}` : "—") },
            {
              title: t("trunks.callerIds"),
              dataIndex: "caller_ids",
              render: (ids: string[] | null) =>
                (ids ?? []).length ? (
                  <Space wrap size={4}>
                    {(ids ?? []).slice(0, 4).map((n) => (
                      <Tag key={n}>{n}</Tag>
                    ))}
                    {(ids ?? []).length > 4 && <Tag>+{(ids ?? []).length - 4}</Tag>}
                  </Space>
                ) : (
                  <Typography.Text type="secondary">{t("trunks.noCallerIds")}</Typography.Text>
                ),
            },
            {
              title: t("trunks.health"),
              render: (_: unknown, tr) =>
                tr.last_check_at ? (
                  <Tooltip title={`${formatTime(tr.last_check_at)} · ${tr.last_check_detail}`}>
                    <Tag color={tr.last_check_up ? "green" : "red"} data-testid="trunk-health">
                      {tr.last_check_up ? t("trunks.healthUp") : t("trunks.healthDown")}
                    </Tag>
                  </Tooltip>
                ) : (
                  <Tag data-testid="trunk-health">{t("trunks.notChecked")}</Tag>
                ),
            },
            { title: t("trunks.enabled"), render: (_: unknown, tr) => <Switch checked={tr.enabled} disabled={!canManage} onChange={(v) => toggle(tr, v)} size="small" /> },
            {
              title: t("common.actions"),
              render: (_: unknown, tr) => (
                <Space>
                  <Button size="small" icon={<ThunderboltOutlined />} loading={checking === tr.id} disabled={!canManage} onClick={() => check(tr)} data-testid="check-trunk">
                    {t("trunks.check")}
                  </Button>
                  <Button size="small" icon={<EditOutlined />} disabled={!canManage} onClick={() => setEditing(tr)}>
                    {t("common.edit")}
                  </Button>
                  <Popconfirm title={t("trunks.deleteConfirm")} okText={t("common.delete")} cancelText={t("common.cancel")} onConfirm={() => remove(tr)} disabled={!canManage}>
                    <Button size="small" danger icon={<DeleteOutlined />} disabled={!canManage} data-testid="delete-trunk" />
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <TrunkModal
        trunk={editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          void load();
        }}
      />
    </>
  );
}

function TrunkModal({ trunk, onClose, onSaved }: { trunk: Trunk | "new" | null; onClose: () => void; onSaved: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<TrunkValues>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const existing = trunk && trunk !== "new" ? trunk : null;

  useEffect(() => {
    if (!trunk) return;
    setError(null);
    form.resetFields();
    if (existing)
      form.setFieldsValue({
        name: existing.name,
        host: existing.host,
        port: existing.port || null,
        transport: existing.transport,
        username: existing.username,
        from_domain: existing.from_domain,
        caller_ids: existing.caller_ids ?? [],
        enabled: existing.enabled,
      });
  }, [trunk, existing, form]);

  const submit = async (v: TrunkValues) => {
    setBusy(true);
    setError(null);
    const body = {
      name: v.name,
      host: v.host,
      port: v.port ?? 0,
      transport: v.transport,
      username: v.username ?? "",
      from_domain: v.from_domain ?? "",
      caller_ids: v.caller_ids ?? [],
      enabled: v.enabled,
      ...(v.password ? { password: v.password } : {}),
    };
    try {
      if (existing) await unwrap(api.PATCH("/v1/trunks/{trunk_id}", { params: { path: { trunk_id: existing.id } }, body }));
      else await unwrap(api.POST("/v1/trunks", { body }));
      onSaved();
    } catch (e) {
      setError(showProblem(form, e, fields, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={trunk !== null}
      title={existing ? t("trunks.edit", { name: existing.name }) : t("trunks.add")}
      okText={t("common.save")}
      cancelText={t("common.cancel")}
      confirmLoading={busy}
      onOk={() => form.submit()}
      onCancel={onClose}
      okButtonProps={{ "data-testid": "trunk-submit" }}
      destroyOnHidden
      width={640}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={submit} requiredMark={false} initialValues={{ transport: "udp", enabled: true, caller_ids: [] }}>
        <Form.Item name="name" label={t("trunks.name")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input placeholder={t("trunks.namePlaceholder")} data-testid="trunk-name" />
        </Form.Item>
        <Space align="start" wrap>
          <Form.Item name="host" label={t("trunks.host")} rules={[{ required: true, message: t("errors.required") }]}>
            <Input placeholder="sip.carrier.example" style={{ width: 260 }} data-testid="trunk-host" />
          </Form.Item>
          <Form.Item name="port" label={t("trunks.port")}>
            <InputNumber min={0} max={65535} placeholder="5060" data-testid="trunk-port" />
          </Form.Item>
          <Form.Item name="transport" label={t("trunks.transport")}>
            <Select style={{ width: 100 }} options={["udp", "tcp", "tls"].map((x) => ({ value: x, label: x.toUpperCase() }))} />
          </Form.Item>
        </Space>
        <Space align="start" wrap>
          <Form.Item name="username" label={t("trunks.username")}>
            <Input style={{ width: 200 }} autoComplete="off" />
          </Form.Item>
          <Form.Item name="password" label={t("trunks.password")} extra={existing?.has_password ? t("trunks.passwordKept") : t("trunks.passwordHint")}>
            <Input.Password style={{ width: 200 }} autoComplete="new-password" />
          </Form.Item>
          <Form.Item name="from_domain" label={t("trunks.fromDomain")}>
            <Input style={{ width: 180 }} />
          </Form.Item>
        </Space>
        <Form.Item name="caller_ids" label={t("trunks.callerIds")} extra={t("trunks.callerIdsHint")}>
          <Select mode="tags" tokenSeparators={[",", " ", ","]} placeholder="+862150001234" data-testid="trunk-caller-ids" open={false} />
        </Form.Item>
        <Form.Item name="enabled" label={t("trunks.enabled")} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Form>
    </Modal>
  );
}
