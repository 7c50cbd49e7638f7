// The desk's queues: where a script's transfer: "queue:<name>" sends a
// callee, which people take its calls, how long the callee waits and each
// desk rings, and what happens when nobody answers (an overflow number, or
// a message and a callback). Admins change them; everyone else reads.
import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, App, Button, Col, Empty, Form, Input, InputNumber, Popconfirm, Row, Select, Space, Tag, Typography } from "antd";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, atLeast, unwrap, type User } from "../api/client";
import { FormModal, useFormSubmit } from "../components/FormModal";
import { problemMessage } from "../components/forms";
import { ErrorAlert, PagedTable } from "../components/ListPage";
import { usePagedList } from "../components/usePagedList";
import { showPhone } from "../phone";
import { useSession } from "../session/Session";
import { limits, newQueueValues, queueBody, queueFieldNames, queueName, queueValues, transferTarget, type Queue, type QueueValues } from "./queueForm";

/** The tenant's people (a few pages at most), for picking and naming agents. */
function useUsers() {
  const [users, setUsers] = useState<User[]>([]);
  useEffect(() => {
    let stopped = false;
    (async () => {
      const all: User[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const r = await unwrap(api.GET("/v1/users", { params: { query: { limit: 100, cursor } } }));
        all.push(...(r.items ?? []));
        if (!r.next_cursor) break;
        cursor = r.next_cursor;
      }
      if (!stopped) setUsers(all);
    })().catch(() => undefined);
    return () => {
      stopped = true;
    };
  }, []);
  return users;
}

