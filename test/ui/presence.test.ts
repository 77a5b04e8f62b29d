// Presence history in Chromium on the namespace test network (SPEC §7 "Presence"): a host heard by
// the passive watch appears in the open dashboard's heat strip without a reload; its device page
// shows a timeline strip with the open session; when complete scans no longer find it, the open page
// follows (the session ends at its last sighting), and the API answers the same interval.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { gratuitousArp } from "../helpers/frames.ts";
import { sendFrames } from "../helpers/lan.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireTools } from "../helpers/require.ts";
import { type Client, setupAdmin } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { consoleErrors, signedIn } from "../helpers/ui.ts";
import { OFFLINE_AFTER_MISSES } from "../../src/inventory/reconcile.ts";

const missing = browserMissing();
const runnable = missing === null && requireRoot("runs the appliance and Chromium in network namespaces") && requireTools([["python3", "python3"]]);

describe.skipIf(!runnable)("presence history (Chromium, passive watch and scans)", () => {
  let net: Testnet;
  let server: NetServer;
  let browser: Browser;
  let session: Client;
  const errorLists: string[][] = [];
  const host = () => net.truth.hosts.filter((h) => h.behaviour === "normal")[0];

  const newPage = async (width = 1280): Promise<Page> => {
    const context: BrowserContext = await signedIn(browser, session, server.inside, { viewport: { width, height: 900 } });
    const page = await context.newPage();
    errorLists.push(consoleErrors(page));
    return page;
  };
  const scan = async () => {
    const res = await session.request("POST", "/api/scan/trigger?profile=quick");
    expect(res.status).toBe(202);
    return waitForScan(session, res.body.scan_id);
  };
  let dashboard: Page;
  let deviceId: number;

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    session = await setupAdmin(server);
    browser = await launchBrowserIn(server.ns);
    dashboard = await newPage();
    await dashboard.goto(server.inside + "/");
    await dashboard.locator(".stat", { hasText: "Devices" }).first().waitFor();
    await dashboard.evaluate(() => ((window as any).notReloaded = true));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await net?.down();
  }, 60_000);

  test("a host heard by the passive watch appears in the open dashboard's heat strip, with its online hour", async () => {
    expect(await dashboard.locator("section.heat").count()).toBe(0);
    const h = host();
    await sendFrames(net, h.ns, [gratuitousArp(h.mac!, h.ip)]);
    const row = dashboard.locator(".heat-rows li", { hasText: h.ip });
    await row.waitFor({ timeout: 5000 });
    expect(await dashboard.evaluate(() => (window as any).notReloaded)).toBe(true);
    // A shaded cell for the current hour (two when the hour turned since it was heard), named for
    // people who cannot see the colour.
    const svg = row.locator("svg.heat-row");
    expect(await svg.getAttribute("aria-label")).toMatch(/: online .+ in the last 24 h$/);
    const cells = await svg.locator("rect.pr-on").count();
    expect(cells >= 1 && cells <= 2).toBe(true);
    expect(await svg.locator("rect.pr-on title").last().textContent()).toContain(": online ");
    const devices = (await session.get("/api/devices")).body as any[];
    expect(devices.map((d) => d.mac_address)).toEqual([h.mac]);
    deviceId = devices[0].id;
    expect(await row.locator("a.heat-name").getAttribute("href")).toBe(`/devices/${deviceId}`);
    // 7 days of hours: a page the API answers (at most 50,000 buckets per answer), the host in it.
    await dashboard.locator("section.heat .span-choice button", { hasText: "7 d" }).click();
    await row.locator("svg.heat-row[aria-label$='in the last 7 d']").waitFor({ timeout: 5000 });
    expect(await row.locator("svg.heat-row").getAttribute("aria-label")).toMatch(/: online .+ in the last 7 d$/);
    await dashboard.locator("section.heat .span-choice button", { hasText: "24 h" }).click();
    await row.locator("svg.heat-row[aria-label$='in the last 24 h']").waitFor({ timeout: 5000 });
  }, 30_000);

  test("the device page shows a timeline strip with the open session, and follows the device going offline", async () => {
    const page = await newPage(360);
    await page.goto(`${server.inside}/devices/${deviceId}`);
    const strip = page.locator("svg.presence-strip");
    await strip.waitFor();
    expect(await strip.getAttribute("aria-label")).toMatch(/^Online \d+% of the last 24 h \(1 interval\)$/);
    const open = strip.locator("rect.pr-on.pr-open");
    expect(await open.count()).toBe(1);
    const openTitle = (await open.locator("title").textContent())!;
    expect(openTitle).toMatch(/^Online .+ – now, seen by the passive watch$/);
    await page.evaluate(() => ((window as any).notReloaded = true));

    // The span choices: 30 days shows the same interval.
    await page.getByRole("button", { name: "30 d" }).click();
    await page.getByRole("button", { name: "30 d", pressed: true }).waitFor();
    await page.locator("svg.presence-strip[aria-label$='of the last 30 d (1 interval)']").waitFor({ timeout: 3000 });

    // Seen by a scan, then gone: complete scans that no longer find it take it offline.
    const h = host();
    await scan();
    const seen = (await session.get(`/api/devices/${deviceId}`)).body.last_seen as string;
    const down = await net.nsExec(h.ns, ["ip", "link", "set", "eth0", "down"]);
    expect(down.exitCode).toBe(0);
    for (let i = 0; i < OFFLINE_AFTER_MISSES; i++) await scan();
    expect((await session.get(`/api/devices/${deviceId}`)).body.status).toBe("offline");

    // The open page follows: the interval now ends at the last sighting (no "now"), without a reload.
    await strip.locator("rect.pr-open").waitFor({ state: "detached", timeout: 5000 });
    const closed = strip.locator("rect.pr-on");
    expect(await closed.count()).toBe(1);
    const title = (await closed.locator("title").textContent())!;
    expect(title).toMatch(/^Online .+ – .+ \(.+\), seen by the passive watch$/);
    expect(title).not.toContain("– now");
    expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true);

    const intervals = await session.get(`/api/devices/${deviceId}/presence`);
    expect(intervals.body).toEqual([{ from: expect.any(String), to: seen, source: "passive" }]);
    expect(Date.parse(intervals.body[0].from)).toBeLessThanOrEqual(Date.parse(seen));
    // Nothing wider than the phone's screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.context().close();
  }, 120_000);

  test("no console errors on the pages", () => {
    expect(errorLists.flat()).toEqual([]);
  });
});
