// End-to-end test of the agent desk in headless Chromium (Debian's chromium,
// driven by playwright-core), on the real outcall binary (`outcall dev`:
// a fresh local PostgreSQL and the callee simulator in process), with
// Chromium's fake microphone playing a tone in phrases. A tenant sets up,
// through the API, a queue with one agent (the role agent), a script that
// hands a callee who asks for a person to the queue, and a campaign calling
// the simulator's callee who does. The agent signs in, lands on the desk,
// goes available, sees the screen pop with the transcript so far, answers
// in the browser (WebRTC), hears the callee (the remote audio's level) and
// is heard (the agent's tone is on the robot's side of the call's
// recording after the answer, when the robot is silent), and hangs up; the
// call is recorded as transferred to the agent, and the agent's time is
// metered. Meanwhile the tenant's owner watches the desk live and listens
// in on the call. Screenshots go to artifacts/screenshots/ at the repository root.
//
// Environment: OUTCALL_CHROMIUM (default /usr/bin/chromium), OUTCALL_E2E_HEADFUL=1
// to watch, OUTCALL_E2E_KEEP=1 to keep the temporary folder.
import { spawn, execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { logger, waitFor } from "./harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const shots = join(repo, "artifacts", "screenshots");
const { log, check, started } = logger("desk");

// The callee simulator's callee who asks for a person and talks to them
// (calleesim.DeskDemoNumber).
const deskNumber = "13800138000";

const script = `export default {
  start: "greeting",
  lang: "zh-CN",
  states: {
    greeting: {
      say: "您好\${contact.name},这里是账单提醒,您本期账单将于明天到期。",
      on: { affirm: "bye", deny: "bye", human: "agent", default: "agent" },
    },
    agent: { say: "好的,这就为您转接。", transfer: "queue:support" },
    bye: { say: "好的,再见。", end: "done" },
  },
};
`;

// tone writes a WAV the fake microphone loops: a 440 Hz tone for a second,
// then a second and a half of silence, as a person speaks in phrases (the
// callee hears where each ends and answers).
function tone(path) {
  const rate = 16000;
  const samples = Math.round(rate * 2.5);
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write("RIFF", 0);
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write("WAVEfmt ", 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write("data", 36);
  buf.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    const v = i < rate ? Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / rate)) : 0;
    buf.writeInt16LE(v, 44 + i * 2);
  }
  writeFileSync(path, buf);
}

