// The agent desk's logic, apart from the screen: the desk's states and how
// the server's answers move it (offline → waiting → ringing → connecting →
// connected → ended → waiting), the long poll for offers, the browser's side
// of the WebRTC call (one sendrecv audio track, non-trickle ICE) and of a
// supervisor's listening in (one recvonly audio transceiver), the transcript
// as lines, and the remote audio's level.
import type { Schemas } from "../api/client";

export type Offer = Schemas["OfferBody"];
/**
 * GET /v1/desk. Its offer is null when no call rings or is on the desk (so
 * the API's description says, and it answers), though the schema does not
 * mark it nullable: the desk's type says so.
 */
export type Desk = Omit<Schemas["DeskBody"], "offer"> & { offer: Offer | null };
export type DeskStatus = Desk["status"];
export type TranscriptLine = NonNullable<Offer["transcript"]>[number];
export type DeskLive = Schemas["DeskLiveBody"];
export type LiveQueue = Schemas["LiveQueueBody"];
export type LiveAgent = Schemas["LiveAgentBody"];
export type LiveCall = Schemas["LiveCallBody"];

/** Where the desk is, as the agent sees it. */
export type Phase = "offline" | "waiting" | "ringing" | "connecting" | "connected" | "ended";

export interface DeskState {
  /** False until the first GET /v1/desk answered. */
  loaded: boolean;
  phase: Phase;
  /** The server's status and since when. */
  status: DeskStatus;
  statusSince: string | null;
  queues: { id: string; name: string }[];
  /** The call ringing, being answered or connected. */
  offer: Offer | null;
  /** The last call that rang here, whatever became of it. */
  lastOffer: Offer | null;
  /** The last call taken here and how long it lasted, shown until the next one rings. */
  lastCall: { offer: Offer; talkMs: number } | null;
  /** When the call connected here (ms since the epoch), for its timer. */
  connectedAt: number | null;
  /** The desk rang and was not answered: the server set the agent offline. */
  missed: boolean;
}

export const initialDesk: DeskState = {
  loaded: false,
  phase: "offline",
  status: "offline",
  statusSince: null,
  queues: [],
  offer: null,
  lastOffer: null,
  lastCall: null,
  connectedAt: null,
  missed: false,
};

export type DeskEvent =
  /** The server's view: GET /v1/desk, or PUT /v1/desk/status's answer. */
  | { type: "desk"; desk: Desk; now?: number }
  /** The long poll's answer. */
  | { type: "offer"; offer: Offer | null; now?: number }
  /** The agent pressed answer. */
  | { type: "answer" }
  /** The call's audio is set up. */
  | { type: "connected"; at: number }
  /** Answering failed before the call connected (no microphone, 409, network). */
  | { type: "answerFailed" }
  /** The agent declined: the call goes to the next agent. */
  | { type: "declined" }
  /** The call ended: hung up here or there, or its connection closed. */
  | { type: "ended"; now?: number };

/** Whether an offer is a call for this desk: ringing it, being answered or on it (not waiting, ended, overflowed or abandoned). */
const live = (o: Offer | null | undefined): o is Offer => !!o && (o.state === "ringing" || o.state === "answering" || o.state === "connected");
const onCall = (p: Phase) => p === "connecting" || p === "connected";

function since(o: Offer, now: number): number {
  const t = o.answered_at ? Date.parse(o.answered_at) : NaN;
  return Number.isNaN(t) ? now : t;
}

/**
 * The phase an offer the server reports puts an idle desk in: ringing, or
 * connected when the call was answered already (another tab, a reload; its
 * audio is not here, but it can be hung up). Null for none.
 */
function fromOffer(s: DeskState, o: Offer | null | undefined, now: number): DeskState | null {
  if (!live(o)) return null;
  if (o.state === "ringing") return { ...s, phase: "ringing", status: "ringing", offer: o, connectedAt: null, missed: false, lastCall: null };
  // A call that was on here a moment ago is ending: the server catches up.
  if (o.id === s.lastOffer?.id) return null;
  return { ...s, phase: "connected", status: "busy", offer: o, connectedAt: since(o, now), missed: false, lastCall: null };
}

function idle(status: DeskStatus): Phase {
  return status === "offline" ? "offline" : "waiting";
}