export default function QueuesPanel() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const canManage = atLeast(me?.role, "admin");
  const [editing, setEditing] = useState<Queue | "new" | null>(null);
  const users = useUsers();
  const byId = useMemo(() => new Map(users.map((u) => [u.id, u])), [users]);

  const list = usePagedList((cursor) => unwrap(api.GET("/v1/queues", { params: { query: { limit: 50, cursor } } })));
  const { load } = list;

  const remove = async (q: Queue) => {
    try {
      await unwrap(api.DELETE("/v1/queues/{queue_id}", { params: { path: { queue_id: q.id } } }));
      message.success(t("queues.deleted", { name: q.name }));
    } catch (e) {
      message.error(problemMessage(e, t));
    }
    void load();
  };

  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between", marginBottom: 16 }}>
        <Typography.Text type="secondary">{t("queues.intro")}</Typography.Text>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing("new")} disabled={!canManage} data-testid="add-queue">
          {t("queues.add")}
        </Button>
      </Space>
      {!canManage && <Alert type="info" showIcon title={t("queues.readOnly")} style={{ marginBottom: 16 }} />}
      <ErrorAlert error={list.error} testId="queues-error" />
      <PagedTable<Queue>
        list={list}
        data-testid="queue-table"
        empty={<Empty description={<span data-testid="queues-empty">{t("queues.empty")}</span>} />}
        columns={[
          {
            title: t("queues.name"),
            render: (_: unknown, q) => (
              <Space orientation="vertical" size={0}>
                <Typography.Text strong data-testid="queue-name">
                  {q.name}
                </Typography.Text>
                <Typography.Text type="secondary" copyable={{ text: transferTarget(q.name) }} style={{ fontSize: 12 }}>
                  transfer: "{transferTarget(q.name)}"
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: t("queues.agents"),
            render: (_: unknown, q) =>
              (q.agent_ids ?? []).length ? (
                <Space size={[4, 4]} wrap data-testid="queue-agents">
                  {(q.agent_ids ?? []).map((id) => {
                    const u = byId.get(id);
                    return <Tag key={id}>{u ? u.name || u.email : id.slice(0, 8)}</Tag>;
                  })}
                </Space>
              ) : (
                <Typography.Text type="warning">{t("queues.noAgents")}</Typography.Text>
              ),
          },
          {
            title: t("queues.timing"),
            render: (_: unknown, q) => (
              <Space orientation="vertical" size={0}>
                <span>{t("queues.timeoutShort", { n: q.timeout_seconds })}</span>
                <span>{t("queues.ringShort", { n: q.ring_seconds })}</span>
              </Space>
            ),
          },
          {
            title: t("queues.overflow"),
            render: (_: unknown, q) =>
              q.overflow_number ? (
                <Typography.Text code>{showPhone(q.overflow_number, me?.role)}</Typography.Text>
              ) : (
                <Typography.Text type="secondary" ellipsis={{ tooltip: q.overflow_message || t("queues.builtInMessage") }} style={{ maxWidth: 240 }}>
                  {t("queues.callbackWith", { message: q.overflow_message || t("queues.builtInMessage") })}
                </Typography.Text>
              ),
          },
          {
            title: t("common.actions"),
            render: (_: unknown, q) => (
              <Space>
                <Button size="small" onClick={() => setEditing(q)} disabled={!canManage} data-testid="queue-edit">
                  {t("common.edit")}
                </Button>
                <Popconfirm title={t("queues.deleteConfirm", { name: q.name })} okText={t("common.delete")} okButtonProps={{ danger: true }} cancelText={t("common.cancel")} onConfirm={() => remove(q)} disabled={!canManage}>
                  <Button size="small" danger icon={<DeleteOutlined />} disabled={!canManage} aria-label={t("common.delete")} data-testid="queue-delete" />
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <QueueModal
        queue={editing}
        users={users}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          message.success(t("queues.saved"));
          void load();
        }}
      />
    </>
  );
}

function QueueModal({ queue, users, onClose, onSaved }: { queue: Queue | "new" | null; users: User[]; onClose: () => void; onSaved: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<QueueValues>();
  const isNew = queue === "new";
  const overflowNumber = Form.useWatch("overflow_number", form);
  const submitting = useFormSubmit(form, queueFieldNames, async (v: QueueValues) => {
    const body = queueBody(v);
    if (isNew) await unwrap(api.POST("/v1/queues", { body }));
    else if (queue) await unwrap(api.PATCH("/v1/queues/{queue_id}", { params: { path: { queue_id: queue.id } }, body }));
    onSaved();
  });
  const { setError } = submitting;

  useEffect(() => {
    setError(null);
    if (queue === null) return;
    form.resetFields();
    form.setFieldsValue(queue === "new" ? newQueueValues : queueValues(queue));
  }, [queue, form, setError]);

  return (
    <FormModal
      form={form}
      submitting={submitting}
      open={queue !== null}
      width={640}
      title={isNew ? t("queues.add") : t("queues.edit")}
      okText={isNew ? t("queues.addButton") : t("common.save")}
      onCancel={onClose}
      okTestId="queue-submit"
      errorTestId="queue-form-error"
      forceRender
    >
      <Form form={form} layout="vertical" onFinish={submitting.submit} initialValues={newQueueValues} requiredMark={false}>
        <Form.Item
          name="name"
          label={t("queues.name")}
          extra={t("queues.nameHint")}
          rules={[
            { required: true, message: t("errors.required") },
            { pattern: queueName, message: t("queues.nameRule") },
          ]}
        >
          <Input placeholder="collections" data-testid="queue-name-input" />
        </Form.Item>
        <Form.Item name="agent_ids" label={t("queues.agents")} extra={t("queues.agentsHint")}>
          <Select
            mode="multiple"
            allowClear
            showSearch={{ optionFilterProp: "label" }}
            placeholder={t("queues.pickAgents")}
            data-testid="queue-agents-select"
            options={users.map((u) => ({ value: u.id, label: `${u.name || u.email} · ${t(`roles.${u.role}`)}`, title: u.email }))}
          />
        </Form.Item>
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="timeout_seconds" label={t("queues.timeout")} extra={t("queues.timeoutHint")}>
              <InputNumber min={limits.timeout_seconds.min} max={limits.timeout_seconds.max} suffix={t("queues.seconds")} style={{ width: "100%" }} data-testid="queue-timeout" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="ring_seconds" label={t("queues.ring")} extra={t("queues.ringHint")}>
              <InputNumber min={limits.ring_seconds.min} max={limits.ring_seconds.max} suffix={t("queues.seconds")} style={{ width: "100%" }} data-testid="queue-ring" />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="overflow_number" label={t("queues.overflowNumber")} extra={t("queues.overflowNumberHint")}>
          <Input placeholder="+862150009999" data-testid="queue-overflow-number" />
        </Form.Item>
        <Form.Item name="overflow_message" label={t("queues.overflowMessage")} extra={overflowNumber ? t("queues.overflowMessageUnused") : t("queues.overflowMessageHint")}>
          <Input.TextArea rows={2} maxLength={500} showCount placeholder={t("queues.builtInMessage")} data-testid="queue-overflow-message" />
        </Form.Item>
      </Form>
    </FormModal>
  );
}
