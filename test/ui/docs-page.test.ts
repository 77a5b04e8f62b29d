// /docs in a real browser: the reference rendered from /openapi.json, offline, readable (Markdown
// code spans as code, responses with their examples), with a way back to the app.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { browserMissing, launchBrowser } from "../helpers/browser.ts";

const missing = browserMissing();

describe.skipIf(missing !== null)("UI: the API reference at /docs (Chromium)", () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
    page = await (await browser.newContext()).newPage();
    await page.goto(server.url + "/docs");
    await page.locator("section.op").first().waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test("renders Markdown backticks as code, not literally", async () => {
    const intro = page.locator("#docs > p").first();
    await expect(intro.locator("code", { hasText: "X-API-Key: argus_…" }).count()).resolves.toBe(1);
    const text = (await page.locator("#docs").textContent()) ?? "";
    expect(text).not.toContain("`");
  });

  test("shows every operation with its responses and the seed's examples", async () => {
    const spec = await (await fetch(server.url + "/openapi.json")).json();
    const ops = Object.values<Record<string, unknown>>(spec.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    await expect(page.locator("section.op").count()).resolves.toBe(ops);
    const createKey = page.locator("section.op", { has: page.locator("h2", { hasText: /^POST\s+\/api\/keys$/ }) });
    await expect(createKey.textContent()).resolves.toContain("201");
    // The request example, then the 201 answer's.
    await expect(createKey.locator("details pre").first().textContent()).resolves.toContain('"name": "My Integration"');
    await expect(createKey.locator("details pre").nth(1).textContent()).resolves.toContain('"key_prefix": "argus_ab"');
    const health = page.locator("section.op", { has: page.locator("h2", { hasText: "/health" }) });
    await expect(health.textContent()).resolves.toContain("no authentication");
  });

  test("has a way back to the app", async () => {
    await Promise.all([page.waitForURL((url) => url.pathname !== "/docs"), page.click("text=Back to Argus")]);
    // A fresh appliance sends the visitor on to setup; the link itself points at the app's root.
    expect(["/", "/setup", "/login"]).toContain(new URL(page.url()).pathname);
  });
});
