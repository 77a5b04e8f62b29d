// Live pages (SPEC §7 "Live events"), in Chromium on the namespace test network: with the dashboard,
// /devices and /changes open and no scan at all, a host joining with DHCP (busybox udhcpc against a
// dnsmasq on the LAN, heard by the passive watch) appears on each page within 3 s, with a "New
// device" toast linking to it; the device page follows an edit made elsewhere within 1 s; and after
// the appliance restarts, the open pages reconnect and show what was recorded while they were away
// (and a device forgotten meanwhile leaves its open page and the list).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { requireTools } from "../helpers/require.ts";
import { type Client, setupAdmin } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { consoleErrors, signedIn } from "../helpers/ui.ts";
import { gratuitousArp } from "../helpers/frames.ts";
import { dnsmasqServer, mustRun, udhcpcJoin, udhcpcScript } from "../helpers/lan.ts";

const SEND = resolve(import.meta.dir, "../helpers/send-frames.py");
const missing = browserMissing();
const runnable =
  missing === null &&
  requireRoot("runs the appliance, a DHCP server and Chromium in network namespaces") &&
  requireTools([
    ["dnsmasq", "dnsmasq-base"],
    ["busybox", "busybox"],
    ["python3", "python3"],
  ]);

describe.skipIf(!runnable)("live pages (Chromium, passive watch, no scan)", () => {
  let net: Testnet;
  let server: NetServer;
  let browser: Browser;
  let session: Client;
  let dir: string;
  let script: string;
  let dnsmasq: ReturnType<typeof Bun.spawn> | null = null;
  const pages: Record<"dashboard" | "devices" | "changes", Page> = {} as any;
  /** Console errors of every page (a reconnect the restart refused must not be one). */
  const errorLists: string[][] = [];
  /**
   * While the test has the appliance stopped, Chromium itself logs every request of the pages that
   * finds no server ("Failed to load resource: net::ERR_CONNECTION_REFUSED"): the event stream
   * retries every 3 s, and a loaded machine takes longer than that to restart it; a stream that
   * reached the appliance as it was stopping has the pages reload what they show, into the gap.
   * Only that, only then, is expected: an answer of a running appliance (a 404, a 503), an error
   * of the page itself, or a failed request once it is back, still counts.
   */
  let applianceDown = false;
  const downtimeRefusal = (text: string, resource: string) =>
    applianceDown && /^Failed to load resource: net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE)$/.test(text) && resource.startsWith(server.inside + "/");
  const host = (n: number) => net.truth.hosts.filter((h) => h.behaviour === "normal")[n - 1];

  const sh = (ns: string, cmd: string[], stdin?: string) => mustRun(net, ns, cmd, stdin);
  const newPage = async (): Promise<Page> => {
    const context: BrowserContext = await signedIn(browser, session, server.inside, { viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    errorLists.push(consoleErrors(page, downtimeRefusal));
    return page;
  };
  const statValue = async (page: Page, label: string) => Number((await page.locator(".stat", { hasText: label }).first().locator(".stat-value").textContent())?.replaceAll(",", ""));
  const changes = async (type: string, mac: string) => ((await session.get(`/api/changes?change_type=${type}&limit=1000`)).body as any[]).filter((c) => c.device_mac === mac);

  beforeAll(async () => {
    net = await startTestnet({ hosts: 4 });
    dir = mkdtempSync(join(tmpdir(), "argus-live-"));
    script = udhcpcScript(dir);
    await sh(host(2).ns, ["ip", "addr", "flush", "dev", "eth0"]);
    dnsmasq = dnsmasqServer(host(1).ns, "10.231.0.100,10.231.0.199");
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    session = await setupAdmin(server);
    browser = await launchBrowserIn(server.ns);
    for (const [name, path] of [["dashboard", "/"], ["devices", "/devices"], ["changes", "/changes"]] as const) {
      pages[name] = await newPage();
      await pages[name].goto(server.inside + path);
    }
    await pages.dashboard.locator(".stat", { hasText: "Devices" }).first().waitFor();
    await pages.devices.getByText("No devices yet").waitFor();
    await pages.changes.getByText("Nothing new to look at").waitFor();
    // A mark that a reload would wipe: the pages below must change without one.
    for (const p of Object.values(pages)) await p.evaluate(() => ((window as any).notReloaded = true));
  }, 120_000);

  afterAll(async () => {
    dnsmasq?.kill("SIGKILL");
    await browser?.close();
    await server?.close();
    await net?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test("a DHCP join appears on the open dashboard, /devices and /changes within 3 s, with a 'New device' toast linking to it", async () => {
    expect((await session.get("/api/devices")).body).toEqual([]);
    expect(await statValue(pages.dashboard, "Devices")).toBe(0);
    const mac = "3c:07:54:00:00:31";
    const ns = host(2).ns;
    await sh(ns, ["ip", "link", "set", "eth0", "address", mac]);
    await sh(ns, udhcpcJoin(script, "kitchen-tablet"));
    const joined = Date.now();

    // Each page, without a reload, within 3 s of the join.
    await pages.dashboard.waitForFunction(() => document.querySelector(".stat .stat-value")?.textContent === "1", null, { timeout: 3000 });
    await pages.dashboard.locator(".timeline li", { hasText: "New device" }).waitFor({ timeout: Math.max(1, 3000 - (Date.now() - joined)) });
    await pages.devices.locator("table.devices tbody tr", { hasText: "kitchen-tablet" }).waitFor({ timeout: Math.max(1, 3000 - (Date.now() - joined)) });
    await pages.changes.locator("ul.changes li", { hasText: "New device" }).waitFor({ timeout: Math.max(1, 3000 - (Date.now() - joined)) });
    expect(Date.now() - joined).toBeLessThan(3000);

    // The toast names the device as the owner would (its host name here) and its type, and links to it.
    const d = ((await session.get(`/api/devices?q=${mac}`)).body as any[])[0];
    expect(d).toMatchObject({ mac_address: mac, hostname: "kitchen-tablet" });
    const text = `New device: kitchen-tablet (${d.device_type.replaceAll("_", " ")})`;
    for (const p of [pages.dashboard, pages.devices, pages.changes]) {
      const link = p.locator(".toast a", { hasText: text });
      await link.waitFor({ timeout: 3000 });
      expect(await link.getAttribute("href")).toBe(`/devices/${d.id}`);
    }
    expect(await statValue(pages.dashboard, "Online")).toBe(1);
    expect(await pages.devices.locator("table.devices tbody tr").count()).toBe(1);
    expect(await pages.devices.locator("table.devices tbody tr .dot.online").count()).toBe(1);
    for (const p of Object.values(pages)) expect(await p.evaluate(() => (window as any).notReloaded)).toBe(true);
  }, 60_000);

  test("the device page follows an edit made elsewhere within 1 s", async () => {
    const d = ((await session.get("/api/devices")).body as any[])[0];
    const page = await newPage();
    await page.goto(`${server.inside}/devices/${d.id}`);
    await page.getByRole("heading", { name: "kitchen-tablet", level: 1 }).waitFor();
    const res = await session.request("PUT", `/api/devices/${d.id}`, { json: { label: "Kitchen tablet" } });
    expect(res.status).toBe(200);
    const saved = Date.now();
    await page.getByRole("heading", { name: "Kitchen tablet", level: 1 }).waitFor({ timeout: 1000 });
    expect(Date.now() - saved).toBeLessThan(1000);
    await page.context().close();
  }, 30_000);

  test("after the appliance restarts, the open pages reconnect and show a change recorded while they were away", async () => {
    const h = host(3);
    applianceDown = true;
    expect(await server.kill("SIGTERM")).toBe(0);
    // Back on another port for a moment: the browser cannot reach it, the passive watch records a newcomer.
    await server.restart({ ARGUS_PORT: "8081" });
    await sh(h.ns, ["python3", SEND, "--iface", "eth0", "--rate", "1000"], Buffer.from(gratuitousArp(h.mac!, h.ip)).toString("hex") + "\n");
    for (let i = 0; i < 50 && (await changes("device_added", h.mac!)).length === 0; i++) await Bun.sleep(100);
    expect(await changes("device_added", h.mac!)).toHaveLength(1);
    expect(await server.kill("SIGTERM")).toBe(0);
    await server.restart();

    // The browsers reconnect by themselves (retry 3 s), are told to resync, and reload what they show.
    await pages.dashboard.waitForFunction(() => document.querySelector(".stat .stat-value")?.textContent === "2", null, { timeout: 15_000 });
    await pages.devices.locator("table.devices tbody tr", { hasText: h.ip }).waitFor({ timeout: 15_000 });
    expect(await pages.devices.locator("table.devices tbody tr").count()).toBe(2);
    await pages.changes.locator("ul.changes li", { hasText: h.ip }).waitFor({ timeout: 15_000 });
    for (const p of Object.values(pages)) expect(await p.evaluate(() => (window as any).notReloaded)).toBe(true);
    // Reconnected: a refused connection from here on would be the running appliance's.
    applianceDown = false;

    // And they are live again: an edit now shows at once.
    const d = ((await session.get(`/api/devices?q=${h.mac}`)).body as any[])[0];
    expect((await session.request("PUT", `/api/devices/${d.id}`, { json: { label: "Back-room printer" } })).status).toBe(200);
    await pages.devices.locator("table.devices tbody tr", { hasText: "Back-room printer" }).waitFor({ timeout: 2000 });

    // Forgotten elsewhere while its page is open: the page says so (no failed request, no error toast).
    const page = await newPage();
    await page.goto(`${server.inside}/devices/${d.id}`);
    await page.getByRole("heading", { name: "Back-room printer", level: 1 }).waitFor();
    // Open means loaded: its presence strip is fetched after the heading shows, and a fetch that
    // reaches the appliance after the forget is a 404 the browser logs (as it should).
    await page.locator("section.presence").waitFor();
    expect((await session.delete(`/api/devices/${d.id}`)).status).toBe(204);
    await page.getByRole("heading", { name: "Device not found", level: 1 }).waitFor({ timeout: 2000 });
    await pages.devices.locator("table.devices tbody tr", { hasText: "Back-room printer" }).waitFor({ state: "detached", timeout: 2000 });
    await Bun.sleep(300);
    expect(await page.locator(".toast.error").count()).toBe(0);
    await page.context().close();
  }, 90_000);

  test("no console errors on the live pages, the restart included", () => {
    expect(errorLists.flat()).toEqual([]);
  });
});
