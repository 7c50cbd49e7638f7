// What the messages screen shows: its filters, kept in the address so a
// campaign can link to its own messages, the query they make, and the
// colour of each state.
import type { paths } from "../api/schema";
import type { Schemas } from "../api/client";

export type Message = Schemas["MessageBody"];
export type MessageState = Message["state"];

export const messageStates = ["queued", "sending", "sent", "delivered", "refused", "failed"] as const satisfies readonly MessageState[];

/** A state's tag colour: waiting grey, under way blue, delivered green, refused orange, failed red. */
export function stateColor(state: string): string {
  switch (state) {
    case "queued":
      return "default";
    case "sending":
      return "processing";
    case "sent":
      return "blue";
    case "delivered":
      return "green";
    case "refused":
      return "orange";
    case "failed":
      return "red";
    default:
      return "default";
  }
}

export interface MessageFilters {
  campaign_id?: string;
  state?: MessageState;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The filters an address holds (?campaign_id=…&state=…); anything unknown is left out. */
export function filtersOf(params: URLSearchParams): MessageFilters {
  const f: MessageFilters = {};
  const campaign = params.get("campaign_id") ?? "";
  if (uuid.test(campaign)) f.campaign_id = campaign;
  const state = params.get("state") ?? "";
  if ((messageStates as readonly string[]).includes(state)) f.state = state as MessageState;
  return f;
}

/** The address's query for the filters, without the empty ones. */
export function paramsOf(f: MessageFilters): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.campaign_id) out.campaign_id = f.campaign_id;
  if (f.state) out.state = f.state;
  return out;
}

type Query = NonNullable<paths["/v1/messages"]["get"]["parameters"]["query"]>;

/** The list API's query for the filters and a page. */
export function messagesQuery(f: MessageFilters, cursor: string | undefined, limit = 50): Query {
  return { limit, cursor, campaign_id: f.campaign_id || undefined, state: f.state || undefined };
}

/**
 * The compliance reason a message waits for or was refused with (quiet_hours,
 * daily_cap, dnc, no_consent…, said like a call's), or null for a provider's
 * or carrier's own words, which are shown as they are.
 */
export function reasonCode(reason: string | undefined): string | null {
  return reason && /^[a-z_]+$/.test(reason) ? reason : null;
}
