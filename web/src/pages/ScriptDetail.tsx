// One script: the JavaScript editor with the API's findings at their line,
// the dialog drawn as a graph, the version history with publish, and a
// simulator to talk to a saved version turn by turn.
import { CheckCircleOutlined, CloudUploadOutlined, RobotOutlined, SaveOutlined, SendOutlined, UserOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Col, Empty, Form, Input, List, Popconfirm, Row, Select, Space, Table, Tabs, Tag, Tooltip, Typography } from "antd";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { ApiError } from "../api/problem";
import { problemMessage } from "../components/forms";
import { graphOption } from "../components/dialogGraph";
import LazyChart from "../components/LazyChart";
import LazyCodeEditor from "../components/LazyCodeEditor";
import type { SourceDiagnostic } from "../components/CodeEditor";
import { formatTime } from "../format";
import { useSession } from "../session/Session";
import { ModelTag } from "../components/ModelTag";
import { RequestTags } from "../components/RequestTags";

type Script = Schemas["ScriptBody"];
type Version = Schemas["VersionBody"];
type Graph = Schemas["Graph"];
type Diagnostic = Schemas["Diagnostic"];
type Transcript = Schemas["Transcript"];

/** The diagnostics a refused save or publish carries (problem errors[].value). */
export function diagnosticsOf(err: unknown): Diagnostic[] {
  if (!(err instanceof ApiError)) return [];
  return (err.problem.errors ?? [])
    .map((e) => e.value as Diagnostic | undefined)
    .filter((d): d is Diagnostic => typeof d === "object" && d !== null && typeof d.line === "number" && typeof d.message === "string");
}

