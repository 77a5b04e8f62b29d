// A person's first minutes with Argus, in a real browser: setup, the API key screen the API
// Authentication document describes (Settings → API Keys → Create API Key → copy), revoke, log out, log in.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { ADMIN, Client, startTestServer, type TestServer } from "../helpers/server.ts";
import { browserMissing, launchBrowser } from "../helpers/browser.ts";

const missing = browserMissing();

describe.skipIf(missing !== null)("UI: setup, API keys, login (Chromium)", () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
    page = await (await browser.newContext()).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test("a fresh appliance sends the visitor to /setup, which creates the admin and signs in", async () => {
    await page.goto(server.url + "/");
    expect(new URL(page.url()).pathname).toBe("/setup");
    await page.fill("#username", ADMIN.username);
    await page.fill("#password", ADMIN.password);
    await page.fill("#confirm", "a different password");
    await page.click("button[type=submit]");
    await page.locator(".error", { hasText: "The passwords do not match" }).waitFor();
    await page.fill("#confirm", ADMIN.password);
    // Confirm one network by hand (and none of the detected ones: this machine's LAN is not ours).
    for (const box of await page.locator("input[name=subnet]").all()) await box.uncheck();
    await page.fill("#extra-subnets", "10.99.0.0/24");
    await Promise.all([page.waitForURL(server.url + "/"), page.click("button[type=submit]")]);
    await expect(page.locator("h1").textContent()).resolves.toBe("Overview");
    expect(JSON.parse(await Bun.file(`${server.dataDir}/config.json`).text()).subnets).toEqual(["10.99.0.0/24"]);
  });

  let shownKey = "";

  test("Settings → API Keys → Create API Key shows the full key once", async () => {
    await page.goto(server.url + "/settings");
    await page.fill("#key-name", "Home Assistant Integration");
    await page.click("#key-form button[type=submit]");
    await page.locator("#new-key-value").waitFor();
    shownKey = (await page.locator("#new-key-value").textContent()) ?? "";
    expect(shownKey).toMatch(/^argus_[A-Za-z0-9_-]{43}$/);
    await expect(page.locator("#keys tbody tr").count()).resolves.toBe(1);
    await expect(page.locator("#keys tbody").textContent()).resolves.toContain("Home Assistant Integration");
    // The copied key works for an integration.
    expect((await new Client(server.url).get("/api/keys", { "X-API-Key": shownKey })).status).toBe(200);
    // After a reload only the prefix remains visible.
    await page.reload();
    await page.locator("#keys tbody tr").waitFor();
    const html = await page.content();
    expect(html).not.toContain(shownKey);
    expect(html).toContain(shownKey.slice(0, 8));
  });

  test("Revoke asks for confirmation and the key stops working at once", async () => {
    page.once("dialog", (d) => d.accept());
    await page.click("#keys tbody button[data-key-id]");
    await page.locator("#no-keys").waitFor({ state: "visible" });
    const res = await new Client(server.url).get("/api/keys", { "X-API-Key": shownKey });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: "Not authenticated" });
  });

  test("Log out ends the session; /login with a wrong password shows the error; the right one returns to the page asked for", async () => {
    await Promise.all([page.waitForURL(/\/login$/), page.click("#logout")]);
    await page.goto(server.url + "/settings");
    expect(page.url()).toBe(`${server.url}/login?next=%2Fsettings`);
    await page.fill("#username", ADMIN.username);
    await page.fill("#password", "wrong password here");
    await page.click("button[type=submit]");
    await page.locator(".error", { hasText: "Invalid username or password" }).waitFor();
    await page.fill("#password", ADMIN.password);
    await Promise.all([page.waitForURL(server.url + "/settings"), page.click("button[type=submit]")]);
    await expect(page.locator("h2").first().textContent()).resolves.toBe("API Keys");
  });

  test("after login, ?next= can only lead to a page of this appliance", async () => {
    for (const next of ["/%5Cevil.example", "/%09/evil.example", "//evil.example", "http://evil.example/"]) {
      const ctx = await browser.newContext();
      const p = await ctx.newPage();
      await p.goto(`${server.url}/login?next=${next}`);
      await p.fill("#username", ADMIN.username);
      await p.fill("#password", ADMIN.password);
      await Promise.all([p.waitForURL((u) => u.pathname === "/" || !u.href.startsWith(server.url)), p.click("button[type=submit]")]);
      expect(p.url()).toBe(`${server.url}/`);
      await ctx.close();
    }
  });

  test("/docs renders the API reference from /openapi.json without any external script", async () => {
    const external: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(server.url)) external.push(r.url());
    });
    await page.goto(server.url + "/docs");
    await page.locator(".op").first().waitFor();
    const text = (await page.locator("#docs").textContent()) ?? "";
    expect(text).toContain("/api/keys");
    expect(text).toContain("Create an API key");
    expect(external).toEqual([]);
  });
});