export function deskReducer(s: DeskState, e: DeskEvent): DeskState {
  switch (e.type) {
    case "desk": {
      const d = e.desk;
      const now = e.now ?? Date.now();
      // A missed call is said until the agent is back online.
      const missed = s.missed && d.status === "offline";
      const base: DeskState = { ...s, loaded: true, status: d.status, statusSince: d.status_since ?? null, queues: d.queues ?? [], missed };
      if (s.offer && (onCall(s.phase) || s.phase === "ringing")) {
        // The call here goes on while the server still has it.
        if (live(d.offer) && d.offer.id === s.offer.id && (s.phase !== "ringing" || d.offer.state === "ringing")) return { ...base, offer: d.offer };
        if (onCall(s.phase)) return ended(base, now);
        // It stopped ringing here: taken by another agent, hung up, or missed
        // (the server then sets the agent offline).
        const next = { ...base, lastOffer: s.offer, offer: null, missed: d.status === "offline" };
        return fromOffer(next, d.offer, now) ?? { ...next, phase: idle(d.status) };
      }
      const next = fromOffer(base, d.offer, now);
      if (next) return next;
      // A call that ended here may keep the agent busy on the server a
      // moment longer (its end is being recorded): the desk keeps re-reading
      // until the server frees them, or its status would stay "on a call".
      if (s.phase === "ended" && d.status === "busy") return { ...base, phase: "ended" };
      return { ...base, phase: idle(d.status) };
    }
    case "offer":
      if (s.phase !== "waiting") return s;
      return fromOffer(s, e.offer, e.now ?? Date.now()) ?? s;
    case "answer":
      return s.phase === "ringing" ? { ...s, phase: "connecting" } : s;
    case "connected":
      return s.phase === "connecting" ? { ...s, phase: "connected", status: "busy", connectedAt: e.at } : s;
    case "answerFailed":
      return s.phase === "connecting" ? { ...s, phase: "ended", lastOffer: s.offer, offer: null } : s;
    case "declined":
      return s.phase === "ringing" ? { ...s, phase: "ended", lastOffer: s.offer, offer: null } : s;
    case "ended":
      return s.offer ? ended(s, e.now ?? Date.now()) : s;
  }
}

/** The desk after its call ended: the call kept for the summary; the desk re-reads the server next. */
function ended(s: DeskState, now: number): DeskState {
  const offer = s.offer!;
  const lastCall = s.connectedAt !== null ? { offer, talkMs: Math.max(0, now - s.connectedAt) } : null;
  return { ...s, phase: "ended", lastOffer: offer, lastCall, offer: null, connectedAt: null };
}

/** Whether the desk long-polls for offers (it does only while waiting). */
export function polling(s: DeskState): boolean {
  return s.loaded && s.phase === "waiting";
}

/**
 * Whether the desk re-reads GET /v1/desk every 2 s: while a call rings or
 * is on (to see it end), and once it ended (to learn the status after it).
 */
export function watching(s: DeskState): boolean {
  return s.phase === "ringing" || s.phase === "ended" || onCall(s.phase);
}

/** Resolves after ms, or at once when signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done);
  });
}

export interface PollOptions {
  /** One long poll: GET /v1/desk/offer?wait=25. */
  fetchOffer: (signal: AbortSignal) => Promise<Offer | null>;
  onOffer: (offer: Offer) => void;
  signal: AbortSignal;
  /** The pause after an error (and after an offer, should the desk not move on). */
  backoffMs?: number;
  pause?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Long-polls for offers until signal aborts: an empty answer polls again at
 * once, an error waits backoffMs first. An offer is handed to onOffer; the
 * desk then normally stops the loop (it rings), else the loop goes on after
 * backoffMs, so that an offer the desk ignores cannot spin it.
 */
export async function pollOffers({ fetchOffer, onOffer, signal, backoffMs = 2000, pause = sleep }: PollOptions): Promise<void> {
  while (!signal.aborted) {
    let offer: Offer | null;
    try {
      offer = await fetchOffer(signal);
    } catch {
      if (signal.aborted) return;
      await pause(backoffMs, signal);
      continue;
    }
    if (signal.aborted) return;
    if (offer) {
      onOffer(offer);
      await pause(backoffMs, signal);
    }
  }
}

type Gathering = Pick<RTCPeerConnection, "iceGatheringState" | "addEventListener" | "removeEventListener">;

/**
 * Resolves once the connection has gathered its ICE candidates (the desk
 * does not trickle: its offer carries them all), or after capMs at most, so
 * that an unreachable STUN/TURN server cannot hold the answer up.
 */
