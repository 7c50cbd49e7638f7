// Contacts: lists with imports of CSV files and Excel workbooks (progress,
// then a downloadable report of the rows that were skipped), each list's
// contacts, and the do-not-call list.
import { InboxOutlined, PlusOutlined, UploadOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Drawer, Empty, Form, Input, Modal, Popconfirm, Progress, Space, Statistic, Table, Tabs, Tag, Typography, Upload } from "antd";
import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { FormModal, useFormSubmit } from "../components/FormModal";
import { problemMessage, showProblem } from "../components/forms";
import { ErrorAlert, LoadMore, PageHeader, PagedTable } from "../components/ListPage";
import { usePagedList } from "../components/usePagedList";
import { formatTime } from "../format";
import { showPhone } from "../phone";
import { useSession } from "../session/Session";

type List = Schemas["ListBody"];
type Contact = Schemas["ContactBody"];
type Import = Schemas["ImportBody"];
type DNC = Schemas["DncEntryBody"];

/** The media type of an Excel workbook (.xlsx). */
export const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** The files the import's picker offers: CSV files and Excel workbooks. */
export const importAccept = `.csv,.xlsx,text/csv,${xlsxType}`;

/**
 * The content type an import file is sent as: an Excel workbook's own (by
 * its name or the type the browser gives it), else text/csv. Browsers call
 * a .csv file application/vnd.ms-excel where Excel is installed, so the
 * name, not that type, decides.
 */
export function importContentType(file: { name: string; type: string }): string {
  return /\.xlsx$/i.test(file.name) || file.type === xlsxType ? xlsxType : "text/csv";
}

export default function ContactsPage() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t("nav.contacts")} intro={t("contacts.intro")} />
      <Tabs
        items={[
          { key: "lists", label: t("contacts.lists"), children: <Lists /> },
          { key: "dnc", label: <span data-testid="tab-dnc">{t("contacts.dnc")}</span>, children: <DoNotCall /> },
        ]}
      />
    </>
  );
}

function Lists() {
  const { t } = useTranslation();
  const { me } = useSession();
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState<List | null>(null);
  const [viewing, setViewing] = useState<List | null>(null);
  const canWrite = atLeast(me?.role, "operator");

  const list = usePagedList((cursor) => unwrap(api.GET("/v1/lists", { params: { query: { limit: 50, cursor } } })));
  const { load } = list;

  return (
    <>
      <ErrorAlert error={list.error} />
      <PagedTable<List>
        list={list}
        extra={
          <Button type="primary" icon={<PlusOutlined />} disabled={!canWrite} onClick={() => setCreating(true)} data-testid="create-list">
            {t("contacts.createList")}
          </Button>
        }
        empty={t("contacts.noLists")}
        columns={[
          {
            title: t("contacts.listName"),
            render: (_: unknown, l) => (
              <>
                <Typography.Link onClick={() => setViewing(l)} data-testid={`list-${l.name}`}>
                  {l.name}
                </Typography.Link>
                {l.description && (
                  <div>
                    <Typography.Text type="secondary">{l.description}</Typography.Text>
                  </div>
                )}
              </>
            ),
          },
          { title: t("contacts.count"), dataIndex: "contacts", render: (n: number) => <span data-testid="list-count">{n}</span> },
          { title: t("common.created"), dataIndex: "created_at", render: formatTime },
          {
            title: t("common.actions"),
            render: (_: unknown, l) => (
              <Button size="small" icon={<UploadOutlined />} disabled={!canWrite} onClick={() => setImporting(l)} data-testid={`import-${l.name}`}>
                {t("contacts.importCsv")}
              </Button>
            ),
          },
        ]}
      />
      <CreateListModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(l) => {
          setCreating(false);
          void load();
          setImporting(l);
        }}
      />
      <ImportModal list={importing} onClose={() => { setImporting(null); void load(); }} />
      <ListContactsDrawer list={viewing} onClose={() => setViewing(null)} />
    </>
  );
}

function CreateListModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (l: List) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ name: string; description?: string }>();
  const submitting = useFormSubmit(form, ["name", "description"], async (v: { name: string; description?: string }) => {
    const l = await unwrap(api.POST("/v1/lists", { body: { name: v.name, description: v.description || undefined } }));
    form.resetFields();
    onCreated(l);
  });
  return (
    <FormModal form={form} submitting={submitting} open={open} title={t("contacts.createList")} okText={t("keys.createButton")} onCancel={onClose} okTestId="create-list-submit" destroyOnHidden>
      <Form form={form} layout="vertical" onFinish={submitting.submit} requiredMark={false}>
        <Form.Item name="name" label={t("contacts.listName")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input placeholder={t("contacts.listNamePlaceholder")} data-testid="list-name" />
        </Form.Item>
        <Form.Item name="description" label={t("webhooks.description")}>
          <Input />
        </Form.Item>
      </Form>
    </FormModal>
  );
}

