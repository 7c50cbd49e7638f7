// The typed API client. Its types come from api/openapi.yaml through
// openapi-typescript (`npm run gen:api`, run before every build and test), so
// a change to the API that breaks a screen fails the type check.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";
import { ApiError, type Problem } from "./problem";

export type Schemas = components["schemas"];
export type Me = Schemas["MeOutputBody"];
export type ApiKey = Schemas["KeyBody"];
export type NewApiKey = Schemas["NewKeyBody"];
export type User = Schemas["UserBody"];
export type Endpoint = Schemas["EndpointBody"];
export type Delivery = Schemas["DeliveryBody"];
export type Notice = Schemas["NoticeBody"];
export type Role = User["role"];

/** Every role, strongest first; an agent only takes calls at the desk. */
export const roles: Role[] = ["owner", "admin", "operator", "viewer", "agent"];

/** The scopes an API key may be limited to (tenants.Scopes on the server). */
export const scopes = [
  "account:read",
  "account:manage",
  "contacts:read",
  "contacts:write",
  "scripts:read",
  "scripts:write",
  "campaigns:read",
  "campaigns:control",
  "calls:read",
  "calls:review",
  "webhooks:manage",
  "billing:read",
  "billing:manage",
  "settings:manage",
  "desk:use",
] as const;

/** The roles an API key may have: the desk needs a person, so there are no agent keys. */
export type KeyRole = Schemas["CreateKeyInputBody"]["role"];
export const keyRoles: KeyRole[] = ["owner", "admin", "operator", "viewer"];

/** The scopes a key may be limited to: desk:use is for people signed in only. */
export const keyScopes = scopes.filter((s) => s !== "desk:use");

const rank: Record<Role, number> = { owner: 5, admin: 4, operator: 3, viewer: 2, agent: 1 };

/** Whether role is at least as strong as min. */
export function atLeast(role: Role | undefined, min: Role): boolean {
  return role !== undefined && rank[role] >= rank[min];
}

/** The CSRF token of the portal session, from its readable cookie. */
export function csrfToken(cookies: string = document.cookie): string | undefined {
  for (const part of cookies.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "outcall_csrf") return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Calls fn whenever the API says the session is gone (401). */
export function onUnauthorized(fn: Listener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

const session: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      const token = csrfToken();
      if (token) request.headers.set("X-CSRF-Token", token);
    }
    return request;
  },
  onResponse({ response, request }) {
    const url = new URL(request.url);
    if (response.status === 401 && url.pathname !== "/v1/login" && url.pathname !== "/v1/me") {
      unauthorizedListeners.forEach((fn) => fn());
    }
    return response;
  },
};

export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
  credentials: "same-origin",
  // Looked up at each call, so tests can stand in for the network.
  fetch: (request: Request) => globalThis.fetch(request),
});
api.use(session);

/**
 * Unwraps an openapi-fetch result: the data, or an ApiError carrying the
 * problem+json the API answered with.
 */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let res: { data?: T; error?: unknown; response: Response };
  try {
    res = await call;
  } catch (e) {
    throw new ApiError({ status: 0, title: "network", detail: String(e) });
  }
  if (res.error !== undefined || !res.response.ok) {
    const p = (typeof res.error === "object" && res.error) || {};
    throw new ApiError({ status: res.response.status, ...(p as Problem) });
  }
  return res.data as T;
}
