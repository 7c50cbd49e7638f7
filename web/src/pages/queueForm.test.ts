import { describe, expect, it } from "vitest";
import { newQueueValues, queueBody, queueFieldNames, queueName, queueValues, transferTarget, type Queue } from "./queueForm";

const stored: Queue = {
  id: "q1",
  name: "collections",
  timeout_seconds: 90,
  ring_seconds: 15,
  overflow_number: "+862150009999",
  overflow_message: "",
  agent_ids: ["u1", "u2"],
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
};

describe("the queue form", () => {
  it("takes names scripts can transfer to", () => {
    expect(queueName.test("collections")).toBe(true);
    expect(queueName.test("vip_2-night")).toBe(true);
    expect(queueName.test("Collections")).toBe(false);
    expect(queueName.test("2nd")).toBe(false);
    expect(queueName.test("催收")).toBe(false);
    expect(queueName.test("a".repeat(64))).toBe(false);
    expect(transferTarget("collections")).toBe("queue:collections");
  });

  it("starts a new queue with the API's defaults", () => {
    expect(newQueueValues).toMatchObject({ timeout_seconds: 60, ring_seconds: 20, agent_ids: [] });
  });

  it("fills the form from a queue and makes the same body back", () => {
    const v = queueValues(stored);
    expect(v).toEqual({ name: "collections", timeout_seconds: 90, ring_seconds: 15, overflow_number: "+862150009999", overflow_message: "", agent_ids: ["u1", "u2"] });
    expect(queueBody(v)).toEqual({ name: "collections", timeout_seconds: 90, ring_seconds: 15, overflow_number: "+862150009999", overflow_message: "", agent_ids: ["u1", "u2"] });
    v.agent_ids!.push("u3");
    expect(stored.agent_ids).toHaveLength(2);
  });

  it("trims what was typed and falls back to the defaults", () => {
    expect(
      queueBody({ name: " vip ", timeout_seconds: null, ring_seconds: null, overflow_number: "+86 21-5000 9999", overflow_message: " 稍后回电 ", agent_ids: ["u1", "u1"] }),
    ).toEqual({ name: "vip", timeout_seconds: 60, ring_seconds: 20, overflow_number: "+862150009999", overflow_message: "稍后回电", agent_ids: ["u1"] });
  });

  it("names every field the API may complain about", () => {
    expect(Object.keys(queueBody(newQueueValues)).sort()).toEqual([...queueFieldNames].sort());
  });
});
