import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/problem";
import {
  CallError,
  closeCall,
  connectionEnded,
  deskReducer,
  formatDuration,
  initialDesk,
  lineText,
  liveConnected,
  pollOffers,
  polling,
  rmsLevel,
  startCall,
  startListening,
  transcriptLines,
  valuePairs,
  waitForIceGathering,
  watching,
  type Desk,
  type DeskEvent,
  type DeskState,
  type Offer,
} from "./desk";

const offer = (over: Partial<Offer> = {}): Offer => ({
  id: "o1",
  call_id: "c1",
  campaign_id: "k1",
  campaign_name: "回款提醒",
  queue: "collections",
  state: "ringing",
  offered_at: "2026-11-02T10:00:00Z",
  answered_at: null,
  ended_at: null,
  contact: { id: "p1", name: "张三", phone: "138****1234" },
  target: "queue:collections",
  transfer_state: "dispute",
  last_intent: "agent",
  transcript: [],
  vars: {},
  slots: {},
  ...over,
});

const desk = (over: Partial<Desk> = {}): Desk => ({
  status: "available",
  status_since: "2026-11-02T09:00:00Z",
  queues: [{ id: "q1", name: "collections" }],
  offer: null,
  ...over,
});

const run = (events: DeskEvent[], from: DeskState = initialDesk) => events.reduce(deskReducer, from);

