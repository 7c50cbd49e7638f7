// The campaign wizard's values, the create-campaign body they make, and
// where the API's errors about that body belong in the wizard.
import type { Schemas } from "../api/client";

export type CreateCampaign = Schemas["CreateCampaignInputBody"];
export type FollowUp = Schemas["FollowUpBody"];

/** When a follow-up is sent: after the contact's calls went unanswered, or after an answered call. */
export const followUpWhens = ["unanswered", "answered"] as const satisfies readonly FollowUp["when"][];

/** The most follow-ups a campaign may have (the API's limit). */
export const maxFollowUps = 5;

export const retryOutcomes = ["busy", "no_answer", "unreachable", "failed", "voicemail"] as const;

/** The API's default retry policy (campaigns.DefaultRetryPolicy). */
export const defaultRetry: Record<(typeof retryOutcomes)[number], { after: string; times: number }> = {
  busy: { after: "10m", times: 3 },
  no_answer: { after: "2h", times: 2 },
  unreachable: { after: "4h", times: 2 },
  failed: { after: "5m", times: 1 },
  voicemail: { after: "2h", times: 0 },
};

export interface WizardValues {
  name: string;
  list_ids: string[];
  script_version?: string;
  segments?: { segment?: string; version?: string }[];
  ab_enabled?: boolean;
  ab_split?: { version?: string; weight?: number }[];
  starts_at?: { toISOString(): string } | null;
  ends_at?: { toISOString(): string } | null;
  retry_policy: Record<string, { after?: string; times?: number }>;
  compliance?: {
    max_daily_calls?: number | null;
    quiet_start?: string;
    quiet_end?: string;
    min_retry_interval?: string;
    max_concurrent_lines?: number | null;
    calls_per_second?: number | null;
    max_daily_messages?: number | null;
  };
  /** SMS follow-ups: a template of the tenant's SMS settings, and when it is sent. */
  follow_ups?: { template?: string; when?: FollowUp["when"] }[];
}

/** The wizard's steps and the top-level fields each holds. */
export const steps: { key: string; fields: string[] }[] = [
  { key: "contacts", fields: ["name", "list_ids"] },
  { key: "scripts", fields: ["script_version", "segments", "ab_enabled", "ab_split"] },
  { key: "schedule", fields: ["starts_at", "ends_at", "retry_policy", "follow_ups"] },
  { key: "compliance", fields: ["compliance"] },
  { key: "review", fields: [] },
];

export function toBody(v: WizardValues): CreateCampaign {
  const body: CreateCampaign = { name: (v.name ?? "").trim(), list_ids: v.list_ids ?? [] };
  if (v.script_version) body.script_version = v.script_version;
  const segs = (v.segments ?? []).filter((s) => s.segment && s.version);
  if (segs.length) body.segment_versions = Object.fromEntries(segs.map((s) => [s.segment!.trim(), s.version!]));
  if (v.ab_enabled) body.ab_split = (v.ab_split ?? []).map((a) => ({ version: a.version ?? "", weight: a.weight ?? 0 }));
  if (v.starts_at) body.starts_at = v.starts_at.toISOString();
  if (v.ends_at) body.ends_at = v.ends_at.toISOString();
  const retry: Record<string, { after: string; times: number }> = {};
  for (const o of retryOutcomes) {
    const r = v.retry_policy?.[o];
    if (r) retry[o] = { after: (r.after ?? "").trim(), times: r.times ?? 0 };
  }
  body.retry_policy = retry;
  const c = v.compliance ?? {};
  const comp: NonNullable<CreateCampaign["compliance"]> = {};
  if (c.max_daily_calls) comp.max_daily_calls = c.max_daily_calls;
  if (c.quiet_start && c.quiet_end) comp.quiet_hours = [c.quiet_start.trim(), c.quiet_end.trim()];
  if (c.min_retry_interval?.trim()) comp.min_retry_interval = c.min_retry_interval.trim();
  if (c.max_concurrent_lines) comp.max_concurrent_lines = c.max_concurrent_lines;
  if (c.calls_per_second) comp.calls_per_second = c.calls_per_second;
  if (c.max_daily_messages) comp.max_daily_messages = c.max_daily_messages;
  if (Object.keys(comp).length) body.compliance = comp;
  // Every row is sent, an empty one too, so that the API's errors name the
  // row the wizard shows (follow_ups[1] is the second row).
  const follow = (v.follow_ups ?? []).map((f): FollowUp => ({ channel: "sms", template: (f.template ?? "").trim(), when: f.when ?? "unanswered" }));
  if (follow.length) body.follow_ups = follow;
  return body;
}

/**
 * The wizard field an error location names, and its step:
 * "body.retry_policy.busy.after" → ["retry_policy", "busy", "after"];
 * "body.ab_split[1]" → ["ab_split", 1, "version"];
 * "body.compliance.quiet_hours" → ["compliance", "quiet_start"];
 * "body.follow_ups[0].when" → ["follow_ups", 0, "when"].
 */
export function fieldOfLocation(location: string | undefined): { path: (string | number)[]; step: number } | null {
  if (!location?.startsWith("body.")) return null;
  const parts: (string | number)[] = [];
  for (const m of location.slice(5).matchAll(/([A-Za-z0-9_]+)|\[(\d+)\]/g)) parts.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  const [top] = parts;
  let path: (string | number)[];
  switch (top) {
    case "name":
    case "script_version":
    case "starts_at":
    case "ends_at":
      path = [top];
      break;
    case "list_ids":
      path = ["list_ids"];
      break;
    case "segment_versions":
      path = ["segments"];
      break;
    case "ab_split":
      path = typeof parts[1] === "number" ? ["ab_split", parts[1], typeof parts[2] === "string" ? parts[2] : "version"] : ["ab_enabled"];
      break;
    case "retry_policy": {
      const o = parts[1];
      path = typeof o === "string" && (retryOutcomes as readonly string[]).includes(o) ? ["retry_policy", o, parts[2] === "after" ? "after" : "times"] : ["retry_policy", "busy", "times"];
      break;
    }
    case "compliance": {
      const f = parts[1];
      const known = ["max_daily_calls", "min_retry_interval", "max_concurrent_lines", "calls_per_second", "max_daily_messages"];
      path = f === "quiet_hours" ? ["compliance", "quiet_start"] : typeof f === "string" && known.includes(f) ? ["compliance", f] : ["compliance", "max_daily_calls"];
      break;
    }
    case "follow_ups":
      path = typeof parts[1] === "number" ? ["follow_ups", parts[1], parts[2] === "when" ? "when" : "template"] : ["follow_ups"];
      break;
    default:
      return null;
  }
  const step = steps.findIndex((s) => s.fields.includes(String(path[0])));
  return { path, step };
}
