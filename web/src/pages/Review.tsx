// The review queue: calls that heard or said one of the tenant's sensitive
// words wait here until someone approves them (nothing wrong) or flags them
// (a problem to act on), with a note. Operators and above review; viewers
// read, with numbers masked.
import { CheckOutlined, FlagOutlined } from "@ant-design/icons";
import { Alert, App, Button, Empty, Form, Input, Segmented, Space, Tag, Tooltip, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { FormModal } from "../components/FormModal";
import { showProblem } from "../components/forms";
import { ErrorAlert, PagedTable } from "../components/ListPage";
import { usePagedList } from "../components/usePagedList";
import { formatTime } from "../format";
import { showPhone } from "../phone";
import { useSession } from "../session/Session";

type Call = Schemas["CallBody"];
type Status = "pending" | "approved" | "flagged";
type Verdict = "approved" | "flagged";

const statusColor: Record<Status, string> = { pending: "gold", approved: "green", flagged: "red" };

export default function ReviewPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const canReview = atLeast(me?.role, "operator");
  const [status, setStatus] = useState<Status>("pending");
  const [reviewing, setReviewing] = useState<{ call: Call; verdict: Verdict } | null>(null);

  const list = usePagedList((cursor) => unwrap(api.GET("/v1/calls", { params: { query: { review: status, limit: 50, cursor } } })), [status]);
  const { load } = list;

  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between", marginBottom: 16 }} align="start">
        <div>
          <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
            {t("nav.review")}
          </Typography.Title>
          <Typography.Text type="secondary">{t("review.intro")}</Typography.Text>
        </div>
        <Segmented<Status>
          value={status}
          onChange={setStatus}
          data-testid="review-status"
          options={(["pending", "approved", "flagged"] as const).map((s) => ({ value: s, label: t(`review.status.${s}`) }))}
        />
      </Space>
      {!canReview && <Alert type="info" showIcon title={t("review.readOnly")} style={{ marginBottom: 16 }} />}
      <ErrorAlert error={list.error} />
      <PagedTable<Call>
        list={list}
        data-testid="review-table"
        empty={
          <Empty description={<span data-testid="review-empty">{status === "pending" ? t("review.emptyPending") : t("review.emptyDone")}</span>}>
            {status === "pending" && <Link to="/compliance">{t("review.setWords")}</Link>}
          </Empty>
        }
        columns={[
          { title: t("review.when"), dataIndex: "created_at", render: formatTime },
          {
            title: t("review.call"),
            render: (_: unknown, c) => (
              <Space direction="vertical" size={0}>
                <Link to={`/calls/${c.id}`} data-testid="review-call-link">
                  {showPhone(c.phone, me?.role)}
                </Link>
                <Typography.Text type="secondary">
                  {[c.outcome && t(`review.outcome`, { outcome: c.outcome }), c.segment && `#${c.segment}`].filter(Boolean).join(" · ")}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: t("review.hits"),
            render: (_: unknown, c) => (
              <Space size={[4, 4]} wrap>
                {(c.sensitive_hits ?? []).map((h, i) => (
                  <Tooltip key={i} title={t(h.where === "said" ? "review.said" : "review.heard", { turn: h.turn })}>
                    <Tag color={h.where === "said" ? "volcano" : "orange"} data-testid="review-hit">
                      {h.word}
                    </Tag>
                  </Tooltip>
                ))}
              </Space>
            ),
          },
          {
            title: t("review.review"),
            render: (_: unknown, c) => {
              const r = c.review;
              const s = (r?.status ?? "pending") as Status;
              return (
                <Space direction="vertical" size={0}>
                  <Tag color={statusColor[s]}>{t(`review.status.${s}`)}</Tag>
                  {r?.note && <Typography.Text>{r.note}</Typography.Text>}
                  {r?.reviewed_at && <Typography.Text type="secondary">{formatTime(r.reviewed_at)}</Typography.Text>}
                </Space>
              );
            },
          },
          {
            title: t("common.actions"),
            render: (_: unknown, c) => (
              <Space>
                <Button size="small" icon={<CheckOutlined />} disabled={!canReview} onClick={() => setReviewing({ call: c, verdict: "approved" })} data-testid="review-approve">
                  {t("review.approve")}
                </Button>
                <Button size="small" danger icon={<FlagOutlined />} disabled={!canReview} onClick={() => setReviewing({ call: c, verdict: "flagged" })} data-testid="review-flag">
                  {t("review.flag")}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <ReviewModal
        target={reviewing}
        onClose={() => setReviewing(null)}
        onDone={(v) => {
          setReviewing(null);
          message.success(t(v === "approved" ? "review.approvedNow" : "review.flaggedNow"));
          void load();
        }}
      />
    </>
  );
}

function ReviewModal({ target, onClose, onDone }: { target: { call: Call; verdict: Verdict } | null; onClose: () => void; onDone: (v: Verdict) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ note?: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setError(null);
    form.setFieldsValue({ note: target?.call.review?.note ?? "" });
  }, [target, form]);

  const submit = async (v: { note?: string }) => {
    if (!target) return;
    setBusy(true);
    try {
      await unwrap(api.POST("/v1/calls/{call_id}/review", { params: { path: { call_id: target.call.id } }, body: { status: target.verdict, note: v.note || undefined } }));
      onDone(target.verdict);
    } catch (e) {
      setError(showProblem(form, e, ["note"], t));
    } finally {
      setBusy(false);
    }
  };
  const flagging = target?.verdict === "flagged";
  return (
    <FormModal
      form={form}
      submitting={{ busy, error }}
      open={target !== null}
      title={flagging ? t("review.flagTitle") : t("review.approveTitle")}
      okText={flagging ? t("review.flag") : t("review.approve")}
      okButtonProps={{ danger: flagging }}
      okTestId="review-submit"
      onCancel={onClose}
      forceRender
    >
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item name="note" label={t("review.note")} extra={flagging ? t("review.flagHint") : t("review.approveHint")}>
          <Input.TextArea rows={3} maxLength={2000} showCount data-testid="review-note" />
        </Form.Item>
      </Form>
    </FormModal>
  );
}
