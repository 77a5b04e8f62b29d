// A UniFi source on a running appliance (issue 20): the appliance in its own namespace (loopback and
// the test LAN only), a UniFi OS stand-in on that namespace's loopback answering with the hand-written
// fixtures (fixtures/serve-unifi.ts), the source configured through PUT /api/config. Where each client
// is attached (an AP, a switch port) is stored on its device, replaced by the next run when the client
// moves, never touching the owner's label; the device page says "Connected to", and Settings → Sources
// shows each run as it ends (a live status event, no polling).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { requireRoot } from "../helpers/require.ts";
import { type Client, setupAdmin } from "../helpers/server.ts";
import { Scratch } from "../helpers/scratch.ts";
import { startTestnet, type Testnet } from "../helpers/testnet.ts";
import { axeViolations, consoleErrors, overflow, screenshot, signedIn, VIEWPORTS } from "../helpers/ui.ts";
import { FIXTURES } from "./fixture-server.ts";

const missing = browserMissing();
const runnable = missing === null && requireRoot("runs the appliance, a UniFi stand-in and Chromium in a network namespace");
const PASSWORD = "right-pass-unifi-9";
const LAPTOP = "3c:07:54:00:00:61";

describe.skipIf(!runnable)("a unifi source on a running appliance", () => {
  const scratch = new Scratch();
  let net: Testnet;
  let server: NetServer;
  let fake: ReturnType<typeof Bun.spawn> | null = null;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let session: Client;
  let sta = "";
  let url = "";

  beforeAll(async () => {
    net = await startTestnet({ hosts: 1 });
    try {
      sta = join(scratch.dir("argus-unifi-"), "stat-sta.json");
      writeFileSync(sta, readFileSync(join(FIXTURES, "unifi", "stat-sta.json")));
      fake = net.spawn([process.execPath, join(import.meta.dir, "fixtures/serve-unifi.ts"), sta, PASSWORD], { stdout: "pipe", stderr: "inherit" });
      const reader = (fake.stdout as ReadableStream<Uint8Array>).getReader();
      const first = await reader.read();
      reader.releaseLock();
      url = new TextDecoder().decode(first.value).trim();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/?$/);
      server = await startNetServer(net);
      session = await setupAdmin(server);
      browser = await launchBrowserIn(server.ns);
      page = await (await signedIn(browser, session, server.inside, { viewport: VIEWPORTS.desktop })).newPage();
      errors = consoleErrors(page);
    } catch (e) {
      fake?.kill();
      await server?.close();
      await net.down();
      throw e;
    }
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    fake?.kill();
    await fake?.exited;
    await net?.down();
    scratch.clear();
  });

  const laptop = async () => {
    const list = (await session.get("/api/devices?limit=100")).body as { id: number; mac_address: string }[];
    const d = list.find((x) => x.mac_address === LAPTOP);
    expect(d, "the laptop's device").toBeDefined();
    return (await session.get(`/api/devices/${d!.id}`)).body;
  };

  test("a run stores where each client is attached; the device page says Connected to", async () => {
    const saved = await session.request("PUT", "/api/config", {
      json: { subnets: ["192.168.1.0/24"], sources: [{ name: "wifi", type: "unifi", url, username: "argus", password: PASSWORD, interval_s: 3600 }] },
    });
    expect(saved.status).toBe(200);
    const run = await session.post("/api/sources/wifi/run");
    expect(run.body).toMatchObject({ name: "wifi", type: "unifi", status: "ok", devices: 3 });
    const d = await laptop();
    expect(d).toMatchObject({ hostname: "Anna's laptop", hostname_source: "unifi", attached_to: "AP Living room AP", attached_source: "unifi", mac_source: "unifi" });
    const nas = ((await session.get("/api/devices?limit=100")).body as any[]).find((x) => x.mac_address === "00:11:32:aa:bb:01");
    expect((await session.get(`/api/devices/${nas.id}`)).body).toMatchObject({ attached_to: "switch Office switch port 5", attached_source: "unifi" });

    await page.goto(`${server.inside}/devices/${d.id}`);
    const attached = page.locator("#device-attached");
    await attached.waitFor();
    expect(await attached.textContent()).toContain("AP Living room AP (unifi)");
    expect(await page.locator("dt", { hasText: "Connected to" }).count()).toBe(1);
  }, 60_000);

  test("the client moves to a switch port: the next run replaces the place, the owner's label stays; Settings → Sources shows the run live", async () => {
    const d = await laptop();
    expect((await session.request("PUT", `/api/devices/${d.id}`, { json: { label: "Anna's work laptop" } })).status).toBe(200);
    await page.goto(`${server.inside}/settings`);
    const row = page.locator("#sources-table tbody tr", { hasText: "wifi" });
    await row.waitFor();
    const firstRun = (await session.get("/api/sources")).body[0].last_run_at as string;

    const answer = JSON.parse(readFileSync(sta, "utf8"));
    const client = answer.data.find((c: { mac: string }) => c.mac === LAPTOP);
    Object.assign(client, { is_wired: true, sw_mac: "74:ac:b9:40:50:60", sw_port: 7 });
    delete client.ap_mac;
    writeFileSync(sta, JSON.stringify(answer));
    // Run times are in whole seconds: the next run starts in a later second than the first, so the
    // row below can only show it by hearing of it (two runs in one second failed the check below).
    while (`${new Date().toISOString().slice(0, 19)}Z` <= firstRun) await Bun.sleep(50);
    // Run through the API, not the page: the table must hear of it by itself.
    const run = await session.post("/api/sources/wifi/run");
    expect(run.body.status).toBe("ok");
    expect(run.body.last_run_at).not.toBe(firstRun);

    expect(await laptop()).toMatchObject({ label: "Anna's work laptop", attached_to: "switch Office switch port 7", attached_source: "unifi" });
    // The row shows the new run's time within a few seconds (there is no 10 s polling any more).
    await page.waitForFunction(
      ([at]) => [...document.querySelectorAll("#sources-table tbody tr time")].some((t) => t.getAttribute("datetime") === at),
      [run.body.last_run_at],
      { timeout: 5000 },
    );

    await page.goto(`${server.inside}/devices/${d.id}`);
    await page.locator("#device-attached").waitFor();
    expect(await page.locator("#device-attached").textContent()).toContain("switch Office switch port 7 (unifi)");
    expect(errors).toEqual([]);
  }, 60_000);

  test("a client on a subnet not confirmed is suggested in Settings → Networks with the source, not added; clean at 360 px and in dark mode", async () => {
    const answer = JSON.parse(readFileSync(sta, "utf8"));
    answer.data.push({ mac: "3c:07:54:00:00:70", ip: "192.168.30.5", hostname: "guest-phone", is_wired: false, ap_mac: "f4:e2:c6:10:20:30", last_seen: 1733390300 });
    writeFileSync(sta, JSON.stringify(answer));
    expect((await session.post("/api/sources/wifi/run")).body.status).toBe("ok");
    expect(((await session.get("/api/devices?limit=100")).body as any[]).some((x) => x.mac_address === "3c:07:54:00:00:70")).toBe(false);
    expect((await session.get("/api/network/detect")).body.source_suggestions).toEqual([{ subnet: "192.168.30.0/24", sources: [{ name: "wifi", type: "unifi" }] }]);
    expect((await session.get("/api/config")).body.subnets).toEqual(["192.168.1.0/24"]);
    const d = await laptop();
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [name, viewport] of Object.entries(VIEWPORTS)) {
        await page.setViewportSize(viewport);
        await page.goto(`${server.inside}/settings`);
        const suggested = page.locator("#source-suggestions li");
        await suggested.first().waitFor();
        expect(await suggested.allTextContents()).toEqual(["192.168.30.0/24 suggested by wifi (unifi)"]);
        expect([scheme, name, "settings", await overflow(page)]).toEqual([scheme, name, "settings", 0]);
        expect(await axeViolations(page)).toEqual([]);
        await page.goto(`${server.inside}/devices/${d.id}`);
        await page.locator("#device-attached").waitFor();
        expect([scheme, name, "device", await overflow(page)]).toEqual([scheme, name, "device", 0]);
        expect(await axeViolations(page)).toEqual([]);
        await screenshot(page, `device-attached-${name}-${scheme}`);
      }
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize(VIEWPORTS.desktop);
    expect(errors).toEqual([]);
  }, 90_000);
});
