// The owner's path through the UI on a real (namespace) network, in Chromium: the setup wizard
// with its first quick scan and live progress, the devices it found on /devices and the dashboard,
// filtering and editing a device until the at-risk count changes, comparing two scans,
// acknowledging changes, and a session that ends while a page is open.
//
// The appliance runs in the test network's scanner namespace (test/helpers/netserver.ts) and so
// does Chromium (launchBrowserIn): the wizard proposes and scans the test's own LAN, nothing else.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { ADMIN, type Client } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet, type TruthHost } from "../helpers/testnet.ts";
import { consoleErrors, screenshot } from "../helpers/ui.ts";

const missing = browserMissing();
const root = missing === null && requireRoot("runs the appliance, its scans and Chromium in network namespaces");

/** A Telnet-like service (port 23: a critical finding) in one host's namespace. */
function telnetIn(host: TruthHost): ReturnType<typeof Bun.spawn> {
  const py = `import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(("${host.ip}",23))\ns.listen(8)\nwhile True:\n  c,_=s.accept()\n  try: c.sendall(b"\\r\\nDebian GNU/Linux 12\\r\\nlogin: ")\n  except OSError: pass\n  c.close()\n`;
  return Bun.spawn(["ip", "netns", "exec", host.ns, "python3", "-c", py], { stdout: "ignore", stderr: "ignore" });
}

