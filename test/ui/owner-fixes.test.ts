// What the new owner hit (issue 18), in Chromium against the real appliance over a seeded home
// network: the scan comparison lists what its tiles count and says when a quick scan looked at no
// ports; the device list sorts Risk riskiest first, filters by open port as typed and searches by
// type; the changes' severity filter tells event severities from port risks; settings name a
// refused scheduled scan as the form numbers it and call SQLite's free pages what they are; quiet
// hours show and keep their stored severity (critical when first ticked) and the severity choices
// come in rank order; change rows say their type once; the device page says "no open ports found"
// after a port scan, names its status once and gives its presence share and strip as the dashboard
// does. The appliance and the browser run in a namespace with nothing but loopback.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { DB_FILE } from "../../src/db/database.ts";
import { toIso } from "../../src/time.ts";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { startIsolatedServer, type NetServer } from "../helpers/netserver.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";
import { consoleErrors, signedIn } from "../helpers/ui.ts";
import { CHANGES, DEVICES, SCANS, seedInventory, type Seeded } from "../inventory/seed.ts";

const missing = browserMissing();
const root = missing === null && requireRoot("runs the appliance and Chromium in a network namespace");

describe.skipIf(!root)("UI: what the new owner hit (issue 18), against the real APIs (Chromium)", () => {
  let server: NetServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: Client;
  let seeded: Seeded;
  let errors: string[];

  beforeAll(async () => {
    server = await startIsolatedServer();
    ({ session: api } = await adminWithKey(server, "Home Assistant"));
    const db = new Database(join(server.dataDir, DB_FILE));
    seeded = seedInventory(db);
    db.close();
    browser = await launchBrowserIn(server.ns);
    context = await signedIn(browser, api, server.inside);
    page = await context.newPage();
    errors = consoleErrors(page);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test("compare a normal with a quick scan: the devices missing are listed as counted, and ports are not compared", async () => {
    const normal = SCANS.findIndex((s, i) => i > 0 && s.scan_type === "network" && s.profile === "normal" && s.status === "completed" && SCANS[i + 2]?.profile === "quick");
    const quick = normal + 2;
    expect([SCANS[normal].profile, SCANS[quick].profile]).toEqual(["normal", "quick"]);
    const [older, newer] = [seeded.scanIds[normal], seeded.scanIds[quick]];
    const missingIps = SCANS[normal].saw.filter((i) => !SCANS[quick].saw.includes(i)).map((i) => DEVICES[i].ip);
    expect(missingIps.length).toBeGreaterThan(0);

    await page.goto(server.inside + "/scans");
    for (const id of [older, newer]) await page.getByLabel(`Compare scan ${id}`).check();
    await page.getByRole("button", { name: "Compare" }).click();
    await page.locator("#comparison").waitFor();
    const removed = await page.locator("[data-testid=cmp-removed]").textContent();
    const listed = page.locator("[data-testid=cmp-removed-list] li");
    // The tile and the list under it agree (the owner saw "1 devices removed" over "Gone offline (0)").
    expect(Number(removed)).toBe(missingIps.length);
    expect(await listed.count()).toBe(missingIps.length);
    const listText = (await page.locator("[data-testid=cmp-removed-list]").textContent()) ?? "";
    for (const ip of missingIps) expect(listText).toContain(ip);
    expect(await page.locator("[data-testid=cmp-added-list] li").count()).toBe(Number(await page.locator("[data-testid=cmp-added]").textContent()));
    // A quick scan looks at no ports: no "0 ports opened", and the page says why.
    await expect(page.locator("[data-testid=cmp-opened]").textContent()).resolves.toBe("—");
    await expect(page.locator("[data-testid=cmp-no-ports]").textContent()).resolves.toMatch(new RegExp(`Scan #${newer} is a quick scan: it finds devices and looks at no ports`));
  });

  test("dashboard: with no network confirmed (setup left after the account), the next scan says it waits for one and links to Settings", async () => {
    const before = (await api.get("/api/config")).body;
    expect(before.subnets).toEqual([]);
    // The schedule setup confirms with the first network (quick scans every 15 minutes).
    expect((await api.request("PUT", "/api/config", { json: { schedule: [{ profile: "quick", cron: "*/15 * * * *" }] } })).status).toBe(200);
    expect(((await api.get("/api/schedule")).body as any[]).map((s) => s.state)).toEqual(["waiting_for_subnet"]);
    await page.goto(server.inside + "/");
    const waiting = page.getByTestId("waiting-for-subnet");
    await expect(waiting.textContent()).resolves.toContain("waiting for a network");
    await waiting.getByRole("link", { name: "confirm yours in Settings" }).click();
    await page.waitForURL(/\/settings#networks$/);
    await page.locator("#networks").waitFor();
    expect((await api.request("PUT", "/api/config", { json: { schedule: before.schedule } })).status).toBe(200);
  });

  const ipsShown = (want: string[]) =>
    page.waitForFunction((w) => [...document.querySelectorAll("table.devices tbody tr td:nth-child(3)")].map((td) => td.textContent?.trim()).join() === w.join(), want);

  test("devices: the first click on Risk sorts the riskiest first; the second reverses it", async () => {
    await page.goto(server.inside + "/devices");
    await page.locator("table.devices tbody tr").first().waitFor();
    const risk = page.locator("table.devices th", { has: page.getByRole("button", { name: "Risk" }) });
    await Promise.all([page.waitForURL(`${server.inside}/devices?sort=-risk_score`), risk.getByRole("button").click()]);
    await page.waitForFunction(() => document.querySelector("table.devices th[aria-sort]")?.getAttribute("aria-sort") === "descending");
    await ipsShown(((await api.get("/api/devices?sort=-risk_score&limit=50")).body as { ip_address: string }[]).map((d) => d.ip_address));
    await Promise.all([page.waitForURL(`${server.inside}/devices?sort=risk_score`), risk.getByRole("button").click()]);
    await page.waitForFunction(() => document.querySelector("table.devices th[aria-sort]")?.getAttribute("aria-sort") === "ascending");
  });

  test("devices: the open-port box filters as typed, without Enter", async () => {
    await page.goto(server.inside + "/devices");
    await page.locator("table.devices tbody tr").first().waitFor();
    await page.locator("#f-port").pressSequentially("23");
    await page.waitForURL((u) => u.searchParams.get("port") === "23", { timeout: 3000 });
    const telnet = ((await api.get("/api/devices?port=23")).body as { ip_address: string }[]).map((d) => d.ip_address);
    expect(telnet.length).toBeGreaterThan(0);
    await ipsShown(telnet);
    // Still typing there: the box kept the focus.
    await expect(page.locator("#f-port").evaluate((el) => el === document.activeElement)).resolves.toBe(true);
  });

  test("devices: the search box finds a device by its type", async () => {
    await page.goto(server.inside + "/devices");
    await page.locator("#device-search").fill("printer");
    await page.waitForURL((u) => u.searchParams.get("q") === "printer");
    await ipsShown(DEVICES.filter((d) => d.device_type === "printer").map((d) => d.ip));
    expect(await page.locator("#device-search").getAttribute("placeholder")).toContain("type");
  });

  test("changes: the severity filter says which severities are port risks and which are events", async () => {
    await page.goto(server.inside + "/changes");
    const options = await page.locator("#c-sev option").allTextContents();
    expect(options[0]).toBe("any");
    const byValue = Object.fromEntries(await page.locator("#c-sev option").evaluateAll((os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent])));
    expect(byValue.medium).toMatch(/^medium — .*port/);
    expect(byValue.warning).toMatch(/^warning — .*new device/);
    expect(byValue.medium).not.toBe(byValue.warning);
    // Every severity a change can carry is still offered, and each filters the API's way.
    expect(Object.keys(byValue).filter(Boolean).sort()).toEqual(["critical", "high", "info", "low", "medium", "warning"]);
    await page.selectOption("#c-sev", "warning");
    await page.waitForURL((u) => u.searchParams.get("severity") === "warning");
  });

  test("settings: a refused scheduled scan is named as the form numbers it ('Scheduled scan 1'), not by the API's 0-based path", async () => {
    await page.goto(server.inside + "/settings");
    await page.locator("#audit table, #audit .muted").first().waitFor();
    await page.getByRole("button", { name: "Add a scheduled scan" }).click();
    await page.fill("#sched-cron-0", "61 * * * *");
    await page.getByRole("button", { name: "Save schedule" }).click();
    const refused = page.locator(".toast", { hasText: "Schedule not saved" });
    await refused.waitFor();
    const text = (await refused.textContent()) ?? "";
    expect(text).toContain("Scheduled scan 1, cron:");
    expect(text).not.toContain("schedule.0");
    expect(await page.locator("#sched-cron-0").getAttribute("aria-invalid")).toBe("true");
    await expect(page.locator("#sched-cron-0").evaluate((el) => el.closest("fieldset")?.querySelector("legend")?.textContent)).resolves.toBe("Scheduled scan 1");
  });

  test("settings: the database's free list reads 'Unused pages in the file', not 'Free space'", async () => {
    await page.goto(server.inside + "/settings");
    const db = page.locator("#db-stats");
    await db.waitFor();
    const stats = (await db.textContent()) ?? "";
    expect(stats).toContain("Unused pages in the file");
    expect(stats).not.toContain("Free space");
  });

  test("settings: quiet hours show the stored severity, start at critical when ticked, and a save keeps what is chosen", async () => {
    const quietText = () => page.locator("#notifications p.muted", { hasText: "Quiet hours" }).textContent();
    const stored = async () => (await api.get("/api/config")).body.notifications.quiet_hours;
    const put = await api.request("PUT", "/api/config", { json: { notifications: { channels: [], rules: [], quiet_hours: { start: "23:00", end: "07:00", min_severity: "high" }, muted_devices: [] } } });
    expect(put.status).toBe(200);
    await page.goto(server.inside + "/settings");
    await page.locator("#rules-form").waitFor();
    // The select shows what is stored (it showed info), and saving the rules leaves it as it was.
    await expect(page.inputValue("#quiet-min")).resolves.toBe("high");
    await expect(quietText()).resolves.toBe("Quiet hours 23:00–07:00: only changes from high up are sent.");
    await page.getByRole("button", { name: "Save rules" }).click();
    await page.locator(".toast", { hasText: "Rules saved" }).waitFor();
    expect(await stored()).toEqual({ start: "23:00", end: "07:00", min_severity: "high" });

    // Quiet hours switched on afresh start from the documented default, critical (not info).
    expect((await api.request("PUT", "/api/config", { json: { notifications: { channels: [], rules: [], quiet_hours: null, muted_devices: [] } } })).status).toBe(200);
    await page.reload();
    await page.locator("#rules-form").waitFor();
    await page.getByLabel("Hold back messages at night").check();
    await expect(page.inputValue("#quiet-min")).resolves.toBe("critical");
    await page.getByRole("button", { name: "Save rules" }).click();
    await page.locator(".toast", { hasText: "Rules saved" }).last().waitFor();
    await page.waitForFunction(() => document.querySelector("#notifications")?.textContent?.includes("Quiet hours 23:00–07:00"));
    expect(await stored()).toEqual({ start: "23:00", end: "07:00", min_severity: "critical" });
    await expect(quietText()).resolves.toBe("Quiet hours 23:00–07:00: only critical changes are sent.");

    // A choice made in the select is what is saved.
    await page.selectOption("#quiet-min", "medium");
    await page.getByRole("button", { name: "Save rules" }).click();
    await page.waitForFunction(() => document.querySelector("#notifications")?.textContent?.includes("from medium up"));
    expect((await stored()).min_severity).toBe("medium");
  });

  test("settings: the rule's and the quiet hours' severity choices are listed in rank order", async () => {
    expect((await api.request("PUT", "/api/config", { json: { notifications: { channels: [], rules: [], quiet_hours: { start: "22:00", end: "06:00" }, muted_devices: [] } } })).status).toBe(200);
    await page.goto(server.inside + "/settings");
    await page.locator("#rules-form").waitFor();
    await page.getByRole("button", { name: "Add a rule" }).click();
    const ranked = ["info", "low", "warning", "medium", "high", "critical"];
    await expect(page.locator("#rule-sev-0 option").allTextContents()).resolves.toEqual(ranked);
    await expect(page.locator("#quiet-min option").allTextContents()).resolves.toEqual(ranked);
  });

  test("device page: no open ports after a port scan says so with the scan's time; only a device no port scan saw gets the quick-scan hint", async () => {
    const ports = () => page.locator("section", { has: page.getByRole("heading", { name: "Open ports" }) });
    // 192.168.1.102 has no open ports and was among the hosts of the normal scan two days ago.
    const scanned = DEVICES.findIndex((d) => d.ip === "192.168.1.102");
    const lastPortScan = SCANS.map((s, i) => ({ s, i })).filter(({ s }) => s.status === "completed" && s.profile !== "quick" && s.saw.includes(scanned)).at(-1)!;
    expect(lastPortScan.s.profile).toBe("normal");
    const finished = (await api.get(`/api/scans/${seeded.scanIds[lastPortScan.i]}`)).body.finished_at;
    const detail = (await api.get(`/api/devices/${seeded.deviceIds[scanned]}`)).body;
    expect(detail).toMatchObject({ ports: [], ports_known: true, ports_scanned_at: finished });
    await page.goto(server.inside + `/devices/${seeded.deviceIds[scanned]}`);
    await ports().locator(".empty").waitFor();
    const text = (await ports().textContent()) ?? "";
    expect(text).toContain("No open ports found");
    expect(text).toContain("Last port scan: 2 d ago.");
    expect(text).not.toContain("quick scan");
    await expect(ports().locator("time").getAttribute("datetime")).resolves.toBe(finished);

    // The phone was only ever seen by quick scans: for it the hint stands.
    const quickOnly = DEVICES.findIndex((d) => d.hostname === "Pixel-8");
    expect(SCANS.filter((s) => s.saw.includes(quickOnly)).every((s) => s.profile === "quick")).toBe(true);
    expect((await api.get(`/api/devices/${seeded.deviceIds[quickOnly]}`)).body).toMatchObject({ ports: [], ports_known: false, ports_scanned_at: null });
    await page.goto(server.inside + `/devices/${seeded.deviceIds[quickOnly]}`);
    await ports().locator(".empty").waitFor();
    await expect(ports().textContent()).resolves.toContain("A quick scan only finds devices; run a normal scan");
  });

  test("changes: a row says its type once ('New device 192.168.1.77 …', not 'New device New device …')", async () => {
    await page.goto(server.inside + "/changes?acknowledged=all");
    const rowOf = (description: string) => page.locator("ul.changes li", { hasText: description }).locator(".tl-text");
    // The latest one, so that the dashboard's few recent changes show it too.
    const added = CHANGES.findLast((c) => c.change_type === "device_added" && c.description.startsWith("New device"))!;
    await rowOf(added.description).waitFor();
    const addedText = (await rowOf(added.description).textContent()) ?? "";
    expect(addedText.match(/New device/g)).toHaveLength(1);
    expect(addedText).toStartWith(added.description);
    // A description that does not open with its type keeps the label before it.
    const opened = CHANGES.find((c) => c.change_type === "port_opened")!;
    await expect(rowOf(opened.description).locator(".tl-type").textContent()).resolves.toBe("Port opened");
    // The dashboard's recent changes and the device page read the same way.
    for (const path of ["/", `/devices/${seeded.deviceIds[added.device!]}`]) {
      await page.goto(server.inside + path);
      const row = page.locator("ul.timeline li .tl-text", { hasText: added.description });
      await row.first().waitFor();
      expect(((await row.first().textContent()) ?? "").match(/New device/g)).toHaveLength(1);
    }
  });

  test("device page: the status line names the status once, to the eye and to a screen reader ('online · tv', not 'online online')", async () => {
    const tv = DEVICES.findIndex((d) => d.device_type === "tv" && d.status === "online");
    await page.goto(server.inside + `/devices/${seeded.deviceIds[tv]}`);
    const line = page.locator("p.subtitle");
    await line.waitFor();
    const text = ((await line.textContent()) ?? "").trim();
    expect(text).toStartWith("online · ");
    expect(text.match(/online/g)).toHaveLength(1);
    // What assistive technology reads: the word, once (the dot beside it is decoration).
    const aria = await line.ariaSnapshot();
    expect(aria.match(/online/g)).toHaveLength(1);
    await expect(line.locator(".dot.online").getAttribute("aria-hidden")).resolves.toBe("true");
  });

  test("device page: the presence strip starts at '24 h ago' as the dashboard's does, and 4 minutes online read 1%, not 0%", async () => {
    // The laptop came online 4 minutes ago, for the first time in the last day.
    const laptop = seeded.deviceIds[DEVICES.findIndex((d) => d.hostname === "MacBook-Pro")];
    const db = new Database(join(server.dataDir, DB_FILE));
    try {
      db.run("DELETE FROM presence_sessions WHERE device_id = ?", [laptop]);
      db.run("INSERT INTO presence_sessions (device_id, started_at, ended_at, source) VALUES (?, ?, NULL, 'passive')", [laptop, toIso(Date.now() - 4 * 60_000)]);
    } finally {
      db.close();
    }
    await page.goto(server.inside + `/devices/${laptop}`);
    const strip = page.locator("svg.presence-strip");
    await strip.waitFor();
    await expect(strip.getAttribute("aria-label")).resolves.toBe("Online 1% of the last 24 h (1 interval)");
    await expect(page.locator("section.presence p.muted").last().textContent()).resolves.toBe("Online 1% of the last 24 h (1 interval)");
    await expect(page.locator("section.presence .strip-axis span").allTextContents()).resolves.toEqual(["24 h ago", "now"]);
    await page.getByRole("button", { name: "7 d" }).click();
    await page.locator("section.presence .strip-axis span", { hasText: "7 d ago" }).waitFor();
  });

  test("no console errors along the way (the refused schedule is a toast; its 422 is the browser's own log line)", () => {
    expect(errors.filter((e) => !/status of 422/.test(e))).toEqual([]);
  });
});
