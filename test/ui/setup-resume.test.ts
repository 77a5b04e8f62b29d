// The setup wizard resumes (red-team / new-user finding): an owner who creates the account and
// closes the tab is led back, after signing in again, to what is left: confirming a network, then
// the first scan. A detected network is suggested but never pre-ticked, and the buttons say what
// they need. In Chromium against the real appliance in the test network's scanner namespace,
// so the network it proposes and scans is the test's own LAN.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { ADMIN, type Client } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { consoleErrors } from "../helpers/ui.ts";

const missing = browserMissing();
const root = missing === null && requireRoot("runs the appliance, its first scan and Chromium in network namespaces");

describe.skipIf(!root)("UI: the setup wizard resumes after the account step (Chromium)", () => {
  let net: Testnet;
  let server: NetServer;
  let browser: Browser;
  let api: Client;
  const errors: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    server = await startNetServer(net);
    browser = await launchBrowserIn(server.ns);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await net?.down();
  }, 60_000);

  /** A new tab in a new browser session (the last one was closed): nothing carried over but the appliance's state. */
  const freshTab = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    errors.push(...consoleErrors(page));
    return page;
  };
  const signIn = async (page: Page) => {
    await page.goto(server.inside + "/");
    await page.waitForURL(/\/login\?next=%2F$/);
    await page.fill("#username", ADMIN.username);
    await page.fill("#password", ADMIN.password);
    await Promise.all([page.waitForURL(server.inside + "/"), page.click("#login-form button[type=submit]")]);
  };

  test("the account is created with no network chosen, and the tab closed", async () => {
    const page = await freshTab();
    await page.goto(server.inside + "/setup");
    await page.fill("#username", ADMIN.username);
    await page.fill("#password", ADMIN.password);
    await page.fill("#confirm", ADMIN.password);
    // The detected network is suggested, never pre-selected (the LAN may not be the owner's to
    // probe), and the button says what it will do.
    const box = page.locator(`input[name=subnet][value="${net.truth.lan_subnet}"]`);
    await box.waitFor();
    expect(await page.locator("input[name=subnet]").evaluateAll((boxes) => boxes.map((b) => (b as HTMLInputElement).checked))).toEqual([false]);
    await expect(page.locator("#suggested label.check").textContent()).resolves.toContain("(detected, suggested)");
    const submit = page.locator("#setup-form button[type=submit]");
    await expect(submit.textContent()).resolves.toBe("Create account without a network");
    await expect(page.locator("#subnet-hint").textContent()).resolves.toContain("No network chosen: Argus will scan nothing");
    await box.check();
    await expect(submit.textContent()).resolves.toBe("Create account and watch 1 network");
    await box.uncheck();
    await expect(submit.textContent()).resolves.toBe("Create account without a network");
    await submit.click();
    await page.getByRole("heading", { name: "When should Argus scan?" }).waitFor();
    await page.context().close();
    api = server.client();
    expect((await api.post("/api/auth/login", ADMIN)).status).toBe(200);
    expect((await api.get("/api/config")).body.subnets).toEqual([]);
    expect((await api.get("/api/setup")).body).toEqual({ setup_required: false, wizard_step: "networks" });
    // Someone not signed in learns nothing of it.
    expect((await server.client().get("/api/setup")).body).toEqual({ setup_required: false });
  });

  test("signed in again, the dashboard leads to the networks step; the network confirmed there is saved, then the tab closed again", async () => {
    const page = await freshTab();
    await signIn(page);
    const card = page.getByTestId("finish-setup");
    await expect(card.textContent()).resolves.toContain("No network is confirmed yet");
    await Promise.all([page.waitForURL(server.inside + "/setup"), card.getByRole("link", { name: "Choose networks" }).click()]);
    await page.locator("#setup-resumed").waitFor();
    await expect(page.locator("h1").textContent()).resolves.toBe("Finish setting up Argus");
    // The account is not asked for again; the test LAN is what this namespace is attached to.
    expect(await page.locator("#username").count()).toBe(0);
    const box = page.locator(`input[name=subnet][value="${net.truth.lan_subnet}"]`);
    await box.waitFor();
    expect(await box.isChecked()).toBe(false);
    // Resumed, a network is what is left: the button says so and waits for one.
    await expect(page.getByRole("button", { name: "Choose a network to continue" }).isDisabled()).resolves.toBe(true);
    await box.check();
    await page.getByRole("button", { name: "Watch 1 network and continue" }).click();
    await page.getByRole("heading", { name: "When should Argus scan?" }).waitFor();
    expect((await api.get("/api/config")).body.subnets).toEqual([net.truth.lan_subnet]);
    expect((await api.get("/api/setup")).body.wizard_step).toBe("first_scan");
    await page.context().close();
  });

  test("signed in again, the dashboard leads to the first scan; once it has run the wizard is done", async () => {
    const page = await freshTab();
    await signIn(page);
    const card = page.getByTestId("finish-setup");
    await Promise.all([page.waitForURL(server.inside + "/setup"), card.getByRole("link", { name: "Run the first scan" }).click()]);
    await page.getByRole("heading", { name: "Run the first quick scan now" }).waitFor();
    await expect(page.locator("#first-scan").textContent()).resolves.toContain(net.truth.lan_subnet);
    await expect(page.locator("#first-scan-start").textContent()).resolves.toBe(`Scan ${net.truth.lan_subnet} now`);
    await page.locator("#first-scan-start:enabled").click();
    await page.locator("#first-scan [role=status]", { hasText: "Scan completed" }).waitFor({ timeout: 60_000 });
    await page.waitForURL(server.inside + "/", { timeout: 10_000 });
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    expect((await api.get("/api/setup")).body.wizard_step).toBe("done");
    await page.locator(".stat").first().waitFor();
    expect(await page.getByTestId("finish-setup").count()).toBe(0);
    // Done: /setup goes on to the dashboard.
    await page.goto(server.inside + "/setup");
    expect(page.url()).toBe(server.inside + "/");
    expect(errors).toEqual([]);
  }, 90_000);
});
