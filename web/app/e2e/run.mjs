// e2e/run.mjs — the browser app end to end, in Debian's Chromium driven by playwright-core,
// against a running stack (script/test runs it while its throw-away stack is up).
//
//   MENHIR_TEST_BASE_URL=https://127.0.0.1:PORT MENHIR_TEST_STATE=DIR node e2e/run.mjs
//
// Environment: MENHIR_TEST_BASE_URL (required), MENHIR_TEST_STATE (the stack's folder: its logs
// are searched for access tokens, screenshots go to DIR/e2e/), MENHIR_E2E_ARTIFACTS (overrides
// the screenshot folder), MENHIR_E2E_CHROMIUM (default /usr/bin/chromium).
// Prints one TAP-style line per check ("ok - …" / "not ok - …", diagnostics as "#" lines) and
// exits 1 if any failed. The stack's certificate is self-signed: contexts ignore HTTPS errors.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync, mkdirSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const BASE = (process.env.MENHIR_TEST_BASE_URL ?? "").replace(/\/$/, "");
const STATE = process.env.MENHIR_TEST_STATE ?? "";
const OUT = process.env.MENHIR_E2E_ARTIFACTS ?? (STATE ? join(STATE, "e2e") : "e2e-artifacts");
const CHROMIUM = process.env.MENHIR_E2E_CHROMIUM ?? "/usr/bin/chromium";
const ORIGIN = BASE ? new URL(BASE).origin : "";
const PASSWORD = "correct horse battery staple";
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 375, height: 812 };

let failed = 0;
const started = Date.now();

function ok(name) {
  console.log(`ok - ${name}`);
}
function notOk(name, detail) {
  failed++;
  console.log(`not ok - ${name}`);
  for (const line of String(detail ?? "").split("\n").filter(Boolean).slice(0, 25)) console.log(`#   ${line}`);
}
/** Run one check: ok when FN resolves, not ok with the error otherwise. */
async function check(name, fn) {
  try {
    await fn();
    ok(name);
    return true;
  } catch (e) {
    notOk(name, e instanceof Error ? e.stack ?? e.message : e);
    return false;
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

if (!BASE) {
  console.log("not ok - e2e: MENHIR_TEST_BASE_URL is not set");
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.log(`not ok - e2e: ${CHROMIUM} is missing (apt-get install chromium)`);
  process.exit(1);
}
mkdirSync(OUT, { recursive: true });

// --- What every page of every context is watched for ---------------------------------------
const foreign = []; // requests outside the origin
const consoleErrors = []; // console.error and uncaught exceptions
const requestUrls = []; // every URL requested (tokens must never appear in one)
const tokens = new Set(); // every access token the API handed out
const bearerOf = new WeakMap(); // page → last Authorization header it sent
const screenshots = [];

function watch(page) {
  page.on("request", (req) => {
    const url = req.url();
    requestUrls.push(url);
    if (!url.startsWith("data:") && !url.startsWith("blob:") && new URL(url).origin !== ORIGIN) foreign.push(url);
    const auth = req.headers()["authorization"];
    if (auth) bearerOf.set(page, auth.replace(/^Bearer /, ""));
  });
  page.on("response", async (res) => {
    if (!/\/api\/v1\/(auth\/|users\/me$)/.test(res.url()) || res.request().method() === "GET") return;
    try {
      const body = await res.json();
      if (body?.data?.access_token) tokens.add(body.data.access_token);
    } catch {
      /* not JSON (204) */
    }
  });
  page.on("console", (msg) => {
    // Chromium reports every 4xx as "Failed to load resource": those statuses are the
    // protocol working (401 before login, 412 on a conflict), not errors of the app.
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
      consoleErrors.push(`${page.url()}: ${msg.text()}`);
    }
  });
  page.on("pageerror", (err) => consoleErrors.push(`${page.url()}: uncaught ${err.message}`));
}

async function newContext(browser, viewport = DESKTOP) {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport, acceptDownloads: true, baseURL: BASE });
  ctx.setDefaultTimeout(15_000);
  ctx.on("page", watch);
  return ctx;
}

async function shot(page, name) {
  const file = join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  screenshots.push(file);
  console.log(`# screenshot: ${file}`);
}

// --- axe-core ----------------------------------------------------------------------------------
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const axeResults = [];
/** Scan the page as it is now; serious and critical violations are collected per screen. */
async function axe(page, screen) {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays on.
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE);
  const r = await page.evaluate(async () => {
    const res = await window.axe.run(document, { resultTypes: ["violations"] });
    return res.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  });
  axeResults.push({ screen, violations: r.filter((v) => v.impact === "serious" || v.impact === "critical") });
}

// --- Helpers over the app's screens -------------------------------------------------------------
async function signup(page, { email, name, tenant }) {
  await page.goto("/signup");
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Organisation name").fill(tenant);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Documents" }).waitFor();
}

