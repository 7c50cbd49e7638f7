// The SMS settings form: its values from the stored settings, the body
// they make, and where the API's errors about that body belong in the form.
import type { Schemas } from "../api/client";

export type SMS = Schemas["SMSBody"];
export type SMSFields = Schemas["SmsFields"];
export type SMSProvider = SMS["provider"];

export const smsProviders = ["off", "aliyun", "tencent", "twilio"] as const satisfies readonly SMSProvider[];

/** Each provider's usual region, shown as the region field's placeholder. */
export const regionPlaceholder: Record<SMSProvider, string> = { off: "", aliyun: "cn-hangzhou", tencent: "ap-guangzhou", twilio: "" };

/** One approved template as the form edits it: the name campaigns use, the provider's id and its variables in order. */
export interface TemplateRow {
  name?: string;
  id?: string;
  params?: string[];
}

export interface SMSValues {
  provider: SMSProvider;
  endpoint?: string;
  region?: string;
  access_key_id?: string;
  /** Typed to replace the stored secret; empty keeps it. */
  secret?: string;
  app_id?: string;
  sign_name?: string;
  templates?: TemplateRow[];
}

/** What template names and variable names may be (the API's rule). */
export const smsName = /^[a-z][a-z0-9_]{0,62}$/;

/** The form's values for stored settings: templates by name, the secret never filled in. */
export function smsValues(s: SMS): SMSValues {
  return {
    provider: s.provider,
    endpoint: s.endpoint,
    region: s.region,
    access_key_id: s.access_key_id,
    secret: "",
    app_id: s.app_id,
    sign_name: s.sign_name,
    templates: Object.entries(s.templates ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, tpl]) => ({ name, id: tpl.id, params: [...(tpl.params ?? [])] })),
  };
}

const trimmed = (s: string | undefined) => (s ?? "").trim();

/**
 * The PUT body for the form's values. The secret is sent only when one was
 * typed (the stored one is kept otherwise); the app id only for Tencent.
 * Everything else is sent even with the provider off, so that turning it
 * off and on again keeps the rest.
 */
export function smsBody(v: SMSValues): SMSFields {
  const body: SMSFields = {
    provider: v.provider,
    endpoint: trimmed(v.endpoint) || undefined,
    region: trimmed(v.region) || undefined,
    access_key_id: trimmed(v.access_key_id) || undefined,
    sign_name: trimmed(v.sign_name) || undefined,
  };
  if (v.provider === "tencent" && trimmed(v.app_id)) body.app_id = trimmed(v.app_id);
  if (trimmed(v.secret)) body.secret = trimmed(v.secret);
  const rows = (v.templates ?? []).filter((r) => trimmed(r.name) || trimmed(r.id) || (r.params ?? []).length);
  if (rows.length) {
    body.templates = Object.fromEntries(
      rows.map((r) => [trimmed(r.name), { id: trimmed(r.id), params: (r.params ?? []).map((p) => p.trim()).filter(Boolean) }]),
    );
  }
  return body;
}

/** Whether another row before or after index has the same template name. */
export function duplicateName(rows: TemplateRow[] | undefined, index: number): boolean {
  const name = trimmed(rows?.[index]?.name);
  return name !== "" && (rows ?? []).some((r, i) => i !== index && trimmed(r.name) === name);
}

const topFields = ["provider", "endpoint", "region", "access_key_id", "secret", "app_id", "sign_name"] as const;

/**
 * The form field an error location names: "body.app_id" → ["app_id"];
 * "body.templates.payment_link.id" → ["templates", row, "id"] for the row of
 * that template; "body.templates" with a message naming a template
 * (template name "X": …) → that row's name. Anything else has no field: null.
 */
export function smsFieldOf(location: string | undefined, rows: TemplateRow[] | undefined, message = ""): (string | number)[] | null {
  if (!location?.startsWith("body.")) return null;
  const rest = location.slice("body.".length);
  if ((topFields as readonly string[]).includes(rest)) return [rest];
  const rowOf = (name: string) => (rows ?? []).findIndex((r) => trimmed(r.name) === name);
  const m = /^templates\.([A-Za-z0-9_]+)(?:\.(id|params))?/.exec(rest);
  if (m) {
    const row = rowOf(m[1]);
    if (row < 0) return null;
    return ["templates", row, m[2] ?? "id"];
  }
  if (rest === "templates") {
    const named = /template name "([^"]*)"/.exec(message);
    const row = named ? rowOf(named[1]) : -1;
    return row >= 0 ? ["templates", row, "name"] : null;
  }
  return null;
}