describe.skipIf(!root)("UI walkthrough on the namespace test network (Chromium)", () => {
  let net: Testnet;
  let server: NetServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let api: Client;
  let base: string;
  let lan: TruthHost[];
  let telnet: ReturnType<typeof Bun.spawn> | null = null;

  beforeAll(async () => {
    net = await startTestnet({ hosts: 4, slow: 1, vendorMacs: true });
    lan = net.truth.hosts.filter((h) => h.via === "arp");
    telnet = telnetIn(lan.find((h) => h.behaviour === "normal")!);
    server = await startNetServer(net);
    base = server.inside;
    browser = await launchBrowserIn(server.ns);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    errors = consoleErrors(page);
  }, 120_000);
  afterAll(async () => {
    telnet?.kill("SIGKILL");
    await browser?.close();
    await server?.close();
    await net?.down();
  }, 60_000);

  const signedInApi = async () => {
    if (api) return api;
    api = server.client();
    const res = await api.post("/api/auth/login", ADMIN);
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
    return api;
  };
  const statValue = async (label: string) => Number((await page.locator(".stat", { hasText: label }).locator(".stat-value").textContent())?.replaceAll(",", ""));

  test("1. setup: the wizard proposes the test LAN, takes a schedule choice (saved in the configuration), runs the first quick scan with live progress and ends on the dashboard", async () => {
    await page.goto(base + "/");
    expect(new URL(page.url()).pathname).toBe("/setup");
    await page.fill("#username", ADMIN.username);
    await page.fill("#password", ADMIN.password);
    await page.fill("#confirm", ADMIN.password);
    // The only network this namespace is attached to is the test LAN: that is what it proposes,
    // unticked (the owner chooses what is scanned); the owner ticks it.
    const proposed = page.locator("input[name=subnet]");
    await proposed.first().waitFor();
    expect(await proposed.evaluateAll((boxes) => boxes.map((b) => [(b as HTMLInputElement).value, (b as HTMLInputElement).checked]))).toEqual([[net.truth.lan_subnet, false]]);
    await proposed.first().check();
    await screenshot(page, "setup-1-account-desktop-light");
    await page.click("button[type=submit]");
    await page.getByRole("heading", { name: "When should Argus scan?" }).waitFor();
    await screenshot(page, "setup-2-schedule-desktop-light");
    // A nightly normal scan: written through PUT /api/config, and it cannot fire during this test.
    await page.getByLabel("Normal scan (ports) once a day at 03:30").check();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "Run the first quick scan now" }).waitFor();
    expect((await (await signedInApi()).get("/api/config")).body.schedule).toEqual([{ profile: "normal", cron: "30 3 * * *", enabled: true }]);
    await expect(page.locator("#first-scan").textContent()).resolves.toContain(net.truth.lan_subnet);
    await page.locator("#first-scan-start:enabled").waitFor();
    // Everything the first-scan box shows, in order (issue 18: "Starting…" flashed after hosts were found).
    await page.evaluate(() => {
      const box = document.getElementById("first-scan")!;
      const seen: string[] = ((window as any).__firstScanTexts = []);
      const note = () => {
        const t = box.querySelector(".scan-progress") ? "progress" : (box.querySelector("p.muted:not(:first-of-type), [role=status]")?.textContent ?? "");
        if (t && seen.at(-1) !== t) seen.push(t);
      };
      new MutationObserver(note).observe(box, { childList: true, subtree: true, characterData: true });
    });
    await page.click("#first-scan-start");
    // Live progress from the event stream: the phase and the hosts found so far.
    await page.locator("#first-scan .scan-progress").waitFor({ timeout: 10_000 });
    await expect(page.locator("#first-scan .scan-progress").textContent()).resolves.toMatch(/Finding hosts|Saving results/);
    await screenshot(page, "setup-3-first-scan-desktop-light");
    await page.locator("#first-scan [role=status]", { hasText: `Scan completed: ${lan.length} devices found` }).waitFor({ timeout: 60_000 });
    const texts: string[] = await page.evaluate(() => (window as any).__firstScanTexts);
    expect(texts.slice(texts.indexOf("progress")).filter((t) => t === "Starting…")).toEqual([]);
    await page.waitForURL(base + "/", { timeout: 10_000 });
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    const scans = (await (await signedInApi()).get("/api/scans")).body as { profile: string; subnet: string; status: string }[];
    expect(scans.map((s) => [s.profile, s.subnet, s.status])).toEqual([["quick", net.truth.lan_subnet, "completed"]]);
  }, 90_000);

  test("2. the devices of that scan appear on /devices and on the dashboard", async () => {
    await page.locator(".stat", { hasText: "Devices" }).first().waitFor();
    expect(await statValue("Devices")).toBe(lan.length);
    expect(await statValue("Online")).toBe(lan.length);
    await expect(page.locator(".timeline li").count()).resolves.toBe(lan.length); // one "new device" each
    await page.getByRole("link", { name: "Devices", exact: true }).first().click();
    await page.waitForURL(base + "/devices");
    await page.locator("table.devices tbody tr").first().waitFor();
    const rows = await page.locator("table.devices tbody tr td:nth-child(3)").allTextContents();
    expect(rows.map((r) => r.trim()).sort()).toEqual(lan.map((h) => h.ip).sort());
    const text = (await page.locator("table.devices tbody").textContent()) ?? "";
    for (const h of lan) expect(text).toContain(h.mac!);
    await expect(page.locator("table.devices .dot.online").count()).resolves.toBe(lan.length);
  });

  test("3. filter, open a device, edit its label, scan it, mark it trusted: the at-risk count changes", async () => {
    const target = lan.find((h) => h.behaviour === "normal")!;
    await page.fill("#device-search", target.ip);
    await page.waitForURL((u) => u.searchParams.get("q") === target.ip);
    await page.waitForFunction((ip) => [...document.querySelectorAll("table.devices tbody tr td:nth-child(3)")].map((td) => td.textContent?.trim()).join() === ip, target.ip);
    await Promise.all([page.waitForURL(/\/devices\/\d+$/), page.locator("table.devices tbody tr a").first().click()]);
    const deviceId = Number(new URL(page.url()).pathname.split("/").pop());
    await page.fill("#d-label", "Old camera");
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator(".toast", { hasText: "Saved" }).waitFor();
    await page.getByRole("heading", { name: "Old camera", level: 1 }).waitFor();
    // Its open Telnet port is found by a normal scan of this one device, started from its page.
    await page.getByRole("button", { name: "Scan now" }).click();
    await page.locator(".toast", { hasText: `of ${target.ip} started` }).waitFor();
    // The page follows the scan's event stream and shows the finding when it ends, without a reload.
    await page.locator(".threats li", { hasText: "Port 23" }).waitFor({ timeout: 60_000 });
    const client = await signedInApi();
    await expect(page.locator(".subtitle .badge").first().textContent()).resolves.toStartWith("critical");
    await screenshot(page, "device-at-risk-desktop-light");

    await page.goto(base + "/");
    await page.locator(".stat", { hasText: "At risk" }).waitFor();
    expect(await statValue("At risk")).toBe(1);
    await page.goto(`${base}/devices/${deviceId}`);
    await page.check("#d-trusted");
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator(".toast", { hasText: "Saved" }).waitFor();
    await page.goto(base + "/");
    await page.locator(".stat", { hasText: "At risk" }).waitFor();
    expect(await statValue("At risk")).toBe(0);
    const device = (await client.get(`/api/devices/${deviceId}`)).body;
    expect(device).toMatchObject({ label: "Old camera", is_trusted: true, risk_level: "critical" });
  }, 90_000);

  test("4. a second scan from the dashboard (one host gone), then compare the two scans on /scans", async () => {
    const gone = lan.find((h) => h.behaviour === "normal" && h !== lan.find((x) => x.behaviour === "normal"))!;
    expect((await net.nsExec(gone.ns, ["ip", "link", "set", "eth0", "down"])).exitCode).toBe(0);
    await page.goto(base + "/");
    await page.selectOption("#scan-profile", "quick");
    await page.getByRole("button", { name: "Scan now" }).click();
    await page.getByRole("button", { name: "Cancel scan" }).waitFor({ timeout: 10_000 });
    await page.locator(".scan-control .scan-progress").waitFor();
    await page.getByRole("button", { name: "Scan now" }).waitFor({ timeout: 60_000 });

    await page.goto(base + "/scans");
    const client = await signedInApi();
    const network = ((await client.get("/api/scans")).body as { id: number; scan_type: string }[]).filter((s) => s.scan_type === "network").map((s) => s.id);
    expect(network.length).toBe(2);
    for (const id of network) await page.getByLabel(`Compare scan ${id}`).check();
    await page.getByRole("button", { name: "Compare" }).click();
    await page.locator("#comparison").waitFor();
    await expect(page.locator("[data-testid=cmp-added]").textContent()).resolves.toBe("0");
    await expect(page.locator("[data-testid=cmp-removed]").textContent()).resolves.toBe("1");
    // The list under the tile names that one device (not "Gone offline (0)": one missed scan is not gone yet).
    await expect(page.locator("[data-testid=cmp-removed-list] li").count()).resolves.toBe(1);
    await expect(page.locator("[data-testid=cmp-removed-list]").textContent()).resolves.toContain(gone.ip);
    await expect(page.locator("[data-testid=cmp-no-ports]").textContent()).resolves.toContain("are quick scans");
    await expect(page.locator("#comparison").textContent()).resolves.toContain(`Scan #${Math.min(...network)} → scan #${Math.max(...network)}`);
    await screenshot(page, "scans-compare-desktop-light");
  }, 90_000);

  test("a long scan started from the dashboard shows its progress and stops on Cancel, keeping what it found", async () => {
    await page.goto(base + "/");
    await page.selectOption("#scan-profile", "intensive");
    await page.getByRole("button", { name: "Scan now" }).click();
    await page.locator(".scan-control .scan-progress").waitFor({ timeout: 10_000 });
    // All 65,535 ports of every host: far longer than this test waits before cancelling.
    await page.locator(".scan-control .scan-progress", { hasText: /Scanning ports|Identifying services/ }).waitFor({ timeout: 30_000 });
    // Meanwhile another tab asks for a device scan: the API's 409 reads as a toast, not a blank page.
    const other = await page.context().newPage();
    await other.goto(base + "/devices");
    await other.locator("table.devices tbody tr").first().getByRole("button", { name: /^Scan / }).click();
    await other.locator(".toast.error[role=alert]", { hasText: "A scan is already running" }).waitFor();
    await other.close();
    await page.getByRole("button", { name: "Cancel scan" }).click();
    await page.getByRole("button", { name: "Scan now" }).waitFor({ timeout: 30_000 });
    const client = await signedInApi();
    const [latest] = (await client.get("/api/scans?limit=1")).body as { profile: string; status: string }[];
    expect(latest).toMatchObject({ profile: "intensive", status: "cancelled" });
    // Nothing was lost: every device is still known, and a cancelled scan marks nobody offline.
    expect((await client.get("/api/devices")).headers.get("x-total-count")).toBe(String(lan.length));
    await page.reload();
    await page.locator(".stat", { hasText: "Devices" }).first().waitFor();
    expect(await statValue("Devices")).toBe(lan.length);
    // The host taken down before scan 4 has missed one complete scan: still online (two are needed).
    expect(await statValue("Online")).toBe(lan.length);
  }, 90_000);

  test("5. acknowledge one change, then all shown", async () => {
    await page.goto(base + "/changes");
    const items = page.locator("ul.changes li");
    await items.first().waitFor();
    const before = await items.count();
    const firstId = Number(await items.first().getAttribute("data-change-id"));
    await items.first().getByRole("button", { name: /^Acknowledge/ }).click();
    await page.locator(`ul.changes li[data-change-id="${firstId}"]`).waitFor({ state: "detached" });
    await expect(items.count()).resolves.toBe(before - 1);
    const client = await signedInApi();
    const acked = (await client.get("/api/changes?acknowledged=true")).body as { id: number }[];
    expect(acked.map((c) => c.id)).toEqual([firstId]);
    await page.getByRole("button", { name: /^Acknowledge all shown/ }).click();
    await page.getByText("Nothing new to look at").waitFor();
    expect((await client.get("/api/changes?acknowledged=false")).headers.get("x-total-count")).toBe("0");
  });

  test("a session that ends while a page is open leads to /login and back to the same page", async () => {
    await page.goto(base + "/devices?status=online");
    await page.locator("table.devices tbody tr").first().waitFor();
    // End this browser's session from outside (as an expiry would).
    const cookie = (await page.context().cookies()).find((c) => c.name === "argus_session")!;
    const other = server.client({ cookie: `argus_session=${cookie.value}` });
    expect((await other.post("/api/auth/logout")).status).toBe(200);
    await page.selectOption("#f-risk", "none");
    await page.waitForURL(/\/login\?next=/);
    expect(new URL(page.url()).searchParams.get("next")).toBe("/devices?status=online&risk_level=none");
    await page.fill("#username", ADMIN.username);
    await page.fill("#password", ADMIN.password);
    await Promise.all([page.waitForURL(`${base}/devices?status=online&risk_level=none`), page.click("button[type=submit]")]);
    await page.locator("table.devices tbody tr").first().waitFor();
  });

  test("no console errors along the way", () => {
    // The logout above makes the next API call answer 401, which the browser reports; nothing else may appear.
    expect(errors.filter((e) => !e.includes("status of 401"))).toEqual([]);
  });
});
