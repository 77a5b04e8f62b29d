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

  /** A page of its own, so that searching leaves the shared one as the other tests expect it. */
  const freshDocs = async () => {
    const p = await (await browser.newContext()).newPage();
    await p.goto(server.url + "/docs");
    await p.locator("section.op").first().waitFor();
    return p;
  };
  const opHeadings = async (p: Page) => (await p.locator("section.op h2").allTextContents()).map((t) => t.replace(/\s+/g, " ").trim());

  test("a table of contents names each tag of the document and links to its operations", async () => {
    const spec = await (await fetch(server.url + "/openapi.json")).json();
    const byTag = new Map<string, number>();
    for (const ops of Object.values<Record<string, any>>(spec.paths)) for (const op of Object.values(ops)) byTag.set(op.tags[0], (byTag.get(op.tags[0]) ?? 0) + 1);
    const p = await freshDocs();
    try {
      const links = p.getByRole("navigation", { name: "Contents" }).getByRole("link");
      expect((await links.allTextContents()).sort()).toEqual([...byTag.keys()].sort());
      // Each tag's section holds exactly that tag's operations, and its link jumps there.
      const section = (tag: string) => p.locator("section.docs-tag", { has: p.locator("h2.tag-h", { hasText: new RegExp(`^${tag}$`) }) });
      for (const [tag, n] of byTag) expect({ tag, n: await section(tag).locator("section.op").count() }).toEqual({ tag, n });
      for (const tag of ["devices", "api keys"]) {
        await links.filter({ hasText: new RegExp(`^${tag}$`) }).click();
        expect(new URL(p.url()).hash).toBe(`#${await section(tag).getAttribute("id")}`);
      }
      await expect(section("devices").locator("section.op h2", { hasText: "/api/devices/{id}/wake" }).count()).resolves.toBe(1);
    } finally {
      await p.context().close();
    }
  });

  test("the search box narrows the operations by path or summary as one types", async () => {
    const all = await page.locator("section.op").count();
    const p = await freshDocs();
    try {
      const box = p.getByLabel("Search operations");
      // By path: one keystroke at a time, as a person types.
      await box.pressSequentially("/wake");
      await p.waitForFunction(() => document.querySelectorAll("section.op").length === 1);
      expect(await opHeadings(p)).toEqual(["POST /api/devices/{id}/wake"]);
      // The contents follow: only the devices tag is left, with its one match.
      expect(await p.getByRole("navigation", { name: "Contents" }).textContent()).toBe("Contentsdevices (1)");
      // The count agrees with its verb: "1 operation matches", "2 operations match" (it read "1 operation match").
      await expect(p.getByText("1 operation matches", { exact: true }).count()).resolves.toBe(1);
      // By summary words, in any case and order: "Magic packet" is only in the wake route's summary.
      await box.fill("PACKET magic");
      await p.waitForFunction(() => document.querySelectorAll("section.op").length === 1);
      expect(await opHeadings(p)).toEqual(["POST /api/devices/{id}/wake"]);
      // Every operation whose path holds "keys" and no other.
      await box.fill("/api/keys");
      const spec = await (await fetch(server.url + "/openapi.json")).json();
      const keyOps = Object.entries<Record<string, unknown>>(spec.paths).flatMap(([path, ops]) => (path.includes("/api/keys") ? Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`) : []));
      await p.waitForFunction((n) => document.querySelectorAll("section.op").length === n, keyOps.length);
      expect((await opHeadings(p)).sort()).toEqual(keyOps.sort());
      expect(keyOps.length).toBeGreaterThan(1);
      await expect(p.getByText(`${keyOps.length} operations match`, { exact: true }).count()).resolves.toBe(1);
      await box.fill("no-such-operation");
      await p.getByText("No operation matches “no-such-operation”.").waitFor();
      await expect(p.locator("section.op").count()).resolves.toBe(0);
      await box.fill("");
      await p.waitForFunction((n) => document.querySelectorAll("section.op").length === n, all);
    } finally {
      await p.context().close();
    }
  });

  test("has a way back to the app", async () => {
    await Promise.all([page.waitForURL((url) => url.pathname !== "/docs"), page.click("text=Back to Argus")]);
    // A fresh appliance sends the visitor on to setup; the link itself points at the app's root.
    expect(["/", "/setup", "/login"]).toContain(new URL(page.url()).pathname);
  });
});
