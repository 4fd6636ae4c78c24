// Times one HTML report in headless Chromium (bench/reporthtml runs it):
// FILE (the report), KIND (findings or users), N (repetitions), CHROMIUM,
// PLAYWRIGHT (the playwright-core package folder). Each action is
// dispatched inside the page and timed from the dispatch to the next frame
// (a requestAnimationFrame callback, then a task). Prints a JSON array of
// {action, kind, rows_shown, n, median_ms, max_ms, samples_ms}.
//
// A page without orgiam's controls (an older report: a plain sortable
// table) gets the actions it has: first render and header clicks.
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { pathToFileURL } from "node:url";

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`${k} is not set`); return v; };
const require = createRequire(join(dirname(env("PLAYWRIGHT")), "..", "package.json"));
const { chromium } = require("playwright-core");
const FILE = env("FILE"), KIND = env("KIND"), N = +env("N");

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const med = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median_ms: +med.toFixed(1), max_ms: +s[s.length - 1].toFixed(1), samples_ms: xs.map((x) => +x.toFixed(1)) };
};
const out = [];
const profile = mkdtempSync(join(tmpdir(), "orgiam-bench-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: env("CHROMIUM"), headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1400, height: 900 },
});
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(600000);
  // The helper every timed action goes through.
  await page.addInitScript(() => {
    window.__timed = (fn) => new Promise((resolve) => {
      const t0 = performance.now();
      fn();
      requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
    });
  });
  const renders = [];
  for (let i = 0; i < Math.min(N, 5); i++) {
    await page.goto(pathToFileURL(FILE).href, { waitUntil: "load", timeout: 600000 });
    renders.push(await page.evaluate(() => performance.getEntriesByType("navigation")[0].loadEventEnd));
  }
  const modern = await page.evaluate(() => !!window.orgiamReport);
  const total = modern ? await page.evaluate(() => window.orgiamReport.total) : await page.evaluate(() => document.querySelectorAll("table.sortable")[1].tBodies[0].rows.length);
  out.push({ action: "first render (load)", kind: "render", rows_shown: String(total), n: renders.length, ...stats(renders) });
  const shown = () => (modern ? page.evaluate(() => String(window.orgiamReport.rows())) : Promise.resolve(String(total)));

  // Sorts: header clicks, alternating over a few columns so that each click is a new order.
  const sortCols = KIND === "findings" ? ["severity", "principal", "check", "account", "evidence"] : ["user", "last activity", "key 1 age", "account", "MFA"];
  const oldCols = KIND === "findings" ? ["severity", "principal", "check_id", "account_id"] : ["user_name", "last_activity", "key1_age_days", "account_id"];
  const clickHeader = (label) => page.evaluate((label) => window.__timed(() => {
    const sel = document.querySelector("#rows thead") ? "#rows thead th" : "table.sortable:last-of-type thead th";
    const th = [...document.querySelectorAll(sel)].find((t) => t.textContent === label);
    if (!th) throw new Error("no header " + label);
    th.click();
  }), label);
  const cols = modern ? sortCols : oldCols;
  const reps = modern ? N : Math.min(N, 3);
  for (const c of cols) {
    const first = [], again = [];
    for (let i = 0; i < reps; i++) {
      const t = await clickHeader(c);
      (i === 0 ? first : again).push(t);
    }
    out.push({ action: `sort by ${c} (header click${modern ? ", each direction" : ""})`, kind: "sort", rows_shown: await shown(), n: reps, ...stats(first.concat(again)) });
  }
  if (modern) {
    // Facet filters: pick a value, then back to all, N times each.
    const facetRuns = KIND === "findings" ? [["severity", "=high"], ["check", "=1.13"], ["status", "=FAIL"], ["OU", null]] : [["flags", "=admin"], ["MFA", "=none"], ["console", "=true"], ["OU", null]];
    for (const [label, value] of facetRuns) {
      const xs = [];
      let rowsShown = "";
      for (let i = 0; i < N; i++) {
        const t = await page.evaluate(([label, value]) => window.__timed(() => {
          const lab = [...document.querySelectorAll("#facets label")].find((l) => l.firstChild.textContent.trim() === label);
          const sel = lab.querySelector("select");
          sel.value = value || sel.options[1].value;
          sel.dispatchEvent(new Event("change"));
        }), [label, value]);
        xs.push(t);
        rowsShown = await shown();
        await page.evaluate((label) => {
          const lab = [...document.querySelectorAll("#facets label")].find((l) => l.firstChild.textContent.trim() === label);
          const sel = lab.querySelector("select"); sel.value = ""; sel.dispatchEvent(new Event("change"));
        }, label);
      }
      out.push({ action: `filter ${label} = ${value ? value.slice(1) : "first value"}`, kind: "filter", rows_shown: rowsShown, n: N, ...stats(xs) });
    }
    // Account: the large facet (an input with a list).
    {
      const xs = [];
      let rowsShown = "";
      for (let i = 0; i < N; i++) {
        xs.push(await page.evaluate((i) => window.__timed(() => {
          const inp = document.querySelector("#facets input[list]");
          const opts = document.getElementById(inp.getAttribute("list")).options;
          inp.value = opts[(i * 37) % opts.length].value;
          inp.dispatchEvent(new Event("change"));
        }), i));
        rowsShown = await shown();
        await page.evaluate(() => { const inp = document.querySelector("#facets input[list]"); inp.value = ""; inp.dispatchEvent(new Event("change")); });
      }
      out.push({ action: "filter account = one of the accounts", kind: "filter", rows_shown: rowsShown, n: N, ...stats(xs) });
    }
    // Search: a word typed at once (one input event), then cleared.
    for (const q of KIND === "findings" ? ["rotated", "payments-prod", "arn:aws:iam::1000"] : ["svc", "ann.deploy", "team=audit"]) {
      const xs = [];
      let rowsShown = "";
      for (let i = 0; i < N; i++) {
        xs.push(await page.evaluate((q) => window.__timed(() => { const e = document.getElementById("q"); e.value = q; e.dispatchEvent(new Event("input")); }), q));
        rowsShown = await shown();
        await page.evaluate(() => { const e = document.getElementById("q"); e.value = ""; e.dispatchEvent(new Event("input")); });
      }
      out.push({ action: `search "${q}"`, kind: "filter", rows_shown: rowsShown, n: N, ...stats(xs) });
    }
    // Sort while filtered, next page, a row's details.
    {
      await page.evaluate(() => { const e = document.getElementById("q"); e.value = "a"; e.dispatchEvent(new Event("input")); });
      const xs = [];
      for (let i = 0; i < N; i++) xs.push(await clickHeader(sortCols[i % 2]));
      out.push({ action: `sort by ${sortCols[0]} / ${sortCols[1]} while searching "a"`, kind: "sort", rows_shown: await shown(), n: N, ...stats(xs) });
      await page.evaluate(() => { const e = document.getElementById("q"); e.value = ""; e.dispatchEvent(new Event("input")); });
    }
    {
      const xs = [];
      for (let i = 0; i < N; i++) xs.push(await page.evaluate(() => window.__timed(() => document.getElementById("next").click())));
      out.push({ action: "next page", kind: "other", rows_shown: await shown(), n: N, ...stats(xs) });
      const ys = [];
      for (let i = 0; i < N; i++) ys.push(await page.evaluate((i) => window.__timed(() => document.querySelectorAll("#rows tbody tr.r")[i % 50].click()), i));
      out.push({ action: "open or close a row's details", kind: "other", rows_shown: await shown(), n: N, ...stats(ys) });
    }
  }
  // A control, outside orgiam's script: a bare page whose button redraws a
  // table of 50 rows of 17 short cells, timed the same way. It is the floor
  // this machine (and its load at the time) puts under any one page of rows.
  {
    await page.setContent(`<!DOCTYPE html><div style="overflow:auto;max-height:78vh"><table style="table-layout:fixed;width:150em"><tbody></tbody></table></div><button id="redraw">r</button>`);
    await page.evaluate(() => {
      let k = 0;
      const redraw = () => {
        const tb = document.querySelector("tbody"), f = document.createDocumentFragment();
        for (let i = 0; i < 50; i++) {
          const tr = document.createElement("tr");
          for (let j = 0; j < 17; j++) { const td = document.createElement("td"); td.textContent = "cell " + k++ + " value"; tr.appendChild(td); }
          f.appendChild(tr);
        }
        tb.textContent = ""; tb.appendChild(f);
      };
      redraw();
      document.getElementById("redraw").onclick = redraw;
    });
    const xs = [];
    for (let i = 0; i < N; i++) xs.push(await page.evaluate(() => window.__timed(() => document.getElementById("redraw").click())));
    out.push({ action: "control: a bare 50-row table redrawn (no report)", kind: "control", rows_shown: "50", n: N, ...stats(xs) });
  }
  console.log(JSON.stringify(out));
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
