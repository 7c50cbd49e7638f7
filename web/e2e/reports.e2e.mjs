// End-to-end test of the reports screen in headless Chromium (Debian's
// chromium, driven by playwright-core), on the real outcall binary and a
// fresh local PostgreSQL, the same way as settings.e2e.mjs: the demo tenant
// that `outcall dev` seeds runs its campaign against the callee simulator
// until some calls end; its owner opens the reports for that campaign and
// sees the same attempts and connections as GET /v1/reports/outcomes, a
// funnel listing every state of the campaign's script, downloads a CSV that
// starts with a UTF-8 byte order mark, and switches to English.
// Screenshots go to artifacts/screenshots/ at the repository root.
//
// Environment: OUTCALL_CHROMIUM (default /usr/bin/chromium), OUTCALL_E2E_HEADFUL=1
// to watch, OUTCALL_E2E_KEEP=1 to keep the temporary folder.
// to watch, OUTCALL_E2E_KEEP=1 to keep the temporary folder.
import { spawn, execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { logger, waitFor } from "./harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const shots = join(repo, "artifacts", "screenshots");
const { log, check, started } = logger("reports");

async function main() {
  const work = mkdtempSync(join(tmpdir(), "outcall-e2e-reports-"));
  chmodSync(work, 0o755); // the local PostgreSQL runs as the postgres user
  mkdirSync(shots, { recursive: true });
  const bin = join(work, "outcall");
  log("building the binary");
  execFileSync("go", ["build", "-o", bin, "./cmd/outcall"], { cwd: repo, stdio: "inherit" });

  let base; // where the server says it listens: it binds free ports itself
  const server = spawn(bin, ["dev", "--data-dir", join(work, "data"), "--pg-port", "0", "--addr", "127.0.0.1:0", "--log-level", "warn"], {
    cwd: repo,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let serverOutput = "";
  server.stdout.on("data", (d) => (serverOutput += d));
  server.stderr.on("data", (d) => (serverOutput += d));
  const exited = new Promise((res) => server.on("exit", res));

  let browser;
  let failed = false;
  try {
    base = await waitFor(() => /outcall is running at (http:\/\/\S+)\n/.exec(serverOutput)?.[1], "the server to say where it listens", 120000, 250);
    await waitFor(async () => (await fetch(`${base}/readyz`)).ok, "the server to be ready", 120000, 500);
    log("server ready at", base);

    // The demo tenant runs its campaign against the callee simulator until
    // some calls have ended, then pauses it so the figures stand still.
    const demoKey = await waitFor(() => /demo key:\s+(oc_\S+)/.exec(serverOutput)?.[1], "the dev server to print the demo tenant's key", 30000);
    const demo = async (method, path, body) => {
      const r = await fetch(base + path, {
        method,
        headers: { Authorization: `Bearer ${demoKey}`, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      return r.json();
    };
    const campaign = (await demo("GET", "/v1/campaigns")).items[0];
    await demo("POST", `/v1/campaigns/${campaign.id}/start`);
    const q = `campaign_id=${campaign.id}`;
    await waitFor(async () => (await demo("GET", `/v1/reports/outcomes?${q}`)).connected >= 2, "two calls of the demo campaign to end", 120000, 1000);
    await demo("POST", `/v1/campaigns/${campaign.id}/pause`).catch(() => null);
    // Calls already under way still close after the pause (a conversation can
    // last many seconds): wait until none of the campaign's calls is dialling
    // or talking, and the report has stopped moving.
    const callsUnderWay = async () => {
      let n = 0;
      let cursor = "";
      do {
        const page = await demo("GET", `/v1/campaigns/${campaign.id}/calls?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        n += (page.items ?? []).filter((c) => c.state === "dialling" || c.state === "in_call").length;
        cursor = page.next_cursor;
      } while (cursor);
      return n;
    };
    let previous = "";
    const outcomes = await waitFor(
      async () => {
        if ((await callsUnderWay()) > 0) return null;
        const r = await demo("GET", `/v1/reports/outcomes?${q}`);
        const now = JSON.stringify(r);
        const stable = now === previous;
        previous = now;
        return stable ? r : null;
      },
      "the campaign's outcomes to stand still",
      90000,
      3000,
    );
    check(outcomes.attempts > 0 && outcomes.connected > 0, `the demo campaign has attempts (${outcomes.attempts}) and connected calls (${outcomes.connected})`);

    // The states of the campaign's script, from the script's own graph.
    let graph;
    for (const s of (await demo("GET", "/v1/scripts?kind=dialog")).items ?? []) {
      const v = ((await demo("GET", `/v1/scripts/${s.id}/versions`)).items ?? []).find((x) => x.id === campaign.script_version);
      if (v) graph = v.graph ?? (await demo("GET", `/v1/scripts/${s.id}/versions/${v.number}`)).graph;
    }
    const stateNames = (graph?.states ?? []).map((s) => s.name);
    check(stateNames.length > 1, `the campaign's script has states (${stateNames.join(", ")})`);

    const profile = join(work, "chromium-profile");
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.OUTCALL_CHROMIUM || "/usr/bin/chromium",
      headless: !process.env.OUTCALL_E2E_HEADFUL,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1366, height: 900 },
      locale: "zh-CN",
      acceptDownloads: true,
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30000); // a small machine busy with calls can be slow to answer
    page.on("pageerror", (e) => log("page error:", e.message));
    page.on("response", (r) => {
      if (r.url().includes("/v1/") && r.status() >= 400) log("API answered", r.status(), r.request().method(), new URL(r.url()).pathname);
    });
    const shot = async (name) => {
      await page.waitForTimeout(600); // let antd's animations and the charts settle
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      log("screenshot", `${name}.png`);
    };
    const figure = async (testId) => Number((await page.getByTestId(testId).locator(".ant-statistic-content-value").textContent()).replace(/[^\d.]/g, ""));

    await page.goto(base + "/login");
    await page.getByTestId("login-email").fill("demo@outcall.local");
    await page.getByTestId("login-password").fill("outcall-demo");
    await page.getByTestId("login-submit").click();
    await page.getByTestId("tenant-name").filter({ hasText: "Demo" }).waitFor();

    // The menu leads to the reports; the campaign filter goes into the URL.
    await page.getByTestId("nav-reports").click();
    await page.getByRole("heading", { name: "数据报表" }).waitFor();
    await page.getByTestId("stat-attempts").waitFor();
    await page.getByTestId("filter-campaign").click();
    await page.locator(".ant-select-item-option").filter({ hasText: campaign.name }).first().click();
    await page.waitForURL((u) => u.searchParams.get("campaign_id") === campaign.id);
    check(true, "choosing a campaign puts its id in the page's address");
    // A call of the paused campaign may still close while the page loads: the
    // page must show what the API says both just before and just after it loaded.
    const shownFigures = async () => ({ attempts: await figure("stat-attempts"), dialled: await figure("stat-dialled"), connected: await figure("stat-connected") });
    const apiFigures = async () => {
      const r = await demo("GET", `/v1/reports/outcomes?${q}`);
      return { attempts: r.attempts, dialled: r.dialled, connected: r.connected, connect_rate: r.connect_rate };
    };
    let shown;
    const agreed = await waitFor(
      async () => {
        const before = await apiFigures();
        const loaded = page.waitForResponse((r) => r.url().includes("/v1/reports/outcomes?") && r.url().includes(campaign.id));
        await page.reload();
        await loaded;
        await page.getByTestId("stat-attempts").locator(".ant-statistic-content-value").waitFor();
        shown = await shownFigures();
        const after = await apiFigures();
        const same = (x) => x.attempts === shown.attempts && x.dialled === shown.dialled && x.connected === shown.connected;
        return same(before) && same(after) ? after : null;
      },
      "the page's attempts, dialled and connected figures to equal the API's",
      60000,
      1000,
    ).catch((e) => {
      throw new Error(`${e.message} (page: ${JSON.stringify(shown)})`);
    });
    Object.assign(outcomes, agreed);
    check(true, `the page shows the API's attempts ${agreed.attempts}, dialled ${agreed.dialled} and connected ${agreed.connected}`);
    const rate = (await page.getByTestId("stat-connect-rate").locator(".ant-statistic-content-value").textContent()).trim();
    check(rate === `${(outcomes.connect_rate * 100).toFixed(1)}%`, `the connect rate reads ${rate}`);
    await shot("r01-reports-outcomes-zh");

    // A shared address opens the same view: the funnel of the campaign's script version.
    await page.goto(`${base}/reports?${q}&script_version=${campaign.script_version}&tab=funnel`);
    await page.getByTestId("funnel-table").waitFor();
    const listed = (await page.getByTestId("funnel-state").allTextContents()).map((s) => s.trim());
    const missing = stateNames.filter((s) => !listed.includes(s));
    check(missing.length === 0, `the funnel lists every state of the script (${listed.join(", ")})`);
    await page.getByTestId("funnel-chart").waitFor();
    await shot("r02-reports-funnel-zh");

    // The funnel's CSV downloads with a byte order mark, so a spreadsheet keeps Chinese intact.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("csv-funnel").click()]);
    const csv = readFileSync(await download.path());
    check(csv[0] === 0xef && csv[1] === 0xbb && csv[2] === 0xbf, `the downloaded ${download.suggestedFilename()} starts with a UTF-8 byte order mark`);
    const [raw] = await Promise.all([page.waitForEvent("download"), page.getByTestId("csv-calls").click()]);
    const rawCsv = readFileSync(await raw.path());
    const rawLines = rawCsv.toString("utf8").replace(/^\uFEFF/, "").trim().split(/\r?\n/);
    check(rawCsv[0] === 0xef && rawCsv[1] === 0xbb && rawCsv[2] === 0xbf && rawLines.length > 1, `the raw calls CSV has a BOM, a header and ${rawLines.length - 1} rows`);

    // The best hours and the A/B verdicts.
    await page.getByRole("tab", { name: "最佳时段" }).click();
    await page.getByTestId("best-hour").waitFor();
    await page.getByTestId("time-hours").waitFor();
    await page.getByTestId("time-grid").waitFor();
    check(true, "the best hours show the weekday × hour grid");
    await shot("r03-reports-time-zh");

    // English, one click away.
    await page.getByRole("tab", { name: "通话结果" }).click();
    await page.getByTestId("lang-switch").click();
    await page.getByRole("heading", { name: "Reports" }).waitFor();
    await page.getByText("Connect rate").first().waitFor();
    // Switching language reloads the reports; should a late call have closed
    // meanwhile, a reload (the language is kept) shows it.
    await waitFor(
      async () => {
        if ((await figure("stat-connected")) === (await apiFigures()).connected) return true;
        await page.reload();
        await page.getByTestId("stat-connected").locator(".ant-statistic-content-value").waitFor();
        return false;
      },
      "the English page to show the API's connected calls",
      30000,
      1000,
    );
    check(true, "the English page shows the API's connected calls");
    await shot("r04-reports-outcomes-en");
    await page.getByRole("tab", { name: "Funnel" }).click();
    await page.getByText("Drop-off rate").first().waitFor();
    await shot("r05-reports-funnel-en");
    await page.getByTestId("lang-switch").click();
    log(`passed in ${((Date.now() - started) / 1000).toFixed(1)}s; screenshots in ${shots}`);
  } catch (e) {
    failed = true;
    console.error("E2E FAILED:", e);
    try {
      const p = browser?.pages()[0];
      if (p) await p.screenshot({ path: join(shots, "reports-failure.png"), fullPage: true });
    } catch {
      // nothing more to show
    }
    console.error("--- server output ---\n" + serverOutput.slice(-4000));
  } finally {
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
