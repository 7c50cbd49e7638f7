// Campaigns: every campaign with its status; a new one opens the wizard.
import { PlusOutlined, RocketOutlined } from "@ant-design/icons";
import { Button, Empty } from "antd";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { ErrorAlert, PageHeader, PagedTable } from "../components/ListPage";
import { usePagedList } from "../components/usePagedList";
import { formatTime } from "../format";
import { useSession } from "../session/Session";
import { StatusTag } from "./campaignStatus";

type Campaign = Schemas["CampaignBody"];

export default function CampaignsPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const navigate = useNavigate();
  const canControl = atLeast(me?.role, "operator");

  const list = usePagedList((cursor) => unwrap(api.GET("/v1/campaigns", { params: { query: { limit: 50, cursor } } })));

  return (
    <>
      <PageHeader title={t("nav.campaigns")} intro={t("campaigns.intro")} />
      <ErrorAlert error={list.error} />
      <PagedTable<Campaign>
        list={list}
        dataSource={[...list.items].reverse()}
        extra={
          <Button type="primary" icon={<PlusOutlined />} disabled={!canControl} onClick={() => navigate("/campaigns/new")} data-testid="create-campaign">
            {t("campaigns.create")}
          </Button>
        }
        empty={
          <Empty image={<RocketOutlined style={{ fontSize: 48, color: "#bfbfbf" }} />} description={t("campaigns.empty")}>
            <Button onClick={() => navigate("/contacts")}>{t("campaigns.emptyContacts")}</Button>{" "}
            <Button onClick={() => navigate("/scripts")}>{t("campaigns.emptyScripts")}</Button>{" "}
            {canControl && (
              <Button type="primary" onClick={() => navigate("/campaigns/new")}>
                {t("campaigns.create")}
              </Button>
            )}
          </Empty>
        }
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
    </>
  );
}
