// The setup wizard asks when to scan before anything is scanned on a schedule (new-user finding: the
// networks step confirmed the subnets with the default schedule in force, and its quick scan started
// while the owner was still on "When should Argus scan?"). And only a completed network scan ends the
// "First scan" step: a cancelled one leaves it to be resumed. In Chromium against the real appliance
// in the test network's scanner namespace, started with no schedule stated (the default in force, as
// on a new appliance): whatever it would scan is the test's own LAN.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { SCHEDULE_PRESETS } from "../../src/ui/app/schedule-presets.ts";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { startIsolatedServer, startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { ADMIN, type Client } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { consoleErrors } from "../helpers/ui.ts";

const missing = browserMissing();
const root = missing === null && requireRoot("runs the appliance, its scans and Chromium in network namespaces");

describe.skipIf(!root)("UI: the setup wizard schedules nothing before the Schedule step, and a cancelled first scan is resumed (Chromium)", () => {
  let net: Testnet;
  let server: NetServer;
  let browser: Browser;
  let page: Page;
  let api: Client;
  let configDir: string;
  const errors: string[] = [];

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    configDir = mkdtempSync(join(tmpdir(), "argus-setup-schedule-"));
    writeFileSync(join(configDir, "config.json"), "{}\n", { mode: 0o600 });
    server = await startNetServer(net, { ARGUS_CONFIG: join(configDir, "config.json") });
    browser = await launchBrowserIn(server.ns);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    errors.push(...consoleErrors(page));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await net?.down();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  }, 60_000);

  test("at the Schedule step the network is confirmed, but no schedule is stored or planned and nothing was scanned", async () => {
    await page.goto(server.inside + "/setup");
    await page.fill("#username", ADMIN.username);
    await page.fill("#password", ADMIN.password);
    await page.fill("#confirm", ADMIN.password);
    await page.locator(`input[name=subnet][value="${net.truth.lan_subnet}"]`).check();
    await page.getByRole("button", { name: "Create account and watch 1 network" }).click();
    await page.getByRole("heading", { name: "When should Argus scan?" }).waitFor();
    api = server.client();
    expect((await api.post("/api/auth/login", ADMIN)).status).toBe(200);
    const config = (await api.get("/api/config")).body;
    expect(config.subnets).toEqual([net.truth.lan_subnet]);
    expect(config.schedule).toEqual([]);
    // The scheduler has nothing to plan: no timer, no next run.
    expect((await api.get("/api/schedule")).body).toEqual([]);
    expect((await api.get("/api/scan/status")).body.scanning).toBe(false);
    expect((await api.get("/api/scans")).body).toEqual([]);
    expect((await api.get("/api/setup")).body.wizard_step).toBe("first_scan");
  });

  test("the schedule chosen at the Schedule step is what is stored and planned", async () => {
    const daily = SCHEDULE_PRESETS.find((p) => p.id === "daily")!;
    await page.getByLabel(daily.label).check();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "Run the first quick scan now" }).waitFor();
    expect((await api.get("/api/config")).body.schedule).toEqual(daily.schedule);
    const planned = (await api.get("/api/schedule")).body as any[];
    expect(planned.map((e) => [e.profile, e.cron, e.state])).toEqual([["normal", "30 3 * * *", "scheduled"]]);
    expect((await api.get("/api/scans")).body).toEqual([]);
  });

  test("a cancelled network scan leaves the wizard at the first scan, which resumes and, completed, ends it", async () => {
    const started = await api.request("POST", `/api/scan/trigger?profile=intensive`);
    expect(started.status).toBe(202);
    // Into the 65,535-port phase, so that the cancel meets a scan still running.
    const deadline = Date.now() + 20_000;
    while ((await api.get("/api/scan/status")).body.progress?.phase !== "ports" && Date.now() < deadline) await Bun.sleep(50);
    expect((await api.post("/api/scan/cancel")).status).toBe(200);
    expect((await waitForScan(api, started.body.scan_id)).status).toBe("cancelled");
    expect((await api.get("/api/setup")).body).toEqual({ setup_required: false, wizard_step: "first_scan" });
    // The dashboard still asks for the first scan, and /setup resumes at it.
    await page.goto(server.inside + "/");
    const card = page.getByTestId("finish-setup");
    await Promise.all([page.waitForURL(server.inside + "/setup"), card.getByRole("link", { name: "Run the first scan" }).click()]);
    await page.getByRole("heading", { name: "Run the first quick scan now" }).waitFor();
    await page.locator("#first-scan-start:enabled").click();
    await page.locator("#first-scan [role=status]", { hasText: "Scan completed" }).waitFor({ timeout: 60_000 });
    await page.waitForURL(server.inside + "/", { timeout: 10_000 });
    expect((await api.get("/api/setup")).body.wizard_step).toBe("done");
    expect(errors).toEqual([]);
  }, 120_000);
});

