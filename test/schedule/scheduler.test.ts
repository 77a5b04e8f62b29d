// The scheduler against the real appliance: a 6-field cron starts a real scan inside the test's own
// namespace network; a tick while a scan runs is skipped and audited; runs missed while the appliance
// was stopped are not replayed at start; SIGTERM stops it cleanly; `argus serve` logs the next run.
import { afterAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startIsolatedServer, startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { adminWithKey, sealedEnv, withoutSchedule } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { Scratch } from "../helpers/scratch.ts";

const root = requireRoot("runs scheduled scans inside network namespaces the test builds");

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(200);
  }
}

describe.skipIf(!root)("scheduled scans", () => {
  let net: Testnet | undefined;
  let server: NetServer | undefined;
  afterAll(async () => {
    await server?.close();
    await net?.down();
  }, 60_000);

  test("a 6-field cron every 2 s starts a scan of the confirmed subnet within seconds", async () => {
    net = await startTestnet({ hosts: 2 });
    server = await startNetServer(net);
    const { key } = await adminWithKey(server);
    const api = server.client({ "X-API-Key": key });
    // Consent and schedule arrive through the API and apply without a restart.
    const put = await api.request("PUT", "/api/config", { json: { subnets: [net.truth.lan_subnet], schedule: [{ profile: "quick", cron: "*/2 * * * * *" }] } });
    expect(put.status).toBe(200);
    const scans = await until("a scheduled scan", async () => ((await api.get("/api/scans")).body as any[]).length > 0 && (await api.get("/api/scans")).body, 10_000);
    // Stop the schedule before looking closer, so no further run interferes.
    expect((await api.request("PUT", "/api/config", { json: { schedule: [] } })).status).toBe(200);
    const first = scans[scans.length - 1];
    expect(first).toMatchObject({ profile: "quick", subnet: net.truth.lan_subnet });
    const done = await waitForScan(api, first.id);
    expect(done.status).toBe("completed");
    const lanHosts = net.truth.hosts.filter((h) => h.via === "arp").map((h) => h.ip).sort();
    const found = ((await api.get(`/api/scans/${first.id}/devices`)).body as any[]).map((d) => d.ip_address).sort();
    expect(found).toEqual(lanHosts);
    const audit = ((await api.get("/api/audit-logs?action=scan_started")).body as any[]).find((e) => e.resource === `scan:${first.id}`);
    expect(audit).toMatchObject({ username: "scheduler", details: { profile: "quick", trigger: "schedule" } });
  }, 90_000);
});

