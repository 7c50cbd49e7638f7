// Caller ID health: each number's calls and answers by day, its answer
// rate over the last 24 hours, and whether it rests (left out of calls
// after its answer rate collapsed, or by hand). Admins rest and wake
// numbers; everyone else reads (numbers masked for viewers).
import { App, Button, Form, Input, InputNumber, Modal, Space, Tag, Tooltip, Typography, type ModalProps } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { problemMessage } from "../components/forms";
import { ErrorAlert, PagedTable } from "../components/ListPage";
import { usePagedList } from "../components/usePagedList";
import { formatTime } from "../format";
import { useSession } from "../session/Session";

type CallerID = Schemas["CallerIDBody"];

export default function CallerIds() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const canManage = atLeast(me?.role, "admin");
  const [resting, setResting] = useState<CallerID | null>(null);
  const [form] = Form.useForm<{ hours: number; reason?: string }>();
  const [busy, setBusy] = useState(false);
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const list = usePagedList(async () => ({ items: (await unwrap(api.GET("/v1/caller-ids", { params: { query: { days: 7, tz } } }))).items, next_cursor: "" }));
  const { load } = list;

  const rest = async () => {
    if (!resting) return;
    const v = await form.validateFields();
    setBusy(true);
    try {
      await unwrap(api.POST("/v1/caller-ids/rest", { body: { number: resting.number, hours: v.hours, reason: v.reason ?? "" } }));
      message.success(t("callerIds.rested"));
      setResting(null);
      void load();
    } catch (e) {
      message.error(problemMessage(e, t));
    } finally {
      setBusy(false);
    }
  };
  const wake = async (c: CallerID) => {
    try {
      await unwrap(api.POST("/v1/caller-ids/wake", { body: { number: c.number } }));
      message.success(t("callerIds.woken"));
    } catch (e) {
      message.error(problemMessage(e, t));
    }
    void load();
  };

  return (
    <>
      <Typography.Paragraph type="secondary">{t("callerIds.hint")}</Typography.Paragraph>
      {!canManage && <Typography.Paragraph type="secondary">{t("callerIds.readOnly")}</Typography.Paragraph>}
      <ErrorAlert error={list.error} />
      <PagedTable<CallerID>
        list={list}
        data-testid="caller-id-table"
        empty={<span data-testid="caller-ids-empty">{t("callerIds.empty")}</span>}
        columns={[
          { title: t("callerIds.number"), render: (_: unknown, c) => <Typography.Text strong>{c.number}</Typography.Text> },
          {
            title: t("callerIds.last24h"),
            render: (_: unknown, c) => (
              <Space direction="vertical" size={0}>
                <span>{t("callerIds.calls", { calls: c.calls_24h, answers: c.answers_24h })}</span>
                {c.answer_rate_24h != null && (
                  <Typography.Text type="secondary" data-testid="caller-id-rate">
                    {t("callerIds.rate")} {Math.round(c.answer_rate_24h * 100)}%
                  </Typography.Text>
                )}
              </Space>
            ),
          },
          {
            title: t("callerIds.days"),
            render: (_: unknown, c) => (
              <Space size={[4, 4]} wrap>
                {(c.days ?? []).map((d) => (
                  <Tooltip key={d.day} title={d.day}>
                    <Tag>
                      {d.calls} / {d.answers}
                    </Tag>
                  </Tooltip>
                ))}
              </Space>
            ),
          },
          {
            title: t("callerIds.status"),
            render: (_: unknown, c) =>
              c.rest ? (
                <Space direction="vertical" size={0} data-testid="caller-id-resting">
                  <Tag color="orange">{t("callerIds.resting", { until: formatTime(c.rest.until) })}</Tag>
                  <Typography.Text type="secondary">
                    {c.rest.reason} ({c.rest.automatic ? t("callerIds.automatic") : t("callerIds.byHand")})
                  </Typography.Text>
                </Space>
              ) : (
                <Tag color="green">{t("callerIds.awake")}</Tag>
              ),
          },
          {
            title: t("common.actions"),
            render: (_: unknown, c) =>
              c.rest ? (
                <Button size="small" onClick={() => wake(c)} disabled={!canManage} data-testid="caller-id-wake">
                  {t("callerIds.wake")}
                </Button>
              ) : (
                <Button
                  size="small"
                  onClick={() => {
                    form.setFieldsValue({ hours: 72, reason: "" });
                    setResting(c);
                  }}
                  disabled={!canManage}
                  data-testid="caller-id-rest"
                >
                  {t("callerIds.rest")}
                </Button>
              ),
          },
        ]}
      />
      <Modal
        open={resting !== null}
        title={t("callerIds.restTitle", { number: resting?.number ?? "" })}
        okText={t("callerIds.rest")}
        cancelText={t("common.cancel")}
        onOk={rest}
        confirmLoading={busy}
        onCancel={() => setResting(null)}
        okButtonProps={{ "data-testid": "caller-id-rest-submit" } as ModalProps["okButtonProps"]}
        forceRender
      >
        <Form form={form} layout="vertical" requiredMark={false}>
          <Form.Item name="hours" label={t("callerIds.hours")} extra={t("callerIds.hoursHint")} rules={[{ required: true, message: t("errors.required") }]}>
            <InputNumber min={1} max={720} style={{ width: "100%" }} data-testid="caller-id-hours" />
          </Form.Item>
          <Form.Item name="reason" label={t("callerIds.reason")}>
            <Input maxLength={300} data-testid="caller-id-reason" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