describe("the desk's states", () => {
  it("starts offline, then follows the server's status", () => {
    expect(initialDesk.phase).toBe("offline");
    expect(polling(initialDesk)).toBe(false);
    const s = run([{ type: "desk", desk: desk() }]);
    expect(s).toMatchObject({ loaded: true, phase: "waiting", status: "available", statusSince: "2026-11-02T09:00:00Z" });
    expect(s.queues.map((q) => q.name)).toEqual(["collections"]);
    expect(polling(s)).toBe(true);
    expect(run([{ type: "desk", desk: desk({ status: "offline" }) }], s).phase).toBe("offline");
  });

  it("rings on an offer from the long poll, only while waiting", () => {
    const waiting = run([{ type: "desk", desk: desk() }]);
    const ringing = deskReducer(waiting, { type: "offer", offer: offer() });
    expect(ringing).toMatchObject({ phase: "ringing", status: "ringing" });
    expect(ringing.offer?.id).toBe("o1");
    expect(polling(ringing)).toBe(false);
    expect(watching(ringing)).toBe(true);
    expect(deskReducer(waiting, { type: "offer", offer: null })).toBe(waiting);
    const offline = run([{ type: "desk", desk: desk({ status: "offline" }) }]);
    expect(deskReducer(offline, { type: "offer", offer: offer() })).toBe(offline);
  });

  it("goes ringing → connecting → connected → ended → waiting", () => {
    let s = run([{ type: "desk", desk: desk() }, { type: "offer", offer: offer() }, { type: "answer" }]);
    expect(s.phase).toBe("connecting");
    // The server still says answering meanwhile: the call stays.
    s = deskReducer(s, { type: "desk", desk: desk({ status: "busy", offer: offer({ state: "answering" }) }) });
    expect(s.phase).toBe("connecting");
    s = deskReducer(s, { type: "connected", at: 1_000 });
    expect(s).toMatchObject({ phase: "connected", status: "busy", connectedAt: 1_000 });
    s = deskReducer(s, { type: "desk", desk: desk({ status: "busy", offer: offer({ state: "connected", transcript: [{ seq: 1, state: "s", said: "x", heard: "", intent: "", sentiment: null, sentiment_label: "" }] }) }) });
    expect(s.phase).toBe("connected");
    expect(s.offer?.transcript).toHaveLength(1);
    // The callee hung up: the server says ended.
    s = deskReducer(s, { type: "desk", desk: desk({ status: "busy", offer: offer({ state: "ended" }) }), now: 43_000 });
    expect(s).toMatchObject({ phase: "ended", offer: null, connectedAt: null });
    expect(s.lastCall?.talkMs).toBe(42_000);
    expect(watching(s)).toBe(true);
    // Until the server says so, the ended call does not come back as
    // connected, and the desk keeps re-reading while the server still has
    // the agent busy: its status must not stay "on a call".
    const lagging = deskReducer(s, { type: "desk", desk: desk({ status: "busy", offer: offer({ state: "connected" }) }) });
    expect(lagging).toMatchObject({ phase: "ended", status: "busy", offer: null });
    expect(watching(lagging)).toBe(true);
    s = deskReducer(lagging, { type: "desk", desk: desk({ status: "busy", offer: null }) });
    expect(s.phase).toBe("ended");
    s = deskReducer(s, { type: "desk", desk: desk() });
    expect(s).toMatchObject({ phase: "waiting", status: "available" });
    expect(s.lastCall?.offer.id).toBe("o1");
  });

  it("ends a call when its connection closes or the agent hangs up", () => {
    const s = run([{ type: "desk", desk: desk() }, { type: "offer", offer: offer() }, { type: "answer" }, { type: "connected", at: 0 }, { type: "ended", now: 5_000 }]);
    expect(s.phase).toBe("ended");
    expect(s.lastCall?.talkMs).toBe(5_000);
    expect(deskReducer(s, { type: "ended" })).toBe(s);
    expect(connectionEnded("failed")).toBe(true);
    expect(connectionEnded("closed")).toBe(true);
    expect(connectionEnded("disconnected")).toBe(false);
  });

  it("says the desk missed a call when it stopped ringing and the server set it offline", () => {
    const ringing = run([{ type: "desk", desk: desk() }, { type: "offer", offer: offer() }]);
    const missed = deskReducer(ringing, { type: "desk", desk: desk({ status: "offline" }) });
    expect(missed).toMatchObject({ phase: "offline", missed: true, offer: null });
    // Taken by another agent: back to waiting.
    expect(deskReducer(ringing, { type: "desk", desk: desk() })).toMatchObject({ phase: "waiting", missed: false });
    // Going online again forgets it.
    expect(deskReducer(missed, { type: "desk", desk: desk({ status: "offline" }) }).missed).toBe(true);
    expect(deskReducer(missed, { type: "desk", desk: desk() })).toMatchObject({ phase: "waiting", missed: false });
  });

  it("declining or failing to answer goes back to the server's status", () => {
    const ringing = run([{ type: "desk", desk: desk() }, { type: "offer", offer: offer() }]);
    const declined = deskReducer(ringing, { type: "declined" });
    expect(declined).toMatchObject({ phase: "ended", offer: null, lastCall: null });
    expect(deskReducer(declined, { type: "desk", desk: desk() }).phase).toBe("waiting");
    const failed = deskReducer(deskReducer(ringing, { type: "answer" }), { type: "answerFailed" });
    expect(failed.phase).toBe("ended");
    expect(deskReducer(ringing, { type: "answerFailed" })).toBe(ringing);
    expect(deskReducer(ringing, { type: "connected", at: 1 })).toBe(ringing);
  });

  it("takes no call that waits, overflowed or was abandoned for one on the desk", () => {
    const waiting = run([{ type: "desk", desk: desk() }]);
    for (const state of ["waiting", "ended", "overflowed", "abandoned"] as const) {
      expect(deskReducer(waiting, { type: "offer", offer: offer({ state }) })).toBe(waiting);
      expect(deskReducer(waiting, { type: "desk", desk: desk({ offer: offer({ state }) }) }).phase).toBe("waiting");
    }
    const connected = run([{ type: "offer", offer: offer() }, { type: "answer" }, { type: "connected", at: 0 }], waiting);
    expect(deskReducer(connected, { type: "desk", desk: desk({ status: "busy", offer: offer({ state: "abandoned" }) }) }).phase).toBe("ended");
  });

  it("picks up a call already on (a reload) as connected since it was answered", () => {
    const s = deskReducer(initialDesk, { type: "desk", desk: desk({ status: "busy", offer: offer({ state: "connected", answered_at: "2026-11-02T10:00:05Z" }) }) });
    expect(s.phase).toBe("connected");
    expect(s.connectedAt).toBe(Date.parse("2026-11-02T10:00:05Z"));
    const ringing = deskReducer(initialDesk, { type: "desk", desk: desk({ status: "ringing", offer: offer() }) });
    expect(ringing.phase).toBe("ringing");
  });
});

