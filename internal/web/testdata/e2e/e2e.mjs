// End-to-end test of the dashboard in a real browser: playwright-core drives
// the system's Chromium (CHROMIUM, the path `command -v chromium` prints)
// against a running `orgiam serve` (BASE). internal/cli/serve_e2e_test.go
// starts the server over a two-run demo store and runs this script with what
// the store holds (E2E_* variables); the script clicks through the pages and
// checks what they show. It exits 1 with the failed check's message.
//
//   BASE=http://127.0.0.1:PORT CHROMIUM=/usr/bin/chromium E2E_ACCOUNT=… node e2e.mjs
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const BASE = env("BASE");
const ACCOUNT = env("E2E_ACCOUNT"); // the account the drift changed
const OU = env("E2E_OU"); // its OU path
const USER = env("E2E_USER"); // the new user's name
const KEY = env("E2E_KEY"); // its access key id
const OUTSIDE = env("E2E_OUTSIDE"); // the account outside the organization
const SHOTS = process.env.E2E_SCREENSHOTS || "";

let checks = 0;
function check(cond, msg) {
  checks++;
  if (!cond) throw new Error("check failed: " + msg);
}
const texts = async (page, sel) => (await page.locator(sel).allInnerTexts()).map((s) => s.trim());
const shot = async (page, name) => {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, name + ".png"), fullPage: false });
};

const profile = mkdtempSync(join(tmpdir(), "orgiam-e2e-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: env("CHROMIUM"),
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 860 },
});
// Nothing but the dashboard: any request elsewhere fails the test.
const foreign = [];
ctx.on("request", (r) => { if (!r.url().startsWith(BASE) && !r.url().startsWith("data:")) foreign.push(r.url()); });
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(15000);

  // 1. The organization tree → the OU → the account.
  let resp = await page.goto(BASE + "/");
  check(resp.status() === 200, "tree: status " + resp.status());
  check((await page.locator("h1").innerText()) === "Organization", "tree: title");
  check((await texts(page, "#org-tree a")).length >= 3, "tree: OU links");
  await shot(page, "tree");
  await page.click(`#org-tree a[href*="ou=${encodeURIComponent(OU)}"]`);
  await page.waitForURL(/ou=/);
  check((await page.locator("#accounts h2").innerText()).includes(OU), "tree: accounts of the OU heading");
  await page.click(`#accounts a[href^="/account/${ACCOUNT}"]`);
  await page.waitForURL(new RegExp("/account/" + ACCOUNT));
  check((await page.locator("h1").innerText()).includes(ACCOUNT), "account: title names the account");
  check((await page.locator("#trusts").innerText()).includes(OUTSIDE), "account: the role trusting the outside account is listed");

  // 2. Filter the account's principals to users, then open the new user.
  await page.selectOption('#principals select[name="kind"]', "user");
  await page.click("#principals button[type=submit]");
  await page.waitForURL(/kind=user/);
  const kinds = await texts(page, "#principals tbody tr td:first-child");
  check(kinds.length > 0 && kinds.every((k) => k === "user"), "account: kind=user shows only users: " + kinds.join(","));
  await page.click(`#principals a:text-is("${USER}")`);
  await page.waitForURL(/\/principal\?/);
  check((await page.locator("h1").innerText()) === "user " + USER, "principal: title");
  const kv = await page.locator("#principal").innerText();
  check(/console password\s+yes/.test(kv) && /MFA\s+none/.test(kv), "principal: console password without MFA: " + kv);
  check((await page.locator("#keys").innerText()).includes(KEY), "principal: the access key");
  check((await page.locator("#findings").innerText()).includes("1.9"), "principal: the MFA finding (CIS 1.9)");
  await shot(page, "principal");

  // 3. → its policy.
  await page.click('#policies a:text-is("AdministratorAccess")');
  await page.waitForURL(/\/policy\?/);
  check((await page.locator("h1").innerText()) === "Policy AdministratorAccess", "policy: title");
  check((await page.locator("#statements").innerText()).includes("(administrator)"), "policy: the admin statement is marked");
  check((await page.locator("#document pre").innerText()).includes('"Action": "*"'), "policy: the document");
  check((await page.locator("#attached").innerText()).includes(USER), "policy: attached to the user");
  await shot(page, "policy");

  // 4. Users and roles, filtered: console password without MFA in the account.
  await page.click('header nav a:text-is("Users & roles")');
  await page.waitForURL(/\/principals/);
  await page.selectOption('#principal-list select[name="filter"]', "console-no-mfa");
  await page.fill('#principal-list input[name="account"]', ACCOUNT);
  await page.click("#principal-list button[type=submit]");
  await page.waitForURL(/filter=console-no-mfa/);
  const names = await texts(page, "#principal-list tbody tr td:nth-child(2)");
  const mfa = await texts(page, "#principal-list tbody tr td:nth-child(6)");
  check(names.includes(USER), "principals: the filter finds the new user: " + names.join(","));
  check(mfa.every((m) => m === "none"), "principals: every row has no MFA: " + mfa.join(","));
  await shot(page, "principals");

  // 5. The drift timeline → the latest run's changes, filtered to high.
  await page.click('header nav a:text-is("Drift")');
  await page.waitForURL(/\/drift/);
  const rows = await texts(page, "#timeline tbody tr");
  check(rows.length === 2, "drift: two runs on the timeline: " + rows.length);
  check(rows[1].includes("not compared"), "drift: the first run was compared with nothing");
  await shot(page, "drift");
  await page.click("#timeline tbody tr:first-child td:first-child a");
  await page.waitForURL(/\/drift\/run/);
  const changes = await page.locator("#changes").innerText();
  check(changes.includes("new external trust of account " + OUTSIDE), "drift: the new external trust");
  check(changes.includes("AdministratorAccess"), "drift: the new administrator");
  check(changes.includes(KEY), "drift: the new access key");
  await page.selectOption('#changes select[name="severity"]', "high");
  await page.click("#changes button[type=submit]");
  await page.waitForURL(/severity=high/);
  const sev = await texts(page, "#changes tbody tr td:first-child");
  check(sev.length >= 3 && sev.every((s) => s === "high"), "drift: severity=high keeps high changes: " + sev.join(","));
  await shot(page, "drift-run");

  // 6. The trust graph, outside the organization only.
  await page.goto(BASE + "/trusts?external=1");
  check(await page.locator("#trust-svg").isVisible(), "trusts: the graph is drawn");
  check((await page.locator("#trust-svg").innerHTML()).includes(OUTSIDE), "trusts: the outside account is a node");
  check((await page.locator("#trust-list").innerText()).includes("vendor-audit"), "trusts: the role is listed");
  await shot(page, "trusts");

  // 7. A page that does not exist.
  resp = await page.goto(BASE + "/no/such/page");
  check(resp.status() === 404, "404: status " + resp.status());
  check((await page.locator("#error").innerText()).includes("There is no page"), "404: the message");

  check(foreign.length === 0, "requests outside the dashboard: " + foreign.join(", "));
  console.log(JSON.stringify({ ok: true, checks }));
} catch (e) {
  console.error(e.message);
  process.exitCode = 1;
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
