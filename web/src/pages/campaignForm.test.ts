import { describe, expect, it } from "vitest";
import { fieldOfLocation, toBody } from "./campaignForm";

describe("the campaign wizard", () => {
  it("makes the create body from the wizard's values, leaving out what was not set", () => {
    const body = toBody({
      name: " 双十一 ",
      list_ids: ["l1"],
      script_version: "v1",
      segments: [{ segment: "vip", version: "v2" }, { segment: "", version: "v3" }],
      ab_enabled: true,
      ab_split: [{ version: "v1", weight: 70 }, { version: "v2", weight: 30 }],
      starts_at: { toISOString: () => "2026-11-11T01:00:00.000Z" },
      ends_at: null,
      retry_policy: { busy: { after: "10m", times: 0 }, no_answer: { after: "1h", times: 1 } },
      compliance: { quiet_start: "20:00", quiet_end: "", max_daily_calls: 1 },
    });
    expect(body).toEqual({
      name: "双十一",
      list_ids: ["l1"],
      script_version: "v1",
      segment_versions: { vip: "v2" },
      ab_split: [{ version: "v1", weight: 70 }, { version: "v2", weight: 30 }],
      starts_at: "2026-11-11T01:00:00.000Z",
      retry_policy: { busy: { after: "10m", times: 0 }, no_answer: { after: "1h", times: 1 } },
      compliance: { max_daily_calls: 1 },
    });
  });

  it("puts the API's errors at the field and step they concern", () => {
    expect(fieldOfLocation("body.name")).toEqual({ path: ["name"], step: 0 });
    expect(fieldOfLocation("body.list_ids[0]")).toEqual({ path: ["list_ids"], step: 0 });
    expect(fieldOfLocation("body.script_version")).toEqual({ path: ["script_version"], step: 1 });
    expect(fieldOfLocation("body.ab_split[1]")).toEqual({ path: ["ab_split", 1, "version"], step: 1 });
    expect(fieldOfLocation("body.retry_policy.busy.after")).toEqual({ path: ["retry_policy", "busy", "after"], step: 2 });
    expect(fieldOfLocation("body.retry_policy.no_answer")).toEqual({ path: ["retry_policy", "no_answer", "times"], step: 2 });
    expect(fieldOfLocation("body.compliance.quiet_hours")).toEqual({ path: ["compliance", "quiet_start"], step: 3 });
    expect(fieldOfLocation("body.compliance.min_retry_interval")).toEqual({ path: ["compliance", "min_retry_interval"], step: 3 });
    expect(fieldOfLocation("query.cursor")).toBeNull();
  });
});
