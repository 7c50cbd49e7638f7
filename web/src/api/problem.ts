// Errors from the API are RFC 9457 problem+json. Their errors[] point at the
// input they concern (location "body.email", "body.scopes[1]",
// "query.cursor"); forms show each next to its field.

export interface ProblemDetail {
  location?: string;
  message?: string;
  value?: unknown;
}

export interface Problem {
  status?: number;
  title?: string;
  detail?: string;
  errors?: ProblemDetail[] | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.name = "ApiError";
    this.status = problem.status ?? 0;
    this.problem = problem;
  }
}

/**
 * The form field a problem location names: "body.email" → "email",
 * "body.scopes[1]" → "scopes", "body.event_types" → "event_types". Anything
 * not in the body (a path, a query, a header) has no field: undefined.
 */
export function fieldOf(location: string | undefined): string | undefined {
  if (!location || !location.startsWith("body.")) return undefined;
  const rest = location.slice("body.".length);
  const m = /^[A-Za-z0-9_]+/.exec(rest);
  return m ? m[0] : undefined;
}

/**
 * Splits an error into messages per field (only for fields the form has)
 * and the rest, to show above the form.
 */
export function splitProblem(
  err: unknown,
  fields: readonly string[],
): { byField: Record<string, string[]>; general: string[]; status: number } {
  if (!(err instanceof ApiError)) {
    return { byField: {}, general: [String(err instanceof Error ? err.message : err)], status: 0 };
  }
  const byField: Record<string, string[]> = {};
  const general: string[] = [];
  for (const d of err.problem.errors ?? []) {
    let f = fieldOf(d.location);
    const required = /^expected required property (\S+) to be present$/.exec(d.message ?? "");
    if (!f && d.location === "body" && required) f = required[1];
    const msg = d.message || err.message;
    if (f && fields.includes(f)) {
      (byField[f] ??= []).push(msg);
    } else {
      general.push(d.location && !f ? `${d.location}: ${msg}` : msg);
    }
  }
  if (Object.keys(byField).length === 0 && general.length === 0) general.push(err.message);
  return { byField, general, status: err.status };
}
