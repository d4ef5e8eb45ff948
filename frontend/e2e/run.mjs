// The end-to-end runner (`make e2e` starts it through scripts/e2e.sh, which starts the
// simulator, the API serving the built app, and the worker, then passes their addresses in
// E2E_* variables). Runs every specs/*.mjs in file-name order, each in a fresh browser context
// of headless Debian Chromium, and fails when a spec throws or the page logs an error or a
// content-policy violation. `node e2e/run.mjs <filter>` runs only the specs whose file name
// contains <filter>.
//
// Each spec: `export default async function (ctx)`; ctx is described by makeContext below.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));

function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`e2e: ${name} is not set; run the end-to-end tests with \`make e2e\``);
    process.exit(2);
  }
  return value;
}

const config = {
  baseUrl: env("E2E_BASE_URL"),
  simUrl: env("E2E_SIM_URL"),
  tenantId: Number(env("E2E_TENANT_ID")),
  azureTenantId: env("E2E_AZURE_TENANT_ID"),
  admin: { username: env("E2E_ADMIN_USERNAME"), password: env("E2E_ADMIN_PASSWORD") },
  viewer: { username: env("E2E_VIEWER_USERNAME"), password: env("E2E_VIEWER_PASSWORD") },
  screenshots: env("E2E_SCREENSHOT_DIR"),
};
mkdirSync(config.screenshots, { recursive: true });
// Failure screenshots of an earlier run would mislead.
for (const old of readdirSync(config.screenshots).filter((f) => f.startsWith("FAILED-"))) {
  rmSync(join(config.screenshots, old));
}

