// Lines & numbers: the tenant's SIP trunks with their caller-ID pool and
// transfer targets, the last SIP OPTIONS health check and a check on
// demand; on the second tab, the speech providers; on the third, the SMS
// provider that sends follow-up messages. Admins change them; everyone
// else reads (caller IDs masked for viewers).
import { DeleteOutlined, MinusCircleOutlined, PlusOutlined, ReloadOutlined } from "@ant-design/icons";
import { Alert, App, Button, Col, Empty, Form, Input, InputNumber, Popconfirm, Row, Select, Space, Switch, Tabs, Tag, Tooltip, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { ApiError } from "../api/problem";
import { FormModal, useFormSubmit } from "../components/FormModal";
import { problemMessage } from "../components/forms";
import { ErrorAlert, PageHeader, PagedTable } from "../components/ListPage";
import { usePagedList } from "../components/usePagedList";
import { formatTime } from "../format";
import { showPhone } from "../phone";
import { useSession } from "../session/Session";
import CallerIds from "./CallerIds";
import SMSSettings from "./SMS";
import SpeechSettings from "./Speech";

type Trunk = Schemas["TrunkBody"];
type TrunkFields = Schemas["TrunkFields"];

export default function TrunksPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const asked = params.get("tab");
  const tab = asked === "speech" || asked === "sms" || asked === "caller-ids" ? asked : "trunks";
  return (
    <>
      <PageHeader title={t("nav.trunks")} intro={t("trunks.intro")} />
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams(k === "trunks" ? {} : { tab: k })}
        items={[
          { key: "trunks", label: <span data-testid="tab-trunks">{t("trunks.tab")}</span>, children: <TrunkList /> },
          { key: "caller-ids", label: <span data-testid="tab-caller-ids">{t("callerIds.tab")}</span>, children: <CallerIds /> },
          { key: "speech", label: <span data-testid="tab-speech">{t("speech.tab")}</span>, children: <SpeechSettings /> },
          { key: "sms", label: <span data-testid="tab-sms">{t("sms.tab")}</span>, children: <SMSSettings /> },
        ]}
      />
    </>
  );
}

function Registration({ trunk }: { trunk: Trunk }) {
  const { t } = useTranslation();
  if (!trunk.register) return null;
  if (trunk.registered_until && new Date(trunk.registered_until) > new Date())
    return (
      <Tag color="green" data-testid="trunk-registered">
        {t("trunks.registeredUntil", { until: formatTime(trunk.registered_until) })}
      </Tag>
    );
  if (trunk.register_detail)
    return (
      <Tag color="red" data-testid="trunk-registered">
        {t("trunks.notRegistered", { detail: trunk.register_detail })}
      </Tag>
    );
  return <Tag data-testid="trunk-registered">{t("trunks.registering")}</Tag>;
}

function Health({ trunk }: { trunk: Trunk }) {
  const { t } = useTranslation();
  if (!trunk.last_check_at) return <Typography.Text type="secondary">{t("trunks.neverChecked")}</Typography.Text>;
  return (
    <Space direction="vertical" size={0} data-testid="trunk-health">
      <Tag color={trunk.last_check_up ? "green" : "red"}>{trunk.last_check_up ? t("trunks.up") : t("trunks.down")}</Tag>
      {trunk.last_check_detail && <Typography.Text type="secondary">{trunk.last_check_detail}</Typography.Text>}
      <Typography.Text type="secondary">{formatTime(trunk.last_check_at)}</Typography.Text>
    </Space>
  );
}

