// Approval on /devices (issue 18), in Chromium against the real appliance over a seeded inventory:
// select every device the filtered list shows and approve them at once; Approve one device on its
// page; forget selected rows only after confirming. The names the list shows are the one display
// name (label > host name > vendor and IP > IP), with a host name column beside them. The appliance
// and the browser run in a namespace with nothing but loopback.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { DB_FILE } from "../../src/db/database.ts";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { startIsolatedServer, type NetServer } from "../helpers/netserver.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";
import { axeViolations, consoleErrors, overflow, signedIn } from "../helpers/ui.ts";
import { DEVICES, seedInventory, type Seeded } from "../inventory/seed.ts";

const missing = browserMissing();
const root = missing === null && requireRoot("runs the appliance and Chromium in a network namespace");

describe.skipIf(!root)("UI: approving devices on /devices (issue 18), against the real APIs (Chromium)", () => {
  let server: NetServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: Client;
  let seeded: Seeded;
  let errors: string[];

  beforeAll(async () => {
    server = await startIsolatedServer();
    ({ session: api } = await adminWithKey(server));
    const db = new Database(join(server.dataDir, DB_FILE));
    seeded = seedInventory(db);
    db.close();
    browser = await launchBrowserIn(server.ns);
    context = await signedIn(browser, api, server.inside);
    page = await context.newPage();
    errors = consoleErrors(page);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const untrusted = async () => (await api.get("/api/devices?is_trusted=false&limit=200")).body as { id: number; ip_address: string; is_trusted: boolean }[];

  test("the list names each device by its display name and shows its host name in a column of its own", async () => {
    await page.goto(server.inside + "/devices");
    await page.locator("table.devices tbody tr").first().waitFor();
    const row = (ip: string) => page.locator("table.devices tbody tr", { has: page.locator("td.mono", { hasText: new RegExp(`^${ip.replaceAll(".", "\\.")}$`) }) });
    // A label first, with the device's own name in the host name column.
    const tv = DEVICES.find((d) => d.ip === "192.168.1.30")!;
    await expect(row(tv.ip).locator("td.c-name a").textContent()).resolves.toBe(tv.label!);
    await expect(row(tv.ip).locator('td[data-label="Host name"]').textContent()).resolves.toBe(tv.hostname!);
    // Neither label nor host name: the vendor and the address.
    const plug = DEVICES.find((d) => d.ip === "192.168.1.102")!;
    expect([plug.label ?? null, plug.hostname]).toEqual([null, null]);
    await expect(row(plug.ip).locator("td.c-name a").textContent()).resolves.toBe(`${plug.vendor} ${plug.ip}`);
    await expect(row(plug.ip).locator('td[data-label="Host name"]').textContent()).resolves.toBe("—");
    expect(await page.locator("table.devices th", { hasText: "Host name" }).count()).toBe(1);
  });

  test("bulk approve: select all shown devices of the filtered list, approve, and all of them are trusted", async () => {
    const before = await untrusted();
    expect(before.length).toBeGreaterThan(1);
    await page.goto(server.inside + "/devices?is_trusted=false");
    await page.waitForFunction((n) => document.querySelectorAll("table.devices tbody tr").length === n, before.length);
    const bar = page.getByRole("group", { name: "Selected devices" });
    await expect(bar.getByRole("button", { name: "Approve" }).isDisabled()).resolves.toBe(true);
    await bar.getByLabel(`Select all shown (${before.length})`).check();
    await bar.getByText(`${before.length} selected`).waitFor();
    for (const box of await page.locator("table.devices tbody input[type=checkbox]").all()) expect(await box.isChecked()).toBe(true);
    await bar.getByRole("button", { name: "Approve" }).click();
    await page.locator(".toast", { hasText: `Approved ${before.length} devices: trusted now` }).waitFor();
    // Every device that was shown is trusted now; none is left untrusted, and the filtered list says so.
    for (const d of before) expect((await api.get(`/api/devices/${d.id}`)).body.is_trusted).toBe(true);
    expect(await untrusted()).toEqual([]);
    await page.getByText("No device matches these filters").waitFor();
    // Audited one entry per device, as single edits are.
    const audits = (await api.get("/api/audit-logs?action=device_updated&limit=200")).body as { resource: string; details: { bulk?: boolean } }[];
    expect(audits.filter((a) => a.details.bulk).map((a) => a.resource).sort()).toEqual(before.map((d) => `device:${d.id}`).sort());
  });

  test("Approve on a device's page trusts that device", async () => {
    const id = seeded.deviceIds[DEVICES.findIndex((d) => d.ip === "192.168.1.20")];
    expect((await api.request("PUT", `/api/devices/${id}`, { json: { is_trusted: false } })).status).toBe(200);
    await page.goto(`${server.inside}/devices/${id}`);
    await page.getByRole("button", { name: "Approve" }).click();
    await page.locator(".toast", { hasText: "is trusted now" }).waitFor();
    await page.getByRole("button", { name: "Approve" }).waitFor({ state: "detached" });
    expect((await api.get(`/api/devices/${id}`)).body.is_trusted).toBe(true);
  });

  test("bulk forget asks first: dismissed, nothing goes; confirmed, the selected rows are forgotten", async () => {
    const [a, b] = ["192.168.1.60", "192.168.1.61"];
    const ids = [a, b].map((ip) => seeded.deviceIds[DEVICES.findIndex((d) => d.ip === ip)]);
    await page.goto(server.inside + "/devices?zone=Lab");
    await page.locator("table.devices tbody tr", { hasText: a }).waitFor();
    for (const ip of [a, b]) await page.locator("table.devices tbody tr", { hasText: ip }).locator("input[type=checkbox]").check();
    const bar = page.getByRole("group", { name: "Selected devices" });
    let asked = "";
    page.once("dialog", (d) => ((asked = d.message()), void d.dismiss()));
    await bar.getByRole("button", { name: "Forget" }).click();
    expect(asked).toMatch(/^Forget 2 devices\?/);
    for (const id of ids) expect((await api.get(`/api/devices/${id}`)).status).toBe(200);
    page.once("dialog", (d) => void d.accept());
    await bar.getByRole("button", { name: "Forget" }).click();
    await page.locator(".toast", { hasText: "Forgot 2 devices" }).waitFor();
    for (const id of ids) expect((await api.get(`/api/devices/${id}`)).status).toBe(404);
    await page.locator("table.devices tbody tr", { hasText: a }).waitFor({ state: "detached" });
  });

  test("/changes shows a renamed device's name today beside the description written with its old one", async () => {
    const i = DEVICES.findIndex((d) => d.ip === "192.168.1.101");
    const id = seeded.deviceIds[i];
    expect((await api.request("PUT", `/api/devices/${id}`, { json: { label: "Front door camera" } })).status).toBe(200);
    const ids = ((await api.get(`/api/changes?acknowledged=false&device_id=${id}`)).body as { id: number }[]).map((c) => c.id);
    expect(ids.length).toBeGreaterThan(0);
    await page.goto(`${server.inside}/changes?acknowledged=false`);
    for (const changeId of ids) await expect(page.locator(`li[data-change-id="${changeId}"] .tl-device`).textContent()).resolves.toBe(" · Front door camera");
  });

  test("the page with its selection bar stays clean at 360 px and in dark mode: no sideways scrolling, no accessibility violations", async () => {
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 360, height: 780 });
      await page.goto(server.inside + "/devices");
      await page.locator("table.devices tbody tr").first().waitFor();
      expect(await overflow(page)).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("no console errors along the way", () => {
    expect(errors).toEqual([]);
  });
});
