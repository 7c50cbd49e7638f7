// A list of call records with filters. Where the calls come from is a
// CallSource: a campaign's calls, filtered in the browser, or the tenant's
// whole call history searched on the server and paged with "load more".
import { ReloadOutlined } from "@ant-design/icons";
import { Alert, Button, DatePicker, Empty, Input, Select, Space, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import type { paths } from "../api/schema";
import { formatTime } from "../format";
import { showPhone } from "../phone";
import { useSession } from "../session/Session";
import { problemMessage } from "./forms";

export type Call = Schemas["CallBody"];

export interface CallFilters {
  state?: string;
  outcome?: string;
  /** Digits anywhere in the number. */
  phone?: string;
  tag?: string;
  /** Server-side sources only: */
  campaign_id?: string;
  review?: "pending" | "approved" | "flagged";
  /** First and last day counted, YYYY-MM-DD, in the browser's time zone. */
  from?: string;
  to?: string;
}

export interface CallSource {
  key: string;
  /** Whether load applies the filters itself; else the table filters what it loaded. */
  serverFilters: boolean;
  load(cursor: string | undefined, filters: CallFilters): Promise<{ items: Call[]; next: string }>;
}

/** A campaign's calls, oldest first (the API has no filters for them: the table applies them). */
export function campaignCalls(campaignId: string): CallSource {
  return {
    key: `campaign:${campaignId}`,
    serverFilters: false,
    async load(cursor) {
      const page = await unwrap(api.GET("/v1/campaigns/{campaign_id}/calls", { params: { path: { campaign_id: campaignId }, query: { limit: 100, cursor } } }));
      return { items: page.items ?? [], next: page.next_cursor };
    },
  };
}

/**
 * What the search API takes for a typed number: a full number in E.164
 * ("+86 138 1234 1234" → "+8613812341234"), else its digits, matched at the end.
 */
export function phoneQuery(typed: string | undefined): string | undefined {
  const digits = (typed ?? "").replace(/\D/g, "");
  if (!digits) return undefined;
  return typed!.trim().startsWith("+") ? `+${digits}` : digits;
}

/** A local day's start (or, with next, the next day's start) as RFC 3339. */
function dayStart(day: string, next = false): string {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d + (next ? 1 : 0)).toISOString();
}

type SearchQuery = NonNullable<paths["/v1/calls"]["get"]["parameters"]["query"]>;

/** The search API's query for the table's filters. */
export function searchQuery(f: CallFilters): SearchQuery {
  return {
    state: (f.state || undefined) as SearchQuery["state"],
    outcome: (f.outcome || undefined) as SearchQuery["outcome"],
    phone: phoneQuery(f.phone),
    tag: f.tag || undefined,
    campaign_id: f.campaign_id || undefined,
    review: f.review,
    from: f.from ? dayStart(f.from) : undefined,
    to: f.to ? dayStart(f.to, true) : undefined,
  };
}

/** Every call of the tenant, newest first, filtered and paged by the API. */
export function tenantCalls(): CallSource {
  return {
    key: "tenant",
    serverFilters: true,
    async load(cursor, filters) {
      const page = await unwrap(api.GET("/v1/calls", { params: { query: { limit: 50, cursor, ...searchQuery(filters) } } }));
      return { items: page.items ?? [], next: page.next_cursor };
    },
  };
}

const noFilters: CallFilters = {};

export function matches(c: Call, f: CallFilters): boolean {
  if (f.state && c.state !== f.state) return false;
  if (f.outcome && (c.outcome || "") !== f.outcome) return false;
  if (f.phone && !c.phone.replace(/\D/g, "").includes(f.phone.replace(/\D/g, ""))) return false;
  if (f.tag && !(c.tags ?? []).includes(f.tag)) return false;
  return true;
}

export const callStates = ["refused", "dialling", "in_call", "ended"] as const;
export const callOutcomes = ["answered", "busy", "no_answer", "failed", "voicemail", "transferred", "rejected", "invalid_number", "unreachable", "interrupted"] as const;

export function OutcomeTag({ call }: { call: Call }) {
  const { t } = useTranslation();
  if (call.state === "refused") return <Tag color="red">{t("calls.refused", { reason: t(`calls.reasons.${call.reason}`, { defaultValue: call.reason ?? "" }) })}</Tag>;
  if (!call.outcome) return <Tag color="processing">{t(`calls.states.${call.state}`)}</Tag>;
  const color = call.outcome === "answered" || call.outcome === "transferred" ? "green" : call.outcome === "failed" ? "red" : "default";
  return <Tag color={color}>{t(`calls.outcomes.${call.outcome}`, { defaultValue: call.outcome })}</Tag>;
}

export const reviewStatuses = ["pending", "approved", "flagged"] as const;