describe.skipIf(!root)("UI: a resumed wizard holds the default schedule until the Schedule step too (Chromium)", () => {
  let net: Testnet;
  let server: NetServer;
  let browser: Browser;
  let configDir: string;
  const errors: string[] = [];

  beforeAll(async () => {
    net = await startTestnet({ hosts: 1 });
    configDir = mkdtempSync(join(tmpdir(), "argus-setup-schedule-"));
    writeFileSync(join(configDir, "config.json"), "{}\n", { mode: 0o600 });
    server = await startNetServer(net, { ARGUS_CONFIG: join(configDir, "config.json") });
    browser = await launchBrowserIn(server.ns);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await net?.down();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  }, 60_000);

  test("the account without a network, then the network confirmed on return: no schedule until the answer", async () => {
    const api = server.client();
    // The account alone (no network), as an owner who left the wizard after its first step.
    expect((await api.post("/api/setup", ADMIN)).status).toBe(201);
    expect((await api.get("/api/config")).body.schedule).toEqual(SCHEDULE_PRESETS[0].schedule);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    errors.push(...consoleErrors(page));
    await page.goto(server.inside + "/login?next=%2Fsetup");
    await page.fill("#username", ADMIN.username);
    await page.fill("#password", ADMIN.password);
    await Promise.all([page.waitForURL(server.inside + "/setup"), page.click("#login-form button[type=submit]")]);
    await page.locator("#setup-resumed").waitFor();
    await page.locator(`input[name=subnet][value="${net.truth.lan_subnet}"]`).check();
    await page.getByRole("button", { name: "Watch 1 network and continue" }).click();
    await page.getByRole("heading", { name: "When should Argus scan?" }).waitFor();
    const config = (await api.get("/api/config")).body;
    expect(config.subnets).toEqual([net.truth.lan_subnet]);
    expect(config.schedule).toEqual([]);
    expect((await api.get("/api/schedule")).body).toEqual([]);
    expect((await api.get("/api/scans")).body).toEqual([]);
    // The recommended schedule, chosen, is planned.
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "Run the first quick scan now" }).waitFor();
    const planned = (await api.get("/api/schedule")).body as any[];
    expect(planned.map((e) => [e.profile, e.cron, e.state])).toEqual([
      ["quick", "*/15 * * * *", "scheduled"],
      ["normal", "30 3 * * *", "scheduled"],
    ]);
    expect(errors).toEqual([]);
  });
});

describe.skipIf(!root)("UI: a hub's wizard ends with the account (Chromium)", () => {
  let server: NetServer;
  let browser: Browser;
  let configDir: string;

  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), "argus-setup-hub-"));
    // The broker is not there: the hub keeps trying, which changes nothing about its setup.
    writeFileSync(join(configDir, "config.json"), JSON.stringify({ role: "hub", hub: { url: "mqtt://127.0.0.1:1883" } }), { mode: 0o600 });
    server = await startIsolatedServer({ ARGUS_CONFIG: join(configDir, "config.json") });
    browser = await launchBrowserIn(server.ns);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  }, 60_000);

  test("created without a network, the account leads to the dashboard, which does not ask to finish the setup", async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const errors = consoleErrors(page);
    await page.goto(server.inside + "/setup");
    await page.fill("#username", ADMIN.username);
    await page.fill("#password", ADMIN.password);
    await page.fill("#confirm", ADMIN.password);
    await Promise.all([page.waitForURL(server.inside + "/"), page.getByRole("button", { name: "Create account without a network" }).click()]);
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await page.locator(".stat").first().waitFor();
    expect(await page.getByTestId("finish-setup").count()).toBe(0);
    const api = server.client();
    expect((await api.post("/api/auth/login", ADMIN)).status).toBe(200);
    expect((await api.get("/api/setup")).body).toEqual({ setup_required: false, wizard_step: "done" });
    expect(errors).toEqual([]);
  });
});