export default function ScriptDetailPage() {
  const { id = "" } = useParams();
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const [script, setScript] = useState<Script | null>(null);
  const [versions, setVersions] = useState<Version[]>([]);
  const [source, setSource] = useState<string | null>(null);
  const [base, setBase] = useState<Version | null>(null);
  const [diagnostics, setDiagnostics] = useState<Diagnostic[]>([]);
  const [graph, setGraph] = useState<Graph | null>(null);
  const [checking, setChecking] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [goTo, setGoTo] = useState<{ line: number; at: number } | undefined>();
  const [tab, setTab] = useState("graph");
  const checkTimer = useRef<number | undefined>(undefined);
  const checkSeq = useRef(0);
  const canWrite = atLeast(me?.role, "operator");
  const canPublish = atLeast(me?.role, "admin");

  const loadVersions = useCallback(async () => {
    const vs = await unwrap(api.GET("/v1/scripts/{script_id}/versions", { params: { path: { script_id: id } } }));
    const items = [...(vs.items ?? [])].sort((a, b) => b.number - a.number);
    setVersions(items);
    return items;
  }, [id]);

  const openVersion = useCallback(
    async (n: number) => {
      const v = await unwrap(api.GET("/v1/scripts/{script_id}/versions/{version}", { params: { path: { script_id: id, version: n } } }));
      setBase(v);
      setSource(v.source ?? "");
      setGraph(v.graph ?? null);
      setDiagnostics(v.warnings ?? []);
    },
    [id],
  );

  useEffect(() => {
    (async () => {
      try {
        const s = await unwrap(api.GET("/v1/scripts/{script_id}", { params: { path: { script_id: id } } }));
        setScript(s);
        await loadVersions();
        if (s.latest_version > 0) await openVersion(s.latest_version);
        else setSource("");
      } catch (e) {
        setError(problemMessage(e, t));
      }
    })();
  }, [id, loadVersions, openVersion, t]);

  const check = useCallback(
    async (src: string) => {
      if (!script || !src.trim()) return;
      const seq = ++checkSeq.current;
      setChecking(true);
      try {
        const r = await unwrap(api.POST("/v1/scripts/check", { body: { kind: script.kind, source: src } }));
        if (seq !== checkSeq.current) return;
        setDiagnostics(r.diagnostics ?? []);
        if (r.graph) setGraph(r.graph);
      } catch (e) {
        if (seq === checkSeq.current) setDiagnostics(diagnosticsOf(e));
      } finally {
        if (seq === checkSeq.current) setChecking(false);
      }
    },
    [script],
  );

  const edit = (v: string) => {
    setSource(v);
    window.clearTimeout(checkTimer.current);
    checkTimer.current = window.setTimeout(() => void check(v), 600);
  };
  useEffect(() => () => window.clearTimeout(checkTimer.current), []);

  const dirty = source !== null && source !== (base?.source ?? "");
  const save = async () => {
    if (!script || source === null || !canWrite) return;
    setSaving(true);
    try {
      const v = await unwrap(api.POST("/v1/scripts/{script_id}/versions", { params: { path: { script_id: id } }, body: { source } }));
      setBase(v);
      setGraph(v.graph ?? graph);
      setDiagnostics(v.warnings ?? []);
      setScript({ ...script, latest_version: v.number });
      await loadVersions();
      message.success(t("scripts.saved", { n: v.number }));
    } catch (e) {
      const ds = diagnosticsOf(e);
      if (ds.length) {
        setDiagnostics(ds);
        message.error(t("scripts.saveRefused", { n: ds.filter((d) => d.severity === "error").length }));
      } else message.error(problemMessage(e, t));
    } finally {
      setSaving(false);
    }
  };

  const errors = diagnostics.filter((d) => d.severity === "error");
  const isDialog = script?.kind !== "segment";

  if (error) return <Alert type="error" showIcon title={error} />;
  return (
    <>
      <Space align="baseline" wrap style={{ marginBottom: 8 }}>
        <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
          <Link to="/scripts">{t("nav.scripts")}</Link> / {script?.name}
        </Typography.Title>
        {script && <Tag>{t(`scripts.kinds.${script.kind}`)}</Tag>}
        {script && script.published_version > 0 && <Tag color="green">{t("scripts.publishedTag", { n: script.published_version })}</Tag>}
      </Space>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={14}>
          <Card
            size="small"
            title={
              <Space>
                {base ? t("scripts.editingFrom", { n: base.number }) : t("scripts.firstVersion")}
                {dirty && <Tag color="orange">{t("scripts.unsavedChanges")}</Tag>}
              </Space>
            }
            extra={
              <Space>
                <Typography.Text type={errors.length ? "danger" : "secondary"} data-testid="check-status">
                  {checking ? t("scripts.checking") : errors.length ? t("scripts.errorCount", { n: errors.length }) : t("scripts.noErrors")}
                </Typography.Text>
                <Tooltip title={t("scripts.saveHint")}>
                  <Button type="primary" icon={<SaveOutlined />} onClick={save} loading={saving} disabled={!canWrite || !dirty} data-testid="save-version">
                    {t("scripts.save")}
                  </Button>
                </Tooltip>
              </Space>
            }
          >
            {source !== null && <LazyCodeEditor value={source} onChange={edit} onSave={save} diagnostics={diagnostics as SourceDiagnostic[]} readOnly={!canWrite} goTo={goTo} height={520} />}
            <List
              size="small"
              style={{ marginTop: 8 }}
              data-testid="diagnostics"
              dataSource={diagnostics}
              locale={{ emptyText: <Typography.Text type="secondary">{t("scripts.noFindings")}</Typography.Text> }}
              renderItem={(d) => (
                <List.Item style={{ cursor: "pointer" }} onClick={() => setGoTo({ line: d.line, at: Date.now() })} data-testid="diagnostic">
                  <Space align="start">
                    <Tag color={d.severity === "error" ? "red" : "gold"}>{t(`scripts.severity.${d.severity}`, { defaultValue: d.severity })}</Tag>
                    <Typography.Text code>
                      {d.line}:{d.column}
                    </Typography.Text>
                    <span>{d.message}</span>
                  </Space>
                </List.Item>
              )}
            />
          </Card>
        </Col>
        <Col xs={24} xl={10}>
          <Card size="small">
            <Tabs
              activeKey={tab}
              onChange={setTab}
              items={[
                ...(isDialog
                  ? [
                      {
                        key: "graph",
                        label: <span data-testid="tab-graph">{t("scripts.graph")}</span>,
                        children: graph && (graph.states ?? []).length > 0 ? <DialogGraph graph={graph} onState={(line) => setGoTo({ line, at: Date.now() })} /> : <Empty description={t("scripts.noGraph")} />,
                      },
                      {
                        key: "simulate",
                        label: <span data-testid="tab-simulate">{t("scripts.simulator")}</span>,
                        children: <Simulator scriptId={id} versions={versions} dirty={dirty} />,
                      },
                    ]
                  : []),
                {
                  key: "versions",
                  label: <span data-testid="tab-versions">{t("scripts.versions")}</span>,
                  children: (
                    <Versions
                      scriptId={id}
                      versions={versions}
                      canPublish={canPublish}
                      onOpen={(n) => void openVersion(n)}
                      onPublished={async (v) => {
                        await loadVersions();
                        if (script) setScript({ ...script, published_version: Math.max(script.published_version, v.number) });
                      }}
                    />
                  ),
                },
              ]}
            />
          </Card>
        </Col>
      </Row>
    </>
  );
}

