// API keys: create one with a role and scopes (its secret shown once), see
// each key's prefix and last use, revoke.
import { PlusOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Checkbox, Empty, Form, Input, Modal, Popconfirm, Radio, Select, Space, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, atLeast, roles, scopes, unwrap, type ApiKey, type NewApiKey, type Role } from "../api/client";
import { problemMessage, showProblem } from "../components/forms";
import { SecretOnceModal } from "../components/SecretOnce";
import { formatTime } from "../format";
import { useSession } from "../session/Session";

interface CreateValues {
  name: string;
  role: Role;
  limit: "all" | "some";
  scopes?: string[];
}

export default function ApiKeysPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [cursor, setCursor] = useState("");
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<NewApiKey | null>(null);

  const load = useCallback(
    async (after = "") => {
      setLoading(true);
      try {
        const page = await unwrap(api.GET("/v1/api-keys", { params: { query: { limit: 50, cursor: after || undefined } } }));
        setKeys((prev) => (after ? [...prev, ...(page.items ?? [])] : (page.items ?? [])));
        setCursor(page.next_cursor);
        setError(null);
      } catch (e) {
        setError(problemMessage(e, t));
      } finally {
        setLoading(false);
      }
    },
    [t],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const revoke = async (k: ApiKey) => {
    try {
      await unwrap(api.DELETE("/v1/api-keys/{key_id}", { params: { path: { key_id: k.id } } }));
      message.success(t("keys.revoked", { name: k.name }));
      void load();
    } catch (e) {
      message.error(problemMessage(e, t));
    }
  };

  const canManage = atLeast(me?.role, "admin");
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between", marginBottom: 16 }}>
        <div>
          <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
            {t("nav.api-keys")}
          </Typography.Title>
          <Typography.Text type="secondary">{t("keys.intro")}</Typography.Text>
        </div>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} disabled={!canManage} data-testid="create-key">
          {t("keys.create")}
        </Button>
      </Space>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Card>
        <Table<ApiKey>
          rowKey="id"
          loading={loading}
          dataSource={keys}
          pagination={false}
          locale={{ emptyText: <Empty description={t("keys.empty")} /> }}
          columns={[
            { title: t("keys.name"), dataIndex: "name" },
            { title: t("keys.prefix"), dataIndex: "prefix", render: (p: string) => <Typography.Text code>{p}…</Typography.Text> },
            { title: t("common.role"), dataIndex: "role", render: (r: Role) => t(`roles.${r}`) },
            {
              title: t("keys.scopes"),
              dataIndex: "scopes",
              render: (s: string[] | null) =>
                !s || s.includes("*") ? <Tag color="blue">{t("keys.allScopes")}</Tag> : s.map((x) => <Tag key={x}>{x}</Tag>),
            },
            { title: t("common.created"), dataIndex: "created_at", render: formatTime },
            { title: t("keys.lastUsed"), dataIndex: "last_used_at", render: (v?: string) => (v ? formatTime(v) : t("keys.neverUsed")) },
            {
              title: t("common.status"),
              render: (_: unknown, k) => (k.revoked_at ? <Tag>{t("keys.statusRevoked")}</Tag> : <Tag color="green">{t("keys.statusActive")}</Tag>),
            },
            {
              title: t("common.actions"),
              render: (_: unknown, k) =>
                !k.revoked_at && (
                  <Popconfirm title={t("keys.revokeConfirm", { name: k.name })} okText={t("keys.revoke")} okButtonProps={{ danger: true }} cancelText={t("common.cancel")} onConfirm={() => revoke(k)}>
                    <Button danger size="small" disabled={!canManage} data-testid={`revoke-${k.name}`}>
                      {t("keys.revoke")}
                    </Button>
                  </Popconfirm>
                ),
            },
          ]}
        />
        {cursor && (
          <Button style={{ marginTop: 16 }} onClick={() => load(cursor)}>
            {t("common.loadMore")}
          </Button>
        )}
      </Card>
      <CreateKeyModal
        open={creating}
        myRole={me?.role}
        onClose={() => setCreating(false)}
        onCreated={(k) => {
          setCreating(false);
          setCreated(k);
          void load();
        }}
      />
      <SecretOnceModal
        open={created !== null}
        title={t("keys.createdTitle", { name: created?.name })}
        note={t("keys.createdNote")}
        value={created?.secret ?? ""}
        testId="new-key-secret"
        onClose={() => setCreated(null)}
      />
    </>
  );
}

function CreateKeyModal({ open, myRole, onClose, onCreated }: { open: boolean; myRole?: Role; onClose: () => void; onCreated: (k: NewApiKey) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<CreateValues>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const limit = Form.useWatch("limit", form);

  const submit = async (v: CreateValues) => {
    setBusy(true);
    setError(null);
    try {
      const k = await unwrap(
        api.POST("/v1/api-keys", { body: { name: v.name, role: v.role, scopes: v.limit === "some" ? (v.scopes ?? []) : undefined } }),
      );
      form.resetFields();
      onCreated(k);
    } catch (e) {
      setError(showProblem(form, e, ["name", "role", "scopes"], t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title={t("keys.create")}
      okText={t("keys.createButton")}
      cancelText={t("common.cancel")}
      confirmLoading={busy}
      onOk={() => form.submit()}
      onCancel={onClose}
      okButtonProps={{ "data-testid": "create-key-submit" }}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ role: "operator", limit: "all" }} requiredMark={false}>
        <Form.Item name="name" label={t("keys.name")} extra={t("keys.nameHint")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input placeholder={t("keys.namePlaceholder")} data-testid="key-name" />
        </Form.Item>
        <Form.Item name="role" label={t("common.role")} extra={t("keys.roleHint")}>
          <Select
            data-testid="key-role"
            options={roles.map((r) => ({ value: r, label: t(`roles.${r}`), disabled: !atLeast(myRole, r) }))}
          />
        </Form.Item>
        <Form.Item name="limit" label={t("keys.scopes")}>
          <Radio.Group>
            <Radio value="all">{t("keys.scopesAll")}</Radio>
            <Radio value="some" data-testid="key-scopes-some">
              {t("keys.scopesSome")}
            </Radio>
          </Radio.Group>
        </Form.Item>
        {limit === "some" && (
          <Form.Item name="scopes" rules={[{ required: true, message: t("keys.pickScope") }]}>
            <Checkbox.Group style={{ display: "grid", gridTemplateColumns: "1fr 1fr", gap: 4 }}>
              {scopes.map((s) => (
                <Checkbox key={s} value={s} data-testid={`scope-${s}`}>
                  <Typography.Text code>{s}</Typography.Text>
                  <div style={{ fontSize: 12, color: "#888" }}>{t(`scopes.${s.replace(":", "_")}`)}</div>
                </Checkbox>
              ))}
            </Checkbox.Group>
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}