// robotLevels reads a call's recording (16-bit two-channel WAV, the robot's
// side left) and returns the RMS of the left channel in 100 ms windows.
function robotLevels(wav) {
  let off = 12;
  let rate = 8000;
  let data;
  while (off + 8 <= wav.length) {
    const id = wav.toString("ascii", off, off + 4);
    const size = wav.readUInt32LE(off + 4);
    if (id === "fmt ") rate = wav.readUInt32LE(off + 12);
    if (id === "data") data = wav.subarray(off + 8, off + 8 + size);
    off += 8 + size + (size % 2);
  }
  if (!data) throw new Error("the recording has no data chunk");
  const frames = Math.floor(data.length / 4);
  const win = rate / 10;
  const levels = [];
  for (let start = 0; start + win <= frames; start += win) {
    let sum = 0;
    for (let i = start; i < start + win; i++) {
      const v = data.readInt16LE(i * 4);
      sum += v * v;
    }
    levels.push(Math.sqrt(sum / win));
  }
  return levels;
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), "outcall-e2e-desk-"));
  chmodSync(work, 0o755); // the local PostgreSQL runs as the postgres user
  mkdirSync(shots, { recursive: true });
  const bin = join(work, "outcall");
  const mic = join(work, "mic.wav");
  tone(mic);
  log("building the binary");
  execFileSync("go", ["build", "-o", bin, "./cmd/outcall"], { cwd: repo, stdio: "inherit" });

  let base;
  const server = spawn(bin, ["dev", "--data-dir", join(work, "data"), "--pg-port", "0", "--addr", "127.0.0.1:0", "--log-level", "warn"], {
    cwd: repo,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let serverOutput = "";
  server.stdout.on("data", (d) => (serverOutput += d));
  server.stderr.on("data", (d) => (serverOutput += d));
  const exited = new Promise((res) => server.on("exit", res));

  let browser;
  let supervisor;
  let failed = false;
  try {
    base = await waitFor(() => /outcall is running at (http:\/\/\S+)\n/.exec(serverOutput)?.[1], "the server to say where it listens", 120000, 250);
    await waitFor(async () => (await fetch(`${base}/readyz`)).ok, "the server to be ready", 120000, 500);
    log("server ready at", base);

    // The tenant's owner sets everything up through the API.
    const email = `desk-${Date.now()}@bank.example`;
    const signup = await fetch(`${base}/v1/signup`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ tenant_name: "某某银行", name: "王经理", email, password: "a long enough password" }),
    });
    check(signup.ok, "sign up through the API");
    const key = (await signup.json()).api_key.secret;
    const call = async (method, path, body, type = "application/json") => {
      const r = await fetch(base + path, {
        method,
        headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { "Content-Type": type } : {}) },
        body: body === undefined ? undefined : type === "application/json" ? JSON.stringify(body) : body,
      });
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      if (r.status === 204) return null;
      return (r.headers.get("content-type") ?? "").includes("json") ? r.json() : Buffer.from(await r.arrayBuffer());
    };
    const agentEmail = `agent-${Date.now()}@bank.example`;
    const agentPassword = "agent password 1";
    const agent = await call("POST", "/v1/users", { email: agentEmail, name: "李坐席", role: "agent", password: agentPassword });
    const queue = await call("POST", "/v1/queues", { name: "support", timeout_seconds: 180, ring_seconds: 60, agent_ids: [agent.user.id] });
    check(queue.agent_ids.length === 1, "a queue with one agent");
    const compliance = await call("GET", "/v1/compliance");
    await call("PUT", "/v1/compliance", { ...Object.fromEntries(Object.entries(compliance).filter(([k]) => k !== "$schema")), quiet_hours: [] });
    const sc = await call("POST", "/v1/scripts", { name: "账单提醒", source: script });
    await call("POST", `/v1/scripts/${sc.id}/versions/1/publish`, {});
    const version = await call("GET", `/v1/scripts/${sc.id}/versions/1`);
    const list = await call("POST", "/v1/lists", { name: "到期客户" });
    const imp = await call("POST", `/v1/lists/${list.id}/imports`, `phone,name\n${deskNumber},赵先生\n`, "text/csv");
    await waitFor(async () => (await call("GET", `/v1/imports/${imp.id}`)).status === "done", "the import to finish", 30000, 300);

    // The agent signs in, with Chromium's fake microphone.
    const profile = join(work, "chromium-profile");
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.OUTCALL_CHROMIUM || "/usr/bin/chromium",
      headless: !process.env.OUTCALL_E2E_HEADFUL,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-audio-capture=${mic}`,
        "--autoplay-policy=no-user-gesture-required",
        // Host candidates as addresses, not mDNS names: the desk's worker
        // is on this machine.
        "--disable-features=WebRtcHideLocalIpsWithMdns",
      ],
      permissions: ["microphone"],
      viewport: { width: 1366, height: 860 },
      locale: "zh-CN",
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30000);
    page.on("pageerror", (e) => log("page error:", e.message));
    page.on("response", (r) => {
      if (r.url().includes("/v1/") && r.status() >= 400) log("API answered", r.status(), r.request().method(), new URL(r.url()).pathname);
    });
    const shot = async (name) => {
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      log("screenshot", `${name}.png`);
    };

    await page.goto(base + "/login");
    await page.getByTestId("login-email").fill(agentEmail);
    await page.getByTestId("login-password").fill(agentPassword);
    await page.getByTestId("login-submit").click();
    await page.waitForURL(/\/desk/);
    await page.getByTestId("nav-desk").waitFor();
    check((await page.getByTestId("nav-desk").count()) === 1 && (await page.getByTestId("nav-campaigns").count()) === 0, "an agent lands on the desk and sees only the desk");
    await page.getByTestId("desk-status-switch").click();
    await page.locator('[data-testid="desk-status"][data-status="available"]').waitFor();
    check(true, "the agent goes available");
    await shot("d01-desk-waiting-zh");

    // The campaign calls the callee, who asks for a person.
    const camp = await call("POST", "/v1/campaigns", { name: "账单提醒", list_ids: [list.id], script_version: version.id });
    await call("POST", `/v1/campaigns/${camp.id}/start`);
    const ringing = Date.now();
    await page.getByTestId("desk-offer").waitFor({ timeout: 90000 });
    log("the desk rang", ((Date.now() - ringing) / 1000).toFixed(1), "s after the campaign started");
    await page.getByTestId("desk-transcript").filter({ hasText: "转人工" }).waitFor();
    check((await page.getByTestId("desk-contact").textContent()).includes("赵先生"), "the screen pop shows the contact and the transcript so far");
    await shot("d02-desk-ringing-zh");

    await page.getByTestId("desk-answer").click();
    await page.getByTestId("desk-hangup").waitFor();
    const connected = Date.now();
    // The agent hears the callee: the remote audio's level rises.
    let loudest = 0;
    await waitFor(
      async () => {
        loudest = Math.max(loudest, Number(await page.getByTestId("desk-remote-level").textContent()) || 0);
        return loudest > 0.02;
      },
      "the agent to hear the callee",
      40000,
      100,
    );
    check(true, `the agent hears the callee in the browser (level ${loudest.toFixed(3)})`);
    await shot("d03-desk-connected-zh");

    // The tenant's owner, a supervisor, watches the desk live and listens in.
    supervisor = await chromium.launchPersistentContext(join(work, "chromium-supervisor"), {
      executablePath: process.env.OUTCALL_CHROMIUM || "/usr/bin/chromium",
      headless: !process.env.OUTCALL_E2E_HEADFUL,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--autoplay-policy=no-user-gesture-required", "--disable-features=WebRtcHideLocalIpsWithMdns"],
      viewport: { width: 1366, height: 860 },
      locale: "zh-CN",
    });
    const sup = supervisor.pages()[0] ?? (await supervisor.newPage());
    sup.setDefaultTimeout(30000);
    await sup.goto(base + "/login");
    await sup.getByTestId("login-email").fill(email);
    await sup.getByTestId("login-password").fill("a long enough password");
    await sup.getByTestId("login-submit").click();
    await sup.getByTestId("nav-desk").waitFor();
    await sup.goto(base + "/desk?tab=live");
    await sup.getByTestId("live-listen").click();
    let heardBySupervisor = 0;
    await waitFor(
      async () => {
        heardBySupervisor = Math.max(heardBySupervisor, Number(await sup.getByTestId("live-level").textContent()) || 0);
        return heardBySupervisor > 0.02;
      },
      "the supervisor to hear the call",
      30000,
      100,
    );
    check(true, `a supervisor listens in from the live view and hears the call (level ${heardBySupervisor.toFixed(3)})`);
    await sup.waitForTimeout(300);
    await sup.screenshot({ path: join(shots, "d04-desk-live-listen-zh.png"), fullPage: true });
    await sup.getByTestId("live-stop").click();
    // Let the agent talk a few phrases before hanging up.
    await page.waitForTimeout(4000);
    await page.getByTestId("desk-hangup").click();
    await page.locator('[data-testid="desk-status"][data-status="available"]').waitFor({ timeout: 30000 });
    check(true, "after hanging up the agent is available again");

    const calls = await waitFor(
      async () => {
        const r = await call("GET", `/v1/campaigns/${camp.id}/calls`);
        return r.items.find((c) => c.outcome === "transferred") ? r.items : null;
      },
      "the call to be recorded",
      30000,
      500,
    );
    const done = calls.find((c) => c.outcome === "transferred");
    check((done.reason ?? "").includes(agentEmail), `the call is recorded as transferred to the agent (${done.reason})`);
    // The agent is heard: after the answer the robot says nothing, so the
    // robot's side of the recording carries the agent's voice.
    const detail = await call("GET", `/v1/calls/${done.id}`);
    const wav = await call("GET", `/v1/calls/${done.id}/recording`);
    const levels = robotLevels(wav);
    const from = Math.max(0, Math.floor((connected - Date.parse(detail.answered_at)) / 100) + 5);
    const after = levels.slice(from);
    const loudAfter = after.filter((v) => v > 300).length;
    check(loudAfter >= 5, `the agent's voice is on the call's recording after the answer (${loudAfter} of ${after.length} windows of 100 ms)`);
    const usage = await call("GET", "/v1/billing/usage");
    check(usage.totals.agent_seconds >= 1, `the agent's time is metered (${usage.totals.agent_seconds} s)`);
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  } catch (e) {
    failed = true;
    console.error("E2E FAILED:", e);
    try {
      const p = browser?.pages()[0];
      if (p) await p.screenshot({ path: join(shots, "desk-failure.png"), fullPage: true });
    } catch {
      // nothing more to show
    }
    console.error("--- server output ---\n" + serverOutput.slice(-4000));
  } finally {
    await supervisor?.close().catch(() => {});
    await browser?.close().catch(() => {});
    server.kill("SIGINT");
    const timer = setTimeout(() => server.kill("SIGKILL"), 30000);
    await exited;
    clearTimeout(timer);
    if (!process.env.OUTCALL_E2E_KEEP) rmSync(work, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main();