export function waitForIceGathering(pc: Gathering, capMs = 3000): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const candidate = (e: Event) => {
      if (!(e as RTCPeerConnectionIceEvent).candidate) done();
    };
    const timer = setTimeout(done, capMs);
    function done() {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      pc.removeEventListener("icecandidate", candidate);
      resolve();
    }
    pc.addEventListener("icegatheringstatechange", check);
    pc.addEventListener("icecandidate", candidate);
  });
}

export interface CallDeps {
  getUserMedia: (c: MediaStreamConstraints) => Promise<MediaStream>;
  createPeer: (config: RTCConfiguration) => RTCPeerConnection;
  /** POST /v1/desk/offers/{id}/answer with the browser's offer; the server's answer SDP. */
  answer: (sdp: string) => Promise<string>;
  /** The remote audio, as soon as its track arrives. */
  onRemote: (stream: MediaStream) => void;
  /** The connection's state as it changes (closed and failed end the call). */
  onState: (state: RTCPeerConnectionState) => void;
  iceCapMs?: number;
}

export interface Call {
  pc: RTCPeerConnection;
  mic: MediaStream;
}

/** Where answering failed: no microphone, or the call (server, network). */
export class CallError extends Error {
  constructor(
    readonly stage: "mic" | "answer",
    readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "CallError";
  }
}

/** Stops the microphone and closes the connection; safe to call twice. */
export function closeCall(call: Partial<Call> | null | undefined) {
  call?.mic?.getTracks().forEach((tr) => tr.stop());
  if (call?.pc && call.pc.signalingState !== "closed") call.pc.close();
}

/**
 * Answers an offer: the microphone, a connection without ICE servers (the
 * server is reachable directly), the mic as a sendrecv track, an SDP offer
 * with every candidate, the server's answer. Cleans up after itself when a
 * step fails.
 */
export async function startCall(deps: CallDeps): Promise<Call> {
  let mic: MediaStream;
  try {
    mic = await deps.getUserMedia({ audio: true });
  } catch (e) {
    throw new CallError("mic", e);
  }
  const pc = deps.createPeer({ iceServers: [] });
  try {
    pc.addEventListener("track", (e) => {
      const ev = e as RTCTrackEvent;
      deps.onRemote(ev.streams[0] ?? new MediaStream([ev.track]));
    });
    pc.addEventListener("connectionstatechange", () => deps.onState(pc.connectionState));
    for (const track of mic.getAudioTracks()) pc.addTrack(track, mic);
    await pc.setLocalDescription(await pc.createOffer());
    await waitForIceGathering(pc, deps.iceCapMs ?? 3000);
    const sdp = await deps.answer(pc.localDescription?.sdp ?? "");
    await pc.setRemoteDescription({ type: "answer", sdp });
    return { pc, mic };
  } catch (e) {
    closeCall({ pc, mic });
    throw new CallError("answer", e);
  }
}

export interface ListenOptions {
  createPeer?: (config: RTCConfiguration) => RTCPeerConnection;
  /** A stream of the remote track(s); new MediaStream by default. */
  createStream?: (tracks: MediaStreamTrack[]) => MediaStream;
  /** The connection's state as it changes (closed and failed end the listening). */
  onState?: (state: RTCPeerConnectionState) => void;
  /** Aborting gives up: the connection closes and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  iceCapMs?: number;
}

export interface Listening {
  pc: RTCPeerConnection;
  /** Both voices, mixed by the server (callee and agent). */
  stream: MediaStream;
}

/**
 * Listens in on a connected call (supervisors): a connection without ICE
 * servers with one receive-only audio transceiver, an SDP offer with every
 * candidate, POST /v1/desk/live/{offer_id}/listen through post, the server's
 * answer. The stream is the transceiver's track, there at once (it carries
 * sound once connected). Closes the connection when a step fails or signal
 * aborts, and rethrows (an ApiError keeps its problem). Stopping is closing
 * the connection (closeCall): there is no call to the API.
 */
