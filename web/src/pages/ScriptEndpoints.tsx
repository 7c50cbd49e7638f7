// Script endpoints: the tenant's HTTPS services its dialog scripts may
// call mid-call (a state's http). Admins register them (the signing secret
// shown once), rotate their secrets and delete them; everyone reads.
import { PlusOutlined } from "@ant-design/icons";
import { App, Button, Form, Input, Popconfirm, Space, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { FormModal, useFormSubmit } from "../components/FormModal";
import { problemMessage } from "../components/forms";
import { ErrorAlert, PagedTable } from "../components/ListPage";
import { SecretOnceModal } from "../components/SecretOnce";
import { usePagedList } from "../components/usePagedList";
import { formatTime } from "../format";
import { useSession } from "../session/Session";

type ScriptEndpoint = Schemas["ScriptEndpointBody"];

interface Values {
  name: string;
  url: string;
  description?: string;
}

export default function ScriptEndpoints() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const canManage = atLeast(me?.role, "admin");
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [form] = Form.useForm<Values>();
  const list = usePagedList(async () => ({ items: (await unwrap(api.GET("/v1/script-endpoints"))).items, next_cursor: "" }));
  const { load } = list;

  const submitting = useFormSubmit(form, ["name", "url", "description"], async (v: Values) => {
    const r = await unwrap(api.POST("/v1/script-endpoints", { body: { name: v.name, url: v.url, description: v.description || undefined } }));
    setAdding(false);
    form.resetFields();
    setSecret(r.secret);
    void load();
  });
  const rotate = async (e: ScriptEndpoint) => {
    try {
      const r = await unwrap(api.POST("/v1/script-endpoints/{script_endpoint_id}/rotate-secret", { params: { path: { script_endpoint_id: e.id } } }));
      setSecret(r.secret);
    } catch (err) {
      message.error(problemMessage(err, t));
    }
  };
  const remove = async (e: ScriptEndpoint) => {
    try {
      await unwrap(api.DELETE("/v1/script-endpoints/{script_endpoint_id}", { params: { path: { script_endpoint_id: e.id } } }));
      message.success(t("scriptEndpoints.deleted"));
    } catch (err) {
      message.error(problemMessage(err, t));
    }
    void load();
  };

  return (
    <div data-testid="script-endpoints">
      <Space style={{ width: "100%", justifyContent: "space-between", marginTop: 32, marginBottom: 16 }}>
        <div>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t("scriptEndpoints.title")}
          </Typography.Title>
          <Typography.Text type="secondary">{t("scriptEndpoints.intro")}</Typography.Text>
        </div>
        <Button icon={<PlusOutlined />} onClick={() => setAdding(true)} disabled={!canManage} data-testid="add-script-endpoint">
          {t("scriptEndpoints.add")}
        </Button>
      </Space>
      {!canManage && <Typography.Paragraph type="secondary">{t("scriptEndpoints.readOnly")}</Typography.Paragraph>}
      <ErrorAlert error={list.error} />
      <PagedTable<ScriptEndpoint>
        list={list}
        data-testid="script-endpoint-table"
        empty={t("scriptEndpoints.empty")}
        columns={[
          { title: t("scriptEndpoints.name"), render: (_: unknown, e) => <Typography.Text code>{e.name}</Typography.Text> },
          {
            title: t("scriptEndpoints.url"),
            render: (_: unknown, e) => (
              <>
                <span data-testid="script-endpoint-url">{e.url}</span>
                {e.description && (
                  <div>
                    <Typography.Text type="secondary">{e.description}</Typography.Text>
                  </div>
                )}
              </>
            ),
          },
          { title: t("common.created"), dataIndex: "created_at", render: formatTime },
          {
            title: t("common.actions"),
            render: (_: unknown, e) => (
              <Space>
                <Popconfirm title={t("scriptEndpoints.rotateConfirm")} onConfirm={() => rotate(e)} disabled={!canManage}>
                  <Button size="small" disabled={!canManage}>
                    {t("scriptEndpoints.rotate")}
                  </Button>
                </Popconfirm>
                <Popconfirm title={t("scriptEndpoints.deleteConfirm")} onConfirm={() => remove(e)} disabled={!canManage}>
                  <Button size="small" danger disabled={!canManage} data-testid="delete-script-endpoint">
                    {t("scriptEndpoints.delete")}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <FormModal
        form={form}
        submitting={submitting}
        open={adding}
        title={t("scriptEndpoints.add")}
        okText={t("webhooks.addButton")}
        onCancel={() => setAdding(false)}
        okTestId="script-endpoint-submit"
      >
        <Form form={form} layout="vertical" onFinish={submitting.submit} requiredMark={false}>
          <Form.Item
            name="name"
            label={t("scriptEndpoints.name")}
            extra={t("scriptEndpoints.nameHint")}
            rules={[
              { required: true, message: t("errors.required") },
              { pattern: /^[a-z][a-z0-9_]*$/, message: t("scriptEndpoints.nameHint") },
            ]}
          >
            <Input placeholder="crm" maxLength={40} data-testid="script-endpoint-name" />
          </Form.Item>
          <Form.Item name="url" label={t("scriptEndpoints.url")} extra={t("scriptEndpoints.urlHint")} rules={[{ required: true, message: t("errors.required") }]}>
            <Input placeholder="https://crm.example.com/outcall" data-testid="script-endpoint-url-input" />
          </Form.Item>
          <Form.Item name="description" label={t("scriptEndpoints.description")}>
            <Input maxLength={500} />
          </Form.Item>
        </Form>
      </FormModal>
      <SecretOnceModal
        open={secret !== null}
        title={t("scriptEndpoints.secretTitle")}
        note={t("scriptEndpoints.secretNote")}
        value={secret ?? ""}
        testId="script-endpoint-secret"
        onClose={() => setSecret(null)}
      />
    </div>
  );
}
