// Scripts: the tenant's dialog scripts and segmentation rules, with the
// newest and the published version of each; a new script opens in the
// editor with a small dialog to start from.
import { CodeOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Empty, Form, Input, Modal, Radio, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { problemMessage, showProblem } from "../components/forms";
import { formatTime } from "../format";
import { useSession } from "../session/Session";
import { starterDialog, starterSegment } from "./scriptTemplates";

type Script = Schemas["ScriptBody"];

export default function ScriptsPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const navigate = useNavigate();
  const [items, setItems] = useState<Script[]>([]);
  const [cursor, setCursor] = useState("");
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const canWrite = atLeast(me?.role, "operator");

  const load = useCallback(
    async (after = "") => {
      setLoading(true);
      try {
        const page = await unwrap(api.GET("/v1/scripts", { params: { query: { limit: 50, cursor: after || undefined } } }));
        setItems((prev) => (after ? [...prev, ...(page.items ?? [])] : (page.items ?? [])));
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

  return (
    <>
      <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
        {t("nav.scripts")}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t("scripts.intro")}</Typography.Paragraph>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Card
        extra={
          <Button type="primary" icon={<PlusOutlined />} disabled={!canWrite} onClick={() => setCreating(true)} data-testid="create-script">
            {t("scripts.create")}
          </Button>
        }
      >
        <Table<Script>
          rowKey="id"
          loading={loading}
          dataSource={items}
          pagination={false}
          locale={{
            emptyText: (
              <Empty image={<CodeOutlined style={{ fontSize: 48, color: "#bfbfbf" }} />} description={t("scripts.empty")}>
                {canWrite && (
                  <Button type="primary" onClick={() => setCreating(true)}>
                    {t("scripts.createFirst")}
                  </Button>
                )}
              </Empty>
            ),
          }}
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
        {cursor && (
          <Button style={{ marginTop: 16 }} onClick={() => load(cursor)}>
            {t("common.loadMore")}
          </Button>
        )}
      </Card>
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
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (v: CreateValues) => {
    setBusy(true);
    setError(null);
    try {
      const s = await unwrap(
        api.POST("/v1/scripts", {
          body: { name: v.name, kind: v.kind, description: v.description || undefined, source: v.kind === "segment" ? starterSegment : starterDialog },
        }),
      );
      form.resetFields();
      onCreated(s);
    } catch (e) {
      setError(showProblem(form, e, ["name", "kind", "description"], t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title={t("scripts.create")}
      okText={t("keys.createButton")}
      cancelText={t("common.cancel")}
      confirmLoading={busy}
      onOk={() => form.submit()}
      onCancel={onClose}
      okButtonProps={{ "data-testid": "create-script-submit" }}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={submit} requiredMark={false} initialValues={{ kind: "dialog" }}>
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
    </Modal>
  );
}
