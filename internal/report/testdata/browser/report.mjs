// The HTML reports in a real browser: playwright-core drives the system's
// Chromium (CHROMIUM) over findings.html and users.html in DIR, which
// internal/report/html_browser_test.go wrote from rows it knows (EXPECT, a
// JSON object of what the pages must show). The script checks the summary,
// the search box, a facet filter, the severity order, the links between the
// two reports and that an injected principal name stays text, then prints
// {"ok": true, "checks": N}. It exits 1 with the failed check's message.
//
// playwright-core is the dashboard test's (internal/web/testdata/e2e, PLAYWRIGHT):
// one copy of the package serves both browser tests.
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const require = createRequire(join(env("PLAYWRIGHT"), "package.json"));
const { chromium } = require("playwright-core");
const DIR = env("DIR");
const X = JSON.parse(env("EXPECT"));
const url = (name) => pathToFileURL(join(DIR, name)).href;

let checks = 0;
function check(cond, msg) {
  checks++;
  if (!cond) throw new Error("check failed: " + msg);
}
const RANK = { critical: 5, high: 4, medium: 3, low: 2, informational: 1 };
const colOf = async (page, label) => page.evaluate((label) => {
  const ths = [...document.querySelectorAll("#rows thead th")];
  return ths.findIndex((th) => th.textContent === label);
}, label);
const column = async (page, label) => {
  const i = await colOf(page, label);
  if (i < 0) throw new Error("no column " + label);
  return page.evaluate((i) => [...document.querySelectorAll("#rows tbody tr.r")].map((tr) => tr.cells[i].textContent), i);
};
const shownRows = (page) => page.evaluate(() => window.orgiamReport.rows());