export async function startListening(post: (offerId: string, sdp: string) => Promise<string>, offerId: string, opts: ListenOptions = {}): Promise<Listening> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const pc = (opts.createPeer ?? ((c) => new RTCPeerConnection(c)))({ iceServers: [] });
  const check = () => {
    if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");
  };
  try {
    if (opts.onState) {
      const onState = opts.onState;
      pc.addEventListener("connectionstatechange", () => onState(pc.connectionState));
    }
    const transceiver = pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = (opts.createStream ?? ((tracks) => new MediaStream(tracks)))([transceiver.receiver.track]);
    await pc.setLocalDescription(await pc.createOffer());
    check();
    await waitForIceGathering(pc, opts.iceCapMs ?? 3000);
    check();
    const sdp = await post(offerId, pc.localDescription?.sdp ?? "");
    check();
    await pc.setRemoteDescription({ type: "answer", sdp });
    check();
    return { pc, stream };
  } catch (e) {
    closeCall({ pc });
    throw e;
  }
}

/** Whether a connection state ends the call. */
export function connectionEnded(state: RTCPeerConnectionState): boolean {
  return state === "closed" || state === "failed";
}

/** A sentiment score (-1 … 1) or the server's label as a word and a colour. */
export function sentimentOf(score: number | null | undefined, label?: string): { label: "positive" | "neutral" | "negative"; color: string } | null {
  const l = label === "positive" || label === "neutral" || label === "negative" ? label : score === null || score === undefined ? null : score > 0.2 ? "positive" : score < -0.2 ? "negative" : "neutral";
  if (!l) return null;
  return { label: l, color: l === "positive" ? "green" : l === "negative" ? "red" : "default" };
}

/** One line of the transcript as the desk shows it. */
export interface Line {
  key: string;
  who: "callee" | "robot";
  text: string;
  /** The script state: on the robot's lines. */
  state?: string;
  /** What the robot understood: on the callee's lines. */
  intent?: string;
  sentiment?: { label: "positive" | "neutral" | "negative"; color: string; score: number | null } | null;
}

/**
 * The transcript as lines, oldest first: in each turn what the callee said
 * (with the intent and sentiment read from it), then what the robot said
 * (in which state).
 */
export function transcriptLines(turns: readonly TranscriptLine[] | null | undefined): Line[] {
  const out: Line[] = [];
  for (const turn of [...(turns ?? [])].sort((a, b) => a.seq - b.seq)) {
    if (turn.heard?.trim()) {
      const s = sentimentOf(turn.sentiment, turn.sentiment_label);
      out.push({ key: `${turn.seq}h`, who: "callee", text: turn.heard.trim(), intent: turn.intent || undefined, sentiment: s && { ...s, score: turn.sentiment ?? null } });
    }
    if (turn.said?.trim()) out.push({ key: `${turn.seq}s`, who: "robot", text: turn.said.trim(), state: turn.state || undefined });
  }
  return out;
}

/** A line as plain text, e.g. "callee [promise]: 好的明天还" (for copying, titles, tests). */
export function lineText(line: Line, names: { callee: string; robot: string } = { callee: "callee", robot: "robot" }): string {
  const tag = line.who === "callee" ? line.intent : line.state;
  return `${names[line.who]}${tag ? ` [${tag}]` : ""}: ${line.text}`;
}

/** Captured variables or slots as sorted [name, text] pairs; objects as JSON. */
export function valuePairs(obj: Record<string, unknown> | null | undefined): [string, string][] {
  return Object.entries(obj ?? {})
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]);
}

/** A call's length as m:ss, or h:mm:ss from an hour on. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** The RMS level (0..1) of audio samples in -1..1, to three decimals. */
export function rmsLevel(samples: ArrayLike<number>): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / samples.length);
  return Math.round(Math.min(1, rms) * 1000) / 1000;
}

/** A desk status's tag colour. */
export function statusColor(status: string): string {
  switch (status) {
    case "available":
      return "green";
    case "ringing":
      return "gold";
    case "busy":
      return "blue";
    case "waiting":
      return "orange";
    case "answering":
      return "gold";
    case "connected":
      return "blue";
    default:
      return "default";
  }
}

/** The supervisor's view with the agents' emails for the calls they are on. */
export function agentEmail(agents: readonly LiveAgent[] | null | undefined, id: string | null | undefined): string {
  if (!id) return "";
  return agents?.find((a) => a.user_id === id)?.email ?? id.slice(0, 8);
}

/**
 * Whether the live view still lists a call as connected: listening in stops
 * once it does not (hung up, or gone from the list).
 */
export function liveConnected(calls: readonly LiveCall[] | null | undefined, offerId: string): boolean {
  return !!calls?.some((c) => c.offer_id === offerId && c.state === "connected");
}
