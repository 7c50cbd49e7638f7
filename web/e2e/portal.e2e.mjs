// End-to-end test of the portal in headless Chromium (Debian's chromium,
// driven by playwright-core; no browser download). It builds and starts the
// real outcall binary on a fresh local PostgreSQL, then does what a new
// tenant does: sign up, log out and in, create an API key, invite a member,
// register a webhook endpoint and watch a signed test delivery arrive, and
// switch to English and back. Screenshots of the main screens go to
// artifacts/screenshots/ at the repository root.
//
// Environment: OUTCALL_CHROMIUM (default /usr/bin/chromium), OUTCALL_E2E_HEADFUL=1
// to watch, OUTCALL_E2E_KEEP=1 to keep the temporary folder.
import { spawn, execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { logger, waitFor } from "./harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const shots = join(repo, "artifacts", "screenshots");
const { log, check, started } = logger("");

// A webhook receiver: records what it gets, answers 200.
function startReceiver() {
  const got = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      got.push({ headers: req.headers, body, path: req.url });
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok from the e2e receiver");
    });
  });
  return new Promise((res) => server.listen(0, "127.0.0.1", () => res({ server, got, port: server.address().port })));
}

function verifySignature(header, body, secret) {
  const parts = Object.fromEntries([]);
  let t = "";
  const v1 = [];
  for (const kv of header.split(",")) {
    const [k, v] = kv.split("=");
    if (k === "t") t = v;
    if (k === "v1") v1.push(v);
  }
  void parts;
  const want = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
  return v1.includes(want);
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), "outcall-e2e-"));
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

  const receiver = await startReceiver();
  let browser;
  let failed = false;
  try {
    base = await waitFor(() => /outcall is running at (http:\/\/\S+)\n/.exec(serverOutput)?.[1], "the server to say where it listens", 120000, 250);
    await waitFor(async () => (await fetch(`${base}/readyz`)).ok, "the server to be ready", 120000, 500);
    log("server ready at", base);
    const index = await fetch(`${base}/`, { headers: { Accept: "text/html" } });
    check(index.ok && (await index.text()).includes('<div id="root">'), "the binary serves the built portal at /");

    const profile = join(work, "chromium-profile");
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.OUTCALL_CHROMIUM || "/usr/bin/chromium",
      headless: !process.env.OUTCALL_E2E_HEADFUL,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1366, height: 860 },
      locale: "zh-CN",
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30000); // a small machine busy with calls can be slow to answer
    page.on("pageerror", (e) => log("page error:", e.message));
    const warnings = new Set();
    page.on("console", (m) => {
      if ((m.type() === "warning" || m.type() === "error") && !m.text().startsWith("Failed to load resource")) warnings.add(m.text().slice(0, 300));
    });
    page.on("response", (r) => {
      if (r.url().includes("/v1/") && r.status() >= 400) log("API answered", r.status(), r.request().method(), new URL(r.url()).pathname);
    });
    // A slow answer is worth a line in the log: it shows where the time went.
    page.on("requestfinished", async (q) => {
      const t = q.timing();
      if (q.url().includes("/v1/") && t.responseEnd > 3000) log(`API took ${(t.responseEnd / 1000).toFixed(1)} s:`, q.method(), new URL(q.url()).pathname);
    });
    page.on("requestfailed", (q) => {
      if (q.url().includes("/v1/") && q.failure()?.errorText !== "net::ERR_ABORTED") log("API request failed:", q.method(), new URL(q.url()).pathname, q.failure()?.errorText);
    });
    // antd animates dialogs in and out; act on them once they stand still.
    const settled = () =>
      page.waitForFunction(() =>
        [...document.querySelectorAll("[class*='-enter'], [class*='-appear'], [class*='-leave']")].every(
          (el) => el.getClientRects().length === 0 || ![...el.classList].some((c) => /^ant-[a-z-]+-(enter|appear|leave)(-active|-prepare|-start)?$/.test(c)),
        ),
      );
    const open = async (testId) => {
      await page.getByTestId(testId).click();
      await page.locator(".ant-modal").last().waitFor();
      await settled();
    };
    const logout = async () => {
      await page.getByTestId("user-menu").click();
      await page.getByTestId("logout").waitFor();
      await settled();
      await page.getByTestId("logout").click();
    };
    const shot = async (name) => {
      await page.waitForTimeout(300); // let antd's animations settle
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      log("screenshot", `${name}.png`);
    };

    // A visitor lands on the login page, in Chinese.
    await page.goto(base + "/");
    await page.waitForURL(/\/login/);
    await page.getByRole("heading", { name: "登录" }).waitFor();
    await shot("01-login-zh");

    // Sign up; a short password is refused next to the password field.
    await page.getByTestId("to-signup").click();
    const email = `ops-${Date.now()}@shop.example`;
    const password = "a long enough password";
    await page.getByTestId("signup-tenant").fill("某某商城");
    await page.getByTestId("signup-name").fill("王经理");
    await page.getByTestId("signup-email").fill(email);
    await page.getByTestId("signup-password").fill("short");
    await page.getByTestId("signup-submit").click();
    const pwItem = page.locator(".ant-form-item").filter({ has: page.getByTestId("signup-password") });
    await pwItem.locator(".ant-form-item-explain-error").filter({ hasText: "至少 10 个字符" }).waitFor();
    check(true, "the API's error on body.password shows under the password field");
    await shot("02-signup-error-zh");
    await page.getByTestId("signup-password").fill(password);
    await page.getByTestId("signup-submit").click();

    // The dashboard shows the first API key once.
    const firstKey = await page.getByTestId("first-key").inputValue();
    check(firstKey.startsWith("oc_"), "the first API key is shown once after sign-up");
    await page.getByTestId("secret-done").click();
    await settled();
    await page.getByTestId("get-started").waitFor();
    check((await page.getByTestId("tenant-name").textContent()) === "某某商城", "the shell shows the tenant");
    await shot("03-dashboard-zh");

    // Log out and back in.
    await logout();
    await page.waitForURL(/\/login/);
    await page.getByTestId("login-email").fill(email);
    await page.getByTestId("login-password").fill("wrong password!");
    await page.getByTestId("login-submit").click();
    await page.getByTestId("form-error").filter({ hasText: "邮箱或密码不正确" }).waitFor();
    check(true, "a wrong password is refused with a translated message");
    await page.getByTestId("login-password").fill(password);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("get-started").waitFor();
    check(true, "log out and log in again");

    // API keys: create one limited to two scopes; its secret works once copied.
    await page.getByTestId("nav-api-keys").click();
    await open("create-key");
    await page.getByTestId("key-name").fill("CRM 同步");
    await page.getByTestId("key-scopes-some").click();
    await page.getByTestId("scope-account:read").click();
    await page.getByTestId("scope-calls:read").click();
    await page.getByTestId("create-key-submit").click();
    const secret = await page.getByTestId("new-key-secret").inputValue();
    check(secret.startsWith("oc_"), "the new key's secret is shown once");
    await shot("04-api-key-created-zh");
    const meRes = await fetch(`${base}/v1/me`, { headers: { Authorization: `Bearer ${secret}` } });
    check(meRes.ok && (await meRes.json()).tenant.name === "某某商城", "the shown secret authenticates against the API");
    const usersRes = await fetch(`${base}/v1/webhooks/endpoints`, { headers: { Authorization: `Bearer ${secret}` } });
    check(usersRes.status === 403, "the key is bounded by its scopes (no webhooks:manage → 403)");
    await page.getByTestId("secret-done").click();
    await settled();
    const keyRow = page.locator("tr").filter({ hasText: "CRM 同步" });
    await keyRow.waitFor();
    check((await keyRow.textContent()).includes(secret.split("_").slice(0, 2).join("_")), "the list shows the key's prefix");
    check((await keyRow.textContent()).includes("calls:read"), "the list shows the key's scopes");
    await page.reload();
    await keyRow.waitFor();
    check(!(await keyRow.textContent()).includes("从未使用"), "the list shows when the key was last used");
    await shot("05-api-keys-zh");

    // Team members: invite an operator; the token is shown once.
    await page.getByTestId("nav-members").click();
    await open("add-member");
    await page.getByTestId("member-email").fill("agent@shop.example");
    await page.getByTestId("member-name").fill("李娜");
    await page.getByTestId("add-member-submit").click();
    const token = await page.getByTestId("invite-token").inputValue();
    check(token.length > 10, "the invitation token is shown once");
    const inviteLink = await page.getByTestId("invite-link").inputValue();
    check(inviteLink.includes(encodeURIComponent(token)), "the invitation link carries the token");
    await shot("06-member-invited-zh");
    await page.getByTestId("secret-done").click();
    await settled();
    const memberRow = page.locator("tr").filter({ hasText: "agent@shop.example" });
    await memberRow.filter({ hasText: "待接受邀请" }).waitFor();
    check(true, "the invited member is listed as invited");
    // The same email again: the API's conflict shows next to the email field.
    await open("add-member");
    await page.getByTestId("member-email").fill("agent@shop.example");
    await page.getByTestId("add-member-submit").click();
    const emailItem = page.locator(".ant-form-item").filter({ has: page.getByTestId("member-email") });
    await emailItem.locator(".ant-form-item-explain-error").filter({ hasText: "该邮箱已被注册" }).waitFor();
    check(true, "a duplicate email shows next to the email field");
    await page.keyboard.press("Escape");
    await shot("07-members-zh");

    // Webhooks: register the local receiver, send a test, see it delivered.
    await page.getByTestId("nav-webhooks").click();
    await open("add-endpoint");
    await page.getByTestId("endpoint-url").fill(`http://127.0.0.1:${receiver.port}/outcall/events`);
    await page.getByTestId("endpoint-description").fill("CRM 事件");
    await page.getByTestId("endpoint-submit").click();
    const whsec = await page.getByTestId("endpoint-secret").inputValue();
    check(whsec.length > 10, "the endpoint's signing secret is shown once");
    await page.getByTestId("secret-done").click();
    await settled();
    await page.getByTestId("endpoint-link").click();
    await page.getByTestId("send-test").click();
    await waitFor(async () => {
      await page.getByTestId("refresh-deliveries").click();
      return (await page.getByTestId("delivery-status").filter({ hasText: "200" }).count()) > 0;
    }, "the test delivery to show with status 200", 30000, 1000);
    check(true, "the delivery log shows the test delivery with status 200");
    const delivered = receiver.got.find((r) => r.headers["outcall-signature"]);
    check(delivered && verifySignature(delivered.headers["outcall-signature"], delivered.body, whsec), "the receiver got the event signed with the shown secret");
    await page.locator(".ant-table-row-expand-icon").first().click();
    await page.getByText("ok from the e2e receiver").first().waitFor();
    check(true, "the delivery log shows the receiver's answer");
    await shot("08-webhook-deliveries-zh");
    await open("rotate-secret");
    await page.getByTestId("rotate-submit").click();
    const rotated = await page.getByTestId("rotated-secret").inputValue();
    check(rotated && rotated !== whsec, "rotating shows a new secret once");
    await page.getByTestId("secret-done").click();
    await settled();
    await page.getByTestId("redeliver").first().click();
    await waitFor(async () => receiver.got.length >= 2, "the redelivery to reach the receiver", 30000, 500);
    const redelivered = receiver.got[receiver.got.length - 1];
    check(verifySignature(redelivered.headers["outcall-signature"], redelivered.body, rotated) && verifySignature(redelivered.headers["outcall-signature"], redelivered.body, whsec),
      "a redelivery during the overlap is signed with both secrets");

    // Script endpoints: the receiver registered as a service dialog scripts
    // may call mid-call; the secret shows once, the endpoint is listed.
    await page.getByTestId("nav-webhooks").click();
    await open("add-script-endpoint");
    await page.getByTestId("script-endpoint-name").fill("crm");
    await page.getByTestId("script-endpoint-url-input").fill(`http://127.0.0.1:${receiver.port}/crm`);
    await page.getByTestId("script-endpoint-submit").click();
    const epsec = await page.getByTestId("script-endpoint-secret").inputValue();
    check(epsec.startsWith("epsec_"), "a script endpoint's signing secret is shown once");
    await page.getByTestId("secret-done").click();
    await settled();
    await page.getByTestId("script-endpoint-url").filter({ hasText: `${receiver.port}/crm` }).waitFor();
    check(true, "the script endpoint is listed under its name");

    // Compliance: a bad duration is refused at its field; good settings save.
    await page.getByTestId("nav-compliance").click();
    await page.getByTestId("max-daily-calls").waitFor();
    await page.waitForFunction(() => !document.querySelector(".ant-card-loading"));
    await page.getByTestId("quiet-start").fill("21:00");
    await page.getByTestId("quiet-end").fill("09:00");
    await page.getByTestId("max-daily-calls").fill("2");
    await page.getByTestId("min-retry").fill("soon");
    await page.getByTestId("compliance-save").click();
    const retryItem = page.locator(".ant-form-item").filter({ has: page.getByTestId("min-retry") });
    await retryItem.locator(".ant-form-item-explain-error").filter({ hasText: "请填写时长" }).waitFor();
    check(true, "an invalid retry interval is refused next to its field");
    await page.getByTestId("min-retry").fill("30m");
    await page.getByTestId("compliance-save").click();
    await page.getByText("合规设置已保存").waitFor();
    const compliance = await (await fetch(`${base}/v1/compliance`, { headers: { Authorization: `Bearer ${firstKey}` } })).json();
    check(compliance.max_daily_calls === 2 && compliance.quiet_hours?.join("-") === "21:00-09:00" && compliance.min_retry_interval === "30m0s",
      "the compliance settings saved in the portal are what the API returns");
    await shot("09-compliance-zh");

    // Contacts: a list, a CSV import with one bad row, the error report,
    // the list's contacts, and a do-not-call entry.
    await page.getByTestId("nav-contacts").click();
    await open("create-list");
    await page.getByTestId("list-name").fill("十一月回访");
    await page.getByTestId("create-list-submit").click();
    await page.getByTestId("import-start").waitFor();
    await settled();
    const csv = "手机号,姓名,城市\n13812341234,张三,上海\n139 1234 5678,李四,北京\n12ab,王五,广州\n";
    await page.locator("input[type=file]").setInputFiles({ name: "contacts.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByTestId("import-start").click();
    await page.getByTestId("import-errors-link").waitFor({ timeout: 30000 });
    const progressText = await page.getByTestId("import-progress").textContent();
    check(progressText.includes("100%") || progressText.includes("3 / 3"), "the import's progress reaches the end");
    await shot("10-contacts-import-zh");
    const errorsHref = await page.getByTestId("import-errors-link").getAttribute("href");
    const report = await (await fetch(base + errorsHref, { headers: { Authorization: `Bearer ${firstKey}` } })).text();
    check(/^4,/m.test(report) && report.split("\n").filter((l) => /^\d/.test(l)).length === 1, "the error report lists the one bad row (line 4)");
    await page.getByTestId("import-close").click();
    await settled();
    await page.locator("tr").filter({ hasText: "十一月回访" }).getByTestId("list-count").filter({ hasText: "2" }).waitFor();
    check(true, "the list holds the two good contacts");
    await page.getByTestId("list-十一月回访").click();
    await page.getByTestId("list-contacts").getByText("13912345678").waitFor();
    check((await page.getByTestId("list-contacts").textContent()).includes("城市"), "a list's contacts show with their attributes");
    await shot("11-list-contacts-zh");
    await page.keyboard.press("Escape");
    await settled();
    await page.getByTestId("tab-dnc").click();
    await page.getByTestId("dnc-phones").fill("13912345678");
    await page.getByTestId("dnc-add").click();
    await page.getByTestId("dnc-table").getByText("13912345678").waitFor();
    check(true, "a number added to the do-not-call list shows in it");
    await shot("12-dnc-zh");

    // Billing: the plan and this period's usage.
    await page.getByTestId("nav-billing").click();
    await page.getByTestId("plan-title").waitFor();
    const billing = await (await fetch(`${base}/v1/billing`, { headers: { Authorization: `Bearer ${firstKey}` } })).json();
    check((await page.getByTestId("plan-title").textContent()) === billing.plan.title, "the billing screen shows the tenant's plan");
    await shot("13-billing-zh");

    // Scripts: a new tenant starts from the empty list; a new script opens
    // in the editor with a starter dialog drawn as a graph; an error shows
    // at its line; the fixed script is saved, simulated and published.
    const apiGet = async (path) => {
      const r = await fetch(base + path, { headers: { Authorization: `Bearer ${firstKey}` } });
      if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
      return r.json();
    };
    await page.getByTestId("nav-scripts").click();
    await page.getByText("还没有脚本").waitFor();
    check(true, "the scripts screen tells a new tenant to write a first script");
    await open("create-script");
    await page.getByTestId("script-name").fill("订单确认");
    await page.getByTestId("create-script-submit").click();
    await page.waitForURL(/\/scripts\/[0-9a-f-]{36}$/);
    const scriptId = page.url().split("/").pop();
    await page.locator(".cm-content").waitFor();
    await page.getByTestId("graph-summary").filter({ hasText: "5 个状态" }).waitFor();
    check(true, "a new script starts from a dialog that is drawn as a graph of 5 states");
    const starter = (await apiGet(`/v1/scripts/${scriptId}/versions/1`)).source;
    check((await page.locator(".cm-content").textContent()).includes('start: "greeting"') && starter.includes('start: "greeting"'), "the editor holds the starter dialog, saved as version 1");
    const setSource = async (src) => {
      await page.locator(".cm-content").click();
      await page.keyboard.press("Control+a");
      await page.keyboard.press("Delete");
      await page.keyboard.insertText(src);
    };
    const lines = starter.split("\n");
    const affirmLine = lines.findIndex((l) => l.includes('on: { affirm: "confirm"')) + 1;
    await setSource(starter.replace('on: { affirm: "confirm"', 'on: { affirm: "confrim"'));
    await page.getByTestId("diagnostic").filter({ hasText: `${affirmLine}:` }).filter({ hasText: "confrim" }).waitFor();
    await page.locator(".cm-lintRange-error").first().waitFor();
    check((await page.locator(".cm-lintRange-error").first().textContent()).includes("confrim"), `the unknown state is marked inline at line ${affirmLine}`);
    await page.getByTestId("save-version").click();
    await page.getByText("未保存:见编辑器中标出的行").waitFor();
    check((await apiGet(`/v1/scripts/${scriptId}/versions`)).items.length === 1, "a script with errors is not saved");
    await shot("20-script-error-zh");
    // The fixed script also answers "later" and "busy" itself with a polite
    // goodbye and no callbackIn: this campaign calls nobody back, so it ends
    // once every contact has been tried.
    const fixed = starter
      .replace('tags: ["converted"] },', 'tags: ["converted"] },\n    vip: { say: "尊敬的会员您好,已为您优先发货。", end: "confirmed", tags: ["converted", "vip"] },')
      .replace('price: "price" },', 'price: "price", human: "vip" },')
      .replaceAll('later: "callback"', 'later: "callback", busy: "callback"')
      .replace(/callback: \{ say: "[^"]*", end: "callback", callbackIn: "2h" \}/, 'callback: { say: "好的,不打扰您了,有需要请随时联系我们,再见。", end: "later" }');
    check(!fixed.includes("callbackIn") && (fixed.match(/busy: "callback"/g) ?? []).length === 2, "the campaign's script handles busy and later without a callback");
    await setSource(fixed);
    await page.getByTestId("check-status").filter({ hasText: "没有错误" }).waitFor();
    await page.getByTestId("graph-summary").filter({ hasText: "6 个状态" }).waitFor();
    check(true, "the fixed script checks clean and its graph grows a state");
    await page.getByTestId("save-version").click();
    await page.getByText("已保存为 v2").waitFor();
    check((await apiGet(`/v1/scripts/${scriptId}`)).latest_version === 2, "saving makes version 2");
    await shot("21-script-editor-zh");
    await page.getByTestId("tab-simulate").click();
    await page.getByTestId("sim-start").click();
    await page.getByTestId("sim-turn").first().waitFor();
    check((await page.getByTestId("sim-transcript").textContent()).includes("您好王先生"), "the simulated call greets the contact by name");
    await page.getByTestId("sim-input").fill("好的,没问题");
    await page.getByTestId("sim-send").click();
    await page.getByTestId("sim-result").waitFor();
    const simIntent = await page.getByTestId("sim-intent").first().textContent();
    check(simIntent.includes("affirm"), `the simulator shows the intent per turn (${simIntent})`);
    check((await page.getByTestId("sim-result").textContent()).includes("confirmed"), "the simulated call ends confirmed");
    check((await page.getByTestId("sim-sentiment").count()) > 0 && (await page.getByTestId("sim-transcript").textContent()).includes("%"), "confidence and sentiment show per turn");
    await shot("22-script-simulator-zh");
    await page.getByTestId("tab-versions").click();
    await page.getByTestId("publish-v2").click();
    await page.locator(".ant-popconfirm .ant-btn-primary").click();
    await page.getByText("v2 已发布").waitFor();
    check((await apiGet(`/v1/scripts/${scriptId}`)).published_version === 2, "publishing in the portal publishes version 2");
    await shot("23-script-versions-zh");

    // The demo carrier (callee-sim) answers at any hour: no quiet hours for this run.
    const put = await fetch(`${base}/v1/compliance`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${firstKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ ...Object.fromEntries(Object.entries(compliance).filter(([k]) => k !== "$schema")), quiet_hours: [] }),
    });
    check(put.ok, "quiet hours cleared for the simulated carrier");
    const list = await (await fetch(`${base}/v1/lists`, { method: "POST", headers: { Authorization: `Bearer ${firstKey}`, "Content-Type": "application/json" }, body: JSON.stringify({ name: "活动客户" }) })).json();
    let rows = "phone,name,vip\n";
    for (let i = 0; i < 8; i++) rows += `1370000${String(1000 + i)},客户${i},${i % 2 === 0}\n`;
    const im = await (await fetch(`${base}/v1/lists/${list.id}/imports`, { method: "POST", headers: { Authorization: `Bearer ${firstKey}`, "Content-Type": "text/csv" }, body: rows })).json();
    await waitFor(async () => (await apiGet(`/v1/imports/${im.id}`)).status === "done", "the campaign list's import");

    // Campaigns: the wizard, then live progress to the end.
    await page.getByTestId("nav-campaigns").click();
    await page.getByText("还没有活动").waitFor();
    check(true, "the campaigns screen tells a new tenant what to do first");
    await page.getByTestId("create-campaign").click();
    await page.waitForURL(/\/campaigns\/new$/);
    await page.getByTestId("campaign-name").fill("双十一订单确认");
    // Picks an option; a multiple select stays open after the first pick.
    const pick = async (testId, text, stillOpen = false) => {
      if (!stillOpen) await page.getByTestId(testId).click();
      await page.locator(".ant-select-dropdown:visible .ant-select-item-option").filter({ hasText: text }).first().click();
    };
    await pick("campaign-lists", "活动客户");
    await pick("campaign-lists", "十一月回访", true);
    await page.keyboard.press("Escape");
    await settled();
    await page.getByTestId("wizard-next").click();
    await pick("campaign-version", "订单确认 v2");
    await page.getByTestId("wizard-next").click();
    for (const o of ["busy", "no_answer", "failed"]) await page.getByTestId(`retry-${o}-times`).fill("0");
    await page.getByTestId("retry-busy-after").fill("soon");
    await page.getByTestId("wizard-next").click();
    await page.getByTestId("wizard-next").click();
    await page.getByTestId("campaign-review").waitFor();
    await shot("24-campaign-wizard-review-zh");
    // A retry rule with a bad interval but no retries is accepted; one with retries is refused at its field.
    await page.locator(".ant-steps-item").nth(2).click();
    await page.getByTestId("retry-busy-times").fill("2");
    await page.getByTestId("wizard-next").click();
    await page.getByTestId("wizard-next").click();
    await page.getByTestId("wizard-create").click();
    const busyAfter = page.locator(".ant-form-item").filter({ has: page.getByTestId("retry-busy-after") });
    await busyAfter.locator(".ant-form-item-explain-error").waitFor();
    check(true, "a bad retry interval is refused next to its field, on its step");
    await page.getByTestId("retry-busy-times").fill("0");
    await page.getByTestId("retry-busy-after").fill("10m");
    await page.getByTestId("wizard-next").click();
    await page.getByTestId("wizard-next").click();
    await page.getByTestId("wizard-create").click();
    await page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);
    const campaignId = page.url().split("/").pop();
    await page.getByTestId("campaign-status").filter({ hasText: "草稿" }).waitFor();
    const created = await apiGet(`/v1/campaigns/${campaignId}`);
    check(created.retry_policy.busy.times === 0 && created.list_ids.length === 2 && created.script_version.length === 36, "the wizard's choices are what the API stored");
    await page.getByTestId("campaign-start").click();
    await page.getByTestId("campaign-status").filter({ hasText: "进行中" }).waitFor();
    check(true, "starting the draft sets it running");
    await page.getByTestId("campaign-pause").click();
    await page.getByTestId("campaign-status").filter({ hasText: "已暂停" }).waitFor();
    check((await apiGet(`/v1/campaigns/${campaignId}`)).status === "paused", "pausing in the portal pauses the campaign");
    await page.getByTestId("campaign-resume").click();
    await page.getByTestId("campaign-status").filter({ hasText: "进行中" }).waitFor();
    check((await apiGet(`/v1/campaigns/${campaignId}`)).status === "running", "resuming sets it running again");
    // No retries and no callbacks: every contact is tried once and the
    // campaign completes by itself; the page follows it without a reload.
    const seen = new Set();
    let runningShot = false;
    await waitFor(
      async () => {
        seen.add(await page.getByTestId("progress-text").textContent());
        if (seen.size === 2 && !runningShot) {
          runningShot = true;
          await shot("25-campaign-running-zh");
        }
        return (await apiGet(`/v1/campaigns/${campaignId}`)).status === "completed";
      },
      "the campaign to complete",
      240000,
      300,
    ).catch(async (e) => {
      throw new Error(`${e.message} (counts: ${JSON.stringify(await apiGet(`/v1/campaigns/${campaignId}/counts`))})`);
    });
    check(seen.size >= 2, `the progress updated without a reload (${[...seen].join(" → ")})`);
    await page.getByTestId("campaign-status").filter({ hasText: "已完成" }).waitFor();
    check(true, "the campaign completed by itself and the page says 已完成 without a reload");
    const counts = await apiGet(`/v1/campaigns/${campaignId}/counts`);
    const sum = (o) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);
    await page.getByTestId("progress-text").filter({ hasText: `${(counts.by_state.done ?? 0) + (counts.by_state.dropped ?? 0)} / ${counts.contacts}` }).waitFor();
    check(counts.contacts === 10, "all 10 contacts of both lists joined the campaign");
    check((counts.by_state.done ?? 0) + (counts.by_state.dropped ?? 0) === counts.contacts && (counts.by_state.pending ?? 0) === 0,
      `every contact is accounted for: ${counts.by_state.done ?? 0} done, ${counts.by_state.dropped ?? 0} dropped, none pending (${JSON.stringify(counts.by_state)})`);
    check(sum(counts.outcomes) + sum(counts.refused) === counts.contacts,
      `each contact was dialled or refused exactly once (${JSON.stringify(counts.outcomes)}, refused ${JSON.stringify(counts.refused)})`);
    check((await page.getByTestId("stat-attempts").textContent()) === String(sum(counts.outcomes)), `the attempts shown match the API (${sum(counts.outcomes)})`);
    check((await page.getByTestId("stat-refused").textContent()) === String(sum(counts.refused)) && (counts.refused.dnc ?? 0) === 1, "the refusals shown match the API, the do-not-call number among them");
    const answered = (counts.outcomes.answered ?? 0) + (counts.outcomes.transferred ?? 0);
    check((await page.getByTestId("stat-answered").textContent()) === String(answered), `the answered calls shown match the API (${answered})`);
    await page.getByTestId("calls-table").locator("tbody tr.ant-table-row").first().waitFor();
    await shot("26-campaign-done-zh");

    // Calls: the campaign's calls, one answered call's transcript and recording.
    const calls = [];
    for (let cursor = ""; ; ) {
      const p = await apiGet(`/v1/campaigns/${campaignId}/calls?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
      calls.push(...p.items);
      if (!p.next_cursor) break;
      cursor = p.next_cursor;
    }
    await page.getByTestId("calls-count").filter({ hasText: `/ ${calls.length} ` }).waitFor();
    check(true, `the calls list shows all ${calls.length} call records`);
    const letGo = calls.filter((c) => c.final_state === "callback").length;
    check(calls.every((c) => !c.next_at), `no call scheduled a retry or a callback (${letGo} callee(s) who asked for later were let go)`);
    // A callee may hang up after the greeting: open a call that went back and forth.
    let talked;
    for (const c of calls.filter((c) => c.outcome === "answered" && c.recording_ref)) {
      // A call with no turns (the callee hung up during the greeting) has none in its record.
      if (((await apiGet(`/v1/calls/${c.id}`)).turns ?? []).length >= 2) {
        talked = c;
        break;
      }
    }
    check(talked, "at least one call was answered, recorded and went on past the greeting");
    await page.getByTestId("calls-search").locator("input").fill(talked.phone.replace("+86", ""));
    await page.getByTestId("calls-search").locator("input").press("Enter");
    await page.getByTestId("calls-count").filter({ hasText: /^显示 1 \// }).waitFor();
    check(true, "searching a number narrows the list to its call");
    await page.getByTestId("call-link").first().click();
    await page.waitForURL(new RegExp(`/calls/${talked.id}$`));
    await page.getByTestId("transcript").waitFor();
    const call = await apiGet(`/v1/calls/${talked.id}`);
    check((await page.getByTestId("turn").count()) === call.turns.length && call.turns.length >= 2, `the transcript shows every turn (${call.turns.length})`);
    check((await page.getByTestId("turn-said").first().textContent()).includes(call.turns[0].said.slice(0, 8)), "a turn shows what the robot said");
    check((await page.getByTestId("turn-heard").count()) > 0 && (await page.getByTestId("turn-intent").count()) > 0, "turns show what was heard and its intent");
    const ready = await page.getByTestId("recording").evaluate(
      (a) =>
        new Promise((res) => {
          if (a.readyState >= 1) return res(a.duration);
          a.addEventListener("loadedmetadata", () => res(a.duration));
          a.addEventListener("error", () => res(-1));
        }),
    );
    // The player's source, fetched as the browser does (session cookie): a WAV of the call's length.
    const wav = await page.evaluate(async (src) => {
      const r = await fetch(src);
      const b = new DataView(await r.arrayBuffer());
      const tag = (o) => String.fromCharCode(b.getUint8(o), b.getUint8(o + 1), b.getUint8(o + 2), b.getUint8(o + 3));
      return { status: r.status, type: r.headers.get("content-type"), length: Number(r.headers.get("content-length")), riff: tag(0) + tag(8), byteRate: b.getUint32(28, true), bytes: b.byteLength };
    }, await page.getByTestId("recording").getAttribute("src"));
    const seconds = (wav.bytes - 44) / wav.byteRate;
    const talkSeconds = (new Date(call.ended_at) - new Date(call.answered_at)) / 1000;
    check(wav.status === 200 && wav.type === "audio/wav" && wav.riff === "RIFFWAVE" && wav.length === wav.bytes, "the recording is served to the page with the session cookie, with its length");
    check(Number.isFinite(ready) && Math.abs(ready - (wav.bytes - 44) / wav.byteRate) < 1, `the page's player knows the recording's duration (${Number(ready).toFixed(1)} s)`);
    check(seconds > 1 && Math.abs(seconds - talkSeconds) < 3, `the recording lasts as long as the call (${seconds.toFixed(1)} s of ${talkSeconds.toFixed(1)} s)`);
    await shot("27-call-transcript-zh");
    // Every call of the tenant, searched on the server by a number's last four digits.
    await page.getByTestId("nav-calls").click();
    await page.getByTestId("calls-table").locator("tbody tr.ant-table-row").first().waitFor();
    const everyCall = await apiGet("/v1/calls?limit=200");
    await page.getByTestId("calls-count").filter({ hasText: `共 ${everyCall.items.length} 通` }).waitFor();
    check(true, `the calls screen lists the tenant's calls without picking a campaign (${everyCall.items.length})`);
    await shot("28-calls-zh");
    const last4 = talked.phone.slice(-4);
    const numberCalls = everyCall.items.filter((c) => c.phone === talked.phone);
    const searched = page.waitForResponse((r) => r.url().includes("/v1/calls?") && r.url().includes(`phone=${last4}`));
    await page.getByTestId("calls-search").locator("input").fill(last4);
    await page.getByTestId("calls-search").locator("input").press("Enter");
    check((await searched).ok(), `the search for …${last4} goes to the server`);
    await page.getByTestId("calls-count").filter({ hasText: `共 ${numberCalls.length} 通` }).waitFor();
    const shownPhones = await page.getByTestId("calls-table").locator("tbody tr.ant-table-row td:nth-child(2)").allTextContents();
    check(
      shownPhones.length === numberCalls.length && shownPhones.every((p) => p === talked.phone.replace("+86", "")),
      `searching the last four digits ${last4} shows only that number's ${numberCalls.length} call(s): ${shownPhones.join(", ")}`,
    );
    await shot("28b-calls-search-zh");

    // The dashboard's figures are the API's: the usage ledger's minutes, and
    // the outcomes report's calls, connect rate, conversions and transfers for
    // today and this period. A call may still close while the page loads, so
    // the page must show what the API says both just before and just after.
    const usage = await apiGet("/v1/billing/usage");
    const todayFrom = `${new Date().toISOString().slice(0, 10)}T00:00:00Z`;
    const periodFrom = `${usage.period_start.slice(0, 10)}T00:00:00Z`;
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    const outcomeFigures = (o) => ({ dialled: String(o.dialled), connected: String(o.connected), rate: pct(o.connect_rate), conversions: String(o.conversions), transfers: String(o.transfers) });
    const apiDashboard = async () => ({
      today: outcomeFigures(await apiGet(`/v1/reports/outcomes?from=${encodeURIComponent(todayFrom)}`)),
      period: outcomeFigures(await apiGet(`/v1/reports/outcomes?from=${encodeURIComponent(periodFrom)}`)),
      minutes: String((await apiGet("/v1/billing/usage")).totals.minutes),
    });
    const shownDashboard = async () => {
      const read = async (prefix) =>
        Object.fromEntries(await Promise.all(["dialled", "connected", "rate", "conversions", "transfers"].map(async (k) => [k, await page.getByTestId(`${prefix}-${k}`).textContent()])));
      return { today: await read("dash-today"), period: await read("dash-period"), minutes: await page.getByTestId("dash-minutes").textContent() };
    };
    await page.getByTestId("nav-dashboard").click();
    let dash;
    const dashAgreed = await waitFor(
      async () => {
        const before = await apiDashboard();
        const loaded = page.waitForResponse((r) => r.url().includes("/v1/reports/funnel?") || r.url().includes("/v1/reports/ab?"));
        await page.reload();
        await loaded;
        await page.getByTestId("dashboard-chart").waitFor();
        dash = await shownDashboard();
        const after = await apiDashboard();
        const same = (x) => JSON.stringify(x) === JSON.stringify(dash);
        return same(before) && same(after) ? after : null;
      },
      "the dashboard's figures to equal the API's read just before and after it loaded",
      60000,
      1000,
    ).catch((e) => {
      throw new Error(`${e.message} (page: ${JSON.stringify(dash)})`);
    });
    check(true, `the dashboard's today figures match /v1/reports/outcomes (${JSON.stringify(dashAgreed.today)})`);
    check(true, `the dashboard's period figures match /v1/reports/outcomes (${JSON.stringify(dashAgreed.period)}) and its billable minutes /v1/billing/usage (${dashAgreed.minutes})`);
    check(Number(dashAgreed.period.dialled) > 0 && dashAgreed.period.rate !== "0.0%", "the period's calls and connect rate are not empty");
    const ab = await apiGet(`/v1/reports/ab?from=${encodeURIComponent(periodFrom)}`);
    const busiest = [...ab.arms].sort((x, y) => y.connected - x.connected || (y.version > x.version ? 1 : -1))[0];
    await page.getByTestId("dashboard-funnel").waitFor();
    check((await page.getByTestId("dashboard-funnel-version").getAttribute("data-version")) === busiest.version, `the funnel is the one of the version most calls connected with (${busiest.version})`);
    await page.getByTestId("dashboard-sentiment").waitFor();
    check(true, "the dashboard draws calls per hour, the funnel and sentiment");
    await shot("29-dashboard-calls-zh");

    // Cancelling in the portal: a second campaign on six new numbers is
    // cancelled while it runs; calls under way end and nothing more is dialled.
    const apiSend = async (method, path, body, type = "application/json") => {
      const r = await fetch(base + path, {
        method,
        headers: { Authorization: `Bearer ${firstKey}`, "Content-Type": type },
        body: type === "application/json" ? JSON.stringify(body) : body,
      });
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      return r.json();
    };
    const list2 = await apiSend("POST", "/v1/lists", { name: "临时名单" });
    let rows2 = "phone,name\n";
    for (let i = 0; i < 6; i++) rows2 += `1370000${2000 + i},临时客户${i}\n`;
    const im2 = await apiSend("POST", `/v1/lists/${list2.id}/imports`, rows2, "text/csv");
    await waitFor(async () => (await apiGet(`/v1/imports/${im2.id}`)).status === "done", "the second list's import");
    const second = await apiSend("POST", "/v1/campaigns", {
      name: "临时活动",
      list_ids: [list2.id],
      script_version: created.script_version,
      retry_policy: Object.fromEntries(["busy", "no_answer", "failed"].map((o) => [o, { after: "10m", times: 0 }])),
    });
    await page.getByTestId("nav-campaigns").click();
    await page.getByTestId("campaign-临时活动").click();
    await page.waitForURL(new RegExp(`/campaigns/${second.id}$`));
    await page.getByTestId("campaign-start").click();
    await page.getByTestId("campaign-status").filter({ hasText: "进行中" }).waitFor();
    await page.getByTestId("campaign-cancel").click();
    await page.locator(".ant-popconfirm .ant-btn-primary").click();
    await page.getByTestId("campaign-status").filter({ hasText: "已取消" }).waitFor();
    check((await apiGet(`/v1/campaigns/${second.id}`)).status === "cancelled", "cancelling a running campaign in the portal ends it");
    const inFlight = (c) => (c.by_state.queued ?? 0) + (c.by_state.dialling ?? 0) + (c.by_state.in_call ?? 0);
    await waitFor(async () => inFlight(await apiGet(`/v1/campaigns/${second.id}/counts`)) === 0, "the cancelled campaign's calls under way to end", 60000, 500);
    const callsOf = async (id) => (await apiGet(`/v1/campaigns/${id}/calls?limit=100`)).items.length;
    const cancelledCalls = await callsOf(second.id);
    await page.waitForTimeout(3000);
    const later = await apiGet(`/v1/campaigns/${second.id}/counts`);
    check((await callsOf(second.id)) === cancelledCalls && inFlight(later) === 0 && (await apiGet(`/v1/campaigns/${second.id}`)).status === "cancelled",
      `nothing is dialled after the cancel (${cancelledCalls} call(s) of ${later.contacts} contacts)`);

    // Trunks are covered by settings.e2e.mjs.

    // English is one click away, and back.
    await page.getByTestId("nav-billing").click();
    await page.getByTestId("plan-title").waitFor();
    await page.getByTestId("lang-switch").click();
    await page.getByRole("heading", { name: "Billing & usage" }).waitFor();
    check((await page.getByTestId("nav-api-keys").textContent()).includes("API keys"), "the menu is in English");
    await shot("14-billing-en");
    await page.getByTestId("nav-api-keys").click();
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    await shot("15-api-keys-en");
    await page.getByTestId("nav-dashboard").click();
    await page.getByText("Calls per hour today").waitFor();
    await shot("16-dashboard-en");
    await page.getByTestId("nav-campaigns").click();
    await page.getByTestId("campaign-status").filter({ hasText: "Completed" }).first().waitFor();
    await page.getByTestId("campaign-status").filter({ hasText: "Cancelled" }).first().waitFor();
    check(true, "the campaigns list speaks English too");
    await page.getByTestId("campaign-双十一订单确认").click();
    await page.getByText("Outcomes").waitFor();
    await shot("30-campaign-en");
    await page.getByTestId("nav-segments").click();
    await page.getByTestId("segment-save").waitFor();
    await shot("17-segments-en");
    await page.reload();
    await page.getByRole("heading", { name: "Segments" }).waitFor();
    check(true, "the language choice survives a reload");
    await page.getByTestId("lang-switch").click();
    await page.getByRole("heading", { name: "客户分群" }).waitFor();
    check((await page.getByTestId("nav-webhooks").textContent()).includes("Webhook"), "back in Chinese");
    await page.getByTestId("nav-notices").click();
    await page.getByText("没有需要处理的通知").waitFor();
    await shot("18-notices-zh");

    // The invited member accepts, logs in as an operator, and may not
    // manage API keys: the API's refusal is said in Chinese.
    await logout();
    await page.waitForURL(/\/login/);
    await page.goto(inviteLink);
    await page.getByTestId("accept-password").fill("the agent's password");
    await page.getByTestId("accept-submit").click();
    await page.waitForURL(/\/login\?email=/);
    check((await page.getByTestId("login-email").inputValue()) === "agent@shop.example", "accepting the invitation leads to the login with the email filled in");
    await page.getByTestId("login-password").fill("the agent's password");
    await page.getByTestId("login-submit").click();
    await page.getByTestId("dash-today").waitFor();
    await page.getByTestId("nav-api-keys").click();
    await page.getByText("需要管理员或更高角色,您的角色是运营").waitFor();
    check(await page.getByTestId("create-key").isDisabled(), "an operator sees why API keys are out of reach, and cannot create one");
    await shot("19-api-keys-operator-zh");
    if (warnings.size) log("browser console warnings:\n  " + [...warnings].join("\n  "));
    log(`passed in ${((Date.now() - started) / 1000).toFixed(1)}s; screenshots in ${shots}`);
  } catch (e) {
    failed = true;
    console.error("E2E FAILED:", e);
    try {
      const p = browser?.pages()[0];
      if (p) await p.screenshot({ path: join(shots, "failure.png"), fullPage: true });
    } catch {
      // nothing more to show
    }
    console.error("--- server output ---\n" + serverOutput.slice(-4000));
  } finally {
    await browser?.close().catch(() => {});
    receiver.server.close();
    server.kill("SIGINT");
    const timer = setTimeout(() => server.kill("SIGKILL"), 30000);
    await exited;
    clearTimeout(timer);
    if (!process.env.OUTCALL_E2E_KEEP) rmSync(work, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main();
