// A device's interfaces on its page (SPEC §7 "several interfaces"), in Chromium against the real
// appliance: its MACs are listed with the randomised hint; "Merge with…" finds the other device by
// IP and merges it only after confirming; "Split" gives a MAC its own device again, also after
// confirming. The appliance and the browser run in a namespace with nothing but loopback.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { DB_FILE } from "../../src/db/database.ts";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { startIsolatedServer, type NetServer } from "../helpers/netserver.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";
import { axeViolations, consoleErrors, overflow, signedIn } from "../helpers/ui.ts";

const missing = browserMissing();
const root = missing === null && requireRoot("runs the appliance and Chromium in a network namespace");

const WIRED = "b8:27:eb:00:00:01";
const WIFI = "06:aa:00:00:00:02"; // locally administered: shown as random

describe.skipIf(!root)("UI: a device's interfaces, merged and split (Chromium)", () => {
  let server: NetServer;
  let browser: Browser;
  let page: Page;
  let api: Client;
  let errors: string[];
  let wired = 0;
  let wifi = 0;

  beforeAll(async () => {
    server = await startIsolatedServer();
    ({ session: api } = await adminWithKey(server));
    const db = new Database(join(server.dataDir, DB_FILE));
    const insert = (mac: string, ip: string, randomized: number, label: string | null) =>
      (
        db
          .query("INSERT INTO devices (mac_address, ip_address, mac_randomized, status, first_seen, last_seen, label) VALUES (?, ?, ?, 'online', ?, ?, ?) RETURNING id")
          .get(mac, ip, randomized, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", label) as { id: number }
      ).id;
    wired = insert(WIRED, "192.168.1.10", 0, "Anna's laptop");
    wifi = insert(WIFI, "192.168.1.77", 1, null);
    db.close();
    browser = await launchBrowserIn(server.ns);
    const context = await signedIn(browser, api, server.inside);
    page = await context.newPage();
    errors = consoleErrors(page);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const macRows = () => page.locator("section[aria-labelledby=macs-h] tbody tr");

  test("the device page lists its MAC as primary; the other device's as random", async () => {
    await page.goto(`${server.inside}/devices/${wired}`);
    await page.getByRole("heading", { name: "Interfaces" }).waitFor();
    expect(await macRows().count()).toBe(1);
    await expect(macRows().first().textContent()).resolves.toContain(WIRED);
    await expect(macRows().first().locator(".hint").textContent()).resolves.toBe("primary");
    expect(await macRows().first().getByRole("button", { name: /Split/ }).count()).toBe(0);
    await page.goto(`${server.inside}/devices/${wifi}`);
    await macRows().first().locator(".hint", { hasText: "random" }).waitFor();
  });

  test("Merge with…: found by IP, dismissed first (nothing merges), then confirmed: both MACs on one device, the other gone", async () => {
    await page.goto(`${server.inside}/devices/${wired}`);
    await page.getByText("Merge with…").click();
    await page.getByLabel("Find by IP or name").fill("192.168.1.77");
    const candidate = page.locator(".merge-candidates li", { hasText: "192.168.1.77" });
    await candidate.waitFor();
    let asked = "";
    page.once("dialog", (d) => ((asked = d.message()), void d.dismiss()));
    await candidate.getByRole("button", { name: "Merge" }).click();
    expect(asked).toMatch(/^Merge .* into Anna's laptop\?/);
    expect((await api.get(`/api/devices/${wifi}`)).status).toBe(200);
    page.once("dialog", (d) => void d.accept());
    await candidate.getByRole("button", { name: "Merge" }).click();
    await page.locator(".toast", { hasText: "merged into Anna's laptop" }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll("section[aria-labelledby=macs-h] tbody tr").length === 2);
    await expect(macRows().nth(1).textContent()).resolves.toContain(WIFI);
    expect((await api.get(`/api/devices/${wifi}`)).status).toBe(404);
  });

  test("the page stays clean at 360 px and in dark mode: no sideways scrolling, no accessibility violations", async () => {
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 360, height: 780 });
      await page.goto(`${server.inside}/devices/${wired}`);
      await page.getByRole("heading", { name: "Interfaces" }).waitFor();
      await page.getByText("Merge with…").click();
      expect(await overflow(page)).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("Split, confirmed: the MAC is a device of its own again", async () => {
    await page.goto(`${server.inside}/devices/${wired}`);
    await page.waitForFunction(() => document.querySelectorAll("section[aria-labelledby=macs-h] tbody tr").length === 2);
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: `Split ${WIFI} off` }).click();
    await page.locator(".toast", { hasText: `${WIFI} is device` }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll("section[aria-labelledby=macs-h] tbody tr").length === 1);
    const found = (await api.get(`/api/devices?q=${WIFI}`)).body as { id: number; mac_address: string }[];
    expect(found.map((d) => d.mac_address)).toEqual([WIFI]);
    expect(found[0].id).not.toBe(wired);
  });

  test("no console errors along the way", () => {
    expect(errors).toEqual([]);
  });
});
