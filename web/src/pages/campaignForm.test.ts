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

  it("sends the follow-ups row for row, an SMS each, unanswered unless said otherwise", () => {
    const base = { name: "催收", list_ids: ["l1"], retry_policy: {} };
    expect(toBody(base).follow_ups).toBeUndefined();
    expect(toBody({ ...base, follow_ups: [] }).follow_ups).toBeUndefined();
    const body = toBody({
      ...base,
      follow_ups: [{ template: " payment_link ", when: "unanswered" }, { template: "thanks", when: "answered" }, { template: "reminder" }, {}],
      compliance: { max_daily_messages: 2 },
    });
    expect(body.follow_ups).toEqual([
      { channel: "sms", template: "payment_link", when: "unanswered" },
      { channel: "sms", template: "thanks", when: "answered" },
      { channel: "sms", template: "reminder", when: "unanswered" },
      // An empty row is sent too, so that the API's error names the row the wizard shows.
      { channel: "sms", template: "", when: "unanswered" },
    ]);
    expect(body.compliance).toEqual({ max_daily_messages: 2 });
  });

  it("puts the API's errors about follow-ups at their row, on the schedule step", () => {
    expect(fieldOfLocation("body.follow_ups[3].template")).toEqual({ path: ["follow_ups", 3, "template"], step: 2 });
    expect(fieldOfLocation("body.follow_ups[0].when")).toEqual({ path: ["follow_ups", 0, "when"], step: 2 });
    expect(fieldOfLocation("body.follow_ups[1].channel")).toEqual({ path: ["follow_ups", 1, "template"], step: 2 });
    expect(fieldOfLocation("body.follow_ups")).toEqual({ path: ["follow_ups"], step: 2 });
    expect(fieldOfLocation("body.compliance.max_daily_messages")).toEqual({ path: ["compliance", "max_daily_messages"], step: 3 });
  });
});
