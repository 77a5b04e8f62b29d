// Departures on an open page (issue 18), in Chromium on the namespace test network: with /devices
// open, no scan run and none scheduled, a host that leaves (its link goes down) turns offline in the
// list without a reload, because the departure prober's `device_removed` and the device record reach
// the page through /api/events. The owner sets the device's presence mode on its page first.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { gratuitousArp } from "../helpers/frames.ts";
import { mustRun, sendFrames } from "../helpers/lan.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { requireTools } from "../helpers/require.ts";
import { type Client, setupAdmin } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { consoleErrors, signedIn } from "../helpers/ui.ts";

const missing = browserMissing();
const runnable = missing === null && requireRoot("runs the appliance and Chromium in network namespaces") && requireTools([["python3", "python3"]]);

describe.skipIf(!runnable)("departures on a live page (Chromium, no scan)", () => {
  let net: Testnet;
  let server: NetServer;
  let browser: Browser;
  let session: Client;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    session = await setupAdmin(server);
    // A short grace keeps the test quick; the schedule is the same as with the defaults.
    const res = await session.request("PUT", "/api/config", { json: { departures: { normal_grace_s: 3, always_on_grace_s: 3, frames_per_device_per_minute: 20 } } });
    expect(res.status).toBe(200);
    browser = await launchBrowserIn(server.ns);
    const context = await signedIn(browser, session, server.inside, { viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = consoleErrors(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await net?.down();
  }, 60_000);

  test("a host that leaves goes offline on an open page (/devices), with no scan scheduled", async () => {
    expect((await session.get("/api/schedule")).body).toEqual([]);
    const h = net.hostsWith("normal").filter((x) => !x.role)[0];
    await sendFrames(net, h.ns, [gratuitousArp(h.mac!, h.ip)]);
    await page.goto(`${server.inside}/devices`);
    await page.locator("table.devices tbody tr", { hasText: h.ip }).waitFor({ timeout: 10_000 });
    const id = ((await session.get("/api/devices")).body as any[]).find((d) => d.mac_address === h.mac).id;

    // On its page the owner says it is always on.
    await page.goto(`${server.inside}/devices/${id}`);
    await page.getByLabel("Presence mode").selectOption("always_on");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved").first().waitFor();
    expect((await session.get(`/api/devices/${id}`)).body.presence_mode).toBe("always_on");

    await page.goto(`${server.inside}/devices`);
    const row = page.locator("table.devices tbody tr", { hasText: h.ip });
    await row.locator(".dot.online").waitFor({ timeout: 10_000 });
    await page.evaluate(() => ((window as any).notReloaded = true));

    await mustRun(net, h.ns, ["ip", "link", "set", "eth0", "down"]);
    const left = Date.now();
    await row.locator(".dot.offline").waitFor({ timeout: 30_000 });
    console.log(`the open page showed the departure ${((Date.now() - left) / 1000).toFixed(1)} s after the link went down`);
    expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true);
    expect(await row.locator(".dot.online").count()).toBe(0);

    const removed = ((await session.get("/api/changes?change_type=device_removed")).body as any[]).filter((c) => c.device_mac === h.mac);
    expect(removed).toHaveLength(1);
    expect(removed[0]).toMatchObject({ scan_id: null, severity: "warning" });
    expect((await session.get("/api/scans")).body).toEqual([]);
    expect(errors).toEqual([]);
  }, 90_000);
});