function DialogGraph({ graph, onState }: { graph: Graph; onState: (line: number) => void }) {
  const { t } = useTranslation();
  const option = useMemo(() => graphOption(graph), [graph]);
  const click = useCallback(
    (data: unknown, type: string | undefined) => {
      const line = (data as { line?: number } | undefined)?.line;
      if (type === "node" && line) onState(line);
    },
    [onState],
  );
  return (
    <>
      <LazyChart option={option} height={420} testId="dialog-graph" onClick={click} />
      <Space wrap size={[12, 4]}>
        <Typography.Text type="secondary">{t("scripts.graphLegend")}</Typography.Text>
        <Tag color="blue">{t("scripts.graphStart", { name: graph.start })}</Tag>
        <Tag color="green">{t("scripts.graphEnd")}</Tag>
        <Tag color="orange">{t("scripts.graphTransfer")}</Tag>
        <Typography.Text type="secondary" data-testid="graph-summary">
          {t("scripts.graphSummary", { states: (graph.states ?? []).length, edges: (graph.edges ?? []).length })}
        </Typography.Text>
      </Space>
    </>
  );
}

function Versions({
  scriptId,
  versions,
  canPublish,
  onOpen,
  onPublished,
}: {
  scriptId: string;
  versions: Version[];
  canPublish: boolean;
  onOpen: (n: number) => void;
  onPublished: (v: Version) => void | Promise<void>;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [refusal, setRefusal] = useState<{ n: number; text: string; sensitive: boolean } | null>(null);
  const publish = async (n: number, allowSensitive = false) => {
    try {
      const v = await unwrap(
        api.POST("/v1/scripts/{script_id}/versions/{version}/publish", {
          params: { path: { script_id: scriptId, version: n } },
          body: allowSensitive ? { allow_sensitive: true } : {},
        }),
      );
      setRefusal(null);
      message.success(t("scripts.publishedMessage", { n }));
      await onPublished(v);
    } catch (e) {
      const ds = diagnosticsOf(e);
      setRefusal({ n, text: ds.length ? ds.map((d) => `${d.line}:${d.column} ${d.message}`).join("; ") : problemMessage(e, t), sensitive: ds.length > 0 });
    }
  };
  return (
    <>
      {refusal && (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 12 }}
          title={t("scripts.publishRefused", { n: refusal.n })}
          description={refusal.text}
          action={
            refusal.sensitive && (
              <Button size="small" danger onClick={() => publish(refusal.n, true)}>
                {t("scripts.publishAnyway")}
              </Button>
            )
          }
        />
      )}
      <Table<Version>
        rowKey="id"
        size="small"
        dataSource={versions}
        pagination={false}
        data-testid="versions"
        locale={{ emptyText: <Empty description={t("scripts.noVersions")} /> }}
        columns={[
          { title: t("scripts.version"), dataIndex: "number", render: (n: number) => `v${n}` },
          { title: t("common.created"), dataIndex: "created_at", render: formatTime },
          {
            title: t("scripts.warnings"),
            dataIndex: "warnings",
            render: (w: Diagnostic[] | null) => ((w ?? []).length ? <Tag color="gold">{(w ?? []).length}</Tag> : "—"),
          },
          {
            title: t("common.status"),
            dataIndex: "published_at",
            render: (p: string | undefined) => (p ? <Tooltip title={formatTime(p)}><Tag color="green" icon={<CheckCircleOutlined />}>{t("scripts.isPublished")}</Tag></Tooltip> : <Tag>{t("scripts.draft")}</Tag>),
          },
          {
            title: t("common.actions"),
            render: (_: unknown, v) => (
              <Space>
                <Button size="small" onClick={() => onOpen(v.number)}>
                  {t("scripts.open")}
                </Button>
                {!v.published_at && (
                  <Popconfirm title={t("scripts.publishConfirm", { n: v.number })} okText={t("scripts.publish")} cancelText={t("common.cancel")} onConfirm={() => publish(v.number)} disabled={!canPublish}>
                    <Button size="small" type="primary" icon={<CloudUploadOutlined />} disabled={!canPublish} data-testid={`publish-v${v.number}`}>
                      {t("scripts.publish")}
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      {!canPublish && <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>{t("scripts.publishNeedsAdmin")}</Typography.Paragraph>}
    </>
  );
}

/** Talks to a saved version: the greeting, then one turn per utterance. */
function Simulator({ scriptId, versions, dirty }: { scriptId: string; versions: Version[]; dirty: boolean }) {
  const { t } = useTranslation();
  const [version, setVersion] = useState<number | undefined>(versions[0]?.number);
  const [contactName, setContactName] = useState(t("scripts.simContactName"));
  const [extra, setExtra] = useState("");
  const [utterances, setUtterances] = useState<string[]>([]);
  const [said, setSaid] = useState("");
  const [transcript, setTranscript] = useState<Transcript | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [extraError, setExtraError] = useState<string | null>(null);

  useEffect(() => {
    if (versions.length && (version === undefined || !versions.some((v) => v.number === version))) setVersion(versions[0].number);
    if (versions.length && version !== undefined && versions[0].number > version) setVersion(versions[0].number);
    // Follow a newly saved version.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [versions]);

  const run = async (us: string[]) => {
    if (version === undefined) return;
    let contact: Record<string, unknown> = { name: contactName };
    if (extra.trim()) {
      try {
        contact = { ...JSON.parse(extra), name: contactName };
        setExtraError(null);
      } catch {
        setExtraError(t("scripts.simExtraInvalid"));
        return;
      }
    }
    setBusy(true);
    try {
      const tr = await unwrap(
        api.POST("/v1/scripts/{script_id}/versions/{version}/simulate", { params: { path: { script_id: scriptId, version } }, body: { contact, utterances: us } }),
      );
      setTranscript(tr);
      setUtterances(us);
      setError(null);
    } catch (e) {
      setError(problemMessage(e, t));
    } finally {
      setBusy(false);
    }
  };
  const send = async (text: string) => {
    if (!text.trim()) return;
    await run([...utterances, text.trim()]);
    setSaid("");
  };
  const ended = Boolean(transcript?.turns?.some((x) => x.done));
  const examples = t("scripts.simExamples").split("|");

  if (!versions.length) return <Empty description={t("scripts.simNeedsVersion")} />;
  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      {dirty && <Alert type="info" showIcon title={t("scripts.simSavedOnly")} />}
      <Form layout="inline" style={{ rowGap: 8 }}>
        <Form.Item label={t("scripts.version")}>
          <Select style={{ width: 110 }} value={version} onChange={setVersion} options={versions.map((v) => ({ value: v.number, label: `v${v.number}` }))} data-testid="sim-version" />
        </Form.Item>
        <Form.Item label={t("contacts.name")}>
          <Input style={{ width: 120 }} value={contactName} onChange={(e) => setContactName(e.target.value)} />
        </Form.Item>
        <Form.Item label={t("scripts.simExtra")} validateStatus={extraError ? "error" : undefined} help={extraError}>
          <Input style={{ width: 200 }} value={extra} placeholder='{"vip": true}' onChange={(e) => setExtra(e.target.value)} />
        </Form.Item>
      </Form>
      <Space>
        <Button type="primary" icon={<RobotOutlined />} onClick={() => run([])} loading={busy && !transcript} data-testid="sim-start">
          {transcript ? t("scripts.simRestart") : t("scripts.simStart")}
        </Button>
      </Space>
      {error && <Alert type="error" showIcon title={error} />}
      {transcript && (
        <div data-testid="sim-transcript" style={{ maxHeight: 420, overflowY: "auto", background: "#fafafa", padding: 12, borderRadius: 8 }}>
          {(transcript.turns ?? []).map((turn) => (
            <div key={turn.turn} data-testid="sim-turn">
              {turn.heard && (
                <div style={{ display: "flex", justifyContent: "flex-end", marginBottom: 6 }}>
                  <div style={{ maxWidth: "80%", textAlign: "right" }}>
                    <div style={{ background: "#1677ff", color: "#fff", padding: "6px 10px", borderRadius: 10, display: "inline-block" }}>
                      <UserOutlined /> {turn.heard}
                    </div>
                    <div style={{ marginTop: 2 }}>
                      <Tag color="blue" data-testid="sim-intent">
                        {t("scripts.intent")}: {turn.intent || "—"}
                      </Tag>
                      <Tag>{t("scripts.confidence")}: {Math.round(turn.confidence * 100)}%</Tag>
                      {turn.runnerUp && <Tag>{t("scripts.runnerUp")}: {turn.runnerUp}</Tag>}
                      {turn.sentiment && (
                        <Tag color={turn.sentiment.score > 0.2 ? "green" : turn.sentiment.score < -0.2 ? "red" : undefined} data-testid="sim-sentiment">
                          {t("scripts.sentiment")}: {t(`scripts.sentiments.${turn.sentiment.label}`, { defaultValue: turn.sentiment.label })} ({turn.sentiment.score.toFixed(2)})
                        </Tag>
                      )}
                    </div>
                  </div>
                </div>
              )}
              <div style={{ display: "flex", marginBottom: 10 }}>
                <div style={{ maxWidth: "85%" }}>
                  <div>
                    <Tag color="purple" data-testid="sim-state">
                      {turn.state}
                    </Tag>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t(`scripts.via.${turn.via.split(".")[0]}`, { defaultValue: turn.via })}
                      {turn.via.includes(".") ? ` · ${turn.via.split(".").slice(1).join(".")}` : ""}
                    </Typography.Text>
                  </div>
                  <div style={{ background: "#fff", border: "1px solid #f0f0f0", padding: "6px 10px", borderRadius: 10, marginTop: 2 }}>
                    <RobotOutlined /> {turn.say}
                  </div>
                  <ModelTag use={turn.model} testId="sim-model" style={{ marginTop: 4 }} />
                  {turn.requests && turn.requests.length > 0 && (
                    <div style={{ marginTop: 4 }}>
                      <RequestTags requests={turn.requests} testId="sim-request" />
                    </div>
                  )}
                  {turn.error && <Alert type="error" style={{ marginTop: 4 }} title={`${turn.error.message ?? ""}`} />}
                  {(turn.review ?? []).length > 0 && (
                    <Tag color="red" style={{ marginTop: 4 }}>
                      {t("scripts.reviewFlag", { words: (turn.review ?? []).map((r) => r.word).join(", ") })}
                    </Tag>
                  )}
                </div>
              </div>
            </div>
          ))}
          {ended && transcript.result && (
            <Alert
              type="success"
              showIcon
              data-testid="sim-result"
              title={t("scripts.simEnded", { outcome: transcript.result.outcome, state: transcript.result.state })}
              description={
                <Space wrap>
                  {(transcript.result.tags ?? []).map((x) => (
                    <Tag key={x}>{x}</Tag>
                  ))}
                  {transcript.result.callbackIn && <Tag>{t("scripts.callbackIn", { d: transcript.result.callbackIn })}</Tag>}
                  {transcript.result.transfer && <Tag color="orange">{t("scripts.transferTo", { to: transcript.result.transfer })}</Tag>}
                </Space>
              }
            />
          )}
        </div>
      )}
      {transcript && !ended && (
        <>
          <Space.Compact style={{ width: "100%" }}>
            <Input
              value={said}
              onChange={(e) => setSaid(e.target.value)}
              onPressEnter={() => send(said)}
              placeholder={t("scripts.simSay")}
              disabled={busy}
              data-testid="sim-input"
            />
            <Button type="primary" icon={<SendOutlined />} onClick={() => send(said)} loading={busy} data-testid="sim-send">
              {t("scripts.simSend")}
            </Button>
          </Space.Compact>
          <Space wrap>
            {examples.map((x) => (
              <Button key={x} size="small" onClick={() => send(x)} disabled={busy}>
                {x}
              </Button>
            ))}
          </Space>
        </>
      )}
      {!transcript && <Typography.Text type="secondary">{t("scripts.simIntro")}</Typography.Text>}
    </Space>
  );
}
