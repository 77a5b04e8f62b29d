// /api/stats and /api/trends: numbers computed here from the seed definitions must match the API;
// trusting a device takes it out of the at-risk counts at once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, adminWithKey, startTestServer, type TestServer } from "../helpers/server.ts";
import { DEVICES, SCANS, countsAsAtRisk, seedInventory, type SeedDevice, type Seeded } from "../inventory/seed.ts";

const DAY = 86_400_000;

let server: TestServer;
let api: Client;
let seeded: Seeded;

beforeAll(async () => {
  server = await startTestServer();
  api = new Client(server.url, { "X-API-Key": (await adminWithKey(server)).key });
});
afterAll(() => server.close());

/** What /api/stats should say about `devices`, computed without SQL. */
function expectedStats(devices: SeedDevice[]) {
  const untrustedAt = (level: string) => devices.filter((d) => !d.is_trusted && d.risk_level === level).length;
  return {
    total_devices: devices.length,
    online_devices: devices.filter((d) => d.status === "online").length,
    new_devices_24h: devices.filter((d) => d.first_seen_ago <= DAY).length,
    devices_at_risk: devices.filter(countsAsAtRisk).length,
    critical: untrustedAt("critical"),
    high: untrustedAt("high"),
    medium: untrustedAt("medium"),
    low: untrustedAt("low"),
    open_ports: devices.reduce((n, d) => n + d.ports.length, 0),
  };
}

describe("an empty inventory", () => {
  test("stats are zeros with no last scan; trends are empty", async () => {
    const res = await api.get("/api/stats");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...expectedStats([]), last_scan: null });
    expect((await api.get("/api/trends")).body).toEqual([]);
    expect((await api.get("/api/stats/device-types")).body).toEqual([]);
  });
});

