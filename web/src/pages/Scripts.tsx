// Scripts: the tenant's dialog scripts and segmentation rules, with the
// newest and the published version of each; a new script opens in the
// editor with a small dialog to start from.
import { CodeOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Empty, Form, Input, Radio, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { FormModal, useFormSubmit } from "../components/FormModal";
import { ErrorAlert, PageHeader, PagedTable } from "../components/ListPage";
import { usePagedList } from "../components/usePagedList";
import { formatTime } from "../format";
import { useSession } from "../session/Session";
import { starterDialog, starterSegment } from "./scriptTemplates";

type Script = Schemas["ScriptBody"];

export default function ScriptsPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const canWrite = atLeast(me?.role, "operator");

  const list = usePagedList((cursor) => unwrap(api.GET("/v1/scripts", { params: { query: { limit: 50, cursor } } })));

  return (
    <>
      <PageHeader title={t("nav.scripts")} intro={t("scripts.intro")} />
      <ErrorAlert error={list.error} />
      <PagedTable<Script>
        list={list}
        extra={
          <Button type="primary" icon={<PlusOutlined />} disabled={!canWrite} onClick={() => setCreating(true)} data-testid="create-script">
            {t("scripts.create")}
          </Button>
        }
        empty={
          <Empty image={<CodeOutlined style={{ fontSize: 48, color: "#bfbfbf" }} />} description={t("scripts.empty")}>
            {canWrite && (
              <Button type="primary" onClick={() => setCreating(true)}>
                {t("scripts.createFirst")}
              </Button>
            )}
          </Empty>
        }
        columns={[
          {
            title: t("scripts.name"),
            render: (_: unknown, s) => (
              <>
                <Link to={`/scripts/${s.id}`} data-testid={`script-${s.name}`}>
                  {s.name}
                </Link>
                {s.description && (
                  <div>
                    <Typography.Text type="secondary">{s.description}</Typography.Text>
                  </div>
                )}
              </>
            ),
          },
          { title: t("scripts.kind"), dataIndex: "kind", render: (k: string) => <Tag>{t(`scripts.kinds.${k}`)}</Tag> },
          { title: t("scripts.latest"), dataIndex: "latest_version", render: (n: number) => (n ? `v${n}` : <Typography.Text type="secondary">{t("scripts.unsaved")}</Typography.Text>) },
          {
            title: t("scripts.published"),
            dataIndex: "published_version",
            render: (n: number) => (n ? <Tag color="green">v{n}</Tag> : <Tag>{t("scripts.notPublished")}</Tag>),
          },
          { title: t("common.created"), dataIndex: "created_at", render: formatTime },
        ]}
      />
      <CreateScriptModal open={creating} onClose={() => setCreating(false)} onCreated={(s) => navigate(`/scripts/${s.id}`)} />
    </>
  );
}

interface CreateValues {
  name: string;
  kind: "dialog" | "segment";
  description?: string;
}

function CreateScriptModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (s: Script) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<CreateValues>();
  const submitting = useFormSubmit(form, ["name", "kind", "description"], async (v: CreateValues) => {
    const s = await unwrap(
      api.POST("/v1/scripts", {
        body: { name: v.name, kind: v.kind, description: v.description || undefined, source: v.kind === "segment" ? starterSegment : starterDialog },
      }),
    );
    form.resetFields();
    onCreated(s);
  });
  return (
    <FormModal
      form={form}
      submitting={submitting}
      open={open}
      title={t("scripts.create")}
      okText={t("keys.createButton")}
      onCancel={onClose}
      okTestId="create-script-submit"
      destroyOnHidden
    >
      <Form form={form} layout="vertical" onFinish={submitting.submit} requiredMark={false} initialValues={{ kind: "dialog" }}>
        <Form.Item name="name" label={t("scripts.name")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input placeholder={t("scripts.namePlaceholder")} data-testid="script-name" />
        </Form.Item>
        <Form.Item name="kind" label={t("scripts.kind")} extra={t("scripts.kindHint")}>
          <Radio.Group>
            <Radio.Button value="dialog">{t("scripts.kinds.dialog")}</Radio.Button>
            <Radio.Button value="segment">{t("scripts.kinds.segment")}</Radio.Button>
          </Radio.Group>
        </Form.Item>
        <Form.Item name="description" label={t("webhooks.description")}>
          <Input />
        </Form.Item>
      </Form>
    </FormModal>
  );
}
