// SMS settings: who sends the tenant's follow-up messages (Alibaba Cloud
// SMS or Tencent Cloud SMS), under which approved signature, with which
// approved templates. The secret is write-only: the form says whether one
// is stored and keeps it when left empty. Admins change them; everyone
// else reads them.
import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Col, Form, Input, Radio, Row, Select, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, atLeast, unwrap } from "../api/client";
import { translateMessage } from "../api/messages";
import { ApiError } from "../api/problem";
import { problemMessage } from "../components/forms";
import { formatTime } from "../format";
import { useSession } from "../session/Session";
import { duplicateName, regionPlaceholder, smsBody, smsFieldOf, smsName, smsProviders, smsValues, type SMS, type SMSValues, type TemplateRow } from "./smsForm";

export default function SMSSettings() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const canEdit = atLeast(me?.role, "admin");
  const [form] = Form.useForm<SMSValues>();
  const [saved, setSaved] = useState<SMS | null>(null);
  const [loading, setLoading] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const provider = Form.useWatch("provider", form) ?? "off";

  const fill = (s: SMS) => {
    setSaved(s);
    form.resetFields();
    form.setFieldsValue(smsValues(s));
  };
  useEffect(() => {
    unwrap(api.GET("/v1/sms/settings"))
      .then(fill)
      .catch((e) => setError(problemMessage(e, t)))
      .finally(() => setLoading(false));
  }, []);

  const submit = async () => {
    setBusy(true);
    setError(null);
    // Fields a provider does not show keep their values, so that switching
    // providers and back loses nothing.
    const v = form.getFieldsValue(true) as SMSValues;
    try {
      fill(await unwrap(api.PUT("/v1/sms/settings", { body: smsBody(v) })));
      message.success(t("sms.saved"));
    } catch (e) {
      // Each error goes next to its field, a template's next to its row.
      const general: string[] = [];
      let placed = false;
      for (const d of e instanceof ApiError ? (e.problem.errors ?? []) : []) {
        const path = smsFieldOf(d.location, v.templates, d.message);
        const msg = translateMessage(d.message ?? "", t);
        if (path) {
          form.setFields([{ name: path as never, errors: [msg] }]);
          placed = true;
        } else general.push(msg);
      }
      if (general.length || !placed) setError(general.length ? general.join("; ") : problemMessage(e, t));
    } finally {
      setBusy(false);
    }
  };

  const rowRules = (i: number) => [
    { required: true, message: t("errors.required") },
    { pattern: smsName, message: t("sms.nameRule") },
    {
      validator: async () => {
        if (duplicateName(form.getFieldValue("templates") as TemplateRow[], i)) throw new Error(t("sms.duplicateName"));
      },
    },
  ];

  return (
    <>
      <Typography.Paragraph type="secondary">{t("sms.intro")}</Typography.Paragraph>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="sms-error" />}
      {!canEdit && <Alert type="info" showIcon title={t("sms.readOnly")} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={submit} disabled={!canEdit || loading} initialValues={{ provider: "off", templates: [] }}>
        <Row gutter={16}>
          <Col xs={24} lg={9}>
            <Card title={t("sms.providerTitle")} loading={loading}>
              <Form.Item name="provider" label={t("sms.provider")}>
                <Radio.Group data-testid="sms-provider">
                  {smsProviders.map((x) => (
                    <Radio.Button key={x} value={x} data-testid={`sms-${x}`}>
                      {t(`sms.providers.${x}`)}
                    </Radio.Button>
                  ))}
                </Radio.Group>
              </Form.Item>
              <Typography.Paragraph type="secondary">{t(`sms.providerHint.${provider}`)}</Typography.Paragraph>
              {provider !== "off" && (
                <>
                  <Form.Item name="access_key_id" label={t(`sms.accessKeyId.${provider}`)} rules={[{ required: true, whitespace: true, message: t("errors.required") }]}>
                    <Input autoComplete="off" data-testid="sms-access-key-id" />
                  </Form.Item>
                  <Form.Item
                    name="secret"
                    label={
                      <>
                        {t(`sms.secret.${provider}`)}
                        {saved?.has_secret && (
                          <Tag color="blue" style={{ marginInlineStart: 8 }} data-testid="sms-secret-stored">
                            {t("sms.secretStored")}
                          </Tag>
                        )}
                      </>
                    }
                    extra={saved?.has_secret ? t("sms.secretKeep") : t("sms.secretHint")}
                  >
                    <Input.Password autoComplete="new-password" data-testid="sms-secret" />
                  </Form.Item>
                  {provider === "tencent" && (
                    <Form.Item name="app_id" label={t("sms.appId")} extra={t("sms.appIdHint")} rules={[{ required: true, whitespace: true, message: t("errors.required") }]}>
                      <Input placeholder="1400000000" data-testid="sms-app-id" />
                    </Form.Item>
                  )}
                  <Form.Item
                    name="sign_name"
                    label={provider === "twilio" ? t("sms.sender") : t("sms.signName")}
                    extra={provider === "twilio" ? t("sms.senderHint") : t("sms.signNameHint")} rules={[{ required: true, whitespace: true, message: t("errors.required") }]}>
                    <Input placeholder="外呼科技" data-testid="sms-sign-name" />
                  </Form.Item>
                  <Form.Item name="region" label={t("sms.region")}>
                    <Input placeholder={regionPlaceholder[provider]} data-testid="sms-region" />
                  </Form.Item>
                  <Form.Item name="endpoint" label={t("sms.endpoint")} extra={t("sms.endpointHint")}>
                    <Input placeholder="https://" data-testid="sms-endpoint" />
                  </Form.Item>
                </>
              )}
            </Card>
          </Col>
          {provider !== "off" && (
            <Col xs={24} lg={15}>
              <Card title={t("sms.templatesTitle")} loading={loading}>
                <Typography.Paragraph type="secondary">{t("sms.templatesHint")}</Typography.Paragraph>
                <Form.List
                  name="templates"
                  rules={[
                    {
                      validator: async (_, rows?: TemplateRow[]) => {
                        if (!rows?.length) throw new Error(t("sms.needTemplate"));
                      },
                    },
                  ]}
                >
                  {(fields, { add, remove }, meta) => (
                    <div data-testid="sms-templates">
                      {fields.map((f, i) => (
                        <Row key={f.key} gutter={8} wrap={false} align="top" data-testid="sms-template">
                          <Col flex="150px">
                            <Form.Item name={[f.name, "name"]} label={i === 0 ? t("sms.templateName") : undefined} rules={rowRules(f.name)}>
                              <Input placeholder="payment_link" data-testid={`sms-template-name-${i}`} />
                            </Form.Item>
                          </Col>
                          <Col flex="170px">
                            <Form.Item name={[f.name, "id"]} label={i === 0 ? t("sms.templateId") : undefined} rules={[{ required: true, message: t("errors.required") }]}>
                              <Input
                                placeholder={provider === "tencent" ? "1234567" : provider === "twilio" ? "Hi {name}, pay here: {link}" : "SMS_276435098"}
                                data-testid={`sms-template-id-${i}`}
                              />
                            </Form.Item>
                          </Col>
                          <Col flex="auto" style={{ minWidth: 0 }}>
                            <Form.Item
                              name={[f.name, "params"]}
                              label={i === 0 ? t("sms.templateParams") : undefined}
                              rules={[{ type: "array", defaultField: { pattern: smsName, message: t("sms.nameRule") } }]}
                            >
                              <Select mode="tags" open={false} tokenSeparators={[",", ",", " "]} placeholder={t("sms.templateParamsPlaceholder")} data-testid={`sms-template-params-${i}`} />
                            </Form.Item>
                          </Col>
                          <Col flex="none" style={{ paddingTop: i === 0 ? 30 : 0 }}>
                            <Button icon={<DeleteOutlined />} onClick={() => remove(f.name)} aria-label={t("common.delete")} data-testid={`sms-template-remove-${i}`} />
                          </Col>
                        </Row>
                      ))}
                      <Form.ErrorList errors={meta.errors} />
                      <Button icon={<PlusOutlined />} onClick={() => add({ params: [] })} data-testid="sms-add-template">
                        {t("sms.addTemplate")}
                      </Button>
                    </div>
                  )}
                </Form.List>
              </Card>
            </Col>
          )}
        </Row>
        <Button type="primary" htmlType="submit" loading={busy} style={{ marginTop: 16 }} data-testid="sms-save">
          {t("common.save")}
        </Button>
        {saved?.updated_at && (
          <Typography.Text type="secondary" style={{ marginInlineStart: 16 }}>
            {t("sms.updated", { when: formatTime(saved.updated_at) })}
          </Typography.Text>
        )}
      </Form>
    </>
  );
}
