import { describe, expect, it } from "vitest";
import { filtersOf, messagesQuery, messageStates, paramsOf, reasonCode, stateColor } from "./messagesView";

const campaign = "0b6f3a52-6c1e-4f7a-9d1e-2b7c5a9e4f10";

describe("the messages screen", () => {
  it("colours each state: delivered green, failed red, refused orange, under way blue", () => {
    expect(stateColor("delivered")).toBe("green");
    expect(stateColor("failed")).toBe("red");
    expect(stateColor("refused")).toBe("orange");
    expect(stateColor("sending")).toBe("processing");
    expect(stateColor("sent")).toBe("blue");
    expect(stateColor("queued")).toBe("default");
    expect(stateColor("something new")).toBe("default");
    expect(new Set(messageStates.map(stateColor)).size).toBe(messageStates.length);
  });

  it("reads its filters from the address, leaving out what is not a campaign id or a state", () => {
    expect(filtersOf(new URLSearchParams(`campaign_id=${campaign}&state=failed`))).toEqual({ campaign_id: campaign, state: "failed" });
    expect(filtersOf(new URLSearchParams("campaign_id=abc&state=lost"))).toEqual({});
    expect(filtersOf(new URLSearchParams(""))).toEqual({});
  });

  it("writes its filters back to the address without the empty ones", () => {
    expect(paramsOf({ campaign_id: campaign, state: undefined })).toEqual({ campaign_id: campaign });
    expect(paramsOf({})).toEqual({});
    expect(filtersOf(new URLSearchParams(paramsOf({ campaign_id: campaign, state: "queued" })))).toEqual({ campaign_id: campaign, state: "queued" });
  });

  it("asks the API for a page with the filters", () => {
    expect(messagesQuery({ campaign_id: campaign, state: "delivered" }, undefined)).toEqual({ limit: 50, cursor: undefined, campaign_id: campaign, state: "delivered" });
    expect(messagesQuery({}, "c2")).toEqual({ limit: 50, cursor: "c2", campaign_id: undefined, state: undefined });
  });

  it("tells a compliance reason from a provider's words", () => {
    expect(reasonCode("quiet_hours")).toBe("quiet_hours");
    expect(reasonCode("the carrier reported it undelivered: MK:0001")).toBeNull();
    expect(reasonCode("")).toBeNull();
  });
});
