// The requests a turn made to the tenant's script endpoints (a state's
// http): where each went, its status and latency, or why it failed and
// where the failure sent the dialog.
import { Space, Tag } from "antd";
import { useTranslation } from "react-i18next";

export interface RequestUse {
  endpoint: string;
  method: string;
  path: string;
  status?: number;
  latencyMs: number;
  failure?: string;
  failed?: string;
}

export function RequestTags({ requests, testId = "turn-request" }: { requests?: RequestUse[] | null; testId?: string }) {
  const { t } = useTranslation();
  if (!requests || requests.length === 0) return null;
  return (
    <Space wrap size={4}>
      {requests.map((r, i) => {
        const what = { method: r.method, endpoint: r.endpoint, path: r.path, status: r.status ?? "", ms: Math.round(r.latencyMs), why: r.failure ?? "", state: r.failed ?? "" };
        return (
          <Tag key={i} color={r.failure ? "red" : "green"} data-testid={testId}>
            {r.failure ? t(r.failed ? "scriptEndpoints.requestFailedTo" : "scriptEndpoints.requestFailed", what) : t("scriptEndpoints.requestOk", what)}
          </Tag>
        );
      })}
    </Space>
  );
}
