// Webhooks: endpoints that receive signed events. List, register (secret
// shown once), edit, enable or disable; each endpoint's page has the
// delivery log, test sends, secret rotation and redelivery.
import { PlusOutlined } from "@ant-design/icons";
import { App, Button, Form, Input, Select, Space, Switch, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, atLeast, unwrap, type Endpoint } from "../api/client";
import { FormModal, useFormSubmit } from "../components/FormModal";
import { problemMessage } from "../components/forms";
import { ErrorAlert, PageHeader, PagedTable } from "../components/ListPage";
import { SecretOnceModal } from "../components/SecretOnce";
import { usePagedList } from "../components/usePagedList";
import { formatTime } from "../format";
import { useSession } from "../session/Session";
import ScriptEndpoints from "./ScriptEndpoints";

export function EventTypesTags({ types }: { types: string[] }) {
  const { t } = useTranslation();
  if (types.length === 0) return <Tag color="blue">{t("webhooks.allEvents")}</Tag>;
  return (
    <>
      {types.map((x) => (
        <Tag key={x}>{x}</Tag>
      ))}
    </>
  );
}

export function useEventTypes() {
  const [types, setTypes] = useState<{ type: string; description: string }[]>([]);
  useEffect(() => {
    unwrap(api.GET("/v1/webhooks/event-types"))
      .then((r) => setTypes(r.items ?? []))
      .catch(() => setTypes([]));
  }, []);
  return types;
}

export default function WebhooksPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const [editing, setEditing] = useState<Endpoint | "new" | null>(null);
  const [secret, setSecret] = useState<string | null>(null);

  const list = usePagedList((cursor) => unwrap(api.GET("/v1/webhooks/endpoints", { params: { query: { limit: 50, cursor } } })));
  const { load } = list;

  const canManage = atLeast(me?.role, "admin");
  const toggle = async (e: Endpoint, enabled: boolean) => {
    try {
      await unwrap(api.PATCH("/v1/webhooks/endpoints/{endpoint_id}", { params: { path: { endpoint_id: e.id } }, body: { enabled } }));
      message.success(enabled ? t("webhooks.enabledNow") : t("webhooks.disabledNow"));
    } catch (err) {
      message.error(problemMessage(err, t));
    }
    void load();
  };

  return (
    <>
      <PageHeader
        title={t("nav.webhooks")}
        intro={t("webhooks.intro")}
        action={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing("new")} disabled={!canManage} data-testid="add-endpoint">
            {t("webhooks.add")}
          </Button>
        }
      />
      <ErrorAlert error={list.error} />
      <PagedTable<Endpoint>
        list={list}
        empty={t("webhooks.empty")}
        columns={[
          {
            title: t("webhooks.url"),
            render: (_: unknown, e) => (
              <>
                <Link to={`/webhooks/${e.id}`} data-testid="endpoint-link">
                  {e.url}
                </Link>
                {e.description && (
                  <div>
                    <Typography.Text type="secondary">{e.description}</Typography.Text>
                  </div>
                )}
              </>
            ),
          },
          { title: t("webhooks.events"), dataIndex: "event_types", render: (types: string[] | null) => <EventTypesTags types={types ?? []} /> },
          {
            title: t("webhooks.enabled"),
            render: (_: unknown, e) => (
              <Space direction="vertical" size={0}>
                <Switch checked={e.enabled} disabled={!canManage} onChange={(v) => toggle(e, v)} data-testid="endpoint-enabled" />
                {e.disabled_reason && <Typography.Text type="danger">{e.disabled_reason}</Typography.Text>}
              </Space>
            ),
          },
          { title: t("webhooks.failures"), dataIndex: "consecutive_failures" },
          { title: t("common.created"), dataIndex: "created_at", render: formatTime },
          {
            title: t("common.actions"),
            render: (_: unknown, e) => (
              <Space>
                <Button size="small" onClick={() => setEditing(e)} disabled={!canManage}>
                  {t("common.edit")}
                </Button>
                <Link to={`/webhooks/${e.id}`}>{t("webhooks.deliveries")}</Link>
              </Space>
            ),
          },
        ]}
      />
      <EndpointModal
        endpoint={editing}
        onClose={() => setEditing(null)}
        onSaved={(s) => {
          setEditing(null);
          if (s) setSecret(s);
          else message.success(t("webhooks.saved"));
          void load();
        }}
      />
      <SecretOnceModal
        open={secret !== null}
        title={t("webhooks.secretTitle")}
        note={t("webhooks.secretNote")}
        value={secret ?? ""}
        testId="endpoint-secret"
        onClose={() => setSecret(null)}
      />
      <ScriptEndpoints />
    </>
  );
}

