import { describe, expect, it } from "vitest";
import { apiQuery, bestSlot, csvHref, filtersFromSearch, signedPoints, verdict } from "./reportsView";

const slot = (slot: number, dialled: number, answer_lift: number) => ({ slot, dialled, connected: 0, answer_lift });

describe("report filters", () => {
  it("read from the URL only the keys the API takes, skipping empty ones", () => {
    const f = filtersFromSearch(new URLSearchParams("from=2026-11-01&campaign_id=abc&segment=&other=x"));
    expect(f).toEqual({ from: "2026-11-01", campaign_id: "abc" });
  });

  it("send whole UTC days with the last day included", () => {
    expect(apiQuery({ from: "2026-11-01", to: "2026-11-30", segment: "vip" })).toEqual({
      from: "2026-11-01T00:00:00Z",
      to: "2026-12-01T00:00:00Z",
      segment: "vip",
    });
  });

  it("give the CSV export the same query", () => {
    expect(csvHref("funnel", { list_id: "l1", to: "2026-12-31" })).toBe("/v1/reports/funnel.csv?to=2027-01-01T00%3A00%3A00Z&list_id=l1");
    expect(csvHref("calls", {})).toBe("/v1/reports/calls.csv");
  });
});

describe("the best hour", () => {
  it("is the hour with the highest lift among hours with enough calls", () => {
    const r = bestSlot([slot(9, 100, 0.1), slot(20, 50, 0.23), slot(21, 5, 0.9)]);
    expect(r?.slot.slot).toBe(20);
    expect(r?.better).toBe(true);
  });

  it("is not named when fewer than two hours have enough calls", () => {
    expect(bestSlot([slot(20, 50, 0.23), slot(21, 5, -0.5)])).toBeNull();
  });

  it("falls back to the worst hour when none beats the average", () => {
    const r = bestSlot([slot(9, 30, 0), slot(10, 30, -0.2)]);
    expect(r).toEqual({ slot: slot(10, 30, -0.2), better: false });
  });
});

describe("the A/B verdict", () => {
  const c = { version: "B", baseline: "A", difference: 0.045, ci_low: -0.012, ci_high: 0.102, significant: false };
  it("says a difference that is not significant could be chance", () => {
    expect(verdict(c)).toBe("unsure");
  });
  it("says better or worse when significant", () => {
    expect(verdict({ ...c, significant: true })).toBe("better");
    expect(verdict({ ...c, difference: -0.05, significant: true })).toBe("worse");
  });
  it("writes points with their sign", () => {
    expect(signedPoints(0.045)).toBe("+4.5");
    expect(signedPoints(-0.012)).toBe("−1.2");
    expect(signedPoints(0)).toBe("0.0");
  });
});