function TrunkList() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const canManage = atLeast(me?.role, "admin");
  const [editing, setEditing] = useState<Trunk | "new" | null>(null);
  const [checking, setChecking] = useState<string | null>(null);

  // Trunks come in one page.
  const list = usePagedList(async () => ({ items: (await unwrap(api.GET("/v1/trunks"))).items, next_cursor: "" }));
  const { load } = list;

  const check = async (tr: Trunk) => {
    setChecking(tr.id);
    try {
      const r = await unwrap(api.POST("/v1/trunks/{trunk_id}/check", { params: { path: { trunk_id: tr.id } } }));
      if (r.up) message.success(t("trunks.checkUp", { ms: r.rtt_ms }));
      else message.warning(t("trunks.checkDown", { detail: r.detail }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 503) message.info(t("trunks.checkLater"));
      else message.error(problemMessage(e, t));
    } finally {
      setChecking(null);
      void load();
    }
  };

  const remove = async (tr: Trunk) => {
    try {
      await unwrap(api.DELETE("/v1/trunks/{trunk_id}", { params: { path: { trunk_id: tr.id } } }));
      message.success(t("trunks.deleted"));
    } catch (e) {
      message.error(problemMessage(e, t));
    }
    void load();
  };

  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between", marginBottom: 16 }}>
        <Typography.Text type="secondary">{t("trunks.listHint")}</Typography.Text>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing("new")} disabled={!canManage} data-testid="add-trunk">
          {t("trunks.add")}
        </Button>
      </Space>
      {!canManage && <Alert type="info" showIcon title={t("trunks.readOnly")} style={{ marginBottom: 16 }} />}
      <ErrorAlert error={list.error} />
      <PagedTable<Trunk>
        list={list}
        data-testid="trunk-table"
        empty={<Empty description={<span data-testid="trunks-empty">{t("trunks.empty")}</span>} />}
        columns={[
          {
            title: t("trunks.name"),
            render: (_: unknown, tr) => (
              <Space direction="vertical" size={0}>
                <Typography.Text strong>{tr.name}</Typography.Text>
                <Typography.Text type="secondary">
                  {tr.transport.toUpperCase()} {tr.host}
                  {tr.port ? `:${tr.port}` : ""}
                </Typography.Text>
                <Typography.Text type="secondary" data-testid="trunk-order">
                  {t("trunks.order", { priority: tr.priority, weight: tr.weight })}
                </Typography.Text>
                {(tr.max_calls > 0 || tr.calls_per_second > 0) && (
                  <Typography.Text type="secondary" data-testid="trunk-caps">
                    {t("trunks.caps", { calls: tr.max_calls || "∞", cps: tr.calls_per_second || "∞" })}
                  </Typography.Text>
                )}
                {!tr.enabled && <Tag>{t("trunks.disabled")}</Tag>}
              </Space>
            ),
          },
          {
            title: t("trunks.auth"),
            render: (_: unknown, tr) => (
              <Space direction="vertical" size={0}>
                <span>{tr.username || "—"}</span>
                {tr.has_password && (
                  <Tag color="blue" data-testid="trunk-password-stored">
                    {t("trunks.passwordStored")}
                  </Tag>
                )}
              </Space>
            ),
          },
          {
            title: t("trunks.callerIds"),
            render: (_: unknown, tr) => (
              <Space size={[4, 4]} wrap>
                {(tr.caller_ids ?? []).map((n) => (
                  <Tag key={n}>{showPhone(n, me?.role)}</Tag>
                ))}
              </Space>
            ),
          },
          {
            title: t("trunks.transferTargets"),
            render: (_: unknown, tr) => (
              <Space direction="vertical" size={0} data-testid="trunk-targets">
                {Object.entries(tr.transfer_targets ?? {}).map(([name, target]) => (
                  <span key={name}>
                    <Tag color="purple">{name}</Tag>
                    {target.startsWith("sip:") ? target : showPhone(target, me?.role)}
                  </span>
                ))}
              </Space>
            ),
          },
          {
            title: t("trunks.health"),
            render: (_: unknown, tr) => (
              <Space direction="vertical" size={4}>
                <Health trunk={tr} />
                <Registration trunk={tr} />
              </Space>
            ),
          },
          {
            title: t("common.actions"),
            render: (_: unknown, tr) => (
              <Space>
                <Button size="small" onClick={() => setEditing(tr)} disabled={!canManage} data-testid="trunk-edit">
                  {t("common.edit")}
                </Button>
                <Tooltip title={t("trunks.checkHint")}>
                  <Button size="small" icon={<ReloadOutlined />} loading={checking === tr.id} onClick={() => check(tr)} disabled={!canManage} data-testid="trunk-check">
                    {t("trunks.checkNow")}
                  </Button>
                </Tooltip>
                <Popconfirm title={t("trunks.deleteConfirm", { name: tr.name })} okText={t("common.delete")} cancelText={t("common.cancel")} onConfirm={() => remove(tr)} disabled={!canManage}>
                  <Button size="small" danger icon={<DeleteOutlined />} disabled={!canManage} aria-label={t("common.delete")} />
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <TrunkModal
        trunk={editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          message.success(t("trunks.saved"));
          void load();
        }}
      />
    </>
  );
}

interface TrunkValues {
  name: string;
  host: string;
  port?: number | null;
  transport: "udp" | "tcp" | "tls";
  username?: string;
  password?: string;
  from_domain?: string;
  caller_ids?: string[];
  targets?: { name?: string; target?: string }[];
  enabled: boolean;
  priority?: number | null;
  weight?: number | null;
  max_calls?: number | null;
  calls_per_second?: number | null;
  register: boolean;
}

const trunkFieldNames = ["name", "host", "port", "transport", "username", "password", "from_domain", "caller_ids", "enabled", "priority", "weight", "max_calls", "calls_per_second", "register"] as const; // transfer_targets' errors go above the form

function TrunkModal({ trunk, onClose, onSaved }: { trunk: Trunk | "new" | null; onClose: () => void; onSaved: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<TrunkValues>();
  const isNew = trunk === "new";
  const submitting = useFormSubmit(form, trunkFieldNames, async (v: TrunkValues) => {
    const targets: Record<string, string> = {};
    for (const x of v.targets ?? []) if (x.name && x.target) targets[x.name.trim()] = x.target.trim();
    const body: TrunkFields = {
      name: v.name,
      host: v.host,
      port: v.port ?? 0,
      transport: v.transport,
      username: v.username ?? "",
      from_domain: v.from_domain ?? "",
      caller_ids: v.caller_ids ?? [],
      transfer_targets: targets,
      enabled: v.enabled,
      priority: v.priority ?? 0,
      weight: v.weight ?? 1,
      max_calls: v.max_calls ?? 0,
      calls_per_second: v.calls_per_second ?? 0,
      register: v.register,
    };
    // The password is write-only: sent only when typed, else the stored one stays.
    if (v.password) body.password = v.password;
    if (isNew) await unwrap(api.POST("/v1/trunks", { body }));
    else if (trunk) await unwrap(api.PATCH("/v1/trunks/{trunk_id}", { params: { path: { trunk_id: trunk.id } }, body }));
    // The dialog stays in the page: forget the typed password.
    form.resetFields();
    onSaved();
  });
  const { setError } = submitting;

  useEffect(() => {
    setError(null);
    if (trunk && trunk !== "new") {
      form.resetFields();
      form.setFieldsValue({
        name: trunk.name,
        host: trunk.host,
        port: trunk.port || null,
        transport: trunk.transport,
        username: trunk.username,
        password: "",
        from_domain: trunk.from_domain,
        caller_ids: trunk.caller_ids ?? [],
        targets: Object.entries(trunk.transfer_targets ?? {}).map(([name, target]) => ({ name, target })),
        enabled: trunk.enabled,
        priority: trunk.priority,
        weight: trunk.weight,
        max_calls: trunk.max_calls,
        calls_per_second: trunk.calls_per_second,
        register: trunk.register,
      });
    } else if (trunk === "new") {
      form.resetFields();
    }
  }, [trunk, form, setError]);

  return (
    <FormModal
      form={form}
      submitting={submitting}
      open={trunk !== null}
      width={720}
      title={isNew ? t("trunks.add") : t("trunks.edit")}
      okText={isNew ? t("trunks.addButton") : t("common.save")}
      onCancel={() => {
        form.resetFields();
        onClose();
      }}
      okTestId="trunk-submit"
      errorTestId="trunk-form-error"
      forceRender
    >
      <Form form={form} layout="vertical" onFinish={submitting.submit} initialValues={{ transport: "udp", enabled: true, targets: [], priority: 0, weight: 1, max_calls: 0, calls_per_second: 0, register: false }} requiredMark={false}>
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="name" label={t("trunks.name")} rules={[{ required: true, message: t("errors.required") }]}>
              <Input placeholder={t("trunks.namePlaceholder")} data-testid="trunk-name" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="transport" label={t("trunks.transport")}>
              <Select options={["udp", "tcp", "tls"].map((x) => ({ value: x, label: x.toUpperCase() }))} data-testid="trunk-transport" />
            </Form.Item>
          </Col>
          <Col span={16}>
            <Form.Item name="host" label={t("trunks.host")} rules={[{ required: true, message: t("errors.required") }]}>
              <Input placeholder="sip.carrier.example" data-testid="trunk-host" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="port" label={t("trunks.port")} extra={t("trunks.portHint")}>
              <InputNumber min={0} max={65535} style={{ width: "100%" }} placeholder="5060" data-testid="trunk-port" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="username" label={t("trunks.username")}>
              <Input autoComplete="off" data-testid="trunk-username" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item
              name="password"
              label={t("trunks.password")}
              extra={!isNew && trunk && trunk.has_password ? t("trunks.passwordKeep") : t("trunks.passwordHint")}
            >
              <Input.Password autoComplete="new-password" data-testid="trunk-password" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="from_domain" label={t("trunks.fromDomain")} extra={t("trunks.fromDomainHint")}>
              <Input data-testid="trunk-from-domain" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="enabled" label={t("trunks.enabled")} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="priority" label={t("trunks.priority")} extra={t("trunks.priorityHint")}>
              <InputNumber min={0} max={100} style={{ width: "100%" }} data-testid="trunk-priority" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="weight" label={t("trunks.weight")} extra={t("trunks.weightHint")}>
              <InputNumber min={1} max={1000} style={{ width: "100%" }} data-testid="trunk-weight" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="max_calls" label={t("trunks.maxCalls")} extra={t("trunks.maxCallsHint")}>
              <InputNumber min={0} max={100000} style={{ width: "100%" }} data-testid="trunk-max-calls" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="calls_per_second" label={t("trunks.callsPerSecond")} extra={t("trunks.callsPerSecondHint")}>
              <InputNumber min={0} max={1000} step={0.5} style={{ width: "100%" }} data-testid="trunk-cps" />
            </Form.Item>
          </Col>
          <Col span={24}>
            <Form.Item name="register" label={t("trunks.register")} extra={t("trunks.registerHint")} valuePropName="checked">
              <Switch data-testid="trunk-register" />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="caller_ids" label={t("trunks.callerIds")} extra={t("trunks.callerIdsHint")}>
          <Select mode="tags" tokenSeparators={[",", " ", ","]} open={false} placeholder="+862150001234" data-testid="trunk-caller-ids" />
        </Form.Item>
        <Form.Item label={t("trunks.transferTargets")} extra={t("trunks.transferTargetsHint")}>
          <Form.List name="targets">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <Space key={f.key} align="baseline" style={{ display: "flex", marginBottom: 8 }}>
                    <Form.Item name={[f.name, "name"]} noStyle rules={[{ required: true, message: t("errors.required") }]}>
                      <Input placeholder="agent" style={{ width: 160 }} data-testid="trunk-target-name" />
                    </Form.Item>
                    →
                    <Form.Item name={[f.name, "target"]} noStyle rules={[{ required: true, message: t("errors.required") }]}>
                      <Input placeholder={t("trunks.targetPlaceholder")} style={{ width: 320 }} data-testid="trunk-target-value" />
                    </Form.Item>
                    <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t("common.delete")} />
                  </Space>
                ))}
                <Button type="dashed" onClick={() => add({})} icon={<PlusOutlined />} data-testid="trunk-add-target">
                  {t("trunks.addTarget")}
                </Button>
              </>
            )}
          </Form.List>
        </Form.Item>
      </Form>
    </FormModal>
  );
}
