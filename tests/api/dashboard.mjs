// Drives the dashboard in headless Chromium for tests/api/dashboard.rs, through playwright-core
// (installed by tests/run.sh into target/tools; it brings no browser: Debian's chromium is used).
//
// One JSON command per line on stdin, one JSON answer per line on stdout ({"ok": value} or
// {"error": text}); the Rust test makes every assertion. Pages are named ("main", "other", …) and
// share one browser context (cookies and localStorage are per context, sessionStorage per tab).
// Environment: PLAYWRIGHT_CORE (the package's directory), CHROMIUM (the executable);
// DASHBOARD_TRACE=1 prints each command on stderr.
//
// Commands: {"op":"open","page","url"} · {"op":"wait","page","js","timeout_ms"} (until the function
// body `js` returns a truthy value) · {"op":"eval","page","js"} (the function body's value) ·
// {"op":"fill","page","selector","text"} · {"op":"press","page","selector","key"} ·
// {"op":"click","page","selector"} · {"op":"cookies"} · {"op":"snapshot","page"} (what the
// dashboard shows, read from its DOM) · {"op":"page_errors"} (uncaught script errors so far) ·
// {"op":"screenshot","page","path"} · {"op":"close"}.

import { createRequire } from "node:module";
import readline from "node:readline";

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  // Playwright adds --headless and a fresh temporary --user-data-dir of its own.
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
  ],
});
// Chromium gone mid-test (crashed, killed): say so and end, so the test fails instead of waiting.
let closing = false;
browser.on("disconnected", () => {
  if (closing) return;
  process.stderr.write("dashboard.mjs: chromium exited unexpectedly\n");
  process.exit(3);
});
// Closes the browser; Chromium is gone by then, but the promise can stay pending on this machine, so
// it gets five seconds before the driver goes on (and exits).
async function shutdown() {
  if (closing) return;
  closing = true;
  await Promise.race([browser.close().catch(() => {}), new Promise((done) => setTimeout(done, 5000))]);
}
const context = await browser.newContext({ viewport: { width: 1280, height: 1500 } });
const pages = new Map();
const pageErrors = [];

function page(name) {
  const p = pages.get(name);
  if (!p) throw new Error(`no page named ${name}: open it first`);
  return p;
}

// What the dashboard shows, from its DOM only.
function snapshot() {
  const $ = (id) => document.getElementById(id);
  const texts = (root, sel) => [...root.querySelectorAll(sel)].map((e) => e.textContent);
  const kv = (id) => {
    const cells = texts($(id), ":scope > div");
    const out = {};
    for (let i = 0; i + 1 < cells.length; i += 2) out[cells[i]] = cells[i + 1];
    return out;
  };
  const bars = (id) => [...$(id).querySelectorAll(".row")].map((r) => ({
    label: r.querySelector(".label").textContent,
    n: Number(r.querySelector(".n").textContent),
    width: r.querySelector(".fill").style.width,
  }));
  return {
    loaded: document.body.dataset.loaded === "true",
    problem: $("problem").textContent,
    keybox: getComputedStyle($("keybox")).display !== "none",
    keyproblem: $("keyproblem").textContent,
    run_id: $("run-id").textContent,
    shown: document.body.dataset.shown || null,
    feed_run: $("feed").dataset.run || null,
    run: kv("run"),
    status: kv("status"),
    timeline: [...$("timeline").children].map((s) => ({ phase: s.dataset.phase, class: s.className, label: s.textContent })),
    scenarios: [...$("scenarios").children].map((tr) => ({
      name: tr.dataset.scenario,
      cells: texts(tr, "td"),
    })),
    by_scenario: bars("by-scenario"),
    by_type: bars("by-type"),
    type_note: $("type-note").textContent,
    cleanup: kv("cleanup"),
    runs: [...$("runs").children].map((tr) => ({ id: tr.dataset.run, cells: texts(tr, "td"), selected: tr.classList.contains("sel") })),
    feed_state: $("feed-state").dataset.state,
    feed_state_text: $("feed-state").textContent,
    feed: [...$("feed").children].map((e) => ({ id: e.dataset.id, type: e.dataset.type, text: e.textContent })),
  };
}

async function run(cmd) {
  switch (cmd.op) {
    case "open": {
      let p = pages.get(cmd.page);
      if (!p) {
        p = await context.newPage();
        p.on("pageerror", (e) => pageErrors.push(`${cmd.page}: ${e.message}`));
        pages.set(cmd.page, p);
      }
      await p.goto(cmd.url);
      return null;
    }
    case "wait":
      await page(cmd.page).waitForFunction(new Function(cmd.js), null, { timeout: cmd.timeout_ms ?? 60000, polling: 200 });
      return null;
    case "eval":
      return await page(cmd.page).evaluate(new Function(cmd.js));
    case "fill":
      await page(cmd.page).fill(cmd.selector, cmd.text);
      return null;
    case "press":
      await page(cmd.page).press(cmd.selector, cmd.key);
      return null;
    case "click":
      await page(cmd.page).click(cmd.selector);
      return null;
    case "cookies":
      return await context.cookies();
    case "snapshot":
      return await page(cmd.page).evaluate(snapshot);
    case "page_errors":
      return pageErrors;
    case "screenshot":
      await page(cmd.page).screenshot({ path: cmd.path, fullPage: true });
      return cmd.path;
    case "close":
      await shutdown();
      return null;
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    const cmd = JSON.parse(line);
    if (process.env.DASHBOARD_TRACE) process.stderr.write(`dashboard.mjs: ${cmd.op} ${cmd.page || ""}\n`);
    answer = { ok: (await run(cmd)) ?? null };
    if (cmd.op === "close") { process.stdout.write(JSON.stringify(answer) + "\n"); break; }
  } catch (e) {
    answer = { error: String(e && e.stack || e) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
await shutdown();
process.exit(0);