describe("the long poll", () => {
  it("polls again at once after an empty answer and hands an offer over", async () => {
    const ctl = new AbortController();
    const answers: (Offer | null)[] = [null, null, offer()];
    const fetchOffer = vi.fn(async () => answers.shift() ?? null);
    const pause = vi.fn(async () => ctl.abort());
    const onOffer = vi.fn();
    await pollOffers({ fetchOffer, onOffer, signal: ctl.signal, pause });
    expect(fetchOffer).toHaveBeenCalledTimes(3);
    expect(onOffer).toHaveBeenCalledWith(expect.objectContaining({ id: "o1" }));
    expect(pause).toHaveBeenCalledTimes(1);
  });

  it("backs off 2 s after an error and stops when aborted", async () => {
    const ctl = new AbortController();
    let calls = 0;
    const fetchOffer = vi.fn(async () => {
      calls++;
      if (calls === 1) throw new Error("502");
      ctl.abort();
      return null;
    });
    const pause = vi.fn(async () => undefined);
    await pollOffers({ fetchOffer, onOffer: vi.fn(), signal: ctl.signal, pause });
    expect(pause).toHaveBeenCalledWith(2000, ctl.signal);
    expect(fetchOffer).toHaveBeenCalledTimes(2);
  });

  it("does not hand over an offer that came after the abort", async () => {
    const ctl = new AbortController();
    const onOffer = vi.fn();
    await pollOffers({
      fetchOffer: async () => {
        ctl.abort();
        return offer();
      },
      onOffer,
      signal: ctl.signal,
    });
    expect(onOffer).not.toHaveBeenCalled();
  });
});

class FakePeer extends EventTarget {
  iceGatheringState: RTCIceGatheringState = "new";
  connectionState: RTCPeerConnectionState = "new";
  signalingState: RTCSignalingState = "stable";
  localDescription: { type: string; sdp: string } | null = null;
  remote: RTCSessionDescriptionInit | null = null;
  tracks: MediaStreamTrack[] = [];
  config: RTCConfiguration;
  constructor(config: RTCConfiguration) {
    super();
    this.config = config;
  }
  addTrack(track: MediaStreamTrack) {
    this.tracks.push(track);
  }
  transceivers: { kind: string; init?: RTCRtpTransceiverInit; receiver: { track: MediaStreamTrack } }[] = [];
  addTransceiver(kind: string, init?: RTCRtpTransceiverInit) {
    const t = { kind, init, receiver: { track: { kind, id: `remote-${kind}` } as unknown as MediaStreamTrack } };
    this.transceivers.push(t);
    return t;
  }
  async createOffer() {
    return { type: "offer" as const, sdp: "v=0 offer" };
  }
  async setLocalDescription(d: { type: string; sdp: string }) {
    this.localDescription = { ...d, sdp: `${d.sdp}\na=candidate:1` };
    this.iceGatheringState = "gathering";
    setTimeout(() => {
      this.iceGatheringState = "complete";
      this.dispatchEvent(new Event("icegatheringstatechange"));
    }, 5);
  }
  async setRemoteDescription(d: RTCSessionDescriptionInit) {
    this.remote = d;
  }
  close() {
    this.signalingState = "closed";
  }
}

const mic = () => {
  const track = { stop: vi.fn(), kind: "audio" } as unknown as MediaStreamTrack;
  return { getTracks: () => [track], getAudioTracks: () => [track], track } as unknown as MediaStream & { track: { stop: ReturnType<typeof vi.fn> } };
};