describe.skipIf(!root)("schedule without a network", () => {
  test("a tick that finds a scan running is skipped and audited, not queued", async () => {
    const server = await startIsolatedServer();
    try {
      const { key } = await adminWithKey(server);
      const api = server.client({ "X-API-Key": key });
      // 4,096 unroutable targets at 100 probes/s keep a scan busy for longer than this test waits.
      expect((await api.request("PUT", "/api/config", { json: { subnets: ["10.9.16.0/20"], scan_rate: 100 } })).status).toBe(200);
      const busy = await api.request("POST", "/api/scan/trigger?profile=quick");
      expect(busy.status).toBe(202);
      expect((await api.request("PUT", "/api/config", { json: { schedule: [{ profile: "quick", cron: "* * * * * *" }] } })).status).toBe(200);
      const skipped = await until("a skipped tick", async () => {
        const r = (await api.get("/api/audit-logs?action=scheduled_scan_skipped")).body as any[];
        return r.length >= 2 && r;
      });
      expect((await api.get("/api/scan/status")).body).toMatchObject({ scanning: true, scan_id: busy.body.scan_id });
      expect(skipped[0]).toMatchObject({ username: "scheduler", details: { profile: "quick", running_scan_id: busy.body.scan_id } });
      const entry = (await api.get("/api/schedule")).body[0];
      expect(entry.last_skipped_at).toMatch(/Z$/);
      expect(entry.last_run_at).toBeNull();
      // Nothing was queued: the only scan is the one that was running.
      expect((await api.request("PUT", "/api/config", { json: { schedule: [] } })).status).toBe(200);
      expect((await api.post("/api/scan/cancel")).status).toBe(200);
      await waitForScan(api, busy.body.scan_id);
      await Bun.sleep(1500);
      expect((await api.get("/api/scans")).headers.get("x-total-count")).toBe("1");
    } finally {
      await server.close();
    }
  }, 60_000);

  test("runs missed while stopped are not replayed at start; SIGTERM stops the scheduler cleanly", async () => {
    const server = await startIsolatedServer();
    try {
      const { key } = await adminWithKey(server);
      let api = server.client({ "X-API-Key": key });
      // A daily entry due 4 s from now (the appliance's local time, which is this machine's).
      const due = new Date(Date.now() + 4000);
      const cron = `${due.getSeconds()} ${due.getMinutes()} ${due.getHours()} * * *`;
      expect((await api.request("PUT", "/api/config", { json: { subnets: ["10.9.17.0/28"], schedule: [{ profile: "quick", cron }] } })).status).toBe(200);
      const planned = (await api.get("/api/schedule")).body[0];
      expect(Math.abs(Date.parse(planned.next_run_at) - due.getTime())).toBeLessThan(1500);
      expect(await server.kill("SIGTERM")).toBe(0);
      await Bun.sleep(Math.max(0, due.getTime() - Date.now()) + 2000);
      await server.restart();
      api = server.client({ "X-API-Key": key });
      await Bun.sleep(2500);
      expect((await api.get("/api/scans")).body).toEqual([]);
      const entry = (await api.get("/api/schedule")).body[0];
      expect(entry.last_run_at).toBeNull();
      // The next run is tomorrow's, not the one missed.
      expect(Date.parse(entry.next_run_at) - Date.now()).toBeGreaterThan(23 * 3600_000);
    } finally {
      await server.close();
    }
  }, 60_000);

  test("a change of another setting keeps the planned runs shown (next_run_at stays)", async () => {
    const server = await startIsolatedServer();
    try {
      const { key } = await adminWithKey(server);
      const api = server.client({ "X-API-Key": key });
      expect((await api.request("PUT", "/api/config", { json: { subnets: ["10.9.17.0/28"], schedule: [{ profile: "normal", cron: "30 3 * * *" }] } })).status).toBe(200);
      const before = (await api.get("/api/schedule")).body[0];
      expect(before).toMatchObject({ state: "scheduled", next_run_at: expect.any(String) });
      expect((await api.request("PUT", "/api/config", { json: { retention_days: 30 } })).status).toBe(200);
      expect((await api.get("/api/schedule")).body[0]).toMatchObject({ state: "scheduled", next_run_at: before.next_run_at });
    } finally {
      await server.close();
    }
  }, 60_000);

  test("`argus serve` logs the next scheduled run at start", async () => {
    const scratch = new Scratch();
    const dir = scratch.dir("argus-serve-log-");
    withoutSchedule(dir);
    await Bun.write(`${dir}/config.json`, JSON.stringify({ subnets: ["10.9.18.0/28"], schedule: [{ profile: "normal", cron: "30 3 * * *" }] }));
    const ns = `argus-sched-${process.pid}`;
    Bun.spawnSync(["ip", "netns", "add", ns]);
    try {
      const proc = Bun.spawn(["ip", "netns", "exec", ns, process.execPath, resolve(import.meta.dir, "../../src/main.ts"), "serve"], {
        env: { ...sealedEnv(), ARGUS_DATA_DIR: dir, ARGUS_PORT: "0", ARGUS_HOST: "127.0.0.1", ARGUS_LOG_LEVEL: "info" },
        stdout: "pipe",
        stderr: "pipe",
      });
      const reader = proc.stdout.getReader();
      let out = "";
      const deadline = Date.now() + 15_000;
      while (!out.includes("next scheduled scan") && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      expect(out).toMatch(/msg="next scheduled scan" profile="normal" at="\d{4}-\d\d-\d\dT\d\d:30:00Z"/);
    } finally {
      Bun.spawnSync(["ip", "netns", "del", ns]);
      scratch.clear();
    }
  }, 30_000);
});
