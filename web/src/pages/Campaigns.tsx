// Campaigns: every campaign with its status; a new one opens the wizard.
import { PlusOutlined, RocketOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Empty, Table, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { problemMessage } from "../components/forms";
import { formatTime } from "../format";
import { useSession } from "../session/Session";
import { StatusTag } from "./campaignStatus";

type Campaign = Schemas["CampaignBody"];

export default function CampaignsPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const navigate = useNavigate();
  const [items, setItems] = useState<Campaign[]>([]);
  const [cursor, setCursor] = useState("");
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const canControl = atLeast(me?.role, "operator");

  const load = useCallback(
    async (after = "") => {
      setLoading(true);
      try {
        const page = await unwrap(api.GET("/v1/campaigns", { params: { query: { limit: 50, cursor: after || undefined } } }));
        setItems((prev) => (after ? [...prev, ...(page.items ?? [])] : (page.items ?? [])));
        setCursor(page.next_cursor);
        setError(null);
      } catch (e) {
        setError(problemMessage(e, t));
      } finally {
        setLoading(false);
      }
    },
    [t],
  );
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
        {t("nav.campaigns")}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t("campaigns.intro")}</Typography.Paragraph>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Card
        extra={
          <Button type="primary" icon={<PlusOutlined />} disabled={!canControl} onClick={() => navigate("/campaigns/new")} data-testid="create-campaign">
            {t("campaigns.create")}
          </Button>
        }
      >
        <Table<Campaign>
          rowKey="id"
          loading={loading}
          dataSource={[...items].reverse()}
          pagination={false}
          locale={{
            emptyText: (
              <Empty image={<RocketOutlined style={{ fontSize: 48, color: "#bfbfbf" }} />} description={t("campaigns.empty")}>
                <Button onClick={() => navigate("/contacts")}>{t("campaigns.emptyContacts")}</Button>{" "}
                <Button onClick={() => navigate("/scripts")}>{t("campaigns.emptyScripts")}</Button>{" "}
                {canControl && (
                  <Button type="primary" onClick={() => navigate("/campaigns/new")}>
                    {t("campaigns.create")}
                  </Button>
                )}
              </Empty>
            ),
          }}
          columns={[
            {
              title: t("campaigns.name"),
              render: (_: unknown, c) => (
                <Link to={`/campaigns/${c.id}`} data-testid={`campaign-${c.name}`}>
                  {c.name}
                </Link>
              ),
            },
            { title: t("common.status"), dataIndex: "status", render: (s: string) => <StatusTag status={s} /> },
            { title: t("campaigns.lists"), dataIndex: "list_ids", render: (ids: string[] | null) => (ids ?? []).length },
            { title: t("common.created"), dataIndex: "created_at", render: formatTime },
            { title: t("campaigns.startedAt"), dataIndex: "started_at", render: formatTime },
            { title: t("campaigns.finishedAt"), dataIndex: "finished_at", render: formatTime },
          ]}
        />
        {cursor && (
          <Button style={{ marginTop: 16 }} onClick={() => load(cursor)}>
            {t("common.loadMore")}
          </Button>
        )}
      </Card>
    </>
  );
}
