// The reports screen's arithmetic, kept apart from React so it can be
// tested: the filters as they travel in the URL and to the API, the best
// hour read off the time report, and the A/B verdict in plain words.

/** The filters every report takes, as kept in the page's URL query. */
export type ReportFilters = {
  from?: string; // YYYY-MM-DD, first day counted
  to?: string; // YYYY-MM-DD, last day counted
  campaign_id?: string;
  script_version?: string;
  segment?: string;
  list_id?: string;
};

export const filterKeys = ["from", "to", "campaign_id", "script_version", "segment", "list_id"] as const;

export function filtersFromSearch(search: URLSearchParams): ReportFilters {
  const f: ReportFilters = {};
  for (const k of filterKeys) {
    const v = search.get(k);
    if (v) f[k] = v;
  }
  return f;
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * The API's query for these filters: whole days in UTC, the last day
 * included (the API counts the days that start before `to`).
 */
export function apiQuery(f: ReportFilters): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.from) q.from = `${f.from}T00:00:00Z`;
  if (f.to) q.to = `${nextDay(f.to)}T00:00:00Z`;
  for (const k of ["campaign_id", "script_version", "segment", "list_id"] as const) if (f[k]) q[k] = f[k]!;
  return q;
}

/** The address of a report's CSV export for these filters. */
export function csvHref(name: string, f: ReportFilters): string {
  const qs = new URLSearchParams(apiQuery(f)).toString();
  return `/v1/reports/${name}.csv${qs ? `?${qs}` : ""}`;
}

export type Slot = { slot: number; dialled: number; connected: number; answer_lift: number };

/** Dialled calls an hour needs before the screen names it the best (or worst). */
export const minCallsForVerdict = 20;

/**
 * The hour that answers best against the average, among hours with enough
 * calls; the worst when none beats the average. Null when no hour has enough
 * calls or every hour sits on the average.
 */
export function bestSlot(slots: Slot[], min = minCallsForVerdict): { slot: Slot; better: boolean } | null {
  const enough = slots.filter((s) => s.dialled >= min);
  if (enough.length < 2) return null;
  const best = enough.reduce((a, b) => (b.answer_lift > a.answer_lift ? b : a));
  if (Math.round(best.answer_lift * 100) > 0) return { slot: best, better: true };
  const worst = enough.reduce((a, b) => (b.answer_lift < a.answer_lift ? b : a));
  if (Math.round(worst.answer_lift * 100) < 0) return { slot: worst, better: false };
  return null;
}

/** "20:00" for hour 20. */
export function hourLabel(h: number): string {
  return `${String(h % 24).padStart(2, "0")}:00`;
}

export type Comparison = { version: string; baseline: string; difference: number; ci_low: number; ci_high: number; significant: boolean };

/** Percentage points, one decimal, no sign. */
export function points(x: number): string {
  return (Math.abs(x) * 100).toFixed(1);
}

/** Percentage points with a sign, one decimal: "+4.5", "−1.2". */
export function signedPoints(x: number): string {
  const v = Math.round(x * 1000) / 10;
  return v > 0 ? `+${v.toFixed(1)}` : v < 0 ? `−${Math.abs(v).toFixed(1)}` : "0.0";
}

/** Which sentence says this comparison: better, worse, or could be chance. */
export function verdict(c: Comparison): "better" | "worse" | "unsure" {
  if (!c.significant) return "unsure";
  return c.difference > 0 ? "better" : "worse";
}

/** A rate as a percentage with one decimal. */
export function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
