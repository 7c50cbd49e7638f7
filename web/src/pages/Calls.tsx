// Calls: every call of the tenant, newest first, searched on the server by
// number (in full, or its last digits for operators and above), campaign, state, outcome, tag, review
// status and dates, and paged with "load more". A campaign's own Calls tab
// uses the same table over that campaign's calls.
import { Card, Typography } from "antd";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type Schemas } from "../api/client";
import CallsTable, { tenantCalls } from "../components/CallsTable";

type Campaign = Schemas["CampaignBody"];

export default function CallsPage() {
  const { t } = useTranslation();
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const source = useMemo(() => tenantCalls(), []);

  useEffect(() => {
    unwrap(api.GET("/v1/campaigns", { params: { query: { limit: 100 } } }))
      .then((p) => setCampaigns(p.items ?? []))
      .catch(() => setCampaigns([]));
  }, []);

  return (
    <>
      <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
        {t("nav.calls")}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t("calls.intro")}</Typography.Paragraph>
      <Card>
        <CallsTable source={source} campaigns={campaigns} />
      </Card>
    </>
  );
}
