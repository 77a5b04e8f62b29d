// Settings → Sources in Chromium against the real appliance on the namespace test network: a lease-file
// source added through the form (a relative path refused next to its field), run with Run now (the
// status, detail and devices in the table), its name then on the device page with its source; edited to
// a missing file, Run now shows failed with the reason; deleted. At 360 px and in dark mode the section
// stays clean. The appliance and the browser run in the test's scanner namespace.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { type Client, setupAdmin } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { Scratch } from "../helpers/scratch.ts";
import { ARTIFACTS, VIEWPORTS, axeViolations, consoleErrors, overflow, screenshot, signedIn } from "../helpers/ui.ts";

const missing = browserMissing();
const runnable = missing === null && requireRoot("runs the appliance and Chromium in network namespaces");

describe.skipIf(!runnable)("Settings → Sources (Chromium, test network)", () => {
  const scratch = new Scratch();
  let net: Testnet;
  let server: NetServer;
  let browser: Browser;
  let page: Page;
  let session: Client;
  let errors: string[];
  let leases: string;
  const MAC = "3c:07:54:00:30:01";
  let ip = "";

  const config = async () => (await session.get("/api/config")).body;
  const toast = (text: string | RegExp) => page.locator(".toast", { hasText: text });
  const row = (name: string) => page.locator("#sources-table tbody tr", { hasText: name });
  const openSettings = async () => {
    // Without a #fragment: going to the same URL with one would only scroll, not load the page again.
    await page.goto(server.inside + "/settings");
    await page.locator("#sources").waitFor();
  };

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    const base = net.truth.lan_subnet.split("/")[0].split(".").slice(0, 3).join(".");
    ip = `${base}.140`;
    leases = join(scratch.dir("argus-ui-sources-"), "dnsmasq.leases");
    writeFileSync(leases, `${Math.floor(Date.now() / 1000) + 86400} ${MAC} ${ip} kitchen-speaker 01:${MAC}\n`);
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    session = await setupAdmin(server);
    browser = await launchBrowserIn(server.ns);
    const context = await signedIn(browser, session, server.inside, { viewport: VIEWPORTS.desktop });
    page = await context.newPage();
    errors = consoleErrors(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await net?.down();
    scratch.clear();
  });

  test("none yet: the section says so and offers to add one", async () => {
    await openSettings();
    await page.locator("#sources").getByText("No sources configured").waitFor();
    await page.getByRole("button", { name: "Add a source" }).waitFor();
    expect(await page.locator("nav.toc a[href='#sources']").count()).toBe(1);
  });

  test("a source added in the form: a relative path is refused next to its field; the saved one is in the configuration", async () => {
    await page.getByRole("button", { name: "Add a source" }).click();
    const form = page.locator("#source-form");
    await form.getByLabel("Name").fill("router");
    await form.getByLabel("Type").selectOption("dnsmasq_leases");
    await form.getByLabel("Path").fill("dnsmasq.leases");
    await form.getByRole("button", { name: "Save source" }).click();
    await form.locator(".field-error", { hasText: "must be an absolute path" }).waitFor();
    expect((await config()).sources).toEqual([]);
    await form.getByLabel("Path").fill(leases);
    await form.getByRole("button", { name: "Save source" }).click();
    await toast("Source router saved").waitFor();
    expect((await config()).sources).toEqual([{ name: "router", type: "dnsmasq_leases", path: leases }]);
    await row("router").waitFor();
  });

  test("Run now: the table shows ok, what was read and the device found; the device page lists the name with its source", async () => {
    await row("router").getByRole("button", { name: "Run now (router)" }).click();
    await toast(/^router: 1 host read, 1 device matched or added/).waitFor();
    // Before its first run a source is listed ok with "Not run yet": wait for the run's own detail.
    await row("router").locator("td", { hasText: "1 host read, 1 device matched or added" }).waitFor();
    expect(await row("router").locator(".badge").innerText()).toBe("ok");
    const list = (await session.get(`/api/devices?q=${MAC}`)).body as any[];
    expect(list).toHaveLength(1);
    // No such host on the wire: a device the lease names, never seen by the appliance itself.
    expect(list[0]).toMatchObject({ ip_address: ip, hostname: "kitchen-speaker", hostname_source: "dnsmasq_leases", times_seen: 0 });
    await page.goto(`${server.inside}/devices/${list[0].id}`);
    const names = page.locator("#device-names li");
    await names.first().waitFor();
    expect(await names.allInnerTexts()).toEqual([expect.stringMatching(/^kitchen-speaker from dnsmasq_leases, /)]);
    // Its last sighting is said to be none yet, not "just now" (new-user finding).
    expect(await page.locator("dt:text-is('Last seen') + dd").innerText()).toBe("not on the network yet");
    expect(await axeViolations(page)).toEqual([]);
    await page.goto(`${server.inside}/devices`);
    const listed = page.locator("table.devices tbody tr", { hasText: "kitchen-speaker" });
    await listed.waitFor();
    expect(await listed.innerText()).toContain("not on the network yet");
  });

  test("edited to a missing file, Run now shows failed with the reason", async () => {
    await openSettings();
    await row("router").getByRole("button", { name: "Edit router" }).click();
    const form = page.locator("#source-form");
    expect(await form.getByLabel("Name").inputValue()).toBe("router");
    await form.getByLabel("Path").fill("/nonexistent/dnsmasq.leases");
    await form.getByLabel("Every (s)").fill("300");
    await form.getByRole("button", { name: "Save source" }).click();
    await toast("Source router saved").waitFor();
    expect((await config()).sources).toEqual([{ name: "router", type: "dnsmasq_leases", path: "/nonexistent/dnsmasq.leases", interval_s: 300 }]);
    await row("router").getByRole("button", { name: "Run now (router)" }).click();
    await toast("router failed: not_found: /nonexistent/dnsmasq.leases does not exist").waitFor();
    await row("router").locator("td", { hasText: "not_found: /nonexistent/dnsmasq.leases does not exist" }).waitFor();
    expect(await row("router").locator(".badge.st-failed").innerText()).toBe("failed");
  });

  test("clean at 360 px and in dark mode: no sideways scrolling, no accessibility violations", async () => {
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [name, viewport] of Object.entries(VIEWPORTS)) {
        await page.setViewportSize(viewport);
        await openSettings();
        await row("router").waitFor();
        await page.getByRole("button", { name: "Add a source" }).click();
        await page.locator("#source-form").waitFor();
        expect([scheme, name, await overflow(page)]).toEqual([scheme, name, 0]);
        expect(await axeViolations(page)).toEqual([]);
        await screenshot(page, `settings-sources-${name}-${scheme}`);
        await page.locator("#sources").screenshot({ path: join(ARTIFACTS, `settings-sources-section-${name}-${scheme}.png`) });
      }
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize(VIEWPORTS.desktop);
  }, 60_000);

  test("deleted: gone from the table and the configuration; no console error on the way but the one refused save", async () => {
    await openSettings();
    page.once("dialog", (d) => void d.accept());
    await row("router").getByRole("button", { name: "Delete router" }).click();
    await toast("Source router deleted").waitFor();
    expect((await config()).sources).toEqual([]);
    await page.locator("#sources").getByText("No sources configured").waitFor();
    // The relative path's PUT was answered 422, which the browser logs; nothing else went wrong.
    expect(errors.filter((e) => !e.includes("status of 422"))).toEqual([]);
    expect(errors.filter((e) => e.includes("status of 422"))).toHaveLength(1);
  });

  test("an HTTP source with certificate checks off: edited, it keeps them off and its password; turned on, the password is asked again", async () => {
    const entry = { name: "dns", type: "pihole", enabled: false, url: "https://192.0.2.53/admin/", verify_tls: false, password: "PIHOLESECRET" };
    expect((await session.request("PUT", "/api/config", { json: { sources: [entry] } })).status).toBe(200);
    const stored = () => JSON.parse(readFileSync(join(server.dataDir, "config.json"), "utf8")).sources;
    await openSettings();
    await row("dns").getByRole("button", { name: "Edit dns" }).click();
    const form = page.locator("#source-form");
    const check = form.locator("#src-verify_tls");
    expect(await check.isChecked()).toBe(false);
    await form.getByLabel("Every (s)").fill("600");
    await form.getByRole("button", { name: "Save source" }).click();
    await toast("Source dns saved").waitFor();
    expect(stored()).toEqual([{ ...entry, interval_s: 600, timeout_s: 10 }]);
    // Ticked without the password: the stored one would now go over a checked connection it was not
    // given for; the form says so next to the password, and nothing changes.
    await row("dns").getByRole("button", { name: "Edit dns" }).click();
    await check.check();
    await form.getByRole("button", { name: "Save source" }).click();
    await form.locator(".field-error", { hasText: "give the password again: verify_tls changed" }).waitFor();
    expect(stored()).toEqual([{ ...entry, interval_s: 600, timeout_s: 10 }]);
    await form.locator("#src-password").fill("NEWSECRET");
    await form.getByRole("button", { name: "Save source" }).click();
    // Saved: the form closes (the first save's toast may still be up).
    await form.waitFor({ state: "detached" });
    expect(stored()).toEqual([{ name: "dns", type: "pihole", enabled: false, url: "https://192.0.2.53/admin/", password: "NEWSECRET", verify_tls: true, interval_s: 600, timeout_s: 10 }]);
    await row("dns").getByRole("button", { name: "Edit dns" }).click();
    expect(await check.isChecked()).toBe(true);
  }, 30_000);
});