/** Uploads a CSV file or an Excel workbook into a list and follows the import until it ends. */
function ImportModal({ list, onClose }: { list: List | null; onClose: () => void }) {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [phoneColumn, setPhoneColumn] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [job, setJob] = useState<Import | null>(null);
  const [busy, setBusy] = useState(false);
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => {
    if (!list) {
      setFile(null);
      setJob(null);
      setError(null);
      setPhoneColumn("");
    }
    return () => window.clearTimeout(timer.current);
  }, [list]);

  const follow = (id: string) => {
    timer.current = window.setTimeout(async () => {
      try {
        const im = await unwrap(api.GET("/v1/imports/{import_id}", { params: { path: { import_id: id } } }));
        setJob(im);
        if (im.status === "queued" || im.status === "running") follow(id);
      } catch (e) {
        setError(problemMessage(e, t));
      }
    }, 500);
  };

  const start = async () => {
    if (!list || !file) return;
    setBusy(true);
    setError(null);
    try {
      const im = await unwrap(
        api.POST("/v1/lists/{list_id}/imports", {
          params: { path: { list_id: list.id }, query: { phone_column: phoneColumn || undefined } },
          // The file goes as it is, so GBK files and workbooks keep their bytes.
          body: file as unknown as string,
          bodySerializer: (b: unknown) => b as BodyInit,
          headers: { "Content-Type": importContentType(file) },
        }),
      );
      setJob(im);
      follow(im.id);
    } catch (e) {
      setError(problemMessage(e, t));
    } finally {
      setBusy(false);
    }
  };

  const finished = job && (job.status === "done" || job.status === "failed");
  const percent = job ? (job.rows_total > 0 ? Math.round((job.rows_done / job.rows_total) * 100) : finished ? 100 : 0) : 0;
  return (
    <Modal
      open={list !== null}
      title={t("contacts.importInto", { name: list?.name })}
      onCancel={onClose}
      maskClosable={false}
      footer={
        job ? (
          <Button type="primary" onClick={onClose} disabled={!finished} data-testid="import-close">
            {t("contacts.importDone")}
          </Button>
        ) : (
          <Space>
            <Button onClick={onClose}>{t("common.cancel")}</Button>
            <Button type="primary" onClick={start} loading={busy} disabled={!file} data-testid="import-start">
              {t("contacts.importStart")}
            </Button>
          </Space>
        )
      }
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="import-error" />}
      {!job ? (
        <Space direction="vertical" style={{ width: "100%" }}>
          <Upload.Dragger
            accept={importAccept}
            maxCount={1}
            beforeUpload={(f) => {
              setFile(f);
              return false;
            }}
            onRemove={() => setFile(null)}
            fileList={file ? [{ uid: "1", name: file.name, status: "done" }] : []}
            data-testid="import-file"
          >
            <p className="ant-upload-drag-icon">
              <InboxOutlined />
            </p>
            <p className="ant-upload-text">{t("contacts.dropCsv")}</p>
            <p className="ant-upload-hint">{t("contacts.csvHint")}</p>
            <p className="ant-upload-hint" data-testid="import-formats">
              .csv · .xlsx
            </p>
          </Upload.Dragger>
          <Input addonBefore={t("contacts.phoneColumn")} placeholder={t("contacts.phoneColumnAuto")} value={phoneColumn} onChange={(e) => setPhoneColumn(e.target.value)} />
        </Space>
      ) : (
        <Space direction="vertical" style={{ width: "100%" }} data-testid="import-progress">
          <Progress percent={percent} status={job.status === "failed" ? "exception" : finished ? "success" : "active"} />
          <Typography.Text type="secondary">
            {t(`contacts.importStatus.${job.status}`)} · {t("contacts.rowsDone", { done: job.rows_done, total: job.rows_total })}
          </Typography.Text>
          {job.failure && <Alert type="error" showIcon title={job.failure} />}
          {finished && (
            <Space size="large">
              <Statistic title={t("contacts.imported")} value={job.rows_imported} valueStyle={{ color: "#3f8600" }} />
              <Statistic title={t("contacts.merged")} value={job.rows_merged} />
              <Statistic title={t("contacts.failed")} value={job.rows_failed} valueStyle={job.rows_failed ? { color: "#cf1322" } : undefined} />
            </Space>
          )}
          {finished && job.rows_failed > 0 && (
            <a href={job.errors_url} download data-testid="import-errors-link">
              {t("contacts.downloadErrors")}
            </a>
          )}
        </Space>
      )}
    </Modal>
  );
}