/** A failed API or simulator call: `status` and the parsed `body` (a problem document). */
export class CallError extends Error {
  constructor(method, url, status, body) {
    super(`${method} ${url} answered ${status}: ${typeof body === "string" ? body : JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

async function call(url, { method = "GET", body, headers = {} } = {}) {
  const init = { method, headers: { accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["content-type"] ??= "application/json";
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) throw new CallError(method, url, response.status, parsed);
  return parsed;
}

/** The administrator's access token, taken once and renewed when the API refuses it. */
let adminToken = null;
async function adminBearer(renew = false) {
  if (!adminToken || renew) {
    const session = await call(`${config.baseUrl}/api/v1/auth/login`, { method: "POST", body: config.admin });
    adminToken = session.access_token;
  }
  return adminToken;
}

/**
 * Calls the API: `path` such as `/api/v1/tenants/1/history`; as the administrator unless
 * `token` is given (`null`: anonymous). `body` is sent as JSON (`contentType` to change the
 * media type, e.g. application/merge-patch+json). Returns the parsed JSON; throws CallError.
 */
async function api(path, { method = "GET", body, token, contentType } = {}) {
  const headers = contentType ? { "content-type": contentType } : {};
  const asAdmin = token === undefined;
  const bearer = asAdmin ? await adminBearer() : token;
  const send = (b) =>
    call(`${config.baseUrl}${path}`, {
      method,
      body,
      headers: b ? { ...headers, authorization: `Bearer ${b}` } : headers,
    });
  try {
    return await send(bearer);
  } catch (error) {
    if (asAdmin && error instanceof CallError && error.status === 401) return send(await adminBearer(true));
    throw error;
  }
}

/** Calls the simulator's control API (`/_sim/...`). */
function sim(path, { method = "GET", body } = {}) {
  return call(`${config.simUrl}${path}`, { method, body });
}

async function pollStatus() {
  return (await api(`/api/v1/tenants/${config.tenantId}/poll-status`)).sources;
}

/**
 * Asks the worker to poll `source` (or every enabled source) now and waits until it finished:
 * each such source has a success or failure later than before the request. Returns the
 * statuses.
 */
async function pollNow(source, { timeoutMs = 90_000 } = {}) {
  const finished = (s) => [s.last_success_at, s.last_error_at].filter(Boolean).sort().at(-1) ?? "";
  const before = new Map((await pollStatus()).map((s) => [s.source, finished(s)]));
  const query = source ? `?source=${encodeURIComponent(source)}` : "";
  const scheduled = await api(`/api/v1/tenants/${config.tenantId}/poll${query}`, { method: "POST" });
  const wanted = scheduled.sources
    .filter((s) => (source ? s.source === source : s.state !== "disabled"))
    .map((s) => s.source);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await pollStatus();
    const done = statuses.filter((s) => wanted.includes(s.source) && finished(s) > (before.get(s.source) ?? ""));
    if (done.length === wanted.length) return statuses;
    if (Date.now() > deadline) {
      throw new Error(`pollNow(${source ?? "all"}): the worker did not finish within ${timeoutMs} ms: ${JSON.stringify(statuses)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Fills the sign-in form as `who` ({username, password}) and waits for the shell. */
async function signIn(page, who) {
  if (!page.url().startsWith(config.baseUrl)) await page.goto(`${config.baseUrl}/login`);
  const form = page.getByRole("form", { name: "Sign in with a password" });
  await form.getByLabel("Username or e-mail").fill(who.username);
  await form.getByLabel("Password").fill(who.password);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  await page.getByRole("navigation", { name: "Screens" }).waitFor();
}

const browser = await chromium.launch({
  executablePath: process.env.E2E_CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});

const filter = process.argv[2] ?? "";
const specDir = join(here, "specs");
const specs = readdirSync(specDir)
  .filter((name) => name.endsWith(".mjs") && name.includes(filter))
  .sort();
if (specs.length === 0) {
  console.error(`e2e: no spec in ${specDir}${filter ? ` matches ${filter}` : ""}`);
  process.exit(1);
}

const results = [];
const runStarted = Date.now();
for (const file of specs) {
  const name = file.replace(/\.mjs$/, "");
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: config.baseUrl });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  // What the page reports as broken fails the spec: console errors (CSP violations are
  // reported there too) and uncaught exceptions.
  const pageErrors = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // Chromium logs every 4xx answer as "Failed to load resource"; a refused sign-in or a
    // validation problem is what some specs provoke, and the app shows it in words. 5xx stay.
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) return;
    pageErrors.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => pageErrors.push(`uncaught: ${error.message}`));
  const ctx = {
    page,
    baseUrl: config.baseUrl,
    simUrl: config.simUrl,
    tenantId: config.tenantId,
    azureTenantId: config.azureTenantId,
    admin: config.admin,
    viewer: config.viewer,
    api,
    signIn,
    screenshot: (shot) => page.screenshot({ path: join(config.screenshots, `${shot}.png`), fullPage: true }),
    sim,
    pollNow,
    expect: assert,
    /** Errors the page logged so far that a spec provokes on purpose: it may drop them. */
    pageErrors,
  };
  const started = Date.now();
  let failure = null;
  try {
    const spec = await import(pathToFileURL(join(specDir, file)).href);
    if (typeof spec.default !== "function") throw new Error(`${file} has no default export function`);
    await spec.default(ctx);
    if (pageErrors.length > 0) throw new Error(`the page reported errors:\n  ${pageErrors.join("\n  ")}`);
  } catch (error) {
    failure = error;
    await page
      .screenshot({ path: join(config.screenshots, `FAILED-${name}.png`), fullPage: true })
      .catch(() => {});
  }
  await context.close();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  results.push({ name, failure });
  if (failure) {
    console.log(`FAIL  ${name} (${seconds} s)\n      ${String(failure?.stack ?? failure).replace(/\n/g, "\n      ")}`);
  } else {
    console.log(`ok    ${name} (${seconds} s)`);
  }
}
await browser.close();

const failed = results.filter((r) => r.failure);
const total = ((Date.now() - runStarted) / 1000).toFixed(1);
console.log(
  `\n${results.length - failed.length} of ${results.length} specs passed in ${total} s; screenshots in ${config.screenshots}`,
);
process.exit(failed.length > 0 ? 1 : 0);
