// The dashboard. Until campaigns run there are no numbers to chart, so a new
// tenant sees what to do first, in order.
import { ApiOutlined, CodeOutlined, ContactsOutlined, KeyOutlined, RocketOutlined, SafetyOutlined, TeamOutlined } from "@ant-design/icons";
import { Button, Card, Col, Empty, List, Row, Statistic, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation, useNavigate } from "react-router";
import { SecretOnceModal } from "../components/SecretOnce";
import { useSession } from "../session/Session";

const steps = [
  { key: "team", icon: <TeamOutlined />, to: "/members", ready: true },
  { key: "compliance", icon: <SafetyOutlined />, to: "/compliance", ready: true },
  { key: "contacts", icon: <ContactsOutlined />, to: "/contacts", ready: true },
  { key: "script", icon: <CodeOutlined />, to: "/scripts", ready: true },
  { key: "campaign", icon: <RocketOutlined />, to: "/campaigns", ready: true },
  { key: "integrate", icon: <KeyOutlined />, to: "/api-keys", ready: true },
  { key: "webhooks", icon: <ApiOutlined />, to: "/webhooks", ready: true },
];

export default function DashboardPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const firstKey = (location.state as { firstKey?: string } | null)?.firstKey;
  const [showKey, setShowKey] = useState(Boolean(firstKey));

  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }} data-testid="page-title">
        {t("dashboard.welcome", { name: me?.tenant.name })}
      </Typography.Title>
      <Row gutter={[16, 16]}>
        {["callsToday", "connectRate", "conversion", "spend"].map((k) => (
          <Col xs={12} md={6} key={k}>
            <Card>
              <Statistic title={t(`dashboard.${k}`)} value="—" />
            </Card>
          </Col>
        ))}
      </Row>
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Col xs={24} lg={14}>
          <Card title={t("dashboard.getStarted")} data-testid="get-started">
            <List
              dataSource={steps}
              renderItem={(s, i) => (
                <List.Item
                  actions={[
                    s.ready ? (
                      <Link key="go" to={s.to}>
                        {t(`dashboard.steps.${s.key}.action`)}
                      </Link>
                    ) : (
                      <Tag key="soon" bordered={false}>
                        {t("nav.soon")}
                      </Tag>
                    ),
                  ]}
                >
                  <List.Item.Meta
                    avatar={s.icon}
                    title={`${i + 1}. ${t(`dashboard.steps.${s.key}.title`)}`}
                    description={t(`dashboard.steps.${s.key}.description`)}
                  />
                </List.Item>
              )}
            />
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <Card title={t("dashboard.chartsTitle")}>
            <Empty description={t("dashboard.noCallsYet")}>
              <Button disabled>{t("dashboard.startCampaign")}</Button>
            </Empty>
          </Card>
        </Col>
      </Row>
      <SecretOnceModal
        open={showKey && Boolean(firstKey)}
        title={t("dashboard.firstKeyTitle")}
        note={t("dashboard.firstKeyNote")}
        value={firstKey ?? ""}
        testId="first-key"
        onClose={() => {
          setShowKey(false);
          navigate(".", { replace: true, state: null });
        }}
      />
    </>
  );
}
