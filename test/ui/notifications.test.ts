// Notifications in the UI, in Chromium on the namespace test network: a webhook channel made through
// the Settings form (a refused URL shown next to its field, the secret write-only and kept by an edit
// that leaves it empty) receives its Send test, and the page says "sent"; a device's "When it leaves"
// ticked on its page brings the webhook an alert naming it when it leaves (two scans without it), though
// the only rule asks for critical changes; the device page mutes and unmutes; the passive watch is
// switched off and on. The appliance, the webhook receiver (on the namespace's loopback) and the browser
// all run inside the test's scanner namespace; the scans sweep only the test's LAN.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { JsonLines } from "../helpers/json-lines.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { type Client, setupAdmin } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { ARTIFACTS, VIEWPORTS, axeViolations, consoleErrors, overflow, screenshot, signedIn } from "../helpers/ui.ts";

const RECEIVERS = resolve(import.meta.dir, "../notify/fixtures/receivers.ts");
const SECRET = "ui-made-hmac-secret-4711";
const missing = browserMissing();
const runnable = missing === null && requireRoot("runs the appliance, a webhook receiver and Chromium in network namespaces");

describe.skipIf(!runnable)("notifications in the UI (Chromium, test network, real webhook)", () => {
  let net: Testnet;
  let server: NetServer;
  let browser: Browser;
  let page: Page;
  let session: Client;
  let rx: JsonLines;
  let httpPort: number;
  let errors: string[];

  const hooks = () => rx.items.filter((r) => r.kind === "http" && r.path === "/hook/ui").map((r) => ({ ...r, json: JSON.parse(r.body) }));
  const config = async () => (await session.get("/api/config")).body;
  const toast = (text: string | RegExp) => page.locator(".toast", { hasText: text });
  const scan = async () => {
    const res = await session.request("POST", "/api/scan/trigger?profile=quick");
    expect(res.status).toBe(202);
    const done = await waitForScan(session, res.body.scan_id);
    expect(done.status).toBe("completed");
  };
  const openSettings = async () => {
    await page.goto(server.inside + "/settings");
    await page.locator("#rules-form").waitFor();
  };

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    rx = new JsonLines(net.spawn([process.execPath, RECEIVERS, "127.0.0.1"], { stdout: "pipe", stderr: "inherit" }));
    httpPort = (await rx.until("the receivers", (l) => l.some((x) => x.ready)))[0].http_port;
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    session = await setupAdmin(server);
    browser = await launchBrowserIn(server.ns);
    const context = await signedIn(browser, session, server.inside, { viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = consoleErrors(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    rx?.stop();
    await server?.close();
    await net?.down();
  });

  test("a webhook channel created in the UI receives its test", async () => {
    await openSettings();
    // The receiver listens on this namespace's loopback, which channels may reach only when allowed.
    await page.getByLabel("Let channels reach this appliance itself").check();
    await page.getByRole("button", { name: "Save rules" }).click();
    await toast("Rules saved").waitFor();
    expect((await config()).notifications.allow_loopback_destinations).toBe(true);

    await page.getByRole("button", { name: "Add a channel" }).click();
    const form = page.locator("#channel-form");
    await form.getByLabel("Name").fill("hooks");
    await form.getByLabel("Type").selectOption("webhook");
    await form.getByLabel("URL").fill(`ftp://127.0.0.1:${httpPort}/hook/ui`);
    await form.getByLabel(/Signing secret/).fill(SECRET);
    await form.getByRole("button", { name: "Save channel" }).click();
    // Refused: the reason stands next to the URL field, which is marked; nothing was saved.
    const urlError = form.locator('[data-error-for="notifications.channels.0.url"]');
    await urlError.waitFor();
    expect(await urlError.textContent()).toBe("must start with http:// or https://");
    expect(await form.getByLabel("URL").getAttribute("aria-invalid")).toBe("true");
    expect((await config()).notifications.channels).toEqual([]);

    await form.getByLabel("URL").fill(`http://127.0.0.1:${httpPort}/hook/ui`);
    await form.getByRole("button", { name: "Save channel" }).click();
    await toast("Channel hooks saved").waitFor();
    const item = page.locator('li.channel[data-channel="hooks"]');
    await item.waitFor();
    expect(await item.textContent()).toContain("secret: set");
    expect(await page.content()).not.toContain(SECRET);
    expect((await config()).notifications.channels).toEqual([{ name: "hooks", type: "webhook", url: `http://127.0.0.1:${httpPort}/hook/ui`, secret_set: true }]);

    await item.getByRole("button", { name: "Send test to hooks" }).click();
    await item.locator(".test-result", { hasText: "Test: sent" }).waitFor();
    await rx.until("the test message", () => hooks().some((h) => h.json.event === "test"));
    const hit = hooks().find((h) => h.json.event === "test")!;
    expect(hit.json).toMatchObject({ event: "test" });
    expect(hit.headers["x-argus-signature"]).toBe(`sha256=${createHmac("sha256", SECRET).update(hit.body).digest("hex")}`);
    await page.locator("#deliveries td", { hasText: "test" }).first().waitFor();

    // An edit that leaves the secret empty keeps the stored one: the next test is signed with it still.
    await item.getByRole("button", { name: "Edit hooks" }).click();
    await form.getByLabel("Timeout per try (s)").fill("5");
    await form.getByRole("button", { name: "Save channel" }).click();
    await page.locator("#channel-form").waitFor({ state: "detached" });
    expect((await config()).notifications.channels[0]).toMatchObject({ timeout_seconds: 5, secret_set: true });
    await item.getByRole("button", { name: "Send test to hooks" }).click();
    await rx.until("the second test", () => hooks().filter((h) => h.json.event === "test").length === 2);
    const second = hooks().filter((h) => h.json.event === "test")[1];
    expect(second.headers["x-argus-signature"]).toBe(`sha256=${createHmac("sha256", SECRET).update(second.body).digest("hex")}`);
    await item.locator(".test-result", { hasText: "Test: sent" }).waitFor();

    // A rule that only lets critical changes through: a device leaving (info) is not among them. A
    // device the rule cannot name is refused first, the reason beside the devices field.
    await page.getByRole("button", { name: "Add a rule" }).click();
    await page.locator("#rule-sev-0").selectOption("critical");
    await page.locator("#rule-devices-0").fill("printer");
    await page.getByRole("button", { name: "Save rules" }).click();
    const devicesError = page.locator('#rules-form [data-error-for="notifications.rules.0.devices"]');
    await devicesError.waitFor();
    expect(await devicesError.textContent()).toBe("must be a device id (a whole number) or a MAC (aa:bb:cc:dd:ee:ff or AA-BB-CC-DD-EE-FF)");
    expect(await page.locator("#rule-devices-0").getAttribute("aria-invalid")).toBe("true");
    expect((await config()).notifications.rules).toEqual([]);
    await page.locator("#rule-devices-0").fill("");
    await page.getByRole("button", { name: "Save rules" }).click();
    await page.locator("#rule-list li", { hasText: "every change from critical up → hooks" }).waitFor();
    expect((await config()).notifications.rules).toEqual([{ channels: ["hooks"], min_severity: "critical" }]);
  }, 60_000);

  test("notify when it leaves is delivered", async () => {
    await scan();
    const gone = net.truth.hosts.find((h) => h.behaviour === "normal" && h.mac)!;
    const device = ((await session.get(`/api/devices?q=${gone.ip}`)).body as any[]).find((d) => d.ip_address === gone.ip);
    expect(device.notify_on).toEqual([]);

    await page.goto(server.inside + `/devices/${device.id}`);
    const alerts = page.locator("section.alerts");
    await alerts.getByLabel("When it leaves").check();
    await toast("Alerts saved").waitFor();
    expect((await session.get(`/api/devices/${device.id}`)).body.notify_on).toEqual(["left"]);

    // It leaves: two complete scans without it record device_removed (info, which the rule would drop).
    expect((await net.nsExec(gone.ns, ["ip", "link", "set", "eth0", "down"])).exitCode).toBe(0);
    try {
      await scan();
      await scan();
      await rx.until("the alert that it left", () => hooks().some((h) => h.json.event === "change" && h.json.change.change_type === "device_removed"));
      const alert = hooks().find((h) => h.json.event === "change" && h.json.change.change_type === "device_removed")!.json;
      expect(alert.change).toMatchObject({ device_id: device.id, device_ip: gone.ip, device_mac: gone.mac, severity: "info" });
      expect(alert.device).toMatchObject({ id: device.id, ip_address: gone.ip, mac_address: gone.mac, status: "offline" });
      // Only what the device asked for: no other change reached the webhook (the rule wants critical ones).
      expect(hooks().filter((h) => h.json.event === "change").map((h) => h.json.change.change_type)).toEqual(["device_removed"]);
    } finally {
      await net.nsExec(gone.ns, ["ip", "link", "set", "eth0", "up"]);
    }
  }, 120_000);

  test("the device page mutes and unmutes the device (notifications.muted_devices)", async () => {
    const host = net.truth.hosts.find((h) => h.behaviour === "normal" && h.mac)!;
    const device = ((await session.get(`/api/devices?q=${host.ip}`)).body as any[]).find((d) => d.ip_address === host.ip);
    await page.goto(server.inside + `/devices/${device.id}`);
    const mute = page.locator("#mute-toggle");
    await mute.waitFor();
    expect(await mute.textContent()).toBe("Mute");
    await mute.click();
    await page.locator("#mute-toggle", { hasText: "Unmute" }).waitFor();
    const muted = (await config()).notifications;
    expect(muted.muted_devices).toEqual([host.mac]);
    // The rest of the section went back as it was: the webhook's secret is still stored.
    expect(muted.channels[0]).toMatchObject({ name: "hooks", secret_set: true });
    await page.locator("#mute-toggle", { hasText: "Unmute" }).click();
    await page.locator("#mute-toggle", { hasText: /^Mute$/ }).waitFor();
    expect((await config()).notifications.muted_devices).toEqual([]);
  }, 30_000);

  test("the passive watch is switched off and on in Settings", async () => {
    await openSettings();
    const toggle = page.locator("#passive-toggle");
    expect(await toggle.isChecked()).toBe(true);
    await page.locator("#passive-state", { hasText: "Listening on" }).waitFor();
    await toggle.uncheck();
    await page.locator("#passive-state", { hasText: "Not listening" }).waitFor();
    expect((await config()).passive).toBe(false);
    expect((await session.get("/api/passive")).body.interfaces).toEqual([]);
    await toggle.check();
    await page.locator("#passive-state", { hasText: "Listening on" }).waitFor();
    expect((await config()).passive).toBe(true);
  }, 30_000);

  test("the channel form (e-mail, its most fields) and a device's alerts at 360 px and on desktop, light and dark: no overflow, no serious axe violation", async () => {
    const problems: string[] = [];
    const device = ((await session.get("/api/devices?limit=1")).body as any[])[0];
    for (const [size, viewport] of Object.entries(VIEWPORTS)) {
      for (const scheme of ["light", "dark"] as const) {
        const ctx = await signedIn(browser, session, server.inside, { viewport, colorScheme: scheme });
        const p = await ctx.newPage();
        errors.push(...consoleErrors(p));
        await p.goto(server.inside + "/settings#notifications");
        await p.locator("#rules-form").waitFor();
        await p.getByRole("button", { name: "Add a channel" }).click();
        await p.locator("#channel-form").getByLabel("Type").selectOption("email");
        await p.locator("#channel-form").getByLabel("SMTP server").waitFor();
        await p.locator("#rule-list, #rules-form").first().waitFor();
        for (const [name, check] of [["settings-notifications", p], ["device-alerts", null]] as const) {
          if (!check) {
            await p.goto(server.inside + `/devices/${device.id}`);
            await p.locator("section.alerts #mute-toggle").waitFor();
          }
          const over = await overflow(p);
          if (over > 0) problems.push(`${name} ${size} ${scheme}: ${over} px too wide`);
          for (const v of await axeViolations(p)) problems.push(`${name} ${size} ${scheme}: ${v}`);
          await screenshot(p, `${name}-${size}-${scheme}`);
          // The part this test is about, at a size one can read.
          await p.locator(check ? "#notifications" : "section.alerts").screenshot({ path: `${ARTIFACTS}/${name}-${size}-${scheme}-part.png` });
        }
        await ctx.close();
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  test("no console errors along the way (the refused URL is shown, not thrown)", () => {
    expect(errors.filter((e) => !/status of 422/.test(e))).toEqual([]);
  });
});
