// The dashboard's arithmetic, kept apart from React so it can be tested:
// which days "today" and "this period" count, and which script version's
// funnel to draw.

/** Today's first moment in UTC, as the reports and the usage ledger count days. */
export function todayFrom(now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 10)}T00:00:00Z`;
}

/** The billing period's first moment from the usage's period_start (a date, UTC). */
export function periodFrom(periodStart: string | undefined, now: Date = new Date()): string {
  if (periodStart) return `${periodStart.slice(0, 10)}T00:00:00Z`;
  return `${now.toISOString().slice(0, 7)}-01T00:00:00Z`;
}

export type Arm = { version: string; connected: number };

/**
 * The script version most calls connected with: its funnel is the one worth
 * reading. Ties go to the greater id, so the choice stays put between loads.
 * Null when no version connected a call.
 */
export function busiestVersion(arms: Arm[]): string | null {
  let best: Arm | null = null;
  for (const a of arms) {
    if (a.connected <= 0) continue;
    if (!best || a.connected > best.connected || (a.connected === best.connected && a.version > best.version)) best = a;
  }
  return best?.version ?? null;
}

export type HourSlot = { slot: number; dialled: number; connected: number };

/** 24 hours, 0 first, with zero for hours the report left out. */
export function hours(slots: HourSlot[]): HourSlot[] {
  const out = Array.from({ length: 24 }, (_, h) => ({ slot: h, dialled: 0, connected: 0 }));
  for (const s of slots) if (s.slot >= 0 && s.slot < 24) out[s.slot] = { slot: s.slot, dialled: s.dialled, connected: s.connected };
  return out;
}
