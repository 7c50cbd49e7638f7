// @vitest-environment jsdom
// Listening in from the live view: a connected call offers 监听, which sets
// up a receive-only WebRTC connection through the API and shows the call,
// its level, the audio and 停止监听; it stops by itself when the call leaves
// the list, and says why it could not start.
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App as AntApp } from "antd";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import i18n from "../i18n";
import type { DeskLive as Live, LiveCall } from "./desk";
import DeskLive from "./DeskLive";

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" } });
}

const connected: LiveCall = {
  offer_id: "0190a0b0-0000-7000-8000-0000000000f1",
  call_id: "0190a0b0-0000-7000-8000-0000000000c1",
  queue: "collections",
  state: "connected",
  since: "2026-11-02T10:00:00Z",
  agent_id: "u2",
  contact_name: "张三",
};
const waiting: LiveCall = { ...connected, offer_id: "0190a0b0-0000-7000-8000-0000000000f2", call_id: "c2", state: "waiting", agent_id: "", contact_name: "李四" };

describe("listening in", () => {
  let live: Live;
  let posts: { path: string; body: unknown }[];
  let listenAnswer: () => Response;
  let peers: FakePeer[];

  class FakePeer extends EventTarget {
    iceGatheringState: RTCIceGatheringState = "new";
    connectionState: RTCPeerConnectionState = "new";
    signalingState: RTCSignalingState = "stable";
    localDescription: { type: string; sdp: string } | null = null;
    transceivers: { kind: string; init: unknown }[] = [];
    remote: unknown = null;
    constructor(readonly config: RTCConfiguration) {
      super();
      peers.push(this);
    }
    addTransceiver(kind: string, init: unknown) {
      this.transceivers.push({ kind, init });
      return { receiver: { track: { kind, id: "mixed" } } };
    }
    async createOffer() {
      return { type: "offer", sdp: "v=0 recvonly" };
    }
    async setLocalDescription(d: { type: string; sdp: string }) {
      this.localDescription = d;
      this.iceGatheringState = "complete";
    }
    async setRemoteDescription(d: unknown) {
      this.remote = d;
    }
    close() {
      this.signalingState = "closed";
    }
  }

  beforeEach(async () => {
    await i18n.changeLanguage("zh-CN");
    live = { queues: [], agents: [{ user_id: "u2", email: "agent@shop.example", status: "busy", status_since: "2026-11-02T10:00:00Z", queues: ["collections"] }], calls: [connected, waiting] } as unknown as Live;
    posts = [];
    peers = [];
    listenAnswer = () => json(200, { sdp: "v=0 server mixed" });
    vi.stubGlobal(
      "ResizeObserver",
      class {
        observe() {}
        unobserve() {}
        disconnect() {}
      },
    );
    vi.stubGlobal("RTCPeerConnection", FakePeer);
    vi.stubGlobal(
      "MediaStream",
      class {
        constructor(readonly tracks: unknown[]) {}
      },
    );
    vi.stubGlobal(
      "fetch",
      vi.fn(async (req: Request) => {
        const path = new URL(req.url).pathname;
        if (path === "/v1/desk/live") return json(200, live);
        if (req.method === "POST" && path.endsWith("/listen")) {
          posts.push({ path, body: await req.json() });
          return listenAnswer();
        }
        return json(404, { status: 404, title: "Not Found" });
      }),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  const renderLive = () =>
    render(
      <AntApp>
        <DeskLive />
      </AntApp>,
    );

  it("listens to a connected call, shows it, and stops on request", async () => {
    renderLive();
    const buttons = await screen.findAllByTestId("live-listen", {}, { timeout: 10000 });
    // Only the connected call can be listened to.
    expect(buttons).toHaveLength(1);
    expect(buttons[0].textContent).toContain("监听");
    fireEvent.click(buttons[0]);
    const panel = await screen.findByTestId("live-listening", {}, { timeout: 10000 });
    expect(peers).toHaveLength(1);
    expect(peers[0].config).toEqual({ iceServers: [] });
    expect(peers[0].transceivers).toEqual([{ kind: "audio", init: { direction: "recvonly" } }]);
    expect(posts).toEqual([{ path: `/v1/desk/live/${connected.offer_id}/listen`, body: { sdp: "v=0 recvonly" } }]);
    expect(peers[0].remote).toEqual({ type: "answer", sdp: "v=0 server mixed" });
    expect(within(panel).getByTestId("live-listen-call").textContent).toContain("张三");
    expect(within(panel).getByTestId("live-listen-call").textContent).toContain("agent@shop.example");
    expect(within(panel).getByTestId("live-level").textContent).toBe("0.000");
    const audio = within(panel).getByTestId("live-audio") as HTMLAudioElement & { srcObject: unknown };
    expect(audio.autoplay).toBe(true);
    expect(audio.srcObject).toEqual({ tracks: [{ kind: "audio", id: "mixed" }] });
    expect(screen.queryByTestId("live-listen")).toBeNull();

    fireEvent.click(within(panel).getByTestId("live-stop"));
    expect(screen.queryByTestId("live-listening")).toBeNull();
    expect(peers[0].signalingState).toBe("closed");
    expect(screen.getAllByTestId("live-listen")).toHaveLength(1);
    // Stopping is closing the connection: nothing more was posted.
    expect(posts).toHaveLength(1);
  });

  it("stops by itself when the call leaves the list, or its connection fails", async () => {
    renderLive();
    fireEvent.click(await screen.findByTestId("live-listen", {}, { timeout: 10000 }));
    await screen.findByTestId("live-listening", {}, { timeout: 10000 });
    peers[0].connectionState = "failed";
    peers[0].dispatchEvent(new Event("connectionstatechange"));
    await waitFor(() => expect(screen.queryByTestId("live-listening")).toBeNull());
    expect(peers[0].signalingState).toBe("closed");

    fireEvent.click(screen.getByTestId("live-listen"));
    await screen.findByTestId("live-listening", {}, { timeout: 10000 });
    live = { ...live, calls: [waiting] };
    await waitFor(() => expect(screen.queryByTestId("live-listening")).toBeNull(), { timeout: 10000 });
    expect(peers[1].signalingState).toBe("closed");
  });

  it("says why it could not listen, and closes on unmount", async () => {
    listenAnswer = () => json(409, { status: 409, title: "Conflict", detail: "the call is not connected to an agent" });
    const { unmount } = renderLive();
    fireEvent.click(await screen.findByTestId("live-listen", {}, { timeout: 10000 }));
    const error = await screen.findByTestId("live-listen-error", {}, { timeout: 10000 });
    expect(error.textContent).toContain("无法监听");
    expect(error.textContent).toContain("the call is not connected to an agent");
    expect(peers[0].signalingState).toBe("closed");
    expect(screen.queryByTestId("live-listening")).toBeNull();

    listenAnswer = () => json(200, { sdp: "v=0 server mixed" });
    fireEvent.click(screen.getByTestId("live-listen"));
    await screen.findByTestId("live-listening", {}, { timeout: 10000 });
    expect(screen.queryByTestId("live-listen-error")).toBeNull();
    unmount();
    expect(peers[1].signalingState).toBe("closed");
  });
});
