// A person's first minutes with Argus, in a real browser: setup (skipping the first scan), the API
// key screen the API Authentication document describes (Settings → API Keys → Create API Key → a
// name → copy), the key used by an integration's fetch, revoke (401), log out, log in, /docs and the
// 404 page. The appliance and the browser run in a namespace of their own with nothing but
// loopback, so even a wrongly started scan could not send a packet anywhere.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ADMIN } from "../helpers/server.ts";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { startIsolatedServer, type NetServer } from "../helpers/netserver.ts";
import { requireRoot } from "../helpers/testnet.ts";
import { consoleErrors } from "../helpers/ui.ts";

const missing = browserMissing();
const root = missing === null && requireRoot("runs the appliance and Chromium in a network namespace");

describe.skipIf(!root)("UI: setup, API keys, login (Chromium)", () => {
  let server: NetServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let base: string;

  beforeAll(async () => {
    server = await startIsolatedServer();
    base = server.inside;
    browser = await launchBrowserIn(server.ns);
    context = await browser.newContext();
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    page = await context.newPage();
    errors = consoleErrors(page);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test("a fresh appliance sends the visitor to /setup; the wizard creates the admin, confirms a network, and may skip the first scan", async () => {
    await page.goto(base + "/");
    expect(new URL(page.url()).pathname).toBe("/setup");
    await page.fill("#username", ADMIN.username);
    await page.fill("#password", ADMIN.password);
    await page.fill("#confirm", "a different password");
    await page.click("button[type=submit]");
    await page.locator(".error", { hasText: "The passwords do not match" }).waitFor();
    await page.fill("#confirm", ADMIN.password);
    for (const box of await page.locator("input[name=subnet]").all()) await box.uncheck();
    await page.fill("#extra-subnets", "10.99.0.0/24");
    await page.click("button[type=submit]");
    // Step 2: the schedule (or, before the configuration API exists, a note saying scans are manual).
    await page.getByRole("heading", { name: "When should Argus scan?" }).waitFor();
    await page.getByRole("button", { name: "Continue" }).click();
    // Step 3: the first quick scan, offered for the confirmed network; this test skips it.
    await page.getByRole("heading", { name: "Run the first quick scan now" }).waitFor();
    await expect(page.locator("#first-scan").textContent()).resolves.toContain("10.99.0.0/24");
    await Promise.all([page.waitForURL(base + "/"), page.getByRole("link", { name: "Skip, go to the dashboard" }).click()]);
    await expect(page.locator("h1").textContent()).resolves.toBe("Dashboard");
    expect(JSON.parse(await Bun.file(`${server.dataDir}/config.json`).text()).subnets).toEqual(["10.99.0.0/24"]);
    // Skipped means skipped: no scan was started.
    const api = server.client();
    expect((await api.post("/api/auth/login", ADMIN)).status).toBe(200);
    expect((await api.get("/api/scans")).body).toEqual([]);
  });

  let shownKey = "";

  test("Settings → API Keys → Create API Key → a name → the full key, shown once, with a Copy button", async () => {
    await page.goto(base + "/settings");
    await page.getByRole("heading", { name: "API Keys" }).scrollIntoViewIfNeeded();
    await page.getByRole("button", { name: "Create API Key" }).click();
    await page.fill("#key-name", "Home Assistant Integration");
    await page.click("#key-form button[type=submit]");
    await page.locator("#new-key-value").waitFor();
    shownKey = (await page.locator("#new-key-value").textContent()) ?? "";
    expect(shownKey).toMatch(/^argus_[A-Za-z0-9_-]{43}$/);
    await expect(page.locator("#new-key").textContent()).resolves.toContain("only displayed once");
    await page.click("#copy-key");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(shownKey);
    await expect(page.locator("#keys tbody tr").count()).resolves.toBe(1);
    await expect(page.locator("#keys tbody").textContent()).resolves.toContain("Home Assistant Integration");
    // Dates read as people read them, with the exact time on hover.
    const created = page.locator("#keys tbody time").first();
    await expect(created.textContent()).resolves.toBe("just now");
    expect(await created.getAttribute("title")).toMatch(/\d{4}/);
    // After a reload only the prefix remains visible.
    await page.reload();
    await page.locator("#keys tbody tr").waitFor();
    const html = await page.content();
    expect(html).not.toContain(shownKey);
    expect(html).toContain(shownKey.slice(0, 8));
  });

  test("an integration's fetch with the key reads /api/devices; after Revoke the same fetch gets 401", async () => {
    const call = () =>
      page.evaluate(async (key) => {
        // No cookie: the key alone must carry the request.
        const res = await fetch("/api/devices", { headers: { "X-API-Key": key }, credentials: "omit" });
        return { status: res.status, body: await res.json() };
      }, shownKey);
    const before = await call();
    expect(before.status).toBe(200);
    expect(before.body).toEqual([]);
    // Create a second key so the one-time box is on screen when the first is revoked.
    await page.getByRole("button", { name: "Create API Key" }).click();
    await page.fill("#key-name", "Grafana Dashboard");
    await page.click("#key-form button[type=submit]");
    await page.locator("#new-key-value").waitFor();
    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Revoke Home Assistant Integration" }).click();
    await page.locator("#keys tbody tr", { hasText: "Home Assistant Integration" }).waitFor({ state: "detached" });
    // The "copy this key now" box does not outlive a revoke.
    await expect(page.locator("#new-key").count()).resolves.toBe(0);
    const after = await call();
    expect(after).toEqual({ status: 401, body: { detail: "Not authenticated" } });
    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Revoke Grafana Dashboard" }).click();
    await page.locator("#no-keys").waitFor({ state: "visible" });
  });

  test("Log out ends the session; /login with a wrong password shows the error; the right one returns to the page asked for", async () => {
    await Promise.all([page.waitForURL(/\/login$/), page.click("#logout")]);
    await page.goto(base + "/settings");
    expect(page.url()).toBe(`${base}/login?next=%2Fsettings`);
    await page.fill("#username", ADMIN.username);
    await page.fill("#password", "wrong password here");
    await page.click("button[type=submit]");
    await page.locator(".error", { hasText: "Invalid username or password" }).waitFor();
    await page.fill("#password", ADMIN.password);
    await Promise.all([page.waitForURL(base + "/settings"), page.click("button[type=submit]")]);
    await page.getByRole("heading", { name: "API Keys" }).waitFor();
    // Signed in already, /login (a bookmark, the back button) goes straight on to where it would lead.
    await page.goto(`${base}/login?next=%2Fchanges`);
    expect(page.url()).toBe(`${base}/changes`);
  });

  test("after login, ?next= can only lead to a page of this appliance", async () => {
    for (const next of ["/%5Cevil.example", "/%09/evil.example", "//evil.example", "http://evil.example/"]) {
      const ctx = await browser.newContext();
      const p = await ctx.newPage();
      await p.goto(`${base}/login?next=${next}`);
      await p.fill("#username", ADMIN.username);
      await p.fill("#password", ADMIN.password);
      await Promise.all([p.waitForURL((u) => u.pathname === "/" || !u.href.startsWith(base)), p.click("button[type=submit]")]);
      expect(p.url()).toBe(`${base}/`);
      await ctx.close();
    }
  });

  test("/docs renders the API reference from /openapi.json under the app header, without any external request", async () => {
    const external: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(base)) external.push(r.url());
    });
    await page.goto(base + "/docs");
    await page.locator(".op").first().waitFor();
    const text = (await page.locator("#docs").textContent()) ?? "";
    expect(text).toContain("/api/keys");
    expect(text).toContain("Create an API key");
    await expect(page.locator("header.top nav").getByRole("link", { name: "Devices" }).count()).resolves.toBe(1);
    expect(external).toEqual([]);
  });

  test("an unknown page is an HTML 404 with the app header; the API keeps its JSON 404; the favicon is served", async () => {
    errors.length = 0; // earlier tests asked for 401s on purpose (wrong password, revoked key)
    const res = await page.goto(base + "/no-such-page");
    expect(res?.status()).toBe(404);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await expect(page.locator("header.top nav").getByRole("link", { name: "Dashboard" }).count()).resolves.toBe(1);
    const api = await page.evaluate(async () => {
      const r = await fetch("/api/no-such-thing", { headers: { accept: "text/html" } });
      return { status: r.status, body: await r.json() };
    });
    expect(api).toEqual({ status: 404, body: { detail: "Not found" } });
    for (const icon of ["/favicon.ico", "/favicon.svg"]) {
      const r = await page.evaluate(async (path) => {
        const res = await fetch(path);
        return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
      }, icon);
      expect(r.status).toBe(200);
      expect(r.type).toContain("image/svg+xml");
      expect(r.body).toStartWith("<svg");
    }
    // The two 404s asked for are the only errors the console shows.
    expect(errors.map((e) => e.replace(/^Failed to load resource: the server responded with a status of /, ""))).toEqual([
      "404 (Not Found) (http://127.0.0.1:8080/no-such-page)",
      "404 (Not Found) [http://127.0.0.1:8080/api/no-such-thing] (http://127.0.0.1:8080/no-such-page)",
    ]);
  });
});
