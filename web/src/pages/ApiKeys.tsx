// API keys: create one with a role and scopes (its secret shown once), see
// each key's prefix and last use, revoke.
import { PlusOutlined } from "@ant-design/icons";
import { App, Button, Checkbox, Form, Input, Popconfirm, Radio, Select, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, atLeast, keyRoles, keyScopes, unwrap, type ApiKey, type KeyRole, type NewApiKey, type Role } from "../api/client";
import { FormModal, useFormSubmit } from "../components/FormModal";
import { problemMessage } from "../components/forms";
import { ErrorAlert, PageHeader, PagedTable } from "../components/ListPage";
import { SecretOnceModal } from "../components/SecretOnce";
import { usePagedList } from "../components/usePagedList";
import { formatTime } from "../format";
import { useSession } from "../session/Session";

interface CreateValues {
  name: string;
  role: KeyRole;
  limit: "all" | "some";
  scopes?: string[];
}

export default function ApiKeysPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<NewApiKey | null>(null);

  const list = usePagedList((cursor) => unwrap(api.GET("/v1/api-keys", { params: { query: { limit: 50, cursor } } })));
  const { load } = list;

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
      <PageHeader
        title={t("nav.api-keys")}
        intro={t("keys.intro")}
        action={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} disabled={!canManage} data-testid="create-key">
            {t("keys.create")}
          </Button>
        }
      />
      <ErrorAlert error={list.error} />
      <PagedTable<ApiKey>
        list={list}
        empty={t("keys.empty")}
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
  const limit = Form.useWatch("limit", form);
  const submitting = useFormSubmit(form, ["name", "role", "scopes"], async (v: CreateValues) => {
    const k = await unwrap(
      api.POST("/v1/api-keys", { body: { name: v.name, role: v.role, scopes: v.limit === "some" ? (v.scopes ?? []) : undefined } }),
    );
    form.resetFields();
    onCreated(k);
  });
  return (
    <FormModal
      form={form}
      submitting={submitting}
      open={open}
      title={t("keys.create")}
      okText={t("keys.createButton")}
      onCancel={onClose}
      okTestId="create-key-submit"
      destroyOnHidden
    >
      <Form form={form} layout="vertical" onFinish={submitting.submit} initialValues={{ role: "operator", limit: "all" }} requiredMark={false}>
        <Form.Item name="name" label={t("keys.name")} extra={t("keys.nameHint")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input placeholder={t("keys.namePlaceholder")} data-testid="key-name" />
        </Form.Item>
        <Form.Item name="role" label={t("common.role")} extra={t("keys.roleHint")}>
          <Select
            data-testid="key-role"
            options={keyRoles.map((r) => ({ value: r, label: t(`roles.${r}`), disabled: !atLeast(myRole, r) }))}
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
              {keyScopes.map((s) => (
                <Checkbox key={s} value={s} data-testid={`scope-${s}`}>
                  <Typography.Text code>{s}</Typography.Text>
                  <div style={{ fontSize: 12, color: "#888" }}>{t(`scopes.${s.replace(":", "_")}`)}</div>
                </Checkbox>
              ))}
            </Checkbox.Group>
          </Form.Item>
        )}
      </Form>
    </FormModal>
  );
}
