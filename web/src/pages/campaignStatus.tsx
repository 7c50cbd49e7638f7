import { Tag } from "antd";
import { useTranslation } from "react-i18next";

const colors: Record<string, string> = { draft: "default", scheduled: "purple", running: "processing", paused: "warning", completed: "success", cancelled: "error" };

/** A campaign's status as a coloured tag. */
export function StatusTag({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Tag color={colors[status]} data-testid="campaign-status">
      {t(`campaigns.status.${status}`, { defaultValue: status })}
    </Tag>
  );
}

/** Whether a campaign may still change by itself (so its figures are worth polling). */
export function isLive(status: string | undefined): boolean {
  return status === "running" || status === "scheduled" || status === "paused";
}
