// The device page's type, icon and Wake button in Chromium on the namespace test network: the owner
// picks a type and an icon, the page says "set by you" and draws the chosen icon, "Automatic" hands
// the type back; Wake sends the magic packet, which tcpdump on another LAN host sees.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { DB_FILE } from "../../src/db/database.ts";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { gratuitousArp } from "../helpers/frames.ts";
import { sendFrames } from "../helpers/lan.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { readPcap } from "../helpers/pcap.ts";
import { requireTools } from "../helpers/require.ts";
import { type Client, setupAdmin } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { consoleErrors, signedIn } from "../helpers/ui.ts";

const missing = browserMissing();
const runnable =
  missing === null && requireRoot("runs the appliance and Chromium in network namespaces") && requireTools([["tcpdump", "tcpdump"], ["python3", "python3"]]);

describe.skipIf(!runnable)("device page: type, icon and Wake (Chromium)", () => {
  let net: Testnet;
  let server: NetServer;
  let browser: Browser;
  let session: Client;
  let page: Page;
  let errors: string[];
  let dir: string;
  const mac = "3c:07:54:00:00:66";
  let id = 0;
  const hosts = () => net.truth.hosts.filter((h) => h.behaviour === "normal");

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    dir = mkdtempSync(join(tmpdir(), "argus-wake-ui-"));
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    session = await setupAdmin(server);
    // A machine heard once on the LAN (one gratuitous ARP), as before it went to sleep.
    await sendFrames(net, hosts()[0].ns, [gratuitousArp(mac, net.truth.lan_subnet.replace(/\.0\/\d+$/, ".66"))]);
    for (let i = 0; i < 100 && id === 0; i++) {
      id = ((await session.get(`/api/devices?q=${mac}`)).body as any[])[0]?.id ?? 0;
      if (id === 0) await Bun.sleep(50);
    }
    browser = await launchBrowserIn(server.ns);
    const context = await signedIn(browser, session, server.inside, { viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = consoleErrors(page);
    await page.goto(`${server.inside}/devices/${id}`);
    await page.locator("#d-type").waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await net?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const typeRow = () => page.locator("dl.details dt", { hasText: /^Type$/ }).locator("xpath=following-sibling::dd[1]");
  const subtitleIcon = () => page.locator(".subtitle svg.type-icon");
  const save = async () => {
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator(".toast", { hasText: "Saved" }).last().waitFor();
  };

  test("the owner's type and icon: saved, shown as set by you, drawn, and kept across a reload", async () => {
    expect(id).toBeGreaterThan(0);
    expect(((await typeRow().textContent()) ?? "").trim()).toBe("unknown");
    const unknownDrawing = await subtitleIcon().locator("path").getAttribute("d");
    await page.getByLabel("Type", { exact: true }).selectOption("camera");
    await page.getByLabel("Icon", { exact: true }).selectOption("tv");
    await save();
    await page.waitForFunction(() => document.querySelector(".subtitle svg.type-icon")?.getAttribute("aria-label") === "camera");
    expect(((await typeRow().textContent()) ?? "").replace(/\s+/g, " ").trim()).toBe("camera set by you");
    const tvDrawing = await subtitleIcon().locator("path").getAttribute("d");
    expect(tvDrawing).not.toBe(unknownDrawing);
    expect((await session.get(`/api/devices/${id}`)).body).toMatchObject({ device_type: "camera", device_type_source: "owner", icon: "tv" });

    await page.reload();
    await page.locator("#d-type").waitFor();
    expect(await page.locator("#d-type").inputValue()).toBe("camera");
    expect(await page.locator("#d-icon").inputValue()).toBe("tv");

    // The type's own icon: the camera's drawing, neither the TV's nor the unknown one.
    await page.getByLabel("Icon", { exact: true }).selectOption("");
    await save();
    await page.waitForFunction((d) => document.querySelector(".subtitle svg.type-icon path")?.getAttribute("d") !== d, tvDrawing);
    const cameraDrawing = await subtitleIcon().locator("path").getAttribute("d");
    expect([tvDrawing, unknownDrawing]).not.toContain(cameraDrawing);

    // Automatic: back to the guess, no longer "set by you".
    await page.getByLabel("Type", { exact: true }).selectOption("");
    await save();
    await page.waitForFunction(() => document.querySelector(".subtitle svg.type-icon")?.getAttribute("aria-label") === "unknown");
    expect(((await typeRow().textContent()) ?? "").trim()).toBe("unknown");
    expect((await session.get(`/api/devices/${id}`)).body).toMatchObject({ device_type: "unknown", icon: null });
    expect(errors).toEqual([]);
  }, 60_000);

  test("Wake sends the magic packet, says where, and tcpdump on the LAN sees it with the device's MAC", async () => {
    const file = join(dir, "wake.pcap");
    const dump = Bun.spawn(["ip", "netns", "exec", hosts()[1].ns, "tcpdump", "-i", "eth0", "-n", "--immediate-mode", "-U", "-Z", "root", "-w", file, "udp", "port", "9"], { stdout: "ignore", stderr: "pipe" });
    try {
      const reader = dump.stderr.getReader();
      let banner = "";
      while (!banner.includes("listening on")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`tcpdump did not start: ${banner}`);
        banner += new TextDecoder().decode(value);
      }
      await page.getByRole("button", { name: "Wake" }).click();
      const broadcast = net.truth.lan_subnet.replace(/\.0\/24$/, ".255");
      await page.locator(".toast", { hasText: `Magic packet sent to ${mac} on eth0 (${broadcast})` }).waitFor({ timeout: 5000 });
      await Bun.sleep(300);
    } finally {
      dump.kill("SIGINT");
      await dump.exited;
    }
    const frames = readPcap(file).map((r) => r.frame);
    expect(frames).toHaveLength(1);
    const macBytes = mac.split(":").map((h) => Number.parseInt(h, 16));
    // Ethernet 14 + IPv4 20 + UDP 8: then six 0xFF and the MAC sixteen times.
    expect([...frames[0].slice(42, 42 + 102)]).toEqual([...Array(6).fill(0xff), ...Array.from({ length: 16 }, () => macBytes).flat()]);
    expect(errors).toEqual([]);
  }, 30_000);

  test("an automatic type shows what decided it", async () => {
    // As a scan of a host with RTSP open leaves it (test/api/device-type-override.test.ts makes it for real).
    const db = new Database(join(server.dataDir, DB_FILE));
    db.query("UPDATE devices SET device_type = 'camera', device_type_source = 'scan', device_type_evidence = 'RTSP port 554 open (a video stream)' WHERE id = ?").run(id);
    db.close();
    await page.reload();
    await page.locator("#d-type").waitFor();
    expect(((await typeRow().textContent()) ?? "").replace(/\s+/g, " ").trim()).toBe("camera from a scan: RTSP port 554 open (a video stream)");
    // The choice offers the guess as "Automatic (camera)".
    expect(await page.locator("#d-type option").first().textContent()).toBe("Automatic (camera)");
  });
});
