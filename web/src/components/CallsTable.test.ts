import { describe, expect, it } from "vitest";
import { progressOf } from "../pages/CampaignDetail";
import { matches, type Call } from "./CallsTable";

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

describe("a campaign's progress", () => {
  it("counts done and dropped contacts as handled", () => {
    expect(progressOf({ contacts: 10, by_state: { done: 6, dropped: 1, pending: 3 }, outcomes: {}, refused: {}, not_dialled: {}, segments: {} })).toEqual({ finished: 7, percent: 70 });
  });

  it("is zero without contacts", () => {
    expect(progressOf({ contacts: 0, by_state: {}, outcomes: {}, refused: {}, not_dialled: {}, segments: {} })).toEqual({ finished: 0, percent: 0 });
    expect(progressOf(null)).toEqual({ finished: 0, percent: 0 });
  });
});