describe("the call", () => {
  it("waits for ICE gathering to complete, or 3 s at most", async () => {
    vi.useFakeTimers();
    try {
      const pc = new EventTarget() as EventTarget & { iceGatheringState: RTCIceGatheringState };
      pc.iceGatheringState = "gathering";
      let done = false;
      void waitForIceGathering(pc as never).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(2_999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(true);

      done = false;
      void waitForIceGathering(pc as never).then(() => (done = true));
      pc.iceGatheringState = "complete";
      pc.dispatchEvent(new Event("icegatheringstatechange"));
      await vi.advanceTimersByTimeAsync(0);
      expect(done).toBe(true);

      done = false;
      pc.iceGatheringState = "gathering";
      void waitForIceGathering(pc as never).then(() => (done = true));
      const end = new Event("icecandidate") as Event & { candidate: null };
      end.candidate = null;
      pc.dispatchEvent(end);
      await vi.advanceTimersByTimeAsync(0);
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    // Gathered already: at once.
    await expect(waitForIceGathering({ iceGatheringState: "complete" } as never)).resolves.toBeUndefined();
  });

  it("answers with the mic as a sendrecv track, the full offer and the server's answer", async () => {
    const m = mic();
    let peer: FakePeer | null = null;
    const answer = vi.fn(async () => "v=0 answer PCMU");
    const call = await startCall({
      getUserMedia: async (c) => {
        expect(c).toEqual({ audio: true });
        return m;
      },
      createPeer: (config) => (peer = new FakePeer(config)) as unknown as RTCPeerConnection,
      answer,
      onRemote: vi.fn(),
      onState: vi.fn(),
    });
    expect(peer!.config).toEqual({ iceServers: [] });
    expect(peer!.tracks).toEqual([m.track]);
    // The offer went out once gathering completed, with its candidates.
    expect(answer).toHaveBeenCalledWith("v=0 offer\na=candidate:1");
    expect(peer!.remote).toEqual({ type: "answer", sdp: "v=0 answer PCMU" });
    expect(call.pc).toBe(peer);
    closeCall(call);
    expect(peer!.signalingState).toBe("closed");
    expect(m.track.stop).toHaveBeenCalled();
  });

  it("says when the microphone is refused, and cleans up when the answer fails", async () => {
    const refused = startCall({
      getUserMedia: async () => {
        throw new DOMException("denied", "NotAllowedError");
      },
      createPeer: () => {
        throw new Error("not reached");
      },
      answer: async () => "",
      onRemote: vi.fn(),
      onState: vi.fn(),
    });
    await expect(refused).rejects.toMatchObject({ stage: "mic" });

    const m = mic();
    let peer: FakePeer | null = null;
    const failed = startCall({
      getUserMedia: async () => m,
      createPeer: (config) => (peer = new FakePeer(config)) as unknown as RTCPeerConnection,
      answer: async () => {
        throw new Error("409 it stopped ringing");
      },
      onRemote: vi.fn(),
      onState: vi.fn(),
    });
    await expect(failed).rejects.toBeInstanceOf(CallError);
    await expect(failed).rejects.toMatchObject({ stage: "answer" });
    expect(peer!.signalingState).toBe("closed");
    expect(m.track.stop).toHaveBeenCalled();
  });
});

describe("listening in", () => {
  const stream = (tracks: MediaStreamTrack[]) => ({ tracks }) as unknown as MediaStream;

  it("offers to receive audio only, with every candidate, and takes the server's answer", async () => {
    let peer: FakePeer | null = null;
    const post = vi.fn(async (_offerId: string, _sdp: string) => "v=0 answer mixed PCMU");
    const l = await startListening(post, "o1", { createPeer: (config) => (peer = new FakePeer(config)) as unknown as RTCPeerConnection, createStream: stream });
    expect(peer!.config).toEqual({ iceServers: [] });
    // Nothing is sent: no microphone, one recvonly transceiver.
    expect(peer!.tracks).toEqual([]);
    expect(peer!.transceivers.map((t) => [t.kind, t.init])).toEqual([["audio", { direction: "recvonly" }]]);
    expect(post).toHaveBeenCalledWith("o1", "v=0 offer\na=candidate:1");
    expect(peer!.remote).toEqual({ type: "answer", sdp: "v=0 answer mixed PCMU" });
    expect(l.pc).toBe(peer);
    // The stream is the transceiver's track.
    expect((l.stream as unknown as { tracks: MediaStreamTrack[] }).tracks).toEqual([peer!.transceivers[0].receiver.track]);
    // Stopping is closing the connection.
    closeCall(l);
    expect(peer!.signalingState).toBe("closed");
  });

  it("reports the connection's state as it changes", async () => {
    let peer: FakePeer | null = null;
    const onState = vi.fn();
    await startListening(async () => "v=0 answer", "o1", { createPeer: (config) => (peer = new FakePeer(config)) as unknown as RTCPeerConnection, createStream: stream, onState });
    peer!.connectionState = "failed";
    peer!.dispatchEvent(new Event("connectionstatechange"));
    expect(onState).toHaveBeenCalledWith("failed");
  });

  it("closes the connection and passes the problem on when the server refuses", async () => {
    let peer: FakePeer | null = null;
    const problem = new ApiError({ status: 409, title: "Conflict", detail: "the call is not connected" });
    const refused = startListening(
      async () => {
        throw problem;
      },
      "o1",
      { createPeer: (config) => (peer = new FakePeer(config)) as unknown as RTCPeerConnection, createStream: stream },
    );
    await expect(refused).rejects.toBe(problem);
    expect(peer!.signalingState).toBe("closed");
    expect(peer!.remote).toBeNull();
  });

  it("gives up when aborted while setting up", async () => {
    let peer: FakePeer | null = null;
    const ctl = new AbortController();
    const post = vi.fn(async () => {
      ctl.abort();
      return "v=0 answer";
    });
    const aborted = startListening(post, "o1", { createPeer: (config) => (peer = new FakePeer(config)) as unknown as RTCPeerConnection, createStream: stream, signal: ctl.signal });
    await expect(aborted).rejects.toMatchObject({ name: "AbortError" });
    expect(peer!.signalingState).toBe("closed");
    expect(peer!.remote).toBeNull();

    // Aborted before: no connection at all.
    const createPeer = vi.fn();
    await expect(startListening(post, "o1", { createPeer, signal: ctl.signal })).rejects.toMatchObject({ name: "AbortError" });
    expect(createPeer).not.toHaveBeenCalled();
  });

  it("goes on while the live view lists the call as connected", () => {
    const call = (offer_id: string, state: "waiting" | "ringing" | "answering" | "connected") => ({ offer_id, call_id: "c", queue: "q", state, since: "2026-11-02T10:00:00Z", agent_id: "u1", contact_name: "" });
    expect(liveConnected([call("o1", "connected")], "o1")).toBe(true);
    expect(liveConnected([call("o1", "answering"), call("o2", "connected")], "o1")).toBe(false);
    expect(liveConnected([], "o1")).toBe(false);
    expect(liveConnected(null, "o1")).toBe(false);
  });
});

describe("what the desk shows", () => {
  it("lays out the transcript turn by turn: the callee, then the robot", () => {
    const lines = transcriptLines([
      { seq: 2, state: "dispute", said: "正在为您转接人工客服。", heard: "我要找人工", intent: "agent", sentiment: -0.6, sentiment_label: "" },
      { seq: 1, state: "greeting", said: "您好,这里是回款提醒。", heard: "", intent: "", sentiment: null, sentiment_label: "" },
    ]);
    expect(lines.map((l) => [l.who, l.text])).toEqual([
      ["robot", "您好,这里是回款提醒。"],
      ["callee", "我要找人工"],
      ["robot", "正在为您转接人工客服。"],
    ]);
    expect(lines[1]).toMatchObject({ intent: "agent", sentiment: { label: "negative", color: "red", score: -0.6 } });
    expect(lines[2].state).toBe("dispute");
    expect(lineText(lines[1], { callee: "客户", robot: "机器人" })).toBe("客户 [agent]: 我要找人工");
    expect(lineText(lines[0])).toBe("robot [greeting]: 您好,这里是回款提醒。");
    expect(transcriptLines(null)).toEqual([]);
  });

  it("takes the server's sentiment label over the score", () => {
    const [line] = transcriptLines([{ seq: 1, state: "s", said: "", heard: "嗯", intent: "", sentiment: 0, sentiment_label: "positive" }]);
    expect(line.sentiment?.label).toBe("positive");
    expect(line.intent).toBeUndefined();
  });

  it("lists captured variables and slots by name", () => {
    expect(valuePairs({ b: 2, a: "x", c: { d: 1 }, e: null, f: "" })).toEqual([
      ["a", "x"],
      ["b", "2"],
      ["c", '{"d":1}'],
    ]);
    expect(valuePairs(undefined)).toEqual([]);
  });

  it("times a call as m:ss and h:mm:ss", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(65_400)).toBe("1:05");
    expect(formatDuration(3_723_000)).toBe("1:02:03");
    expect(formatDuration(-5)).toBe("0:00");
  });

  it("measures the remote audio's RMS level", () => {
    expect(rmsLevel(new Float32Array(128))).toBe(0);
    expect(rmsLevel(new Float32Array(128).fill(0.5))).toBe(0.5);
    expect(rmsLevel([1, -1, 1, -1])).toBe(1);
    expect(rmsLevel([2, -2])).toBe(1);
    expect(rmsLevel([])).toBe(0);
  });
});
