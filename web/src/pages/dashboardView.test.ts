import { describe, expect, it } from "vitest";
import { busiestVersion, hours, periodFrom, todayFrom } from "./dashboardView";

describe("the dashboard's days", () => {
  it("counts today from midnight UTC, as the reports do", () => {
    expect(todayFrom(new Date("2026-11-23T23:30:00+08:00"))).toBe("2026-11-23T00:00:00Z");
    expect(todayFrom(new Date("2026-11-24T01:30:00+08:00"))).toBe("2026-11-23T00:00:00Z");
  });

  it("counts the period from the usage's first day, else the month's", () => {
    expect(periodFrom("2026-11-01")).toBe("2026-11-01T00:00:00Z");
    expect(periodFrom(undefined, new Date("2026-11-23T10:00:00Z"))).toBe("2026-11-01T00:00:00Z");
  });
});

describe("the funnel's script version", () => {
  it("is the one with the most connected calls", () => {
    expect(busiestVersion([{ version: "s:1", connected: 4 }, { version: "s:2", connected: 9 }, { version: "t:1", connected: 2 }])).toBe("s:2");
  });

  it("breaks ties the same way every time and skips versions without calls", () => {
    expect(busiestVersion([{ version: "s:1", connected: 3 }, { version: "s:2", connected: 3 }])).toBe("s:2");
    expect(busiestVersion([{ version: "s:1", connected: 0 }])).toBeNull();
    expect(busiestVersion([])).toBeNull();
  });
});

describe("calls per hour", () => {
  it("fills all 24 hours in order", () => {
    const h = hours([{ slot: 20, dialled: 5, connected: 3 }, { slot: 9, dialled: 2, connected: 0 }]);
    expect(h).toHaveLength(24);
    expect(h[20]).toEqual({ slot: 20, dialled: 5, connected: 3 });
    expect(h[9].dialled).toBe(2);
    expect(h.reduce((a, s) => a + s.dialled, 0)).toBe(7);
  });
});
