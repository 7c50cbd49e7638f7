// Segmentation rules: a JavaScript function of one contact that returns a
// segment name. The editor counts a sample of a chosen list per segment as
// the rules are typed (POST /v1/segments/preview), shows every error at its
// line, and saves the rules as versions of a script of kind "segment" that
// campaigns use once published.
import { CloudUploadOutlined, PlusOutlined, SaveOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Col, Empty, Form, Input, InputNumber, Modal, Row, Select, Space, Statistic, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { ApiError } from "../api/problem";
import { problemMessage, showProblem } from "../components/forms";
import { formatTime } from "../format";
import { useSession } from "../session/Session";

type Script = Schemas["ScriptBody"];
type ContactList = Schemas["ListBody"];
type Preview = Schemas["PreviewSegmentsOutputBody"];
type Version = Schemas["VersionBody"];

/** A finding in the rules, at a line (0 when the API gave none). */
export interface LineError {
  line: number;
  column: number;
  message: string;
}

/** The findings a failed preview or save names, with their lines. */
export function lineErrors(err: unknown): LineError[] {
  if (!(err instanceof ApiError)) return [];
  const out: LineError[] = [];
  for (const d of err.problem.errors ?? []) {
    if (d.location !== "body.source") continue;
    const v = (d.value ?? {}) as { line?: number; column?: number; message?: string };
    if (typeof v.line === "number") {
      out.push({ line: v.line, column: v.column ?? 0, message: v.message ?? d.message ?? "" });
    } else {
      const m = /^(\d+):(\d+): (.*)$/.exec(d.message ?? "");
      out.push(m ? { line: Number(m[1]), column: Number(m[2]), message: m[3] } : { line: 0, column: 0, message: d.message ?? err.message });
    }
  }
  return out;
}

export const starterRules = `// 返回客户所在分群的名称;返回 null 表示不属于任何分群。
// Return the contact's segment name, or null for none.
export function segment(contact) {
  if (contact.vip === "true" || contact.vip === true) return "vip";
  if (Number(contact.orders) > 3) return "loyal";
  return "new";
}
`;

/** A code editor kept simple: a textarea beside its line numbers, lines with errors marked. */
export function CodeArea({ value, onChange, errorLines, readOnly, testId }: { value: string; onChange: (v: string) => void; errorLines: Set<number>; readOnly?: boolean; testId?: string }) {
  const lines = value.split("\n").length;
  const font = { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", fontSize: 13, lineHeight: "20px" };
  return (
    <div style={{ display: "flex", border: "1px solid #d9d9d9", borderRadius: 6, overflow: "hidden", background: "#fff" }}>
      <pre aria-hidden style={{ ...font, margin: 0, padding: "4px 8px", textAlign: "right", background: "#fafafa", color: "#999", userSelect: "none", minWidth: 40 }}>
        {Array.from({ length: lines }, (_, i) => (
          <div key={i} style={errorLines.has(i + 1) ? { color: "#ff4d4f", fontWeight: 600, background: "#fff1f0" } : undefined} data-testid={errorLines.has(i + 1) ? "error-line" : undefined}>
            {i + 1}
          </div>
        ))}
      </pre>
      <Input.TextArea
        value={value}
        onChange={(e) => onChange(e.target.value)}
        readOnly={readOnly}
        autoSize={{ minRows: 12 }}
        spellCheck={false}
        variant="borderless"
        wrap="off"
        style={{ ...font, padding: "4px 8px", resize: "none", whiteSpace: "pre", overflowX: "auto" }}
        data-testid={testId}
      />
    </div>
  );
}

export default function SegmentsPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const canWrite = atLeast(me?.role, "operator");
  const canPublish = atLeast(me?.role, "admin");

  const [lists, setLists] = useState<ContactList[] | null>(null);
  const [scripts, setScripts] = useState<Script[]>([]);
  const [scriptId, setScriptId] = useState<string | null>(null);
  const [listId, setListId] = useState<string | undefined>();
  const [sampleSize, setSampleSize] = useState(200);
  const [source, setSource] = useState(starterRules);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [errors, setErrors] = useState<LineError[]>([]);
  const [general, setGeneral] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [busy, setBusy] = useState(false);
  const [naming, setNaming] = useState(false);
  const [nameForm] = Form.useForm<{ name: string; description?: string }>();
  const [versions, setVersions] = useState<Version[]>([]);
  const seq = useRef(0);

  const script = scripts.find((s) => s.id === scriptId);

  const loadScripts = useCallback(async () => {
    const r = await unwrap(api.GET("/v1/scripts", { params: { query: { kind: "segment", limit: 100 } } }));
    setScripts(r.items ?? []);
    return r.items ?? [];
  }, []);

  useEffect(() => {
    unwrap(api.GET("/v1/lists", { params: { query: { limit: 100 } } }))
      .then((r) => {
        const items = r.items ?? [];
        setLists(items);
        const withContacts = items.find((l) => l.contacts > 0) ?? items[0];
        if (withContacts) setListId(withContacts.id);
      })
      .catch((e) => {
        setLists([]);
        setGeneral(problemMessage(e, t));
      });
    loadScripts().catch((e) => setGeneral(problemMessage(e, t)));
  }, [loadScripts, t]);

  useEffect(() => {
    if (!scriptId) {
      setVersions([]);
      return;
    }
    unwrap(api.GET("/v1/scripts/{script_id}/versions", { params: { path: { script_id: scriptId } } }))
      .then((r) => setVersions([...(r.items ?? [])].sort((a, b) => b.number - a.number)))
      .catch(() => setVersions([]));
  }, [scriptId, scripts]);

  const openVersion = async (n: number) => {
    if (!scriptId) return;
    try {
      const v = await unwrap(api.GET("/v1/scripts/{script_id}/versions/{version}", { params: { path: { script_id: scriptId, version: n } } }));
      setSource(v.source ?? "");
    } catch (e) {
      message.error(problemMessage(e, t));
    }
  };

  const publishVersion = async (n: number) => {
    if (!scriptId) return;
    try {
      await unwrap(api.POST("/v1/scripts/{script_id}/versions/{version}/publish", { params: { path: { script_id: scriptId, version: n } }, body: {} }));
      message.success(t("segments.publishedVersion", { version: n }));
      await loadScripts();
    } catch (e) {
      message.error(problemMessage(e, t));
    }
  };

  // Opening a saved script loads its newest version.
  const openScript = async (id: string | null) => {
    setScriptId(id);
    if (!id) {
      setSource(starterRules);
      return;
    }
    const s = scripts.find((x) => x.id === id);
    if (!s || s.latest_version < 1) return;
    try {
      const v = await unwrap(api.GET("/v1/scripts/{script_id}/versions/{version}", { params: { path: { script_id: id, version: s.latest_version } } }));
      setSource(v.source ?? "");
    } catch (e) {
      setGeneral(problemMessage(e, t));
    }
  };

  // Counts follow the typing, half a second after it stops.
  useEffect(() => {
    if (!listId || !source.trim()) return;
    const n = ++seq.current;
    const timer = setTimeout(async () => {
      setRunning(true);
      try {
        const r = await unwrap(api.POST("/v1/segments/preview", { body: { source, list_id: listId, sample_size: sampleSize } }));
        if (n !== seq.current) return;
        setPreview(r);
        setErrors((r.errors ?? []).filter((e) => e.line).map((e) => ({ line: e.line ?? 0, column: e.column ?? 0, message: e.message })));
        setGeneral(null);
      } catch (e) {
        if (n !== seq.current) return;
        const found = lineErrors(e);
        setErrors(found);
        setPreview(null);
        setGeneral(found.length ? null : problemMessage(e, t));
      } finally {
        if (n === seq.current) setRunning(false);
      }
    }, 500);
    return () => clearTimeout(timer);
  }, [source, listId, sampleSize, t]);

  const errorLines = useMemo(() => new Set(errors.map((e) => e.line).filter((l) => l > 0)), [errors]);

  const save = async (publish: boolean) => {
    if (!script) {
      setNaming(true);
      return;
    }
    setBusy(true);
    try {
      const v = await unwrap(api.POST("/v1/scripts/{script_id}/versions", { params: { path: { script_id: script.id } }, body: { source } }));
      if (publish) await unwrap(api.POST("/v1/scripts/{script_id}/versions/{version}/publish", { params: { path: { script_id: script.id, version: v.number } }, body: {} }));
      message.success(t(publish ? "segments.published" : "segments.saved", { version: v.number }));
      await loadScripts();
    } catch (e) {
      const found = lineErrors(e);
      if (found.length) setErrors(found);
      else message.error(problemMessage(e, t));
    } finally {
      setBusy(false);
    }
  };

  const create = async (v: { name: string; description?: string }) => {
    setBusy(true);
    try {
      const s = await unwrap(api.POST("/v1/scripts", { body: { name: v.name, kind: "segment", description: v.description || undefined, source } }));
      await loadScripts();
      setScriptId(s.id);
      setNaming(false);
      nameForm.resetFields();
      message.success(t("segments.saved", { version: 1 }));
    } catch (e) {
      const found = lineErrors(e);
      if (found.length) {
        setErrors(found);
        setNaming(false);
      } else {
        const rest = showProblem(nameForm, e, ["name", "description"], t);
        if (rest) message.error(rest);
      }
    } finally {
      setBusy(false);
    }
  };

  const noLists = lists !== null && lists.length === 0;
  const total = preview ? preview.sampled : 0;

  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between", marginBottom: 16 }} align="start">
        <div>
          <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
            {t("nav.segments")}
          </Typography.Title>
          <Typography.Text type="secondary">{t("segments.intro")}</Typography.Text>
        </div>
        <Space>
          <Select
            style={{ width: 260 }}
            value={scriptId ?? ""}
            onChange={(v) => void openScript(v || null)}
            data-testid="segment-script"
            options={[
              { value: "", label: t("segments.newRules") },
              ...scripts.map((s) => ({
                value: s.id,
                label: `${s.name} · v${s.latest_version}${s.published_version ? ` (${t("segments.publishedShort", { version: s.published_version })})` : ""}`,
              })),
            ]}
          />
          <Button icon={script ? <SaveOutlined /> : <PlusOutlined />} onClick={() => save(false)} loading={busy} disabled={!canWrite} data-testid="segment-save">
            {script ? t("segments.saveVersion") : t("segments.saveAs")}
          </Button>
          <Button type="primary" icon={<CloudUploadOutlined />} onClick={() => save(true)} loading={busy} disabled={!canPublish || !script} data-testid="segment-publish">
            {t("segments.savePublish")}
          </Button>
        </Space>
      </Space>
      {!canWrite && <Alert type="info" showIcon title={t("segments.readOnly")} style={{ marginBottom: 16 }} />}
      {general && <Alert type="error" showIcon title={general} style={{ marginBottom: 16 }} data-testid="segment-general-error" />}
      <Row gutter={16}>
        <Col xs={24} xl={14}>
          <Card title={t("segments.rules")} extra={<Typography.Text type="secondary">{t("segments.rulesHint")}</Typography.Text>}>
            <CodeArea value={source} onChange={setSource} errorLines={errorLines} readOnly={!canWrite} testId="segment-source" />
            {errors.length > 0 && (
              <div style={{ marginTop: 12 }} data-testid="segment-errors">
                {errors.map((e, i) => (
                  <Alert
                    key={i}
                    type="error"
                    style={{ marginBottom: 8 }}
                    title={e.line ? t("segments.errorAt", { line: e.line, column: e.column, message: e.message }) : e.message}
                  />
                ))}
              </div>
            )}
          </Card>
        </Col>
        <Col xs={24} xl={10}>
          <Card
            title={t("segments.counts")}
            extra={running ? <Typography.Text type="secondary">{t("segments.counting")}</Typography.Text> : null}
          >
            {noLists ? (
              <Empty description={t("segments.noLists")}>
                <Link to="/contacts">
                  <Button type="primary">{t("segments.importFirst")}</Button>
                </Link>
              </Empty>
            ) : (
              <>
                <Space wrap style={{ marginBottom: 16 }}>
                  <Select
                    style={{ width: 220 }}
                    value={listId}
                    onChange={setListId}
                    placeholder={t("segments.pickList")}
                    data-testid="segment-list"
                    options={(lists ?? []).map((l) => ({ value: l.id, label: `${l.name} (${l.contacts})` }))}
                  />
                  <Space>
                    {t("segments.sample")}
                    <InputNumber min={1} max={2000} value={sampleSize} onChange={(v) => setSampleSize(v ?? 200)} style={{ width: 90 }} />
                  </Space>
                </Space>
                {preview && (
                  <>
                    <Row gutter={16} style={{ marginBottom: 16 }}>
                      <Col span={8}>
                        <Statistic title={t("segments.sampled")} value={preview.sampled} suffix={`/ ${preview.list_contacts}`} />
                      </Col>
                      <Col span={8}>
                        <Statistic title={t("segments.segmentCount")} value={(preview.segments ?? []).filter((s) => s.segment).length} />
                      </Col>
                      <Col span={8}>
                        <Statistic title={t("segments.failed")} value={preview.failed} valueStyle={preview.failed ? { color: "#cf1322" } : undefined} />
                      </Col>
                    </Row>
                    <Table
                      rowKey="segment"
                      size="small"
                      pagination={false}
                      dataSource={preview.segments ?? []}
                      data-testid="segment-counts"
                      locale={{ emptyText: <Empty description={t("segments.emptySample")} /> }}
                      columns={[
                        {
                          title: t("segments.segment"),
                          dataIndex: "segment",
                          render: (s: string) => (s ? <Tag color="blue">{s}</Tag> : <Typography.Text type="secondary">{t("segments.none")}</Typography.Text>),
                        },
                        { title: t("segments.contacts"), dataIndex: "contacts", render: (n: number) => <span data-testid="segment-count">{n}</span> },
                        { title: t("segments.share"), dataIndex: "contacts", key: "share", render: (n: number) => (total ? `${Math.round((n * 100) / total)}%` : "—") },
                      ]}
                    />
                  </>
                )}
              </>
            )}
          </Card>
          {script && (
            <Card style={{ marginTop: 16 }} title={script.name}>
              <Typography.Paragraph type="secondary">
                {script.published_version ? t("segments.usable", { version: script.published_version }) : t("segments.notPublished")}
              </Typography.Paragraph>
              <Table<Version>
                rowKey="number"
                size="small"
                pagination={false}
                dataSource={versions}
                data-testid="segment-versions"
                columns={[
                  {
                    title: t("segments.version"),
                    dataIndex: "number",
                    render: (n: number, v) => (
                      <Space>
                        v{n}
                        {v.published_at && <Tag color="green">{t("segments.publishedTag")}</Tag>}
                      </Space>
                    ),
                  },
                  { title: t("segments.savedAt"), dataIndex: "created_at", render: formatTime },
                  {
                    title: t("common.actions"),
                    render: (_: unknown, v) => (
                      <Space>
                        <Button size="small" onClick={() => openVersion(v.number)}>
                          {t("segments.open")}
                        </Button>
                        {!v.published_at && (
                          <Button size="small" disabled={!canPublish} onClick={() => publishVersion(v.number)}>
                            {t("segments.publish")}
                          </Button>
                        )}
                      </Space>
                    ),
                  },
                ]}
              />
            </Card>
          )}
        </Col>
      </Row>
      <Modal
        open={naming}
        title={t("segments.saveAs")}
        okText={t("common.save")}
        cancelText={t("common.cancel")}
        confirmLoading={busy}
        onOk={() => nameForm.submit()}
        onCancel={() => setNaming(false)}
        okButtonProps={{ "data-testid": "segment-name-submit" }}
        forceRender
      >
        <Form form={nameForm} layout="vertical" onFinish={create} requiredMark={false}>
          <Form.Item name="name" label={t("segments.name")} rules={[{ required: true, message: t("errors.required") }]}>
            <Input placeholder={t("segments.namePlaceholder")} data-testid="segment-name" />
          </Form.Item>
          <Form.Item name="description" label={t("segments.description")}>
            <Input />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
