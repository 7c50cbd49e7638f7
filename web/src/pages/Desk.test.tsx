// @vitest-environment jsdom
// The desk in a browser: an agent lands on it and sees only it; a call
// rings, pops the caller's details and transcript, and is declined, or
// answered over WebRTC and hung up.
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App as AntApp } from "antd";
import { MemoryRouter } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PortalRoutes } from "../App";
import { onlyPathOf, visibleSections } from "../components/Shell";
import i18n from "../i18n";
import { SessionProvider } from "../session/Session";
import type { Desk, Offer } from "./desk";

function json(status: number, body: unknown) {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const offer: Offer = {
  id: "0190a0b0-0000-7000-8000-0000000000f1",
  call_id: "0190a0b0-0000-7000-8000-0000000000c1",
  campaign_id: "0190a0b0-0000-7000-8000-0000000000a1",
  campaign_name: "十一月回款提醒",
  queue: "collections",
  state: "ringing",
  offered_at: "2026-11-02T10:00:00Z",
  answered_at: null,
  ended_at: null,
  contact: { id: "", name: "张三", phone: "138****1234" },
  target: "queue:collections",
  transfer_state: "dispute",
  last_intent: "agent",
  transcript: [
    { seq: 1, state: "greeting", said: "您好,这里是回款提醒。", heard: "", intent: "", sentiment: null, sentiment_label: "" },
    { seq: 2, state: "dispute", said: "正在为您转接人工客服。", heard: "我要找人工", intent: "agent", sentiment: -0.5, sentiment_label: "negative" },
  ],
  vars: { amount: 1200 },
  slots: { promise_date: "明天" },
};

describe("an agent's portal", () => {
  it("shows an agent only the desk, and everyone else the desk among the rest", () => {
    expect(visibleSections("agent").map((s) => s.key)).toEqual(["desk"]);
    expect(visibleSections("viewer").map((s) => s.key)).toContain("desk");
    expect(visibleSections("owner").length).toBeGreaterThan(10);
    expect(onlyPathOf("agent")).toBe("/desk");
    expect(onlyPathOf("viewer")).toBeNull();
  });
});

describe("the desk", () => {
  let desk: Desk;
  let offers: (Offer | null)[];
  let posts: { path: string; body: unknown }[];
  let peers: FakePeer[];

  class FakePeer extends EventTarget {
    iceGatheringState: RTCIceGatheringState = "new";
    connectionState: RTCPeerConnectionState = "new";
    signalingState: RTCSignalingState = "stable";
    localDescription: { type: string; sdp: string } | null = null;
    tracks: unknown[] = [];
    remote: unknown = null;
    constructor(readonly config: RTCConfiguration) {
      super();
      peers.push(this);
    }
    addTrack(track: unknown) {
      this.tracks.push(track);
    }
    async createOffer() {
      return { type: "offer", sdp: "v=0 browser" };
    }
    async setLocalDescription(d: { type: string; sdp: string }) {
      this.localDescription = d;
      this.iceGatheringState = "complete";
    }
    async setRemoteDescription(d: unknown) {
      this.remote = d;
      const ev = new Event("track") as Event & { streams: unknown[]; track: unknown };
      ev.streams = [{ id: "remote" }];
      this.dispatchEvent(ev);
    }
    close() {
      this.signalingState = "closed";
    }
  }

  beforeEach(async () => {
    await i18n.changeLanguage("zh-CN");
    desk = { status: "available", status_since: "2026-11-02T09:00:00Z", queues: [{ id: "q1", name: "collections" }], offer: null };
    offers = [offer];
    posts = [];
    peers = [];
    vi.stubGlobal(
      "ResizeObserver",
      class {
        observe() {}
        unobserve() {}
        disconnect() {}
      },
    );
    vi.stubGlobal("RTCPeerConnection", FakePeer);
    const mic = { getTracks: () => [{ stop() {} }], getAudioTracks: () => [{ kind: "audio", stop() {} }] };
    Object.defineProperty(navigator, "mediaDevices", { configurable: true, value: { getUserMedia: vi.fn(async () => mic) } });
    vi.stubGlobal(
      "fetch",
      vi.fn(async (req: Request) => {
        const path = new URL(req.url).pathname;
        if (path === "/v1/me") return json(200, { role: "agent", via: "session", tenant: { name: "示例" }, user: { id: "u1", email: "li@shop.example", name: "李娜", role: "agent" } });
        if (path === "/v1/desk") return json(200, desk);
        if (path === "/v1/desk/offer") {
          const next = offers.shift();
          if (next) {
            desk = { ...desk, status: "ringing", offer: next };
            return json(200, { offer: next });
          }
          // A long poll with nothing to say waits until the desk stops it.
          return new Promise<Response>((_, reject) => req.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));
        }
        if (req.method === "POST" && path.startsWith("/v1/desk/offers/")) {
          const body = req.headers.get("Content-Type")?.includes("json") ? await req.json().catch(() => undefined) : undefined;
          posts.push({ path, body });
          if (path.endsWith("/answer")) {
            desk = { ...desk, status: "busy", offer: { ...offer, state: "connected", answered_at: "2026-11-02T10:00:10Z" } };
            return json(200, { sdp: "v=0 server PCMU" });
          }
          desk = { ...desk, status: "available", offer: null };
          return json(204, undefined);
        }
        return json(403, { status: 403, title: "Forbidden", detail: "this needs the viewer role or stronger; yours is agent" });
      }),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    delete (navigator as { mediaDevices?: unknown }).mediaDevices;
  });

  function renderPortal(at = "/") {
    render(
      <AntApp>
        <SessionProvider>
          <MemoryRouter initialEntries={[at]}>
            <PortalRoutes />
          </MemoryRouter>
        </SessionProvider>
      </AntApp>,
    );
  }

  it("lands an agent on the desk with only the desk in the menu, and pops a ringing call", async () => {
    renderPortal("/campaigns");
    const card = await screen.findByTestId("desk-offer", {}, { timeout: 10000 });
    expect(screen.getByTestId("page-title").textContent).toBe("坐席工作台");
    expect(screen.getByTestId("nav-desk")).toBeTruthy();
    expect(screen.queryByTestId("nav-campaigns")).toBeNull();
    expect(screen.queryByTestId("tab-live")).toBeNull();
    expect(within(card).getByTestId("desk-contact").textContent).toBe("张三");
    expect(within(card).getByTestId("desk-phone").textContent).toBe("138****1234");
    expect(card.textContent).toContain("十一月回款提醒");
    expect(within(card).getByTestId("desk-why").textContent).toContain("dispute");
    const lines = within(screen.getByTestId("desk-transcript")).getAllByTestId("desk-line");
    expect(lines.map((l) => l.getAttribute("data-who"))).toEqual(["robot", "callee", "robot"]);
    expect(lines[1].textContent).toContain("我要找人工");
    expect(within(card).getByTestId("desk-vars").textContent).toContain("1200");
    expect(within(card).getByTestId("desk-slots").textContent).toContain("明天");
    expect(screen.getByTestId("desk-remote-level").textContent).toBe("0.000");

    fireEvent.click(screen.getByTestId("desk-decline"));
    await screen.findByTestId("desk-waiting", {}, { timeout: 10000 });
    expect(posts.map((p) => p.path)).toEqual([`/v1/desk/offers/${offer.id}/decline`]);
  });

  it("answers over WebRTC and hangs up", async () => {
    renderPortal("/desk");
    await screen.findByTestId("desk-answer", {}, { timeout: 10000 });
    fireEvent.click(screen.getByTestId("desk-answer"));
    await screen.findByTestId("desk-hangup");
    await screen.findByTestId("desk-timer", {}, { timeout: 10000 });
    expect(peers).toHaveLength(1);
    expect(peers[0].config).toEqual({ iceServers: [] });
    expect(peers[0].tracks).toHaveLength(1);
    expect(posts[0]).toEqual({ path: `/v1/desk/offers/${offer.id}/answer`, body: { sdp: "v=0 browser" } });
    expect(peers[0].remote).toEqual({ type: "answer", sdp: "v=0 server PCMU" });
    expect((screen.getByTestId("desk-audio") as HTMLAudioElement & { srcObject: unknown }).srcObject).toEqual({ id: "remote" });

    fireEvent.click(screen.getByTestId("desk-hangup"));
    await screen.findByTestId("desk-last-call", {}, { timeout: 10000 });
    expect(posts[1].path).toBe(`/v1/desk/offers/${offer.id}/hangup`);
    expect(peers[0].signalingState).toBe("closed");
    await waitFor(() => expect(screen.queryByTestId("desk-waiting")).toBeTruthy(), { timeout: 10000 });
  });
});
