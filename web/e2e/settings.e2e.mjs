// End-to-end test of the segments, review queue, trunks, speech, SMS and
// messages screens in headless Chromium (Debian's chromium, driven by
// playwright-core), on the real outcall binary and a fresh local PostgreSQL,
// the same way as portal.e2e.mjs: a tenant imports a small list through the
// API, writes segmentation rules and sees the counts per segment, breaks a
// rule and sees the error at its line, saves and publishes the rules, adds a
// trunk with a transfer target (its password never shown again), saves speech
// settings, sets up Alibaba Cloud SMS with one template (a bad template id
// refused at its field, the secret never shown again), and finds the review
// queue empty with a word on what fills it. The demo tenant's owner flags a
// call that said a sensitive word and sees its number in full; a viewer of
// the same tenant sees it masked (138****1234) in the review queue, on the
// calls screen and on the call page.
// Screenshots go to artifacts/screenshots/ at the repository root.
//
// Environment: OUTCALL_CHROMIUM (default /usr/bin/chromium), OUTCALL_E2E_HEADFUL=1
// to watch, OUTCALL_E2E_KEEP=1 to keep the temporary folder.
import { spawn, execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { logger, waitFor } from "./harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const shots = join(repo, "artifacts", "screenshots");
const { log, check, started } = logger("settings");

async function main() {
  const work = mkdtempSync(join(tmpdir(), "outcall-e2e-settings-"));
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

    // A tenant signs up through the API and imports a small list.
    const email = `settings-${Date.now()}@shop.example`;
    const password = "a long enough password";
    const signup = await fetch(`${base}/v1/signup`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ tenant_name: "某某商城", name: "王经理", email, password }),
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
      return r.status === 204 ? null : r.json();
    };
    const list = await call("POST", "/v1/lists", { name: "双十一客户" });
    const csv = "手机号,姓名,vip,orders\n13812341234,张三,true,1\n13912345678,李四,false,5\n13712345678,王五,false,0\n13612345678,赵六,false,9\n";
    const imp = await call("POST", `/v1/lists/${list.id}/imports`, csv, "text/csv");
    await waitFor(async () => (await call("GET", `/v1/imports/${imp.id}`)).status === "done", "the import to finish", 30000, 300);
    check(true, "a list of four contacts is imported");

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
    page.on("response", (r) => {
      if (r.url().includes("/v1/") && r.status() >= 400) log("API answered", r.status(), r.request().method(), new URL(r.url()).pathname);
    });
    // antd animates dialogs in and out; act on them once they stand still
    // (an animation class that outstays its animation is not waited on for ever).
    const settled = () =>
      page
        .waitForFunction(
          () =>
            [...document.querySelectorAll("[class*='-enter'], [class*='-appear'], [class*='-leave']")].every(
              (el) => el.getClientRects().length === 0 || ![...el.classList].some((c) => /^ant-[a-z-]+-(enter|appear|leave)(-active|-prepare|-start)?$/.test(c)),
            ),
          undefined,
          { timeout: 5000 },
        )
        .catch(() => page.waitForTimeout(500));
    const open = async (testId) => {
      await page.getByTestId(testId).click();
      await page.locator(".ant-modal").last().waitFor();
      await settled();
    };
    const shot = async (name) => {
      await page.waitForTimeout(300); // let antd's animations settle
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      log("screenshot", `${name}.png`);
    };
    const countOf = async (segment) => {
      const row = page.getByTestId("segment-counts").locator("tr").filter({ hasText: segment });
      return Number(await row.getByTestId("segment-count").textContent());
    };

    await page.goto(base + "/login");
    await page.getByTestId("login-email").fill(email);
    await page.getByTestId("login-password").fill(password);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("get-started").waitFor();

    // Segments: the starter rules count the sample per segment.
    await page.getByTestId("nav-segments").click();
    await page.getByTestId("segment-counts").locator("tr").filter({ hasText: "loyal" }).waitFor({ timeout: 30000 });
    const counts = { vip: await countOf("vip"), loyal: await countOf("loyal"), new: await countOf("new") };
    check(counts.vip === 1 && counts.loyal === 2 && counts.new === 1, `the starter rules split the list 1 vip, 2 loyal, 1 new (got ${JSON.stringify(counts)})`);
    await shot("s01-segments-counts-zh");

    // A rule that does not compile: the error shows at its line.
    const broken = 'export function segment(c) {\n  const big = Number(c.orders) > 3;\n  return big ? "loyal" : ;\n}\n';
    await page.getByTestId("segment-source").fill(broken);
    await page.getByTestId("segment-errors").filter({ hasText: "第 3 行" }).waitFor();
    const marked = await page.getByTestId("error-line").allTextContents();
    check(marked.includes("3") && !marked.includes("1") && !marked.includes("2"), `a syntax error is shown under the editor and marked at line 3 (marked: ${marked})`);
    await shot("s02-segments-error-zh");

    // A rule that throws for some contacts: they are counted as failed, with the line.
    const throwing = 'export function segment(c) {\n  if (c.vip === "true") return "vip";\n  return c.nothing.length ? "x" : null;\n}\n';
    await page.getByTestId("segment-source").fill(throwing);
    await page.getByTestId("segment-errors").filter({ hasText: "第 3 行" }).waitFor();
    await page.getByTestId("segment-counts").locator("tr").filter({ hasText: "vip" }).waitFor();
    check((await countOf("vip")) === 1, "contacts whose rule works keep their segment while the others fail at line 3");

    // Save, then save again and publish, so campaigns can use the rules.
    const good = 'export function segment(c) {\n  if (c.vip === "true") return "vip";\n  return Number(c.orders) > 3 ? "loyal" : null;\n}\n';
    await page.getByTestId("segment-source").fill(good);
    await page.getByTestId("segment-counts").locator("tr").filter({ hasText: "无分群" }).waitFor();
    check(!(await page.getByTestId("segment-errors").count()), "the errors go once the rules are fixed");
    await open("segment-save");
    await page.getByTestId("segment-name").fill("VIP 与老客户");
    await page.getByTestId("segment-name-submit").click();
    await page.getByText("已保存为版本 1").waitFor();
    await settled();
    await page.getByTestId("segment-publish").click();
    await page.getByText("版本 2 已保存并发布").waitFor();
    const scripts = await call("GET", "/v1/scripts?kind=segment");
    check(scripts.items.length === 1 && scripts.items[0].name === "VIP 与老客户" && scripts.items[0].published_version === 2, "the rules are a segment script with version 2 published");
    const saved = await call("GET", `/v1/scripts/${scripts.items[0].id}/versions/2`);
    check(saved.source === good, "the published version holds the rules as typed");
    await page.getByTestId("segment-versions").locator("tr").filter({ hasText: "v2" }).filter({ hasText: "已发布" }).waitFor();
    check((await page.getByTestId("segment-versions").locator("tbody tr").count()) === 2, "the version history lists both versions, v2 published");
    await shot("s03-segments-published-zh");

    // Trunks: none yet; add one with a caller ID and a transfer target.
    await page.getByTestId("nav-trunks").click();
    await page.getByTestId("trunks-empty").waitFor();
    await shot("s04-trunks-empty-zh");
    await open("add-trunk");
    const trunkPassword = "digest-secret-8841";
    await page.getByTestId("trunk-name").fill("电信中继");
    await page.getByTestId("trunk-host").fill("127.0.0.1");
    await page.getByTestId("trunk-port").fill("5099");
    await page.getByTestId("trunk-username").fill("shop");
    await page.getByTestId("trunk-password").fill(trunkPassword);
    const callerIds = page.locator(".ant-modal .ant-form-item").filter({ hasText: "外显号码" }).locator("input");
    await callerIds.click();
    await page.keyboard.type("+862150001234");
    await page.keyboard.press("Enter");
    await page.getByTestId("trunk-priority").fill("2");
    await page.getByTestId("trunk-weight").fill("5");
    await page.getByTestId("trunk-max-calls").fill("30");
    await page.getByTestId("trunk-register").click();
    await page.getByTestId("trunk-add-target").click();
    await page.getByTestId("trunk-target-name").fill("agent");
    await page.getByTestId("trunk-target-value").fill("+862150009999");
    await page.getByTestId("trunk-submit").click();
    await page.getByText("中继已保存").waitFor();
    await settled();
    const trunkRow = page.getByTestId("trunk-table").locator("tr").filter({ hasText: "电信中继" });
    await trunkRow.waitFor();
    const rowText = await trunkRow.textContent();
    check(rowText.includes("agent") && rowText.includes("2150009999"), "the trunk is listed with its transfer target");
    check(rowText.includes("2150001234"), "the trunk is listed with its caller ID");
    check((await trunkRow.getByTestId("trunk-password-stored").count()) === 1, "the list says a password is stored");
    check(!(await page.content()).includes(trunkPassword), "the password is nowhere on the page");
    const trunks = await call("GET", "/v1/trunks");
    check(trunks.items[0].transfer_targets.agent === "+862150009999" && trunks.items[0].has_password && !JSON.stringify(trunks).includes(trunkPassword),
      "the API has the trunk with its transfer target and a stored password it never returns");
    check(trunks.items[0].priority === 2 && trunks.items[0].weight === 5 && rowText.includes("优先级 2 · 权重 5"), "the trunk keeps its priority and weight, and the list shows them");
    check(trunks.items[0].max_calls === 30 && rowText.includes("最多同时 30 通"), "the trunk keeps its carrier's cap on calls at once, and the list shows it");
    check(trunks.items[0].register === true && (await trunkRow.getByTestId("trunk-registered").count()) === 1,
      "a trunk that registers says so, with where its registration stands");
    // Editing keeps the stored password unless a new one is typed.
    await trunkRow.getByTestId("trunk-edit").click();
    await page.locator(".ant-modal").last().waitFor();
    await settled();
    check((await page.getByTestId("trunk-password").inputValue()) === "", "editing shows no password");
    await page.getByTestId("trunk-submit").click();
    await page.getByText("中继已保存").first().waitFor();
    check((await call("GET", "/v1/trunks")).items[0].has_password, "saving without typing a password keeps the stored one");
    // Check now: the trunk is asked (up or down), or the server says the workers do it.
    await settled();
    await trunkRow.getByTestId("trunk-check").click();
    const notice = await page.locator(".ant-message-notice").filter({ hasText: /中继在|中继没有应答|每 5 分钟/ }).first().textContent();
    check(notice.length > 0, `a check now answers: ${notice}`);
    await shot("s05-trunks-zh");

    // Caller ID health: the trunk's number is in use; resting it by hand
    // shows until when and why, and waking it puts it back.
    await page.getByTestId("tab-caller-ids").click();
    const idRow = page.getByTestId("caller-id-table").locator("tr").filter({ hasText: "2150001234" });
    await idRow.waitFor();
    check((await idRow.textContent()).includes("使用中"), "the trunk's caller ID is listed as in use");
    await idRow.getByTestId("caller-id-rest").click();
    await page.getByTestId("caller-id-hours").fill("48");
    await page.getByTestId("caller-id-reason").fill("客户投诉");
    await page.getByTestId("caller-id-rest-submit").click();
    await page.getByText("号码已休息").waitFor();
    await idRow.getByTestId("caller-id-resting").waitFor();
    check((await idRow.textContent()).includes("客户投诉"), "the resting number shows why");
    const ids = await call("GET", "/v1/caller-ids");
    const rest = ids.items.find((x) => x.number === "+862150001234")?.rest;
    check(rest && !rest.automatic && Math.abs(new Date(rest.until) - Date.now() - 48 * 3600e3) < 600e3, "the API has the rest by hand for 48 hours");
    await shot("s05b-caller-ids-zh");
    await idRow.getByTestId("caller-id-wake").click();
    await page.getByText("号码已恢复使用").waitFor();
    check(!(await call("GET", "/v1/caller-ids")).items.some((x) => x.rest), "waking the number ends its rest");
    await page.getByTestId("tab-trunks").click();

    // Speech: an HTTP synthesis service with a key, keypad-only recognition.
    await page.getByTestId("tab-speech").click();
    await page.getByTestId("speech-save").waitFor();
    await page.waitForFunction(() => !document.querySelector(".ant-card-loading"));
    await page.locator(".ant-card").filter({ hasText: "语音合成" }).getByText("HTTP 服务").click();
    await page.getByTestId("tts-url").fill("https://speech.example.com");
    await page.getByTestId("tts-voice").fill("alloy");
    await page.getByTestId("tts-api-key").fill("sk-tts-e2e-key");
    await page.locator(".ant-card").filter({ hasText: "语音识别" }).getByText("仅按键").click();
    await page.getByTestId("speech-save").click();
    await page.getByText("语音设置已保存").waitFor();
    await page.getByTestId("tts-key-stored").waitFor();
    check((await page.getByTestId("tts-api-key").inputValue()) === "", "the API key is not shown after saving, only that one is stored");
    const speech = await call("GET", "/v1/speech");
    check(speech.tts === "http" && speech.tts_url === "https://speech.example.com" && speech.tts_voice === "alloy" && speech.tts_has_key && speech.asr === "dtmf",
      "the speech settings saved in the portal are what the API returns");
    await shot("s06-speech-zh");
    await page.reload();
    await page.getByTestId("tts-key-stored").waitFor();
    check(true, "the speech tab survives a reload (its address keeps the tab)");

    // SMS: Alibaba Cloud SMS with one template. A template id that is not
    // one (the template's text pasted in its place) is refused at its field;
    // the secret is stored, never shown, and still stored after a reload.
    await page.getByTestId("tab-sms").click();
    await page.getByTestId("sms-save").waitFor();
    await page.waitForFunction(() => !document.querySelector(".ant-card-loading"));
    await page.getByTestId("sms-provider").getByText("阿里云短信").click();
    const smsSecret = "sms-e2e-secret-7734";
    await page.getByTestId("sms-access-key-id").fill("LTAI5tE2eExample");
    await page.getByTestId("sms-secret").fill(smsSecret);
    await page.getByTestId("sms-sign-name").fill("某某商城");
    await page.getByTestId("sms-add-template").click();
    await page.getByTestId("sms-template-name-0").fill("payment_link");
    await page.getByTestId("sms-template-id-0").fill("尊敬的${name},您在某某商城的订单尚未支付,请点击 ${link} 完成支付;如已支付请忽略本短信。".repeat(2));
    const smsParams = page.getByTestId("sms-template-params-0").locator("input");
    for (const p of ["name", "link"]) {
      await smsParams.fill(p);
      await smsParams.press("Enter");
    }
    await page.getByTestId("sms-save").click();
    const templateId = page.locator(".ant-form-item").filter({ has: page.getByTestId("sms-template-id-0") });
    await templateId.locator(".ant-form-item-explain-error").filter({ hasText: "最多 100 个字符" }).waitFor();
    check(!(await call("GET", "/v1/sms/settings")).has_secret, "a template id that is not one is refused at its field, and nothing is saved");
    await page.getByTestId("sms-template-id-0").fill("SMS_276435098");
    await page.getByTestId("sms-save").click();
    await page.getByText("短信设置已保存").waitFor();
    await page.getByTestId("sms-secret-stored").waitFor();
    const sms = await call("GET", "/v1/sms/settings");
    check(
      sms.provider === "aliyun" && sms.access_key_id === "LTAI5tE2eExample" && sms.sign_name === "某某商城" && sms.has_secret &&
        JSON.stringify(sms.templates) === JSON.stringify({ payment_link: { id: "SMS_276435098", params: ["name", "link"] } }) && !JSON.stringify(sms).includes(smsSecret),
      "the SMS settings saved in the portal are what the API returns, the secret stored and never returned",
    );
    await shot("s13-sms-zh");
    await page.reload();
    await page.getByTestId("sms-secret-stored").waitFor();
    check((await page.getByTestId("sms-secret").inputValue()) === "" && !(await page.content()).includes(smsSecret), "after a reload the secret shows as stored, its input empty and nowhere on the page");
    await page.getByTestId("nav-messages").click();
    await page.getByText("还没有跟进短信").waitFor();
    check(true, "the messages screen of a tenant without follow-ups says how messages get there");

    // The review queue of a new tenant is empty and says what fills it.
    await page.getByTestId("nav-review").click();
    await page.getByTestId("review-empty").waitFor();
    check((await page.getByTestId("review-empty").textContent()).includes("敏感词"), "the empty review queue says calls with sensitive words land here");
    await shot("s07-review-empty-zh");

    // A call that says a sensitive word waits for review. The demo tenant
    // that `outcall dev` seeds has a campaign dialling the callee simulator;
    // its greeting mentions 订单 (order), made a sensitive word here.
    const demoKey = /demo key:\s+(oc_\S+)/.exec(serverOutput)?.[1];
    check(!!demoKey, "the dev server printed the demo tenant's key");
    const demo = async (method, path, body) => {
      const r = await fetch(base + path, {
        method,
        headers: { Authorization: `Bearer ${demoKey}`, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      return r.json();
    };
    const { $schema: _, ...rules } = await demo("GET", "/v1/compliance");
    await demo("PUT", "/v1/compliance", { ...rules, sensitive_words: ["订单"] });
    const demoCampaign = (await demo("GET", "/v1/campaigns")).items[0];
    await demo("POST", `/v1/campaigns/${demoCampaign.id}/start`);
    const pending = await waitFor(async () => {
      const r = await demo("GET", "/v1/calls?review=pending");
      return r.items?.length ? r.items : null;
    }, "a call that said a sensitive word to wait for review", 120000, 1000);
    await demo("POST", `/v1/campaigns/${demoCampaign.id}/pause`).catch(() => null);
    check(pending[0].sensitive_hits.some((h) => h.word === "订单"), "the demo campaign's call is in the review queue with the word it said");

    // The demo owner flags it with a note in the portal.
    await page.getByTestId("user-menu").click();
    await page.getByTestId("logout").waitFor();
    await settled();
    await page.getByTestId("logout").click();
    await page.waitForURL(/\/login/);
    await page.getByTestId("login-email").fill("demo@outcall.local");
    await page.getByTestId("login-password").fill("outcall-demo");
    await page.getByTestId("login-submit").click();
    await page.getByTestId("tenant-name").filter({ hasText: "Demo" }).waitFor();
    await page.getByTestId("nav-review").click();
    const reviewRow = page.getByTestId("review-table").locator("tr").filter({ has: page.getByTestId("review-hit").filter({ hasText: "订单" }) }).first();
    await reviewRow.waitFor();
    const link = await reviewRow.getByTestId("review-call-link").getAttribute("href");
    check(/^\/calls\/[0-9a-f-]{36}$/.test(link), "a call in the queue links to its call page");
    await shot("s08-review-pending-zh");
    await reviewRow.getByTestId("review-flag").click();
    await page.locator(".ant-modal").last().waitFor();
    await settled();
    await page.getByTestId("review-note").fill("话术提到订单,已转合规复核");
    await page.getByTestId("review-submit").click();
    await page.getByText("已标记该通话").waitFor();
    const reviewed = await demo("GET", link.replace("/calls/", "/v1/calls/"));
    check(reviewed.review?.status === "flagged" && reviewed.review.note === "话术提到订单,已转合规复核" && reviewed.review.reviewer_user_id,
      "the flag and its note are recorded on the call, with the reviewer");
    await settled();
    await page.getByTestId("review-status").getByText("已标记").click();
    await page.getByTestId("review-table").getByText("话术提到订单,已转合规复核").waitFor();
    check(true, "the flagged call shows under 已标记 with its note");
    await shot("s09-review-flagged-zh");

    // The same screens in English.
    await page.getByTestId("lang-switch").click();
    await page.getByRole("heading", { name: "Review queue" }).waitFor();
    await page.getByTestId("nav-segments").click();
    await page.getByText("Rules in JavaScript").waitFor();
    await shot("s10-segments-en");
    await page.getByTestId("lang-switch").click();

    // Phone numbers: the owner sees them in full, a viewer masked
    // (138****1234), in the review queue, on the calls screen and on the
    // call page.
    const flaggedPhone = reviewed.phone;
    const national = (e164) => (e164.startsWith("+86") ? e164.slice(3) : e164);
    const masked = `${national(flaggedPhone).slice(0, 3)}****${flaggedPhone.slice(-4)}`;
    const phonesShown = async (term) => {
      await page.getByTestId("nav-review").click();
      await page.getByTestId("review-status").getByText("已标记").click();
      await page.getByTestId("review-table").getByText("话术提到订单,已转合规复核").waitFor();
      const queue = (await page.getByTestId("review-table").getByTestId("review-call-link").allTextContents()).map((x) => x.trim());
      await page.getByTestId("nav-calls").click();
      await page.getByTestId("calls-table").locator("tbody tr.ant-table-row").first().waitFor();
      const searched = page.waitForResponse((r) => r.url().includes("/v1/calls?") && r.url().includes(`phone=${encodeURIComponent(term)}`));
      await page.getByTestId("calls-search").locator("input").fill(term);
      await page.getByTestId("calls-search").locator("input").press("Enter");
      await searched;
      const cells = page.getByTestId("calls-table").locator("tbody tr.ant-table-row td:nth-child(2)");
      const list = await waitFor(async () => {
        const all = (await cells.allTextContents()).map((x) => x.trim());
        return all.length && all.every((x) => x.endsWith(flaggedPhone.slice(-4))) && all;
      }, "the calls screen to show the searched number's calls", 15000);
      await page.goto(base + link);
      await page.getByTestId("call-details").waitFor();
      const details = (await page.getByTestId("call-details").locator("code").first().textContent()).trim();
      const title = await page.getByTestId("page-title").textContent();
      return { queue, list, details, title };
    };
    // The owner may search by the number's last digits.
    const ownerSees = await phonesShown(flaggedPhone.slice(-4));
    const full = national(flaggedPhone);
    check(ownerSees.queue.includes(full) && ownerSees.list.every((x) => x === full) && ownerSees.details === full && ownerSees.title.includes(full),
      `the owner sees the number in full in the review queue, the calls list and the call page (${full})`);
    await shot("s11-call-owner-zh");
    const viewer = { email: "viewer@demo.example", password: "the viewer's password" };
    await demo("POST", "/v1/users", { ...viewer, name: "审计员", role: "viewer" });
    await page.getByTestId("user-menu").click();
    await page.getByTestId("logout").waitFor();
    await settled();
    await page.getByTestId("logout").click();
    await page.waitForURL(/\/login/);
    await page.getByTestId("login-email").fill(viewer.email);
    await page.getByTestId("login-password").fill(viewer.password);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("tenant-name").filter({ hasText: "Demo" }).waitFor();
    // A viewer may not search by the last digits (they could uncover the
    // masked ones, a digit at a time), only by a number in full.
    await page.getByTestId("nav-calls").click();
    await page.getByTestId("calls-table").locator("tbody tr.ant-table-row").first().waitFor();
    const refused = page.waitForResponse((r) => r.url().includes("/v1/calls?") && r.url().includes(`phone=${flaggedPhone.slice(-4)}`));
    await page.getByTestId("calls-search").locator("input").fill(flaggedPhone.slice(-4));
    await page.getByTestId("calls-search").locator("input").press("Enter");
    check((await refused).status() === 403, "a viewer's search by the last digits is refused (403)");
    await page.getByTestId("calls-search").locator("input").fill("");
    const viewerSees = await phonesShown(flaggedPhone);
    check(
      viewerSees.queue.length > 0 && viewerSees.queue.every((x) => /^\d{3}\*{4}\d{4}$/.test(x)) && viewerSees.queue.includes(masked),
      `a viewer sees the review queue's numbers masked (${viewerSees.queue.join(", ")})`,
    );
    check(viewerSees.list.every((x) => x === masked), `a viewer sees the calls list's numbers masked (${viewerSees.list.join(", ")})`);
    check(viewerSees.details === masked && viewerSees.title.includes(masked) && !viewerSees.title.includes(full), `a viewer sees the call page's number masked (${viewerSees.details})`);
    await shot("s12-call-viewer-zh");
    log(`passed in ${((Date.now() - started) / 1000).toFixed(1)}s; screenshots in ${shots}`);
  } catch (e) {
    failed = true;
    console.error("E2E FAILED:", e);
    try {
      const p = browser?.pages()[0];
      if (p) await p.screenshot({ path: join(shots, "settings-failure.png"), fullPage: true });
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
