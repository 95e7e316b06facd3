// A shop user in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) who keeps working through failures: logs in once through
// the web VIP, then adds two items and deletes the oldest one, again and
// again, in one browser context (one session cookie) all along, until the
// file STOP exists (or MAX_SECONDS pass). A failed step (refused or reset
// connection, timeout, an error page) is retried as a user would: reload
// the cart, see whether the last add or delete took, do it again if not.
//
// Usage: node browser.js BASE_URL EMAIL PASSWORD STOP MAX_SECONDS OUTDIR
// Writes in OUTDIR: requests.log (one line per HTTP exchange the browser
// made: epoch seconds, 1|0 for answered below 500 or not, status or error),
// actions.log (start end kind name attempts ok), acked_adds, acked_deletes
// (the items the page showed added, then gone) and summary.json (counts,
// relogins, the items the last cart page listed). Exit 0 when it ran.
"use strict";
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const [base, email, password, stopFile, maxSeconds, out] = process.argv.slice(2);
const STEP_TIMEOUT = 8000; // one navigation or delete call
const ACTION_BUDGET = 60000; // retries of one action stop after this
const now = () => (Date.now() / 1000).toFixed(3);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const open = (name) => fs.openSync(path.join(out, name), "w");
const reqLog = open("requests.log");
const actLog = open("actions.log");
const ackAdd = open("acked_adds");
const ackDel = open("acked_deletes");

let relogins = 0;

// the cart page, loaded afresh; throws unless the shop answered it
async function cart(page) {
  const rsp = await page.goto(base + "/carrinho/", { timeout: STEP_TIMEOUT });
  if (!rsp || rsp.status() !== 200) throw new Error("cart: status " + (rsp && rsp.status()));
  if (await page.$("#login-form")) return null; // the session is gone
  if (!(await page.$("#items"))) throw new Error("cart: not the cart page");
  return page;
}

async function login(page) {
  await page.goto(base + "/login", { timeout: STEP_TIMEOUT });
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL("**/carrinho/", { timeout: STEP_TIMEOUT }), page.click("#submit")]);
}

// the names in the cart's first column, as the page shows them
async function listed(page) {
  return page.$$eval("#items tr[data-id] td:first-child", (tds) => tds.map((t) => t.textContent));
}

// one attempt of an action: true when the page shows it done
async function addOnce(page, name) {
  if ((await cart(page)) === null) return null;
  if ((await listed(page)).includes(name)) return true; // an earlier attempt took
  await page.fill("#product_type", name);
  await page.fill("#quantity", "1");
  await page.fill("#local", "lab");
  const [rsp] = await Promise.all([
    page.waitForNavigation({ timeout: STEP_TIMEOUT }),
    page.click("#submit"),
  ]);
  if (!rsp || rsp.status() !== 200) throw new Error("add: status " + (rsp && rsp.status()));
  return (await listed(page)).includes(name);
}

async function deleteOnce(page, name) {
  if ((await cart(page)) === null) return null;
  const ids = await page.$$eval("#items tr[data-id]", (trs, n) =>
    trs.filter((tr) => tr.cells[0].textContent === n).map((tr) => tr.dataset.id), name);
  if (ids.length === 0) return true; // gone: an earlier attempt took
  // every row of that name (a retried add can have stored it twice)
  const call = (r) => r.url().endsWith("/apagar_artigo");
  for (const id of ids) {
    // the page's fetch either gets an answer or fails: wait for the first
    const answered = page.waitForResponse(call, { timeout: STEP_TIMEOUT });
    const failed = page.waitForEvent("requestfailed", { predicate: call, timeout: STEP_TIMEOUT });
    answered.catch(() => {});
    failed.catch(() => {});
    await page.click(`button.delete[data-id="${id}"]`, { timeout: STEP_TIMEOUT });
    const rsp = await Promise.race([answered, failed.then(() => null)]);
    if (!rsp) throw new Error("delete: the call failed");
    if (rsp.status() !== 200 && rsp.status() !== 404) throw new Error("delete: status " + rsp.status());
  }
  // what the shop has now, not what the page's script removed
  if ((await cart(page)) === null) return null;
  return !(await listed(page)).includes(name);
}

async function act(page, kind, name) {
  const t0 = now();
  const deadline = Date.now() + ACTION_BUDGET;
  let attempts = 0;
  let done = false;
  while (!done && Date.now() < deadline) {
    attempts++;
    try {
      const r = await (kind === "add" ? addOnce : deleteOnce)(page, name);
      if (r === null) {
        relogins++; // a user would have had to log in again
        await login(page);
        continue;
      }
      done = r;
    } catch (e) {
      await sleep(250);
    }
  }
  fs.writeSync(actLog, `${t0} ${now()} ${kind} ${name} ${attempts} ${done ? 1 : 0}\n`);
  if (done) fs.writeSync(kind === "add" ? ackAdd : ackDel, name + "\n");
  return done;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    // root in a namespace: no sandbox; no proxy from the environment
    args: ["--no-sandbox", "--no-proxy-server", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("response", (r) => fs.writeSync(reqLog, `${now()} ${r.status() < 500 ? 1 : 0} ${r.status()}\n`));
  page.on("requestfailed", (r) => {
    // a navigation the test itself cut short is not the shop's failure
    const why = (r.failure() || {}).errorText || "failed";
    if (why !== "net::ERR_ABORTED") fs.writeSync(reqLog, `${now()} 0 ${why.replace(/\s/g, "_")}\n`);
  });
  await login(page);
  if ((await cart(page)) === null) throw new Error("login failed");
  const end = Date.now() + Number(maxSeconds) * 1000;
  const kept = []; // added and acknowledged, not deleted yet
  let n = 0;
  const counts = { add: 0, add_acked: 0, delete: 0, delete_acked: 0 };
  while (!fs.existsSync(stopFile) && Date.now() < end) {
    for (let k = 0; k < 2; k++) {
      const name = "item-" + String(++n).padStart(5, "0");
      counts.add++;
      if (await act(page, "add", name)) {
        counts.add_acked++;
        kept.push(name);
      }
    }
    const victim = kept.shift();
    if (victim) {
      counts.delete++;
      if (await act(page, "delete", victim)) counts.delete_acked++;
    }
    await sleep(100);
  }
  let final = null;
  for (let i = 0; i < 20 && final === null; i++) {
    try {
      if ((await cart(page)) !== null) final = await listed(page);
    } catch (e) {
      await sleep(500);
    }
  }
  await page.screenshot({ path: path.join(out, "last.png") }).catch(() => {});
  await browser.close();
  const summary = Object.assign(counts, { relogins, final_items: final });
  fs.writeFileSync(path.join(out, "summary.json"), JSON.stringify(summary) + "\n");
}

main().then(() => process.exit(0), (e) => {
  console.error("browser: " + (e && e.stack || e));
  process.exit(1);
});