interface EndpointValues {
  url: string;
  description?: string;
  event_types?: string[];
  enabled: boolean;
}

/** Registers an endpoint ("new") or edits one; onSaved gets the new secret. */
export function EndpointModal({ endpoint, onClose, onSaved }: { endpoint: Endpoint | "new" | null; onClose: () => void; onSaved: (secret?: string) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<EndpointValues>();
  const types = useEventTypes();
  const isNew = endpoint === "new";
  const submitting = useFormSubmit(form, ["url", "description", "event_types", "enabled"], async (v: EndpointValues) => {
    if (isNew) {
      const r = await unwrap(
        api.POST("/v1/webhooks/endpoints", {
          body: { url: v.url, description: v.description || undefined, event_types: v.event_types?.length ? v.event_types : undefined, enabled: v.enabled },
        }),
      );
      onSaved(r.secret);
    } else if (endpoint) {
      await unwrap(
        api.PATCH("/v1/webhooks/endpoints/{endpoint_id}", {
          params: { path: { endpoint_id: endpoint.id } },
          body: {
            url: v.url,
            description: v.description ?? "",
            event_types: v.event_types ?? [],
            // Enabling clears the failure count: send it only when it changes.
            enabled: v.enabled === endpoint.enabled ? undefined : v.enabled,
          },
        }),
      );
      onSaved();
    }
  });
  const { setError } = submitting;

  useEffect(() => {
    setError(null);
    if (endpoint && endpoint !== "new") {
      form.setFieldsValue({ url: endpoint.url, description: endpoint.description, event_types: endpoint.event_types ?? [], enabled: endpoint.enabled });
    } else if (endpoint === "new") {
      form.resetFields();
    }
  }, [endpoint, form, setError]);

  return (
    <FormModal
      form={form}
      submitting={submitting}
      open={endpoint !== null}
      title={isNew ? t("webhooks.add") : t("webhooks.edit")}
      okText={isNew ? t("webhooks.addButton") : t("common.save")}
      onCancel={onClose}
      okTestId="endpoint-submit"
      forceRender
    >
      <Form form={form} layout="vertical" onFinish={submitting.submit} initialValues={{ enabled: true }} requiredMark={false}>
        <Form.Item name="url" label={t("webhooks.url")} extra={t("webhooks.urlHint")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input placeholder="https://crm.example.com/outcall/events" data-testid="endpoint-url" />
        </Form.Item>
        <Form.Item name="description" label={t("webhooks.description")}>
          <Input placeholder={t("webhooks.descriptionPlaceholder")} data-testid="endpoint-description" />
        </Form.Item>
        <Form.Item name="event_types" label={t("webhooks.events")} extra={t("webhooks.eventsHint")}>
          <Select
            mode="multiple"
            allowClear
            placeholder={t("webhooks.allEvents")}
            data-testid="endpoint-events"
            options={types.map((x) => ({ value: x.type, label: x.type, title: x.description }))}
          />
        </Form.Item>
        <Form.Item name="enabled" label={t("webhooks.enabled")} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Form>
    </FormModal>
  );
}
