// The campaign wizard: contacts, scripts (one version, segment → version
// map, optional A/B split), schedule, retries and SMS follow-ups,
// compliance tightening, then a review. The API's errors go back to the
// step and field they concern.
import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, Button, Card, DatePicker, Descriptions, Divider, Form, Input, InputNumber, Select, Space, Steps, Switch, Table, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import { ApiError, splitProblem } from "../api/problem";
import { translateMessage } from "../api/messages";
import { problemMessage } from "../components/forms";
import { defaultRetry, fieldOfLocation, followUpWhens, maxFollowUps, retryOutcomes, steps, toBody, type WizardValues } from "./campaignForm";
import { usePublishedVersions } from "./publishedVersions";

type List = Schemas["ListBody"];

export default function CampaignNewPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [form] = Form.useForm<WizardValues>();
  const [step, setStep] = useState(0);
  const [lists, setLists] = useState<List[]>([]);
  const [templates, setTemplates] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { choices, loading: versionsLoading } = usePublishedVersions();
  const abEnabled = Form.useWatch("ab_enabled", form);
  const values = Form.useWatch([], form) as WizardValues | undefined;

  useEffect(() => {
    unwrap(api.GET("/v1/lists", { params: { query: { limit: 100 } } }))
      .then((p) => setLists(p.items ?? []))
      .catch((e) => setError(problemMessage(e, t)));
  }, [t]);
  // Follow-ups pick from the SMS settings' templates; without any, a name is typed.
  useEffect(() => {
    unwrap(api.GET("/v1/sms/settings"))
      .then((s) => setTemplates(Object.keys(s.templates ?? {}).sort()))
      .catch(() => setTemplates([]));
  }, []);

  const next = async () => {
    try {
      if (step === 0) await form.validateFields(["name", "list_ids"]);
      const followUps = (form.getFieldValue("follow_ups") ?? []) as unknown[];
      if (step === 2 && followUps.length) await form.validateFields(followUps.map((_, i) => ["follow_ups", i, "template"]));
      setStep(step + 1);
    } catch {
      // the form shows what is missing
    }
  };

  const create = async () => {
    setBusy(true);
    setError(null);
    const v = form.getFieldsValue(true) as WizardValues;
    try {
      const c = await unwrap(api.POST("/v1/campaigns", { body: toBody(v) }));
      navigate(`/campaigns/${c.id}`);
    } catch (e) {
      // Each error goes next to its field; the wizard turns to the first one's step.
      let first = -1;
      const general: string[] = [];
      const problem = e instanceof ApiError ? e.problem : null;
      for (const d of problem?.errors ?? []) {
        const f = fieldOfLocation(d.location);
        const msg = translateMessage(d.message ?? "", t);
        if (f && f.step >= 0) {
          form.setFields([{ name: f.path as never, errors: [msg] }]);
          if (first < 0 || f.step < first) first = f.step;
        } else general.push(msg);
      }
      if (first >= 0) setStep(first);
      if (general.length || first < 0) setError(general.length ? general.join("; ") : splitProblem(e, []).general.map((m) => translateMessage(m, t)).join("; "));
    } finally {
      setBusy(false);
    }
  };

  const versionSelect = (testId: string) => (
    <Select
      showSearch={{ optionFilterProp: "label" }}
      loading={versionsLoading}
      options={choices}
      placeholder={t("campaigns.pickVersion")}
      notFoundContent={<Typography.Text type="secondary">{t("campaigns.noPublished")}</Typography.Text>}
      data-testid={testId}
      allowClear
    />
  );

  const show = (i: number) => ({ display: step === i ? "block" : "none" });
  const listName = (id: string) => lists.find((l) => l.id === id)?.name ?? id;
  const body = values ? toBody({ ...form.getFieldsValue(true), ...values } as WizardValues) : null;
  const versionLabel = (id?: string) => choices.find((c) => c.value === id)?.label ?? id ?? "—";

  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }} data-testid="page-title">
        <Link to="/campaigns">{t("nav.campaigns")}</Link> / {t("campaigns.create")}
      </Typography.Title>
      <Card>
        <Steps current={step} onChange={(s) => s < step && setStep(s)} items={steps.map((s) => ({ title: t(`campaigns.steps.${s.key}`) }))} style={{ marginBottom: 24 }} />
        {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="wizard-error" />}
        <Form
          form={form}
          layout="vertical"
          requiredMark={false}
          style={{ maxWidth: 760 }}
          initialValues={{ retry_policy: defaultRetry, segments: [], ab_split: [{ weight: 50 }, { weight: 50 }], ab_enabled: false, list_ids: [], follow_ups: [] }}
        >
          <div style={show(0)}>
            <Form.Item name="name" label={t("campaigns.name")} rules={[{ required: true, message: t("errors.required") }]}>
              <Input placeholder={t("campaigns.namePlaceholder")} data-testid="campaign-name" />
            </Form.Item>
            <Form.Item name="list_ids" label={t("campaigns.lists")} rules={[{ required: true, message: t("campaigns.pickLists") }]} extra={lists.length === 0 ? <Link to="/contacts">{t("campaigns.noLists")}</Link> : t("campaigns.listsHint")}>
              <Select mode="multiple" options={lists.map((l) => ({ value: l.id, label: `${l.name} (${l.contacts})` }))} placeholder={t("campaigns.pickLists")} data-testid="campaign-lists" optionFilterProp="label" />
            </Form.Item>
          </div>
          <div style={show(1)}>
            {!versionsLoading && choices.length === 0 && (
              <Alert type="warning" showIcon style={{ marginBottom: 16 }} title={t("campaigns.noPublished")} action={<Link to="/scripts">{t("nav.scripts")}</Link>} />
            )}
            <Form.Item name="script_version" label={t("campaigns.scriptVersion")} extra={t("campaigns.scriptVersionHint")}>
              {versionSelect("campaign-version")}
            </Form.Item>
            <Divider titlePlacement="start">{t("campaigns.segments")}</Divider>
            <Typography.Paragraph type="secondary">{t("campaigns.segmentsHint")}</Typography.Paragraph>
            <Form.List name="segments">
              {(fields, { add, remove }, meta) => (
                <>
                  {fields.map((f) => (
                    <Space key={f.key} align="baseline">
                      <Form.Item name={[f.name, "segment"]} rules={[{ required: true, message: t("errors.required") }]}>
                        <Input placeholder={t("campaigns.segmentName")} style={{ width: 180 }} />
                      </Form.Item>
                      <span>→</span>
                      <Form.Item name={[f.name, "version"]} rules={[{ required: true, message: t("errors.required") }]} style={{ width: 300 }}>
                        {versionSelect("segment-version")}
                      </Form.Item>
                      <Button icon={<DeleteOutlined />} onClick={() => remove(f.name)} />
                    </Space>
                  ))}
                  <Form.ErrorList errors={meta.errors} />
                  <Button icon={<PlusOutlined />} onClick={() => add({})}>
                    {t("campaigns.addSegment")}
                  </Button>
                </>
              )}
            </Form.List>
            <Divider titlePlacement="start">{t("campaigns.abSplit")}</Divider>
            <Form.Item name="ab_enabled" valuePropName="checked" extra={t("campaigns.abHint")}>
              <Switch data-testid="ab-enabled" />
            </Form.Item>
            {abEnabled && (
              <Form.List name="ab_split">
                {(fields, { add, remove }) => (
                  <>
                    {fields.map((f, i) => (
                      <Space key={f.key} align="baseline">
                        <Typography.Text strong>{String.fromCharCode(65 + i)}</Typography.Text>
                        <Form.Item name={[f.name, "version"]} rules={[{ required: true, message: t("errors.required") }]} style={{ width: 300 }}>
                          {versionSelect(`ab-version-${i}`)}
                        </Form.Item>
                        <Form.Item name={[f.name, "weight"]} rules={[{ required: true, message: t("errors.required") }]}>
                          <InputNumber min={1} max={1000} addonAfter={t("campaigns.weight")} />
                        </Form.Item>
                        {fields.length > 2 && <Button icon={<DeleteOutlined />} onClick={() => remove(f.name)} />}
                      </Space>
                    ))}
                    {fields.length < 10 && (
                      <Button icon={<PlusOutlined />} onClick={() => add({ weight: 50 })}>
                        {t("campaigns.addArm")}
                      </Button>
                    )}
                  </>
                )}
              </Form.List>
            )}
          </div>
          <div style={show(2)}>
            <Space wrap size="large">
              <Form.Item name="starts_at" label={t("campaigns.startsAt")} extra={t("campaigns.startsAtHint")}>
                <DatePicker showTime />
              </Form.Item>
              <Form.Item name="ends_at" label={t("campaigns.endsAt")} extra={t("campaigns.endsAtHint")}>
                <DatePicker showTime />
              </Form.Item>
            </Space>
            <Divider titlePlacement="start">{t("campaigns.retries")}</Divider>
            <Typography.Paragraph type="secondary">{t("campaigns.retriesHint")}</Typography.Paragraph>
            <Table
              size="small"
              pagination={false}
              rowKey="outcome"
              dataSource={retryOutcomes.map((o) => ({ outcome: o }))}
              columns={[
                { title: t("campaigns.outcome"), dataIndex: "outcome", render: (o: string) => t(`calls.outcomes.${o}`) },
                {
                  title: t("campaigns.retryTimes"),
                  render: (_: unknown, r) => (
                    <Form.Item name={["retry_policy", r.outcome, "times"]} style={{ margin: 0 }}>
                      <InputNumber min={0} max={10} data-testid={`retry-${r.outcome}-times`} />
                    </Form.Item>
                  ),
                },
                {
                  title: t("campaigns.retryAfter"),
                  render: (_: unknown, r) => (
                    <Form.Item name={["retry_policy", r.outcome, "after"]} style={{ margin: 0 }}>
                      <Input style={{ width: 120 }} placeholder="10m" data-testid={`retry-${r.outcome}-after`} />
                    </Form.Item>
                  ),
                },
              ]}
            />
            <Divider titlePlacement="start">{t("campaigns.followUps")}</Divider>
            <Typography.Paragraph type="secondary">{t("campaigns.followUpsHint")}</Typography.Paragraph>
            {templates.length === 0 && (
              <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t("campaigns.noSmsTemplates")} action={<Link to="/trunks?tab=sms">{t("campaigns.smsSettings")}</Link>} />
            )}
            <Form.List name="follow_ups">
              {(fields, { add, remove }, meta) => (
                <>
                  {fields.map((f, i) => (
                    <Space key={f.key} align="baseline" wrap style={{ display: "flex" }} data-testid="follow-up">
                      <Form.Item name={[f.name, "template"]} rules={[{ required: true, whitespace: true, message: t("errors.required") }]} style={{ width: 260 }}>
                        {templates.length > 0 ? (
                          <Select
                            showSearch={{ optionFilterProp: "label" }}
                            placeholder={t("campaigns.pickTemplate")}
                            options={templates.map((x) => ({ value: x, label: x }))}
                            data-testid={`follow-up-template-${i}`}
                          />
                        ) : (
                          <Input placeholder={t("campaigns.templateName")} data-testid={`follow-up-template-${i}`} />
                        )}
                      </Form.Item>
                      <Form.Item name={[f.name, "when"]} style={{ width: 240 }}>
                        <Select options={followUpWhens.map((w) => ({ value: w, label: t(`campaigns.followUpWhens.${w}`) }))} data-testid={`follow-up-when-${i}`} />
                      </Form.Item>
                      <Button icon={<DeleteOutlined />} onClick={() => remove(f.name)} aria-label={t("common.delete")} />
                    </Space>
                  ))}
                  <Form.ErrorList errors={meta.errors} />
                  {fields.length < maxFollowUps && (
                    <Button icon={<PlusOutlined />} onClick={() => add({ template: templates.length === 1 ? templates[0] : undefined, when: "unanswered" })} data-testid="add-follow-up">
                      {t("campaigns.addFollowUp")}
                    </Button>
                  )}
                </>
              )}
            </Form.List>
          </div>
          <div style={show(3)}>
            <Typography.Paragraph type="secondary">
              {t("campaigns.complianceHint")} <Link to="/compliance">{t("nav.compliance")}</Link>
            </Typography.Paragraph>
            <Space wrap size="large">
              <Form.Item name={["compliance", "max_daily_calls"]} label={t("compliance.maxDailyCalls")}>
                <InputNumber min={0} max={100} placeholder={t("campaigns.asTenant")} data-testid="override-max-daily" />
              </Form.Item>
              <Form.Item name={["compliance", "quiet_start"]} label={t("campaigns.quietStart")}>
                <Input placeholder="21:00" style={{ width: 100 }} />
              </Form.Item>
              <Form.Item name={["compliance", "quiet_end"]} label={t("campaigns.quietEnd")}>
                <Input placeholder="09:00" style={{ width: 100 }} />
              </Form.Item>
              <Form.Item name={["compliance", "min_retry_interval"]} label={t("compliance.minRetry")}>
                <Input placeholder={t("campaigns.asTenant")} style={{ width: 140 }} data-testid="override-min-retry" />
              </Form.Item>
              <Form.Item name={["compliance", "max_concurrent_lines"]} label={t("compliance.lines")}>
                <InputNumber min={0} placeholder={t("campaigns.asTenant")} />
              </Form.Item>
              <Form.Item name={["compliance", "calls_per_second"]} label={t("compliance.cps")}>
                <InputNumber min={0} step={0.5} placeholder={t("campaigns.asTenant")} />
              </Form.Item>
              <Form.Item name={["compliance", "max_daily_messages"]} label={t("compliance.maxDailyMessages")}>
                <InputNumber min={0} max={20} placeholder={t("campaigns.asTenant")} />
              </Form.Item>
            </Space>
          </div>
          <div style={show(4)}>
            {body && (
              <Descriptions bordered size="small" column={1} data-testid="campaign-review">
                <Descriptions.Item label={t("campaigns.name")}>{body.name}</Descriptions.Item>
                <Descriptions.Item label={t("campaigns.lists")}>{(body.list_ids ?? []).map(listName).join(", ")}</Descriptions.Item>
                <Descriptions.Item label={t("campaigns.scriptVersion")}>{versionLabel(body.script_version)}</Descriptions.Item>
                {body.segment_versions && (
                  <Descriptions.Item label={t("campaigns.segments")}>
                    {Object.entries(body.segment_versions)
                      .map(([s, v]) => `${s} → ${versionLabel(v)}`)
                      .join("; ")}
                  </Descriptions.Item>
                )}
                {body.ab_split && (
                  <Descriptions.Item label={t("campaigns.abSplit")}>{body.ab_split.map((a) => `${versionLabel(a.version)} × ${a.weight}`).join(" / ")}</Descriptions.Item>
                )}
                <Descriptions.Item label={t("campaigns.schedule")}>
                  {body.starts_at ? new Date(body.starts_at).toLocaleString() : t("campaigns.whenStarted")} → {body.ends_at ? new Date(body.ends_at).toLocaleString() : t("campaigns.untilDone")}
                </Descriptions.Item>
                <Descriptions.Item label={t("campaigns.retries")}>
                  {Object.entries(body.retry_policy ?? {})
                    .map(([o, r]) => (r.times ? t("campaigns.retryRule", { outcome: t(`calls.outcomes.${o}`), times: r.times, after: r.after }) : t("campaigns.noRetry", { outcome: t(`calls.outcomes.${o}`) })))
                    .join("; ")}
                </Descriptions.Item>
                <Descriptions.Item label={t("campaigns.followUps")}>
                  {body.follow_ups?.length
                    ? body.follow_ups.map((f) => t("campaigns.followUpRule", { when: t(`campaigns.followUpWhens.${f.when}`), template: f.template || "—" })).join("; ")
                    : t("campaigns.noFollowUps")}
                </Descriptions.Item>
                <Descriptions.Item label={t("campaigns.overrides")}>{body.compliance ? JSON.stringify(body.compliance) : t("campaigns.asTenant")}</Descriptions.Item>
              </Descriptions>
            )}
            <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
              {t("campaigns.reviewHint")}
            </Typography.Paragraph>
          </div>
        </Form>
        <Space style={{ marginTop: 16 }}>
          {step > 0 && <Button onClick={() => setStep(step - 1)}>{t("campaigns.back")}</Button>}
          {step < steps.length - 1 && (
            <Button type="primary" onClick={next} data-testid="wizard-next">
              {t("campaigns.next")}
            </Button>
          )}
          {step === steps.length - 1 && (
            <Button type="primary" onClick={create} loading={busy} data-testid="wizard-create">
              {t("campaigns.createDraft")}
            </Button>
          )}
        </Space>
      </Card>
    </>
  );
}
