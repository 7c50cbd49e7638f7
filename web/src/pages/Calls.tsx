// Calls: a campaign's calls with filters. (Searching every call of the
// tenant at once needs an API that lists them all; until then a campaign is
// picked first.)
import { Card, Empty, Select, Space, Typography } from "antd";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import CallsTable, { campaignCalls } from "../components/CallsTable";

type Campaign = Schemas["CampaignBody"];

export default function CallsPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const [campaigns, setCampaigns] = useState<Campaign[] | null>(null);
  const chosen = params.get("campaign") ?? "";

  useEffect(() => {
    unwrap(api.GET("/v1/campaigns", { params: { query: { limit: 100 } } }))
      .then((p) => {
        const items = [...(p.items ?? [])].reverse();
        setCampaigns(items);
        if (!chosen && items.length) setParams({ campaign: items[0].id }, { replace: true });
      })
      .catch(() => setCampaigns([]));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const source = useMemo(() => (chosen ? campaignCalls(chosen) : null), [chosen]);

  return (
    <>
      <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
        {t("nav.calls")}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t("calls.intro")}</Typography.Paragraph>
      <Card loading={campaigns === null}>
        {campaigns && campaigns.length === 0 ? (
          <Empty description={t("calls.noCampaigns")}>
            <Link to="/campaigns">{t("campaigns.create")}</Link>
          </Empty>
        ) : (
          <>
            <Space style={{ marginBottom: 12 }}>
              <Typography.Text>{t("calls.campaign")}</Typography.Text>
              <Select
                style={{ width: 320 }}
                value={chosen || undefined}
                onChange={(v) => setParams({ campaign: v })}
                options={(campaigns ?? []).map((c) => ({ value: c.id, label: c.name }))}
                data-testid="calls-campaign"
              />
            </Space>
            {source && <CallsTable source={source} />}
          </>
        )}
      </Card>
    </>
  );
}