const profile = mkdtempSync(join(tmpdir(), "orgiam-report-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: env("CHROMIUM"),
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1400, height: 900 },
});
// One self-contained file: any request that is not the file itself fails the test.
const foreign = [];
ctx.on("request", (r) => { if (!r.url().startsWith("file:")) foreign.push(r.url()); });
const errors = [];
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.on("pageerror", (e) => errors.push(String(e)));
  page.setDefaultTimeout(15000);
  await page.addInitScript(() => { window.__pwned = 0; });

  // ---- findings.html: header and summary.
  await page.goto(url("findings.html"));
  await page.waitForSelector("body[data-ready='1']");
  check((await page.locator("#snapshot").innerText()) === X.run, "findings: snapshot shown");
  check((await page.locator("#meta time").getAttribute("datetime")) === X.generatedAt, "findings: generated-at from the run's clock");
  check((await page.locator("#version").innerText()).length > 0, "findings: tool version shown");
  // The Content-Security-Policy lets report.js run and nothing else.
  const csp = await page.locator("meta[http-equiv='Content-Security-Policy']").getAttribute("content");
  check(/default-src 'none'/.test(csp) && /script-src 'sha256-[A-Za-z0-9+/=]+'/.test(csp) && !/unsafe-inline[^;]*;?\s*$/.test(csp.split("script-src")[1].split(";")[0]), "findings: a CSP with default-src 'none' and report.js by hash: " + csp);
  const blocked = await page.evaluate(() => new Promise((resolve) => {
    document.addEventListener("securitypolicyviolation", () => resolve(window.__pwned === 0), { once: true });
    const s = document.createElement("script"); s.textContent = "window.__pwned = 2"; document.body.appendChild(s);
    setTimeout(() => resolve("no violation"), 2000);
  }));
  check(blocked === true, "findings: an inline script added to the page is blocked by the CSP (" + blocked + ")");
  const unread = await page.evaluate(() => [...document.querySelectorAll("#unread tbody tr")].map((tr) => [...tr.cells].map((c) => c.textContent)));
  check(unread.length === 1 && unread[0][0] === X.unread && unread[0][4] === X.unreadError && (await page.locator("#unread").isVisible()), "findings: the account not read is listed above the summary: " + JSON.stringify(unread));
  const firstH2 = await page.locator("h2").first().innerText();
  check(firstH2 === "Summary", "findings: the summary comes first, not the table (" + firstH2 + ")");
  for (const [sev, n] of Object.entries(X.severity)) {
    const card = page.locator("#totals .card", { hasText: sev }).first();
    check((await card.locator("b").innerText()).replace(/,/g, "") === String(n), `findings: ${sev} total ${n}`);
  }
  const byCheck = await page.evaluate(() => [...document.querySelectorAll("#by-check tbody tr")].map((tr) => [...tr.cells].map((c) => c.textContent)));
  check(byCheck.length === X.checks.length, `findings: ${X.checks.length} checks in the roll-up, saw ${byCheck.length}`);
  for (const c of X.checks) {
    const row = byCheck.find((r) => r[0] === c.check);
    check(row && row[3] === String(c.findings) && row[4] === String(c.principals) && row[5] === String(c.accounts),
      `findings: roll-up of ${c.check} is ${JSON.stringify(c)}, saw ${JSON.stringify(row)}`);
  }
  const ranks = byCheck.map((r) => RANK[r[2]]);
  check(ranks.every((r, i) => i === 0 || ranks[i - 1] >= r), "findings: roll-up most severe first");
  check((await page.locator("#charts svg").count()) === 2 && (await page.locator("#charts svg rect").count()) >= X.checks.length, "findings: the SVG charts by severity and check");
  check((await page.locator("#worst-accounts tbody tr").first().locator("td").first().innerText()) === X.worstAccount, "findings: worst account first");
  check((await page.locator("#worst-ous tbody tr").count()) === X.ous, "findings: worst OUs listed");

  // ---- the table: one page, severity sorted by rank (default: most severe first).
  check(await shownRows(page) === X.findings, "findings: every row counted");
  check((await page.locator("#rows tbody tr.r").count()) === Math.min(50, X.findings), "findings: one page of rows in the DOM");
  let sev = (await column(page, "severity")).map((s) => RANK[s]);
  check(sev[0] === 4 && sev.every((r, i) => i === 0 || sev[i - 1] >= r), "findings: default order high > medium > low");
  await page.click("#rows thead th:text-is('severity')");
  sev = (await column(page, "severity")).map((s) => RANK[s]);
  check(sev[0] === 2 && sev.every((r, i) => i === 0 || sev[i - 1] <= r), "findings: severity ascending puts low first (by rank, not alphabet)");
  check((await page.locator("#rows thead th:text-is('severity')").getAttribute("aria-sort")) === "ascending", "findings: the sorted header says so");
  await page.click("#rows thead th:text-is('severity')");
  sev = (await column(page, "severity")).map((s) => RANK[s]);
  check(sev[0] === 4, "findings: severity descending again");
  // Every shown column sorts by its kind, both ways, over all the rows (not
  // only the page): text by lower case, check ids by their numbers,
  // severity by rank; empty cells last either way.
  const kinds = { severity: "sev", check: "ver" };
  const sortedBy = (vals, kind, dir) => {
    const key = (v) => kind === "sev" ? [RANK[v] || 0, ""] : kind === "num" ? (isNaN(parseFloat(v)) ? [Infinity, v.toLowerCase()] : [parseFloat(v), ""])
      : kind === "ver" ? [0, v.toLowerCase().replace(/\d+/g, (d) => d.padStart(10, "0"))] : [0, v.toLowerCase()];
    for (let i = 1; i < vals.length; i++) {
      const a = vals[i - 1], b = vals[i];
      if (b === "") continue;
      if (a === "") return `empty before ${JSON.stringify(b)} at ${i}`;
      const x = key(a), y = key(b), c = x[0] !== y[0] ? (x[0] < y[0] ? -1 : 1) : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0;
      if (c * dir > 0) return `${JSON.stringify(a)} before ${JSON.stringify(b)} at ${i}`;
    }
    return "";
  };
  for (const label of ["principal", "check", "account", "evidence", "severity"]) {
    const name = await page.evaluate((l) => [...document.querySelectorAll("#rows thead th")].find((th) => th.textContent === l).getAttribute("data-col"), label);
    for (let k = 0; k < 2; k++) {
      await page.click(`#rows thead th:text-is('${label}')`);
      const dir = (await page.locator(`#rows thead th:text-is('${label}')`).getAttribute("aria-sort")) === "ascending" ? 1 : -1;
      const vals = await page.evaluate((ci) => { const c = JSON.parse(document.getElementById("orgiam-meta").textContent).columns[ci]; return window.orgiamReport.values(c.name); }, +name);
      check(vals.length === X.findings, `findings: sort by ${label} keeps every row`);
      const bad = sortedBy(vals, kinds[label] || "", dir);
      check(bad === "", `findings: sort by ${label} ${dir > 0 ? "ascending" : "descending"}: ${bad}`);
    }
  }
  // Two search terms: rows with both.
  await page.fill("#q", X.searchUser + " 1.13");
  check(await shownRows(page) === X.userKeyFindings, `findings: search "${X.searchUser} 1.13" finds ${X.userKeyFindings}`);
  await page.fill("#q", "");
  // low is coloured.
  await page.locator("#facets label", { hasText: /^severity/ }).locator("select").selectOption("=low");
  check(await shownRows(page) === X.severity.low, `findings: facet severity=low shows ${X.severity.low} rows`);
  const lowCells = await column(page, "severity");
  check(lowCells.length > 0 && lowCells.every((s) => s === "low"), "findings: only low rows under the low facet");
  const lowBg = await page.locator("#rows tbody .s-low").first().evaluate((e) => getComputedStyle(e).backgroundColor);
  check(lowBg !== "rgba(0, 0, 0, 0)" && lowBg !== "rgb(255, 255, 255)", "findings: low is coloured (" + lowBg + ")");
  await page.locator("#facets label", { hasText: /^severity/ }).locator("select").selectOption("");
  check(await shownRows(page) === X.findings, "findings: facet cleared");

  // Search.
  await page.fill("#q", X.searchUser);
  check(await shownRows(page) === X.userFindings, `findings: search ${X.searchUser} finds ${X.userFindings}`);
  const principals = await column(page, "principal");
  check(principals.every((p) => p === X.userArn), "findings: every searched row is that user's");
  await page.fill("#q", "");

  // Frozen identity columns: the account and principal cells stay at the left edge when the table scrolls.
  await page.evaluate(() => { document.getElementById("wrap").scrollLeft = 2000; });
  const stuck = await page.evaluate(() => {
    const wrap = document.getElementById("wrap").getBoundingClientRect();
    const td = document.querySelector("#rows tbody tr.r td:nth-child(2)");
    return Math.abs(td.getBoundingClientRect().left - wrap.left) < 60 && getComputedStyle(td).position === "sticky";
  });
  check(stuck, "findings: the account column is frozen");
  await page.evaluate(() => { document.getElementById("wrap").scrollLeft = 0; });

  // One line per row; details on demand.
  const heights = await page.evaluate(() => [...document.querySelectorAll("#rows tbody tr.r")].slice(0, 20).map((tr) => tr.getBoundingClientRect().height));
  check(Math.max(...heights) < 2 * Math.min(...heights) && Math.max(...heights) < 40, "findings: rows are one line (" + heights.slice(0, 3) + ")");
  await page.locator("#rows tbody tr.r").first().click();
  check((await page.locator("#rows tbody tr.detail dl").count()) === 1, "findings: a click opens the row's details");
  check((await page.locator("#rows tbody tr.detail dd").count()) >= 9, "findings: details list every column");

  // The injected name: text, not markup.
  await page.fill("#q", "onerror");
  check(await shownRows(page) === X.evilFindings, "findings: the injected principal's rows are found");
  const evilCell = (await column(page, "principal"))[0];
  check(evilCell === X.evilArn, "findings: the injected principal name is shown as text: " + evilCell);
  check((await page.locator("img").count()) === 0, "findings: no <img> element made from data");
  check(await page.evaluate(() => window.__pwned) === 0, "findings: the injected onerror never ran");
  await page.fill("#q", "");

  // From a finding to its user.
  await page.fill("#q", X.searchUser);
  await page.locator("#rows tbody a", { hasText: X.userArn }).first().click();
  await page.waitForURL(/users\.html#user=/);
  await page.waitForSelector("body[data-ready='1']");
  check(await shownRows(page) === 1, "users: the link from a finding shows that one user");
  check((await page.locator("#rows tbody tr.detail").count()) === 1, "users: with its details open");
  check((await column(page, "user"))[0] === X.searchUser, "users: the linked user");

  // ---- users.html: summary, highlights, the link to the user's findings.
  await page.goto(url("users.html"));
  await page.waitForSelector("body[data-ready='1']");
  check((await page.locator("h2").first().innerText()) === "Summary", "users: the summary comes first");
  check((await page.locator("#totals .card", { hasText: "administrators" }).first().locator("b").innerText()) === String(X.admins), "users: administrators counted");
  check((await page.locator("#totals .card", { hasText: "console without MFA" }).first().locator("b").innerText()) === String(X.noMFA), "users: console without MFA counted");
  check((await page.locator("#totals .card", { hasText: "stale" }).first().locator("b").innerText()) === String(X.stale), "users: stale counted");
  check((await page.locator("svg.chart rect").count()) === 4, "users: the SVG chart of flags");
  check(await shownRows(page) === X.users, "users: every row counted");
  await page.fill("#q", X.searchUser);
  const tr = page.locator("#rows tbody tr.r").first();
  const cls = await tr.getAttribute("class");
  check(/flag-admin/.test(cls) && /flag-no-mfa/.test(cls), "users: admin and no-MFA highlighted on the row: " + cls);
  check((await tr.locator(".f-admin").count()) === 1 && (await tr.locator(".f-no-mfa").count()) === 1, "users: admin and no-MFA badges");
  const adminBg = await tr.locator(".f-admin").evaluate((e) => getComputedStyle(e).backgroundColor);
  check(adminBg !== "rgba(0, 0, 0, 0)", "users: the admin badge is coloured");
  await page.fill("#q", "");
  // Dates newest first by default, then oldest first; numbers by value.
  for (const [label, name, kind] of [["last activity", "last_activity", ""], ["key 1 age", "key1_age_days", "num"], ["user", "user_name", ""]]) {
    for (let k = 0; k < 2; k++) {
      await page.click(`#rows thead th:text-is('${label}')`);
      const dir = (await page.locator(`#rows thead th:text-is('${label}')`).getAttribute("aria-sort")) === "ascending" ? 1 : -1;
      if (k === 0 && label !== "user") check(dir === -1, `users: ${label} sorts largest first at the first click`);
      const vals = await page.evaluate((n) => window.orgiamReport.values(n), name);
      const bad = sortedBy(vals, kind, dir);
      check(vals.length === X.users && bad === "", `users: sort by ${label} ${dir > 0 ? "ascending" : "descending"}: ${bad}`);
    }
  }
  await page.locator("#facets label", { hasText: /^flags/ }).locator("select").selectOption("=stale");
  check(await shownRows(page) === X.stale, "users: facet flags=stale");
  await page.locator("#facets label", { hasText: /^flags/ }).locator("select").selectOption("");
  await page.fill("#q", X.evilName.slice(0, 12));
  check((await column(page, "user"))[0] === X.evilName, "users: the injected user name is shown as text");
  check((await page.locator("img").count()) === 0 && (await page.evaluate(() => window.__pwned)) === 0, "users: nothing of it ran");
  await page.fill("#q", X.searchUser);
  await page.locator("#rows tbody tr.r").first().click();
  await page.locator("#rows tbody a.to-findings").click();
  await page.waitForURL(/findings\.html\?principal=/);
  await page.waitForSelector("body[data-ready='1']");
  check(await shownRows(page) === X.userFindings, `findings: the link from a user shows their ${X.userFindings} findings`);
  check((await column(page, "principal")).every((p) => p === X.userArn), "findings: only that user's");
  check((await page.locator("#chips .chip").innerText()).includes(X.userArn), "findings: the principal filter is shown");
  await page.locator("#chips .chip button").click();
  check(await shownRows(page) === X.findings, "findings: the principal filter removed");

  check(foreign.length === 0, "no request other than the file: " + foreign.join(", "));
  check(errors.length === 0, "no script errors: " + errors.join("; "));
  console.log(JSON.stringify({ ok: true, checks }));
} catch (e) {
  console.error(e.stack || String(e));
  process.exitCode = 1;
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