function ListContactsDrawer({ list, onClose }: { list: List | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { me } = useSession();
  const [items, setItems] = useState<Contact[]>([]);
  const [cursor, setCursor] = useState("");
  const [loading, setLoading] = useState(false);
  const load = useCallback(
    async (after = "") => {
      if (!list) return;
      setLoading(true);
      try {
        const page = await unwrap(api.GET("/v1/lists/{list_id}/contacts", { params: { path: { list_id: list.id }, query: { limit: 100, cursor: after || undefined } } }));
        setItems((prev) => (after ? [...prev, ...(page.items ?? [])] : (page.items ?? [])));
        setCursor(page.next_cursor);
      } finally {
        setLoading(false);
      }
    },
    [list],
  );
  useEffect(() => {
    setItems([]);
    void load();
  }, [load]);
  return (
    <Drawer open={list !== null} onClose={onClose} width={720} title={list?.name}>
      <Table<Contact>
        rowKey="id"
        size="small"
        loading={loading}
        dataSource={items}
        pagination={false}
        data-testid="list-contacts"
        locale={{ emptyText: <Empty description={t("contacts.emptyList")} /> }}
        columns={[
          { title: t("contacts.phone"), dataIndex: "phone", render: (p: string) => <Typography.Text code>{showPhone(p, me?.role)}</Typography.Text> },
          { title: t("contacts.name"), dataIndex: "name" },
          { title: t("contacts.timeZone"), dataIndex: "time_zone" },
          {
            title: t("contacts.attributes"),
            dataIndex: "attributes",
            render: (a: Record<string, unknown> | null) =>
              Object.entries(a ?? {}).map(([k, v]) => (
                <Tag key={k}>
                  {k}: {String(v)}
                </Tag>
              )),
          },
        ]}
      />
      <LoadMore cursor={cursor} load={load} />
    </Drawer>
  );
}

function DoNotCall() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const [form] = Form.useForm<{ phones: string; reason?: string }>();
  const [formError, setFormError] = useState<string | null>(null);
  const list = usePagedList((cursor) => unwrap(api.GET("/v1/dnc", { params: { query: { limit: 100, cursor } } })));
  const { load } = list;

  const add = async (v: { phones: string; reason?: string }) => {
    setFormError(null);
    const phones = v.phones.split(/[\s,,;;]+/).filter(Boolean);
    try {
      const r = await unwrap(api.POST("/v1/dnc", { body: { phones, reason: v.reason || undefined } }));
      message.success(t("contacts.dncAdded", { n: r.added }));
      form.resetFields();
      void load();
    } catch (e) {
      setFormError(showProblem(form, e, ["phones", "reason"], t));
    }
  };
  const remove = async (d: DNC) => {
    try {
      await unwrap(api.DELETE("/v1/dnc/{phone}", { params: { path: { phone: d.phone } } }));
      void load();
    } catch (e) {
      message.error(problemMessage(e, t));
    }
  };
  return (
    <>
      <ErrorAlert error={list.error} />
      <Card title={t("contacts.dncAdd")} style={{ marginBottom: 16 }}>
        <ErrorAlert error={formError} />
        <Form form={form} layout="inline" onFinish={add} disabled={!atLeast(me?.role, "operator")}>
          <Form.Item name="phones" rules={[{ required: true, message: t("errors.required") }]} style={{ minWidth: 320 }}>
            <Input placeholder={t("contacts.dncPhones")} data-testid="dnc-phones" />
          </Form.Item>
          <Form.Item name="reason">
            <Input placeholder={t("contacts.dncReason")} />
          </Form.Item>
          <Button type="primary" htmlType="submit" data-testid="dnc-add">
            {t("contacts.dncAddButton")}
          </Button>
        </Form>
      </Card>
      <PagedTable<DNC>
        list={list}
        rowKey="phone"
        data-testid="dnc-table"
        empty={t("contacts.dncEmpty")}
        columns={[
          { title: t("contacts.phone"), dataIndex: "phone", render: (p: string) => <Typography.Text code>{showPhone(p, me?.role)}</Typography.Text> },
          { title: t("contacts.dncSource"), dataIndex: "source", render: (s: string) => <Tag>{t(`contacts.dncSources.${s}`, { defaultValue: s })}</Tag> },
          { title: t("contacts.dncReasonTitle"), dataIndex: "reason" },
          { title: t("contacts.dncAddedAt"), dataIndex: "added_at", render: formatTime },
          {
            title: t("common.actions"),
            render: (_: unknown, d) =>
              atLeast(me?.role, "admin") && (
                <Popconfirm title={t("contacts.dncRemoveConfirm")} okText={t("members.remove")} cancelText={t("common.cancel")} onConfirm={() => remove(d)}>
                  <Button size="small">{t("members.remove")}</Button>
                </Popconfirm>
              ),
          },
        ]}
      />
    </>
  );
}
