// Messages: the follow-up messages (SMS) campaigns and scripts sent or will
// send, oldest first, filtered on the server by campaign and state (kept in
// the address, so a campaign links to its own), 50 at a time with "load
// more". Numbers come masked from the API for viewers.
import { ReloadOutlined } from "@ant-design/icons";
import { Button, Select, Space, Tag, Typography } from "antd";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import { ErrorAlert, PageHeader, PagedTable } from "../components/ListPage";
import { usePagedList } from "../components/usePagedList";
import { formatTime } from "../format";
import { showPhone } from "../phone";
import { useSession } from "../session/Session";
import { filtersOf, messagesQuery, messageStates, paramsOf, reasonCode, stateColor, type Message, type MessageFilters } from "./messagesView";

type Campaign = Schemas["CampaignBody"];

export default function MessagesPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const [params, setParams] = useSearchParams();
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const filters = useMemo(() => filtersOf(params), [params]);
  const setFilters = (f: MessageFilters) => setParams(paramsOf(f));
  const list = usePagedList<Message>((cursor) => unwrap(api.GET("/v1/messages", { params: { query: messagesQuery(filters, cursor) } })), [filters.campaign_id, filters.state]);

  useEffect(() => {
    unwrap(api.GET("/v1/campaigns", { params: { query: { limit: 100 } } }))
      .then((p) => setCampaigns(p.items ?? []))
      .catch(() => setCampaigns([]));
  }, []);
  const campaignName = (id: string | null | undefined) => (id ? (campaigns.find((c) => c.id === id)?.name ?? id.slice(0, 8)) : "—");
  const filtered = Boolean(filters.campaign_id || filters.state);

  return (
    <>
      <PageHeader title={t("nav.messages")} intro={t("messages.intro")} />
      <ErrorAlert error={list.error} testId="messages-error" />
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          allowClear
          showSearch={{ optionFilterProp: "label" }}
          placeholder={t("messages.campaign")}
          style={{ width: 220 }}
          value={filters.campaign_id}
          onChange={(v) => setFilters({ ...filters, campaign_id: v })}
          options={campaigns.map((c) => ({ value: c.id, label: c.name }))}
          data-testid="messages-campaign-filter"
        />
        <Select
          allowClear
          placeholder={t("messages.state")}
          style={{ width: 140 }}
          value={filters.state}
          onChange={(v) => setFilters({ ...filters, state: v })}
          options={messageStates.map((s) => ({ value: s, label: t(`messages.states.${s}`) }))}
          data-testid="messages-state-filter"
        />
        <Button icon={<ReloadOutlined />} onClick={() => list.load()}>
          {t("common.refresh")}
        </Button>
        <Link to="/trunks?tab=sms">{t("messages.setup")}</Link>
      </Space>
      <PagedTable<Message>
        list={list}
        size="small"
        data-testid="messages-table"
        empty={filtered ? t("messages.noneMatch") : t("messages.none")}
        columns={[
          { title: t("messages.created"), dataIndex: "created_at", render: formatTime },
          { title: t("messages.campaign"), dataIndex: "campaign_id", render: (id: string | null) => (id ? <Link to={`/campaigns/${id}`}>{campaignName(id)}</Link> : "—") },
          { title: t("messages.phone"), dataIndex: "phone", render: (p: string) => <Typography.Text code style={{ whiteSpace: "nowrap" }}>{showPhone(p, me?.role)}</Typography.Text> },
          { title: t("messages.template"), dataIndex: "template" },
          {
            title: t("messages.state"),
            dataIndex: "state",
            render: (s: Message["state"]) => (
              <Tag color={stateColor(s)} data-testid="message-state">
                {t(`messages.states.${s}`, { defaultValue: s })}
              </Tag>
            ),
          },
          {
            title: t("messages.reason"),
            render: (_: unknown, m) => {
              const code = reasonCode(m.reason);
              const reason = code ? t(`calls.reasons.${code}`, { defaultValue: code }) : m.reason;
              if (!reason) return "—";
              // A queued message with a reason waits: say until when.
              const text = m.state === "queued" ? `${reason} · ${t("messages.waitsUntil", { when: formatTime(m.send_after) })}` : reason;
              return (
                <Typography.Text ellipsis={{ tooltip: text }} style={{ maxWidth: 260 }} data-testid="message-reason">
                  {text}
                </Typography.Text>
              );
            },
          },
          { title: t("messages.sentAt"), dataIndex: "sent_at", render: formatTime },
          { title: t("messages.receipt"), dataIndex: "receipt_code", render: (c: string) => (c ? <Typography.Text code>{c}</Typography.Text> : "—") },
          {
            title: t("messages.call"),
            dataIndex: "call_id",
            render: (id: string | null) => (id ? <Link to={`/calls/${id}`} style={{ whiteSpace: "nowrap" }}>{t("calls.open")}</Link> : "—"),
          },
        ]}
      />
    </>
  );
}
