// What the tenant's language model did in a turn: what it chose or
// replied and how long it took, whether its reply was spoken as it was
// written (and how soon its first words came), or why its answer was not
// used.
import { Tag } from "antd";
import { useTranslation } from "react-i18next";
import type { components } from "../api/schema";

type ModelUse = components["schemas"]["ModelUse"];

export function ModelTag({ use, testId, style }: { use?: ModelUse | null; testId: string; style?: React.CSSProperties }) {
  const { t } = useTranslation();
  if (!use) return null;
  let text = use.used
    ? t("scripts.modelUsed", { ms: Math.round(use.latencyMs), what: use.reply ? t("scripts.modelReply") : use.intent })
    : use.rejected
      ? t("scripts.modelRejected", { why: use.rejected })
      : t("scripts.modelFailed", { why: use.failure ?? "" });
  if (use.streamed) {
    text += " · " + t("scripts.modelStreamed", { ms: Math.round(use.firstWordsMs ?? 0) });
  }
  if (use.cut) {
    text += " · " + t("scripts.modelCut", { why: use.cut });
  }
  return (
    <Tag color={use.used ? "geekblue" : "default"} style={style} data-testid={testId}>
      {text}
    </Tag>
  );
}
