import { describe, expect, it } from "vitest";
import { progressOf } from "../pages/CampaignDetail";
import { matches, phoneQuery, searchQuery, type Call } from "./CallsTable";

const call = (over: Partial<Call>): Call => ({
  id: "c1",
  campaign_id: "k",
  contact_id: "p",
  attempt: 1,
  phone: "+8613812341234",
  state: "ended",
  outcome: "answered",
  created_at: "2026-11-23T10:00:00Z",
  billable_seconds: 12,
  script_version: "v",
  segment: "",
  final_state: "confirm",
  tags: ["converted"],
  sensitive_hits: [],
  vars: {},
  slots: {},
  ...over,
});

describe("filtering calls in the table", () => {
  it("matches digits anywhere in the number, with or without the country code", () => {
    expect(matches(call({}), { phone: "1234 1234" })).toBe(true);
    expect(matches(call({}), { phone: "+86 138" })).toBe(true);
    expect(matches(call({}), { phone: "139" })).toBe(false);
  });

  it("filters by state, outcome and tag together", () => {
    const refused = call({ state: "refused", outcome: "", reason: "dnc", tags: [] });
    expect(matches(refused, { state: "refused" })).toBe(true);
    expect(matches(refused, { outcome: "answered" })).toBe(false);
    expect(matches(call({}), { state: "ended", outcome: "answered", tag: "converted" })).toBe(true);
    expect(matches(call({}), { tag: "vip" })).toBe(false);
  });
});

describe("searching every call on the server", () => {
  it("sends a typed full number as E.164 and anything else as its digits, matched at the end", () => {
    expect(phoneQuery("+86 138 1234 1234")).toBe("+8613812341234");
    expect(phoneQuery(" 1234 ")).toBe("1234");
    expect(phoneQuery("138-1234-1234")).toBe("13812341234");
    expect(phoneQuery("")).toBeUndefined();
    expect(phoneQuery(undefined)).toBeUndefined();
  });

  it("sends only the filters that are set, with days as local midnights", () => {
    const q = searchQuery({ phone: "1234", outcome: "answered", review: "pending", from: "2026-11-01", to: "2026-11-23" });
    expect(q).toMatchObject({ phone: "1234", outcome: "answered", review: "pending" });
    expect(q.state).toBeUndefined();
    expect(q.tag).toBeUndefined();
    expect(new Date(q.from!).getTime()).toBe(new Date(2026, 10, 1).getTime());
    // The last day is included: the API counts calls made before the next day's start.
    expect(new Date(q.to!).getTime()).toBe(new Date(2026, 10, 24).getTime());
  });
});

describe("a campaign's progress", () => {
  it("counts done and dropped contacts as handled", () => {
    expect(progressOf({ contacts: 10, by_state: { done: 6, dropped: 1, pending: 3 }, outcomes: {}, refused: {}, not_dialled: {}, segments: {} })).toEqual({ finished: 7, percent: 70 });
  });

  it("is zero without contacts", () => {
    expect(progressOf({ contacts: 0, by_state: {}, outcomes: {}, refused: {}, not_dialled: {}, segments: {} })).toEqual({ finished: 0, percent: 0 });
    expect(progressOf(null)).toEqual({ finished: 0, percent: 0 });
  });
});