describe("a seeded inventory", () => {
  beforeAll(() => {
    seeded = seedInventory(server.ctx.db);
  });

  test("GET /api/stats/device-types counts every device by its type, most common first (ties by name)", async () => {
    const counts = new Map<string, number>();
    for (const d of DEVICES) counts.set(d.device_type, (counts.get(d.device_type) ?? 0) + 1);
    const expected = [...counts].map(([device_type, count]) => ({ device_type, count })).sort((a, b) => b.count - a.count || a.device_type.localeCompare(b.device_type));
    const res = await api.get("/api/stats/device-types");
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expected);
    expect((await api.get("/api/stats/device-types?limit=5")).status).toBe(422);
    expect((await new Client(server.url).get("/api/stats/device-types")).status).toBe(401);
  });

  test("GET /api/stats counts devices, new ones, risk by level (untrusted only) and open ports", async () => {
    const res = await api.get("/api/stats");
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(
      ["total_devices", "online_devices", "new_devices_24h", "devices_at_risk", "critical", "high", "medium", "low", "open_ports", "last_scan"].sort(),
    );
    const { last_scan, ...counts } = res.body;
    expect(counts).toEqual(expectedStats(DEVICES));
    // The seed has a trusted critical device and a trusted medium one: they are not counted.
    expect(DEVICES.some((d) => d.is_trusted && d.risk_level === "critical")).toBe(true);
    expect(counts.critical).toBe(DEVICES.filter((d) => d.risk_level === "critical").length - 1);
  });

  test("last_scan is the newest completed network scan (not a failed, cancelled or one-device scan)", async () => {
    const newest = SCANS.map((s, i) => ({ s, i }))
      .filter(({ s }) => s.status === "completed" && s.scan_type === "network")
      .sort((a, b) => a.s.started_ago - b.s.started_ago)[0];
    const { last_scan } = (await api.get("/api/stats")).body;
    expect(last_scan).toEqual({
      id: seeded.scanIds[newest.i],
      status: "completed",
      profile: newest.s.profile,
      started_at: expect.stringMatching(/Z$/),
      finished_at: expect.stringMatching(/Z$/),
    });
    expect(Date.parse(last_scan.finished_at) - Date.parse(last_scan.started_at)).toBe(newest.s.duration_ms);
  });

  test("trusting a device takes it out of the at-risk counts; it keeps its findings", async () => {
    const i = DEVICES.findIndex((d) => d.risk_level === "high" && !d.is_trusted);
    const id = seeded.deviceIds[i];
    const before = (await api.get("/api/stats")).body;
    const put = await api.request("PUT", `/api/devices/${id}`, { json: { is_trusted: true } });
    expect(put.status).toBe(200);
    const trustedSeed = DEVICES.map((d, n) => (n === i ? { ...d, is_trusted: true } : d));
    const after = (await api.get("/api/stats")).body;
    expect({ ...after, last_scan: null }).toEqual({ ...expectedStats(trustedSeed), last_scan: null });
    expect(after.devices_at_risk).toBe(before.devices_at_risk - 1);
    expect(after.high).toBe(before.high - 1);
    expect(after.open_ports).toBe(before.open_ports);
    const device = (await api.get(`/api/devices/${id}`)).body;
    expect(device).toMatchObject({ is_trusted: true, risk_level: "high", risk_score: DEVICES[i].risk_score });
    expect(device.threats.length).toBe(DEVICES[i].threats.length);

    await api.request("PUT", `/api/devices/${id}`, { json: { is_trusted: false } });
    expect((await api.get("/api/stats")).body).toEqual(before);
  });

  test("GET /api/trends: one point per completed network scan in the window, oldest first", async () => {
    const pointsFor = (days: number) =>
      SCANS.map((s, i) => ({ s, i }))
        .filter(({ s }) => s.status === "completed" && s.scan_type === "network" && s.started_ago <= days * DAY)
        .sort((a, b) => b.s.started_ago - a.s.started_ago)
        .map(({ s, i }) => ({
          scan_id: seeded.scanIds[i],
          started_at: expect.stringMatching(/Z$/),
          devices: s.saw.length,
          at_risk: s.saw.filter((n) => countsAsAtRisk(DEVICES[n])).length,
          open_ports: s.profile === "quick" ? 0 : s.saw.reduce((n, d) => n + DEVICES[d].ports.length, 0),
          changes: s.changes_count,
        }));
    const month = await api.get("/api/trends");
    expect(month.status).toBe(200);
    expect(month.body).toEqual(pointsFor(30));
    expect((await api.get("/api/trends?days=30")).body).toEqual(pointsFor(30));
    expect(month.body.length).toBe(3); // the 40-day-old scan is outside, the device scan is not a network point
    expect((await api.get("/api/trends?days=1")).body).toEqual(pointsFor(1));
    expect((await api.get("/api/trends?days=1")).body.length).toBe(1);
    expect((await api.get("/api/trends?days=365")).body).toEqual(pointsFor(365));
    expect((await api.get("/api/trends?days=365")).body.length).toBe(4);
    const times = month.body.map((p: any) => p.started_at);
    expect(times).toEqual([...times].sort());
  });

  test("trend at_risk follows trust too", async () => {
    const i = DEVICES.findIndex((d) => d.risk_level === "critical" && !d.is_trusted);
    const id = seeded.deviceIds[i];
    const before = (await api.get("/api/trends?days=365")).body;
    await api.request("PUT", `/api/devices/${id}`, { json: { is_trusted: true } });
    const after = (await api.get("/api/trends?days=365")).body;
    after.forEach((p: any, n: number) => {
      const saw = SCANS.find((_, si) => seeded.scanIds[si] === p.scan_id)!.saw.includes(i);
      expect(p.at_risk).toBe(before[n].at_risk - (saw ? 1 : 0));
    });
    await api.request("PUT", `/api/devices/${id}`, { json: { is_trusted: false } });
  });

  test("invalid days and unknown keys → 422 naming the field", async () => {
    for (const q of ["days=0", "days=366", "days=abc", "days=1.5", "days="]) {
      const res = await api.get(`/api/trends?${q}`);
      expect({ q, status: res.status }).toEqual({ q, status: 422 });
      expect(res.body.detail).toContain("'days'");
    }
    expect((await api.get("/api/trends?weeks=2")).body.detail).toContain("'weeks'");
    expect((await api.get("/api/trends?days=30&days=31")).body).toEqual({ detail: "Invalid query parameter 'days': given more than once" });
    expect((await api.get("/api/stats?verbose=1")).status).toBe(422);
  });
});