export default function CallsTable({
  source,
  refreshKey,
  campaigns,
}: {
  source: CallSource;
  refreshKey?: unknown;
  /** Campaigns to filter by, for a source that filters on the server. */
  campaigns?: { id: string; name: string }[];
}) {
  const { t } = useTranslation();
  const { me } = useSession();
  const [items, setItems] = useState<Call[]>([]);
  const [cursor, setCursor] = useState("");
  const [filters, setFilters] = useState<CallFilters>({});
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Filters reach the source only when it applies them; else changing one needs no reload.
  const sent = source.serverFilters ? filters : noFilters;
  const load = useCallback(
    async (after = "", all = false) => {
      setLoading(true);
      try {
        // Client-side filtering needs everything loaded; a server-side source pages.
        let next = after;
        let got: Call[] = [];
        do {
          const page = await source.load(next || undefined, sent);
          got = [...got, ...page.items];
          next = page.next;
        } while (next && all && got.length < 5000);
        setItems((prev) => (after ? [...prev, ...got] : got));
        setCursor(next);
        setError(null);
      } catch (e) {
        setError(problemMessage(e, t));
      } finally {
        setLoading(false);
      }
    },
    [source, sent, t],
  );
  useEffect(() => {
    void load("", !source.serverFilters);
  }, [load, refreshKey, source.serverFilters]);

  const shown = useMemo(() => (source.serverFilters ? items : items.filter((c) => matches(c, filters))), [items, filters, source.serverFilters]);
  const tags = useMemo(() => [...new Set(items.flatMap((c) => c.tags ?? []))].sort(), [items]);

  return (
    <>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search allowClear placeholder={t("calls.searchPhone")} style={{ width: 200 }} onSearch={(v) => setFilters({ ...filters, phone: v || undefined })} data-testid="calls-search" />
        <Select allowClear placeholder={t("calls.state")} style={{ width: 140 }} value={filters.state} onChange={(v) => setFilters({ ...filters, state: v })} options={callStates.map((s) => ({ value: s, label: t(`calls.states.${s}`) }))} />
        <Select
          allowClear
          placeholder={t("calls.outcome")}
          style={{ width: 160 }}
          value={filters.outcome}
          onChange={(v) => setFilters({ ...filters, outcome: v })}
          options={callOutcomes.map((s) => ({ value: s, label: t(`calls.outcomes.${s}`) }))}
          data-testid="calls-outcome-filter"
        />
        {source.serverFilters ? (
          <Input.Search allowClear placeholder={t("calls.tag")} style={{ width: 160 }} onSearch={(v) => setFilters({ ...filters, tag: v.trim() || undefined })} data-testid="calls-tag-filter" />
        ) : (
          <Select allowClear placeholder={t("calls.tag")} style={{ width: 140 }} value={filters.tag} onChange={(v) => setFilters({ ...filters, tag: v })} options={tags.map((s) => ({ value: s, label: s }))} />
        )}
        {source.serverFilters && (
          <>
            {campaigns && (
              <Select
                allowClear
                showSearch={{ optionFilterProp: "label" }}
                placeholder={t("calls.campaign")}
                style={{ width: 200 }}
                value={filters.campaign_id}
                onChange={(v) => setFilters({ ...filters, campaign_id: v })}
                options={campaigns.map((c) => ({ value: c.id, label: c.name }))}
                data-testid="calls-campaign-filter"
              />
            )}
            <Select
              allowClear
              placeholder={t("calls.review")}
              style={{ width: 140 }}
              value={filters.review}
              onChange={(v) => setFilters({ ...filters, review: v })}
              options={reviewStatuses.map((s) => ({ value: s, label: t(`calls.reviewStatus.${s}`) }))}
              data-testid="calls-review-filter"
            />
            <DatePicker.RangePicker
              allowEmpty={[true, true]}
              onChange={(_, days) => setFilters({ ...filters, from: days?.[0] || undefined, to: days?.[1] || undefined })}
              data-testid="calls-dates"
            />
          </>
        )}
        <Button icon={<ReloadOutlined />} onClick={() => load("", !source.serverFilters)}>
          {t("common.refresh")}
        </Button>
        <Typography.Text type="secondary" data-testid="calls-count">
          {source.serverFilters ? t(cursor ? "calls.loadedMore" : "calls.loaded", { n: items.length }) : t("calls.shown", { n: shown.length, total: items.length })}
        </Typography.Text>
      </Space>
      <Table<Call>
        rowKey="id"
        size="small"
        loading={loading}
        dataSource={shown}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        data-testid="calls-table"
        locale={{ emptyText: <Empty description={items.length ? t("calls.noneMatch") : t("calls.none")} /> }}
        columns={[
          { title: t("calls.time"), dataIndex: "created_at", render: formatTime },
          { title: t("contacts.phone"), dataIndex: "phone", render: (p: string) => <Typography.Text code>{showPhone(p, me?.role)}</Typography.Text> },
          { title: t("calls.attempt"), dataIndex: "attempt" },
          { title: t("calls.result"), render: (_: unknown, c) => <OutcomeTag call={c} /> },
          { title: t("calls.finalState"), dataIndex: "final_state", render: (s: string) => s || "—" },
          { title: t("calls.billable"), dataIndex: "billable_seconds", render: (s: number) => t("calls.seconds", { n: s }) },
          {
            title: t("calls.tags"),
            dataIndex: "tags",
            render: (ts: string[] | null) =>
              (ts ?? []).map((x) => (
                <Tag key={x} color="blue">
                  {x}
                </Tag>
              )),
          },
          {
            title: t("common.actions"),
            render: (_: unknown, c) => (
              <Link to={`/calls/${c.id}`} data-testid="call-link" data-outcome={c.outcome ?? ""}>
                {t("calls.open")}
              </Link>
            ),
          },
        ]}
      />
      {cursor && source.serverFilters && (
        <Button style={{ marginTop: 12 }} loading={loading} onClick={() => load(cursor)} data-testid="calls-load-more">
          {t("common.loadMore")}
        </Button>
      )}
    </>
  );
}
