// A screen whose API is still being built: says what it will hold.
import { Card, Empty, Typography } from "antd";
import { useTranslation } from "react-i18next";

export default function ComingSoonPage({ section }: { section: string }) {
  const { t } = useTranslation();
  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }} data-testid="page-title">
        {t(`nav.${section}`)}
      </Typography.Title>
      <Card>
        <Empty
          image={Empty.PRESENTED_IMAGE_SIMPLE}
          description={
            <>
              <Typography.Paragraph strong>{t("soon.title")}</Typography.Paragraph>
              <Typography.Paragraph type="secondary" style={{ maxWidth: 560, margin: "0 auto" }} data-testid="soon-description">
                {t(`soon.${section}`)}
              </Typography.Paragraph>
            </>
          }
        />
      </Card>
    </>
  );
}