async function login(page, email, tenant) {
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  if (tenant) await page.getByLabel("Tenant (optional)").fill(tenant);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Documents" }).waitFor();
}

/** An API call with PAGE's current bearer token (the app's, captured from its requests). */
async function apiAs(page, method, path, body) {
  const token = bearerOf.get(page);
  assert(token, "no bearer token captured for this page yet");
  const res = await page.context().request.fetch(`${BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    data: body === undefined ? undefined : JSON.stringify(body),
    failOnStatusCode: false,
  });
  return { status: res.status(), body: res.status() === 204 ? null : await res.json().catch(() => null) };
}

/** The path (with its #token=…) of the newest link to PAGE in a mail to TO, from the stack's
 * mailbox (STATE/mailbox/new, where t/smtp_receiver keeps every message); waits for it. */
async function mailLink(to, page, timeoutMs = 30000) {
  const dir = join(STATE, "mailbox", "new");
  const want = new RegExp(`https?://[^/\\s]+(/${page}#token=[A-Za-z0-9_-]{43})`);
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const files = existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
    files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    for (const f of files) {
      const m = readFileSync(f, "utf8");
      const link = m.includes(`X-Mailbox-To: <${to.toLowerCase()}>`) ? m.match(want) : null;
      if (link) return link[1];
    }
    assert(Date.now() < deadline, `no ${page} mail reached ${to}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function openNav(page, label) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: label }).waitFor();
}

// --- The run -----------------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  // As root Chromium refuses to start sandboxed; this browser only ever visits the test stack.
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
});

// Tenant names need not be unique (slugs get a suffix); e-mails must be.
const owner = { email: `olivia-${RUN}@example.com`, name: "Olivia Owner", tenant: "Acme Research" };
const viewer = { email: `victor-${RUN}@example.com`, name: "Victor Viewer", tenant: "Victor's workspace" };
let tenantSlug = "";
let docUrl = "";

const ctxA = await newContext(browser);
const pageA = await ctxA.newPage();

try {
  await check("nginx serves the app: index.html for app routes, JSON 404 for unknown API paths, cached hashed assets", async () => {
    const req = ctxA.request;
    const get = (p, h = {}) => req.get(`${BASE}${p}`, { headers: h, failOnStatusCode: false, maxRedirects: 0 });
    for (const p of ["/", "/login", "/documents", "/documents/0b0c6f7e-0000-4000-8000-000000000000", "/members"]) {
      const r = await get(p);
      assert(r.status() === 200, `${p}: ${r.status()}`);
      assert((r.headers()["content-type"] ?? "").startsWith("text/html"), `${p}: ${r.headers()["content-type"]}`);
      assert(r.headers()["cache-control"] === "no-cache", `${p}: cache-control ${r.headers()["cache-control"]}`);
    }
    const html = await (await get("/")).text();
    assert(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), "index.html has an inline script");
    const asset = html.match(/\/assets\/[^"]+\.js/)?.[0];
    assert(asset, "index.html names no script under /assets/");
    const a = await get(asset, { "Accept-Encoding": "gzip" });
    assert(a.status() === 200, `${asset}: ${a.status()}`);
    assert(/immutable/.test(a.headers()["cache-control"] ?? ""), `${asset}: cache-control ${a.headers()["cache-control"]}`);
    assert(a.headers()["content-encoding"] === "gzip", `${asset}: not gzipped`);
    for (const p of ["/api/v1/no-such-thing", "/api/v1/documents/x/y/z"]) {
      const r = await get(p);
      assert(r.status() === 404 && (r.headers()["content-type"] ?? "").startsWith("application/json"), `${p}: ${r.status()} ${r.headers()["content-type"]}`);
    }
    for (const p of ["/API/V1/DOCUMENTS", "/no-such-page", "/documents/x.js", "/assets/missing.0123456789.js"]) {
      const r = await get(p);
      assert(r.status() === 404, `${p}: ${r.status()} (the SPA fallback must not answer it)`);
    }
  });

  // 1. Sign up, create a document, edit it, and get a conflict from a second context.
  await check("sign up, create a document, edit it, conflict from a second browser context", async () => {
    await pageA.goto("/");
    await pageA.waitForURL(/\/login/);
    await pageA.getByRole("heading", { name: "Log in" }).waitFor();
    await axe(pageA, "login");
    await shot(pageA, "login");
    await pageA.goto("/signup");
    // The API's per-field details land next to their fields.
    await pageA.getByLabel("E-mail").fill("not-an-email");
    await pageA.getByLabel("Password").fill("short");
    await pageA.getByLabel("Organisation name").fill("x");
    await pageA.getByRole("button", { name: "Create account" }).click();
    await pageA.locator(".field-error").first().waitFor();
    assert((await pageA.locator(".field-error").count()) >= 2, "expected field errors for e-mail and password");
    await axe(pageA, "signup (with errors)");
    await shot(pageA, "signup-errors");
    await signup(pageA, owner);
    await pageA.getByText("No documents yet.").waitFor();
    await axe(pageA, "documents (empty)");
    await shot(pageA, "documents-empty");

    await pageA.getByRole("link", { name: "New document" }).click();
    await pageA.getByLabel("Title").fill("Quarterly plan");
    await pageA.getByLabel("Tags").fill("plan, q3");
    await pageA.getByLabel("Body").fill("Menhir stands tall. The plan is simple! Ship the browser app, then measure.");
    await axe(pageA, "new document");
    await pageA.getByRole("button", { name: "Create document" }).click();
    await pageA.getByRole("heading", { level: 1, name: "Quarterly plan" }).waitFor();
    docUrl = new URL(pageA.url()).pathname;
    assert(/^\/documents\/[0-9a-f-]{36}$/.test(docUrl), `unexpected document URL ${docUrl}`);

    await pageA.getByLabel("Title").fill("Quarterly plan (v2)");
    await pageA.getByRole("button", { name: "Save" }).click();
    await pageA.getByText("Saved.").waitFor();
    await pageA.getByText("version 2").waitFor();

    // The same user in a second browser (its own cookie jar) saves first.
    const ctxB = await newContext(browser);
    const pageB = await ctxB.newPage();
    await login(pageB, owner.email);
    await pageB.goto(docUrl);
    await pageB.getByLabel("Body").fill("Their version of the body.");
    await pageB.getByRole("button", { name: "Save" }).click();
    await pageB.getByText("Saved.").waitFor();
    await ctxB.close();

    await pageA.getByLabel("Body").fill("My version of the body.");
    await pageA.getByRole("button", { name: "Save" }).click();
    const dialog = pageA.getByRole("dialog", { name: "This document changed meanwhile" });
    await dialog.waitFor();
    await axe(pageA, "conflict dialog");
    await shot(pageA, "document-conflict");
    await dialog.getByRole("button", { name: "Overwrite with mine" }).click();
    await pageA.getByText("Saved.").waitFor();
    await pageA.getByText("version 4").waitFor();
    assert((await pageA.getByLabel("Body").inputValue()) === "My version of the body.", "overwrite did not keep my body");
  });

  // 2. Upload and download an attachment.
  await check("upload an attachment with progress, download the same bytes", async () => {
    await pageA.goto(docUrl);
    const bytes = `notes for ${RUN}\n${"menhir ".repeat(20000)}\n`;
    await pageA.getByLabel("File to attach").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from(bytes) });
    await pageA.getByText("Uploaded notes.txt.").waitFor();
    const [download] = await Promise.all([
      pageA.waitForEvent("download"),
      pageA.getByRole("button", { name: "Download notes.txt" }).click(),
    ]);
    assert(download.suggestedFilename() === "notes.txt", `download named ${download.suggestedFilename()}`);
    const got = readFileSync(await download.path(), "utf8");
    assert(got === bytes, `downloaded ${got.length} bytes, uploaded ${bytes.length}`);
    // A type Menhir refuses (HTML) is explained, not silently dropped.
    await pageA.getByLabel("File to attach").setInputFiles({ name: "page.html", mimeType: "text/html", buffer: Buffer.from("<script>alert(1)</script>") });
    await pageA.getByText("This type of file is not accepted").waitFor();
  });

  // 3. Process with stats and watch "succeeded" arrive live.
  await check("enable stats, process the document, see succeeded arrive on the live stream", async () => {
    await openNav(pageA, "Settings");
    await pageA.getByRole("switch", { name: "stats" }).check();
    await pageA.getByRole("switch", { name: "keywords" }).check();
    await pageA.getByRole("switch", { name: "stats" }).waitFor();
    assert(await pageA.getByRole("switch", { name: "stats" }).isChecked(), "stats did not stay on");
    await pageA.getByRole("button", { name: "Make a secret" }).click();
    await pageA.getByText("this is the only time it is shown").waitFor();
    assert(/^whsec_/.test((await pageA.getByLabel("New webhook secret").textContent()) ?? ""), "no secret shown");
    await axe(pageA, "settings");
    await shot(pageA, "settings");
    tenantSlug = await pageA.getByLabel("Slug", { exact: true }).inputValue();
    assert(tenantSlug, "no slug shown");

    await pageA.goto(docUrl);
    const streams = [];
    const onReq = (req) => {
      if (/\/api\/v1\/jobs\/[^/]+\/events$/.test(req.url())) streams.push(req);
    };
    pageA.on("request", onReq);
    await pageA.getByLabel("Feature").selectOption("stats");
    await pageA.getByRole("button", { name: "Run" }).click();
    await pageA.locator(".job-status .badge", { hasText: "succeeded" }).waitFor();
    pageA.off("request", onReq);
    assert(streams.length >= 1, "the job was not followed over its event stream");
    const h = streams[0].headers();
    assert(h["accept"] === "text/event-stream", `stream Accept: ${h["accept"]}`);
    assert(/^Bearer /.test(h["authorization"] ?? ""), "the stream did not send the bearer token");
    assert(!/token/i.test(streams[0].url()), "the stream URL carries a token");
    const words = await pageA.locator("table.kv tr", { hasText: "Words" }).locator("td").textContent();
    assert(words === "5", `stats words = ${words}`);
    await axe(pageA, "document with a result");
    await shot(pageA, "document");

    await openNav(pageA, "Jobs");
    await pageA.locator("table .badge", { hasText: "succeeded" }).first().waitFor();
    await axe(pageA, "jobs");
    await shot(pageA, "jobs");
  });

  // 4. Invite a member (who accepts from the mailed link) and see their restricted view.
  await check("invite a viewer who accepts; the viewer sees a read-only app and can switch tenants", async () => {
    // The viewer has an account (and a tenant) of their own first.
    const ctxV = await newContext(browser);
    const pageV = await ctxV.newPage();
    await signup(pageV, viewer);
    await pageV.getByRole("button", { name: /account menu/ }).click();
    await pageV.getByRole("button", { name: "Log out" }).click();
    await pageV.getByRole("heading", { name: "Log in" }).waitFor();

    // More documents, so the list screenshot shows one.
    for (const [title, status, tags] of [
      ["Onboarding checklist", "published", ["hr"]],
      ["Incident review: queue backlog", "published", ["ops", "postmortem"]],
      ["Pricing page copy", "draft", ["marketing"]],
      ["Data retention policy", "archived", ["legal"]],
    ]) {
      const r = await apiAs(pageA, "POST", "/api/v1/documents", { title, status, tags, body: `${title}.` });
      assert(r.status === 201, `seed document: ${r.status}`);
    }

    // Inviting needs a confirmed address: the owner opens the link signup mailed.
    await pageA.goto(await mailLink(owner.email, "verify-email"));
    await pageA.getByText("Your e-mail address is confirmed.").waitFor();
    await axe(pageA, "verify e-mail");
    await pageA.getByRole("link", { name: "Continue" }).click();
    await pageA.getByRole("heading", { name: "Documents" }).waitFor();
    await openNav(pageA, "Members");
    await pageA.getByLabel("E-mail").fill(viewer.email);
    await pageA.getByLabel("Role", { exact: true }).selectOption("viewer");
    await pageA.getByRole("button", { name: "Send invitation" }).click();
    await pageA.getByText(/Invitation sent to .*: they join as viewer once they accept\./).waitFor();
    // The last-owner rule is shown as a message.
    await pageA.getByLabel(`Role of ${owner.email}`).selectOption("admin");
    await pageA.getByText("A tenant needs at least one owner").waitFor();
    await axe(pageA, "members");
    await shot(pageA, "members");
    await openNav(pageA, "Audit log");
    await pageA.getByText("invitation_created").first().waitFor();
    await axe(pageA, "audit log");
    await shot(pageA, "audit");
    await openNav(pageA, "Documents");
    await pageA.getByRole("link", { name: "Onboarding checklist" }).waitFor();
    await axe(pageA, "documents");
    await shot(pageA, "documents");

    // The viewer, signed in to their own tenant, accepts from the mailed link: nothing
    // changed for them until now.
    await login(pageV, viewer.email);
    await pageV.goto(await mailLink(viewer.email, "accept-invitation"));
    await pageV.getByRole("button", { name: "Accept invitation" }).click();
    await pageV.getByText("You are now a viewer of the tenant.").waitFor();
    await axe(pageV, "accept invitation");
    await shot(pageV, "accept-invitation");
    await pageV.getByRole("link", { name: "Continue" }).click();
    await pageV.getByRole("button", { name: /account menu/ }).click();
    await pageV.getByRole("button", { name: "Log out" }).click();
    await pageV.getByRole("heading", { name: "Log in" }).waitFor();
    await login(pageV, viewer.email, tenantSlug);
    const nav = pageV.getByRole("navigation", { name: "Main" });
    assert((await nav.getByRole("link", { name: "Audit log" }).count()) === 0, "a viewer sees the audit log link");
    assert((await pageV.getByRole("link", { name: "New document" }).count()) === 0, "a viewer sees New document");
    await pageV.getByRole("link", { name: "Quarterly plan (v2)" }).click();
    await pageV.getByText("viewers cannot change documents").waitFor();
    assert((await pageV.getByRole("button", { name: "Save" }).count()) === 0, "a viewer sees Save");
    assert((await pageV.getByRole("button", { name: "Delete" }).count()) === 0, "a viewer sees Delete");
    assert(await pageV.getByLabel("Title").evaluate((el) => el.readOnly), "the title is editable for a viewer");
    assert((await pageV.getByLabel("File to attach").count()) === 0, "a viewer can upload");
    assert((await pageV.getByRole("button", { name: "Run" }).count()) === 0, "a viewer can process");
    await axe(pageV, "document (viewer)");
    await shot(pageV, "document-viewer");
    await openNav(pageV, "Members");
    assert((await pageV.getByRole("button", { name: "Send invitation" }).count()) === 0, "a viewer can invite");
    await openNav(pageV, "Settings");
    await pageV.getByText("Only admins and owners can change these settings.").waitFor();
    assert(await pageV.getByRole("switch", { name: "stats" }).isDisabled(), "a viewer can toggle features");
    // The tenant switcher lists both memberships; the viewer's own tenant makes them owner.
    const switcher = pageV.getByLabel("Tenant", { exact: true });
    assert((await switcher.locator("option").count()) === 2, "the switcher does not list both tenants");
    await switcher.selectOption({ label: `${viewer.tenant} (owner)` });
    await pageV.getByRole("link", { name: "New document" }).waitFor();
    await ctxV.close();
  });

  await check("the app works at 375 px wide", async () => {
    const ctxP = await newContext(browser, PHONE);
    const pageP = await ctxP.newPage();
    await pageP.goto("/login");
    await pageP.getByRole("heading", { name: "Log in" }).waitFor();
    await shot(pageP, "login-375");
    await login(pageP, owner.email);
    await pageP.getByRole("link", { name: "Onboarding checklist" }).waitFor();
    const overflow = await pageP.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `documents overflow the viewport by ${overflow}px`);
    await axe(pageP, "documents (375 px)");
    await shot(pageP, "documents-375");
    await pageP.goto(docUrl);
    await pageP.getByRole("heading", { level: 1, name: "Quarterly plan (v2)" }).waitFor();
    const overflowDoc = await pageP.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflowDoc <= 0, `the document overflows the viewport by ${overflowDoc}px`);
    await shot(pageP, "document-375");
    await ctxP.close();
  });

  await check("keyboard: skip link, visible focus, a dialog opens with Enter and closes with Escape", async () => {
    await pageA.goto("/documents");
    await pageA.getByRole("heading", { name: "Documents" }).waitFor();
    await pageA.keyboard.press("Tab");
    const first = await pageA.evaluate(() => document.activeElement?.textContent);
    assert(first === "Skip to content", `first Tab lands on ${first}`);
    const outline = await pageA.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert(outline !== "none", "the focused link has no visible outline");
    await pageA.keyboard.press("Enter");
    await pageA.keyboard.press("Tab");
    const next = await pageA.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
    assert(next === "f-q" || next === "A", `after the skip link focus went to ${next}`);
    await pageA.goto(docUrl);
    await pageA.getByRole("button", { name: "Delete" }).focus();
    await pageA.keyboard.press("Enter");
    const dialog = pageA.getByRole("dialog", { name: "Delete this document?" });
    await dialog.waitFor();
    await pageA.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
  });

  await check("profile: change the name, ask for the confirmation mail; the API docs are linked", async () => {
    await pageA.getByRole("button", { name: /account menu/ }).click();
    await pageA.getByRole("link", { name: "Profile" }).click();
    await pageA.getByRole("heading", { level: 1, name: "Profile" }).waitFor();
    await pageA.getByLabel("Name", { exact: true }).fill("Olivia O. Owner");
    await pageA.getByRole("button", { name: "Save name" }).click();
    await pageA.getByText("Saved.").waitFor();
    assert((await pageA.locator('a[href="/docs"]').count()) >= 1, "no link to /docs");
    // The owner confirmed their address (step 4): asking again sends nothing.
    await pageA.getByRole("button", { name: "Send the confirmation e-mail again" }).click();
    await pageA.getByText("Your e-mail address is already confirmed.").waitFor();
    await axe(pageA, "profile");
    await shot(pageA, "profile");
  });

  await check("profile: the sessions list shows this browser and another; revoking the other signs it out at once", async () => {
    const ctxX = await newContext(browser);
    const pageX = await ctxX.newPage();
    await login(pageX, owner.email);
    await pageA.reload();
    await pageA.getByRole("heading", { level: 1, name: "Profile" }).waitFor();
    const table = pageA.getByRole("table", { name: "Your sessions" });
    await table.waitFor();
    assert((await table.getByText("(this session)").count()) === 1, "the current session is not marked");
    const others = table.getByRole("button", { name: /^Revoke/ });
    assert((await others.count()) >= 1, "the other browser's session is not listed");
    assert(/\/24|\/48/.test((await table.textContent()) ?? ""), "no coarse network shown");
    await axe(pageA, "profile with sessions");
    await shot(pageA, "sessions");
    const before = await others.count();
    await others.first().click();
    await pageA.getByText("The session was ended").waitFor();
    assert((await table.getByRole("button", { name: /^Revoke/ }).count()) === before - 1, "the revoked session is still listed");
    // The other browser's access token is dead at once; the app falls back to the login screen.
    const dead = await apiAs(pageX, "GET", "/api/v1/users/me");
    assert(dead.status === 401, `the revoked session's token answered ${dead.status}`);
    await pageX.goto("/documents");
    await pageX.getByRole("button", { name: "Log in" }).waitFor();
    await ctxX.close();
  });

  await check("API keys: create one (secret shown once), it works, the list shows only its end, revoking it stops it", async () => {
    await openNav(pageA, "API keys");
    await pageA.getByLabel("Name", { exact: true }).fill("CI deploys");
    await pageA.getByLabel("Role").selectOption("member");
    await pageA.getByRole("button", { name: "Create key" }).click();
    await pageA.getByText("it is shown only this once").waitFor();
    const secret = await pageA.getByLabel("The new key").inputValue();
    assert(/^mhk_[A-Za-z0-9_-]{86}$/.test(secret), `not a key: ${secret.slice(0, 8)}…`);
    tokens.add(secret); // a key must never appear in a URL, storage or a log either
    const use = (await ctxA.request.fetch(`${BASE}/api/v1/documents`, { headers: { Authorization: `Bearer ${secret}` }, failOnStatusCode: false })).status();
    assert(use === 200, `the new key answered ${use}`);
    const row = pageA.getByRole("table", { name: "API keys" }).getByRole("row", { name: /CI deploys/ });
    assert(((await row.textContent()) ?? "").includes(`mhk_…${secret.slice(-4)}`), "the list does not show prefix and last four");
    await axe(pageA, "api keys");
    await shot(pageA, "api-keys");
    await pageA.getByRole("button", { name: "I have copied it" }).click();
    assert(!((await pageA.content()).includes(secret.slice(4))), "the secret is still on the page");
    await pageA.reload();
    await pageA.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    assert(!((await pageA.content()).includes(secret.slice(4))), "the secret came back with the list");
    await pageA.getByRole("button", { name: "Revoke CI deploys" }).click();
    await pageA.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
    await pageA.getByText("no longer works").waitFor();
    const after = (await ctxA.request.fetch(`${BASE}/api/v1/documents`, { headers: { Authorization: `Bearer ${secret}` }, failOnStatusCode: false })).status();
    assert(after === 401, `the revoked key answered ${after}`);
  });

  await check("two tabs reloading at once refresh one at a time and both stay signed in", async () => {
    const tab1 = pageA;
    await tab1.goto("/documents");
    await tab1.getByRole("heading", { name: "Documents" }).waitFor();
    const tab2 = await ctxA.newPage();
    await tab2.goto("/documents");
    await tab2.getByRole("heading", { name: "Documents" }).waitFor();
    const spans = [];
    const track = (p) => {
      p.on("request", (r) => {
        if (r.url().endsWith("/api/v1/auth/refresh")) spans.push({ r, start: Date.now(), end: Infinity });
      });
      p.on("requestfinished", (r) => {
        const s = spans.find((x) => x.r === r);
        if (s) s.end = Date.now();
      });
    };
    track(tab1);
    track(tab2);
    // Slow refreshes down, so two unserialized ones would surely overlap.
    await ctxA.route("**/api/v1/auth/refresh", async (route) => {
      await new Promise((r) => setTimeout(r, 400));
      // A reload can cancel the request during the delay; Playwright then reports the
      // route as handled. The headings below still prove both tabs ended signed in.
      await route.continue().catch((e) => {
        if (!/already handled|Target .* closed/.test(String(e))) throw e;
      });
    });
    await Promise.all([tab1.reload(), tab2.reload()]);
    await Promise.all([
      tab1.getByRole("heading", { name: "Documents" }).waitFor(),
      tab2.getByRole("heading", { name: "Documents" }).waitFor(),
    ]);
    assert(spans.length >= 1, "no refresh after reload");
    spans.sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++) {
      assert(spans[i].start >= spans[i - 1].end, `refreshes overlapped: ${spans.map((s) => `${s.start}-${s.end}`).join(", ")}`);
    }
    await ctxA.unroute("**/api/v1/auth/refresh");
    await tab2.close();
  });

  // 5. Log out: the refresh cookie is gone and the API refuses the old access token.
  await check("log out: the refresh cookie is gone and the old access token is refused", async () => {
    await pageA.goto("/documents");
    await pageA.getByRole("heading", { name: "Documents" }).waitFor();
    const old = bearerOf.get(pageA);
    assert(old, "no access token captured");
    // The cookie's Path is /api/v1/auth: ask for the cookies sent there.
    const before = await ctxA.cookies(`${BASE}/api/v1/auth/refresh`);
    assert(before.some((c) => c.name === "mh_refresh" && c.httpOnly && c.sameSite === "Strict" && c.secure), "no HttpOnly SameSite=Strict refresh cookie before logout");
    await pageA.getByRole("button", { name: /account menu/ }).click();
    await pageA.getByRole("button", { name: "Log out" }).click();
    await pageA.getByRole("heading", { name: "Log in" }).waitFor();
    const after = await ctxA.cookies(`${BASE}/api/v1/auth/refresh`);
    assert(!after.some((c) => c.name === "mh_refresh"), "the refresh cookie survived logout");
    const r = await ctxA.request.get(`${BASE}/api/v1/users/me`, { headers: { Authorization: `Bearer ${old}` }, failOnStatusCode: false });
    assert(r.status() === 401, `the old token got ${r.status()}`);
    await pageA.reload();
    await pageA.getByRole("heading", { name: "Log in" }).waitFor();
  });

  await check("the access token never appears in a URL, web storage, a cookie or a log", async () => {
    assert(tokens.size >= 3, `only ${tokens.size} access tokens seen`);
    for (const t of tokens) {
      assert(!requestUrls.some((u) => u.includes(t)), "a request URL carries an access token");
    }
    // Web storage and cookies, in a signed-in page.
    const ctxS = await newContext(browser);
    const pageS = await ctxS.newPage();
    await login(pageS, owner.email);
    const current = bearerOf.get(pageS);
    const stored = await pageS.evaluate(() => {
      const dump = (s) => Object.keys(s).map((k) => `${k}=${s.getItem(k)}`).join("\n");
      return `${dump(localStorage)}\n${dump(sessionStorage)}\n${document.cookie}`;
    });
    for (const t of [...tokens, current]) assert(!stored.includes(t), "an access token is in web storage or a readable cookie");
    const cookies = await ctxS.cookies();
    for (const c of cookies) for (const t of tokens) assert(!c.value.includes(t), `cookie ${c.name} holds an access token`);
    await ctxS.close();
    if (STATE) {
      for (const log of ["menhir.log", "work.log", "nginx/access.log", "nginx/error.log"]) {
        const f = join(STATE, log);
        if (!existsSync(f)) continue;
        const text = readFileSync(f, "utf8");
        for (const t of [...tokens, current]) assert(!text.includes(t), `an access token is in ${log}`);
        // The signature alone is what makes a token usable.
        for (const t of tokens) if (t.includes(".")) assert(!text.includes(t.split(".")[2]), `a token signature is in ${log}`);
      }
    }
  });
  // Last: the failures it makes count against this address for the lockout window.
  await check("forgot password: the mailed link sets a new one, and the old one stops working", async () => {
    const ctxR = await newContext(browser);
    const page = await ctxR.newPage();
    await page.goto("/login");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByRole("heading", { name: "Forgot your password?" }).waitFor();
    await page.getByLabel("E-mail").fill(viewer.email);
    await page.getByRole("button", { name: "Send me a link" }).click();
    await page.getByText(/a link to choose a new password is on its way/).waitFor();
    await axe(page, "forgot password");
    await page.goto(await mailLink(viewer.email, "reset-password"));
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await axe(page, "reset password");
    await shot(page, "reset-password");
    const fresh = `${PASSWORD} anew`;
    await page.getByLabel("New password").fill(fresh);
    await page.getByRole("button", { name: "Set password" }).click();
    await page.getByText("Your password is changed, and every session was ended.").waitFor();
    await page.getByRole("link", { name: "Log in" }).click();
    await page.getByLabel("E-mail").fill(viewer.email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").filter({ hasText: "Wrong e-mail or password." }).waitFor();
    await page.getByLabel("Password", { exact: true }).fill(fresh);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Documents" }).waitFor();
    await ctxR.close();
  });

  await check("change e-mail: the profile asks, the link to the new address confirms, the old address stops", async () => {
    const ctxE = await newContext(browser);
    const page = await ctxE.newPage();
    const mover = { email: `mona-${RUN}@example.com`, name: "Mona Mover", tenant: "Moving Co" };
    const next = `mona-new-${RUN}@example.com`;
    await signup(page, mover);
    // Another browser signed in as the same account: it is logged out by the change.
    const ctxO = await newContext(browser);
    const other = await ctxO.newPage();
    await login(other, mover.email);
    await page.getByRole("button", { name: /account menu/ }).click();
    await page.getByRole("link", { name: "Profile" }).click();
    await page.getByRole("heading", { level: 1, name: "Profile" }).waitFor();
    const form = page.getByRole("form", { name: "Change e-mail address" });
    await form.getByLabel("New e-mail address").fill(next);
    await form.getByLabel("Your password").fill(`${PASSWORD} typo`);
    await form.getByRole("button", { name: "Send confirmation link" }).click();
    await form.getByText("is incorrect").waitFor();
    await form.getByLabel("Your password").fill(PASSWORD);
    await form.getByRole("button", { name: "Send confirmation link" }).click();
    await page.getByText(`A confirmation link is on its way to ${next}.`).waitFor();
    await axe(page, "profile: change e-mail");
    await shot(page, "change-email");
    // The old address is told, with no link in the notice.
    let notice = [];
    for (const deadline = Date.now() + 30000; notice.length === 0 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 200));
      notice = readdirSync(join(STATE, "mailbox", "new"))
        .map((f) => readFileSync(join(STATE, "mailbox", "new", f), "utf8"))
        .filter((m) => m.includes(`X-Mailbox-To: <${mover.email}>`) && m.includes(next));
    }
    assert(notice.length === 1 && !notice[0].includes("#token="), "the old address got no notice, or one with a link");
    await page.goto(await mailLink(next, "confirm-email"));
    await page.getByRole("heading", { name: "Confirm your new e-mail address" }).waitFor();
    await axe(page, "confirm e-mail");
    await shot(page, "confirm-email");
    await page.getByRole("button", { name: "Confirm the new address" }).click();
    await page.getByText("Your e-mail address is changed. Your other sessions were logged out.").waitFor();
    await page.getByRole("link", { name: "Continue" }).click();
    await page.getByRole("heading", { level: 1, name: "Profile" }).waitFor();
    await page.getByText(`${next} · owner of this tenant`).waitFor();
    const dead = await apiAs(other, "GET", "/api/v1/users/me");
    assert(dead.status === 401, `the other browser's token answered ${dead.status}`);
    await ctxO.close();
    // The old address logs in no more; the new one does.
    const ctxL = await newContext(browser);
    const fresh = await ctxL.newPage();
    await fresh.goto("/login");
    await fresh.getByLabel("E-mail").fill(mover.email);
    await fresh.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await fresh.getByRole("button", { name: "Log in" }).click();
    await fresh.getByRole("alert").filter({ hasText: "Wrong e-mail or password." }).waitFor();
    await login(fresh, next);
    await ctxL.close();
    await ctxE.close();
  });

  await check("login: a wrong password is explained, and so is the lockout", async () => {
    const ctxL = await newContext(browser);
    const page = await ctxL.newPage();
    await page.goto("/login");
    const email = `locked-${RUN}@example.com`;
    let status = 0;
    for (let i = 0; i < 12 && status !== 429; i++) {
      await page.getByLabel("E-mail").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(`wrong password ${i}`);
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/api/v1/auth/login")),
        page.getByRole("button", { name: "Log in" }).click(),
      ]);
      status = res.status();
      if (status === 401) await page.getByRole("alert").filter({ hasText: "Wrong e-mail or password." }).waitFor();
    }
    assert(status === 429, `no lockout after 12 failures (last status ${status})`);
    await page.getByRole("alert").filter({ hasText: /locked for now\. Try again in \d+ minutes?\./ }).waitFor();
    await shot(page, "login-locked");
    await ctxL.close();
    // Give this address its login budget back (as t/it_auth does), for whatever runs next.
    // The password goes through the environment, never argv (which other local users see).
    if (process.env.MENHIR_TEST_REDIS_URL) {
      const u = new URL(process.env.MENHIR_TEST_REDIS_URL);
      const out = execFileSync("redis-cli", ["-h", u.hostname, "-p", u.port || "6379", "DEL", "mh:lf:i:127.0.0.1"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        env: { ...process.env, REDISCLI_AUTH: decodeURIComponent(u.password) },
      });
      assert(out.trim() === "1", `could not reset 127.0.0.1's login failures: ${out.trim()}`);
    }
  });
} finally {
  await browser.close().catch(() => undefined);
}

if (axeResults.length === 0) {
  notOk("axe-core scanned no screen");
} else {
  const bad = axeResults.filter((r) => r.violations.length > 0);
  if (bad.length === 0) ok(`axe-core: no serious or critical violation on ${axeResults.length} screens`);
  else
    notOk(
      "axe-core: serious or critical violations",
      bad.flatMap((r) => r.violations.map((v) => `${r.screen}: ${v.id} (${v.impact}) ${v.help} — ${v.targets.join(", ")}`)).join("\n"),
    );
}
if (foreign.length === 0) ok(`no request outside ${ORIGIN} (${requestUrls.length} requests)`);
else notOk("requests outside the origin", [...new Set(foreign)].join("\n"));
if (consoleErrors.length === 0) ok("no console error and no uncaught exception");
else notOk("console errors", consoleErrors.join("\n"));

console.log(`# screenshots (${screenshots.length}) in ${OUT}`);
console.log(`# e2e duration: ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
