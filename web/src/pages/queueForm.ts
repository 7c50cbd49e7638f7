// The queue form: its values from a stored queue, the body they make, and
// the rules the API holds them to.
import type { Schemas } from "../api/client";

export type Queue = Schemas["QueueBody"];
export type QueueFields = Schemas["QueueFields"];

/** What a queue's name may be: scripts transfer to it as "queue:<name>". */
export const queueName = /^[a-z][a-z0-9_-]{0,62}$/;

export const limits = {
  timeout_seconds: { min: 5, max: 600, default: 60 },
  ring_seconds: { min: 5, max: 120, default: 20 },
} as const;

export interface QueueValues {
  name: string;
  timeout_seconds: number | null;
  ring_seconds: number | null;
  overflow_number?: string;
  overflow_message?: string;
  agent_ids?: string[];
}

/** The form's fields, where the API's errors about them go. */
export const queueFieldNames = ["name", "timeout_seconds", "ring_seconds", "overflow_number", "overflow_message", "agent_ids"] as const;

export const newQueueValues: QueueValues = {
  name: "",
  timeout_seconds: limits.timeout_seconds.default,
  ring_seconds: limits.ring_seconds.default,
  overflow_number: "",
  overflow_message: "",
  agent_ids: [],
};

export function queueValues(q: Queue): QueueValues {
  return {
    name: q.name,
    timeout_seconds: q.timeout_seconds,
    ring_seconds: q.ring_seconds,
    overflow_number: q.overflow_number ?? "",
    overflow_message: q.overflow_message ?? "",
    agent_ids: [...(q.agent_ids ?? [])],
  };
}

/** The create or update body: every field, trimmed; an empty number the default. */
export function queueBody(v: QueueValues): QueueFields {
  return {
    name: v.name.trim(),
    timeout_seconds: v.timeout_seconds ?? limits.timeout_seconds.default,
    ring_seconds: v.ring_seconds ?? limits.ring_seconds.default,
    overflow_number: (v.overflow_number ?? "").replace(/[\s-]/g, ""),
    overflow_message: (v.overflow_message ?? "").trim(),
    agent_ids: [...new Set(v.agent_ids ?? [])],
  };
}

/** What a script says to transfer a call to the queue. */
export function transferTarget(name: string): string {
  return `queue:${name}`;
}
