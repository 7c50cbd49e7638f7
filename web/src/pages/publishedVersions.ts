// The published dialog script versions a campaign may run, as choices
// ("订单确认 v3") keyed by version id.
import { useEffect, useState } from "react";
import { api, unwrap } from "../api/client";

export interface VersionChoice {
  value: string;
  label: string;
}

export function usePublishedVersions(): { choices: VersionChoice[]; labelOf: (id: string) => string; loading: boolean } {
  const [choices, setChoices] = useState<VersionChoice[]>([]);
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    let live = true;
    (async () => {
      const out: VersionChoice[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET("/v1/scripts", { params: { query: { kind: "dialog", limit: 100, cursor } } }));
        for (const s of page.items ?? []) {
          if (s.published_version === 0) continue;
          const vs = await unwrap(api.GET("/v1/scripts/{script_id}/versions", { params: { path: { script_id: s.id } } }));
          for (const v of [...(vs.items ?? [])].sort((a, b) => b.number - a.number)) {
            if (v.published_at) out.push({ value: v.id, label: `${s.name} v${v.number}` });
          }
        }
        cursor = page.next_cursor || undefined;
      } while (cursor);
      if (live) setChoices(out);
    })()
      .catch(() => undefined)
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, []);
  const labelOf = (id: string) => choices.find((c) => c.value === id)?.label ?? id;
  return { choices, labelOf, loading };
}
