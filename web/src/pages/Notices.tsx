// Notices: what needs the tenant's attention, newest first.
import { NotificationOutlined } from "@ant-design/icons";
import { Alert, Card, Empty, List, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type Notice } from "../api/client";
import { problemMessage } from "../components/forms";
import { formatTime } from "../format";

export default function NoticesPage() {
  const { t } = useTranslation();
  const [items, setItems] = useState<Notice[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    unwrap(api.GET("/v1/notices"))
      .then((r) => setItems(r.items ?? []))
      .catch((e) => setError(problemMessage(e, t)));
  }, [t]);
  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }} data-testid="page-title">
        {t("nav.notices")}
      </Typography.Title>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Card>
        <List
          loading={items === null && !error}
          dataSource={items ?? []}
          locale={{ emptyText: <Empty description={t("notices.empty")} /> }}
          renderItem={(n) => (
            <List.Item>
              <List.Item.Meta
                avatar={<NotificationOutlined />}
                title={
                  <>
                    <Tag color="orange">{t(`notices.kinds.${n.kind}`, { defaultValue: n.kind })}</Tag>
                    {formatTime(n.created_at)}
                  </>
                }
                description={n.message}
              />
            </List.Item>
          )}
        />
      </Card>
    </>
  );
}
