// Compliance settings: the rules every dial is checked against. Admins
// change them; everyone else reads them.
import { Alert, App, Button, Card, Checkbox, Col, Form, Input, InputNumber, Row, Select, Space, Switch, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { problemMessage, showProblem } from "../components/forms";
import { useSession } from "../session/Session";

type Compliance = Schemas["ComplianceBody"];

const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const fields = [
  "max_daily_calls",
  "quiet_hours",
  "weekdays",
  "holidays",
  "min_retry_interval",
  "max_concurrent_lines",
  "calls_per_second",
  "sensitive_words",
  "recording_retention_days",
  "consented_only",
  "ai_disclosure",
  "max_daily_messages",
] as const;

interface Values extends Omit<Compliance, "quiet_hours" | "$schema"> {
  quiet_start?: string;
  quiet_end?: string;
}

const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;

export default function CompliancePage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [busy, setBusy] = useState(false);
  const canEdit = atLeast(me?.role, "admin");

  const fill = (c: Compliance) => {
    const [quiet_start, quiet_end] = c.quiet_hours ?? [];
    form.setFieldsValue({ ...c, quiet_start, quiet_end });
  };
  useEffect(() => {
    unwrap(api.GET("/v1/compliance"))
      .then(fill)
      .catch((e) => setError(problemMessage(e, t)))
      .finally(() => setLoading(false));
  }, []);

  const submit = async (v: Values) => {
    setBusy(true);
    setError(null);
    const { quiet_start, quiet_end, ...rest } = v;
    const body: Compliance = { ...rest, quiet_hours: quiet_start && quiet_end ? [quiet_start, quiet_end] : [] };
    try {
      const c = await unwrap(api.PUT("/v1/compliance", { body }));
      fill(c);
      message.success(t("compliance.saved"));
    } catch (e) {
      // Quiet hours are two inputs here and one field in the API: their
      // errors go above the form.
      setError(showProblem(form, e, fields.filter((f) => f !== "quiet_hours"), t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
        {t("nav.compliance")}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t("compliance.intro")}</Typography.Paragraph>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="form-error" />}
      {!canEdit && <Alert type="info" showIcon title={t("compliance.readOnly")} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={submit} disabled={!canEdit || loading}>
        <Row gutter={16}>
          <Col xs={24} lg={12}>
            <Card title={t("compliance.when")} loading={loading}>
              <Form.Item label={t("compliance.quietHours")} extra={t("compliance.quietHoursHint")} required={false}>
                <Space>
                  <Form.Item name="quiet_start" noStyle rules={[{ pattern: hhmm, message: t("compliance.timeFormat") }]}>
                    <Input placeholder="21:00" style={{ width: 100 }} data-testid="quiet-start" />
                  </Form.Item>
                  —
                  <Form.Item name="quiet_end" noStyle rules={[{ pattern: hhmm, message: t("compliance.timeFormat") }]}>
                    <Input placeholder="09:00" style={{ width: 100 }} data-testid="quiet-end" />
                  </Form.Item>
                </Space>
              </Form.Item>
              <Form.Item name="weekdays" label={t("compliance.weekdays")} extra={t("compliance.weekdaysHint")}>
                <Checkbox.Group options={weekdays.map((d) => ({ value: d, label: t(`compliance.days.${d}`) }))} />
              </Form.Item>
              <Form.Item name="holidays" label={t("compliance.holidays")} extra={t("compliance.holidaysHint")}>
                <Select mode="tags" tokenSeparators={[",", " "]} placeholder="2026-10-01" open={false} />
              </Form.Item>
            </Card>
          </Col>
          <Col xs={24} lg={12}>
            <Card title={t("compliance.howOften")} loading={loading}>
              <Form.Item name="max_daily_calls" label={t("compliance.maxDailyCalls")} extra={t("compliance.maxDailyCallsHint")}>
                <InputNumber min={0} max={100} style={{ width: "100%" }} data-testid="max-daily-calls" />
              </Form.Item>
              <Form.Item name="max_daily_messages" label={t("compliance.maxDailyMessages")} extra={t("compliance.maxDailyMessagesHint")}>
                <InputNumber min={1} max={20} style={{ width: "100%" }} data-testid="max-daily-messages" />
              </Form.Item>
              <Form.Item name="min_retry_interval" label={t("compliance.minRetry")} extra={t("compliance.minRetryHint")}>
                <Input placeholder="30m" data-testid="min-retry" />
              </Form.Item>
              <Form.Item name="max_concurrent_lines" label={t("compliance.lines")} extra={t("compliance.linesHint")}>
                <InputNumber min={0} style={{ width: "100%" }} />
              </Form.Item>
              <Form.Item name="calls_per_second" label={t("compliance.cps")}>
                <InputNumber min={0} step={0.5} style={{ width: "100%" }} />
              </Form.Item>
            </Card>
          </Col>
          <Col xs={24} lg={12} style={{ marginTop: 16 }}>
            <Card title={t("compliance.content")} loading={loading}>
              <Form.Item name="sensitive_words" label={t("compliance.sensitiveWords")} extra={t("compliance.sensitiveWordsHint")}>
                <Select mode="tags" tokenSeparators={[",", ","]} open={false} placeholder="转账, 密码, 验证码" />
              </Form.Item>
              <Form.Item name="recording_retention_days" label={t("compliance.retention")} extra={t("compliance.retentionHint")}>
                <InputNumber min={0} style={{ width: "100%" }} />
              </Form.Item>
              <Form.Item name="consented_only" label={t("compliance.consentedOnly")} extra={t("compliance.consentedOnlyHint")} valuePropName="checked">
                <Switch />
              </Form.Item>
              <Form.Item name="ai_disclosure" label={t("compliance.aiDisclosure")} extra={t("compliance.aiDisclosureHint")}>
                <Input.TextArea autoSize maxLength={200} placeholder="default" data-testid="ai-disclosure" />
              </Form.Item>
            </Card>
          </Col>
        </Row>
        <Button type="primary" htmlType="submit" loading={busy} style={{ marginTop: 16 }} data-testid="compliance-save">
          {t("common.save")}
        </Button>
      </Form>
    </>
  );
}
