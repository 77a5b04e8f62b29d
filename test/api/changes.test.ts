// /api/changes against a seeded change log: newest first, every filter, `since`, paging, 422s,
// and acknowledging.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { toIso } from "../../src/time.ts";
import { Client, adminWithKey, expect422 as expect422At, startTestServer, type TestServer } from "../helpers/server.ts";
import { CHANGES, DEVICES, SCANS, seedInventory, type SeedChange, type Seeded } from "../inventory/seed.ts";

let server: TestServer;
let api: Client;
let seeded: Seeded;

beforeAll(async () => {
  server = await startTestServer();
  api = new Client(server.url, { "X-API-Key": (await adminWithKey(server)).key });
  seeded = seedInventory(server.ctx.db);
});
afterAll(() => server.close());

/** Expected ids, newest first, for the seed changes that `keep` selects. */
const expectedIds = (keep: (c: SeedChange, i: number) => boolean) =>
  CHANGES.map((c, i) => ({ c, i }))
    .filter(({ c, i }) => keep(c, i))
    .map(({ i }) => seeded.changeIds[i])
    .reverse();
const idsOf = (body: { id: number }[]) => body.map((c) => c.id);

const expect422 = (path: string, field: string) => expect422At(api, path, field);

describe("GET /api/changes", () => {
  test("lists every change newest first, total in X-Total-Count", async () => {
    const res = await api.get("/api/changes");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-total-count")).toBe(String(CHANGES.length));
    expect(idsOf(res.body)).toEqual(expectedIds(() => true));
  });

  test("each change has the SPEC fields with a boolean acknowledged", async () => {
    const res = await api.get("/api/changes");
    const i = CHANGES.findIndex((c) => c.change_type === "mac_changed_for_ip");
    const change = res.body.find((c: any) => c.id === seeded.changeIds[i]);
    expect(Object.keys(change).sort()).toEqual(
      ["id", "scan_id", "device_id", "device_ip", "device_mac", "change_type", "severity", "old_value", "new_value", "description", "detected_at", "acknowledged", "device_name", "segment"].sort(),
    );
    expect(change).toEqual({
      id: seeded.changeIds[i],
      scan_id: seeded.scanIds[CHANGES[i].scan],
      device_id: seeded.deviceIds[0],
      device_ip: "192.168.1.1",
      device_mac: "24:5a:4c:11:22:01",
      change_type: "mac_changed_for_ip",
      severity: "warning",
      old_value: "24:5a:4c:11:22:00",
      new_value: "24:5a:4c:11:22:01",
      description: CHANGES[i].description,
      detected_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      acknowledged: false,
      device_name: "Main router",
      // Where it happened (SPEC §7 "Segments"): null on a standalone appliance.
      segment: null,
    });
    expect(res.body.find((c: any) => c.id === seeded.changeIds[0]).acknowledged).toBe(true);
  });

  test("filters by scan_id, device_id, change_type, severity and acknowledged, alone and together", async () => {
    const scan = (n: number) => seeded.scanIds[n];
    const device = (n: number) => seeded.deviceIds[n];
    const cases: [string, (c: SeedChange) => boolean][] = [
      [`scan_id=${scan(1)}`, (c) => c.scan === 1],
      [`scan_id=${scan(5)}`, (c) => c.scan === 5],
      [`device_id=${device(3)}`, (c) => c.device === 3],
      [`device_id=${device(0)}`, (c) => c.device === 0],
      ["change_type=device_added", (c) => c.change_type === "device_added"],
      ["change_type=port_opened", (c) => c.change_type === "port_opened"],
      ["change_type=device_returned", () => false],
      ["severity=warning", (c) => c.severity === "warning"],
      ["severity=critical", (c) => c.severity === "critical"],
      ["acknowledged=true", (c) => c.acknowledged === true],
      ["acknowledged=false", (c) => !c.acknowledged],
      [`scan_id=${scan(1)}&change_type=port_opened&severity=high`, (c) => c.scan === 1 && c.change_type === "port_opened" && c.severity === "high"],
      [`device_id=${device(6)}&acknowledged=false`, (c) => c.device === 6 && !c.acknowledged],
      ["scan_id=999999", () => false],
    ];
    for (const [query, keep] of cases) {
      const res = await api.get(`/api/changes?${query}`);
      const expected = expectedIds(keep);
      expect({ query, ids: idsOf(res.body) }).toEqual({ query, ids: expected });
      expect(res.headers.get("x-total-count")).toBe(String(expected.length));
    }
  });

  test("since= keeps changes detected at or after an ISO 8601 time", async () => {
    const all = (await api.get("/api/changes?limit=1000")).body as { id: number; detected_at: string }[];
    const after = (iso: string) => all.filter((c) => c.detected_at >= iso).map((c) => c.id);
    // The cut-off exactly at one change's time includes it.
    const pivot = all[5].detected_at;
    const exact = await api.get(`/api/changes?since=${pivot}`);
    expect(idsOf(exact.body)).toEqual(after(pivot));
    expect(idsOf(exact.body)).toContain(all[5].id);
    expect(exact.headers.get("x-total-count")).toBe(String(after(pivot).length));
    // Four hours ago: only the latest quick scan's changes (3 hours ago).
    const fourHours = toIso(seeded.now - 4 * 3_600_000);
    const recent = await api.get(`/api/changes?since=${fourHours}`);
    expect(idsOf(recent.body)).toEqual(expectedIds((c) => c.scan === 4));
    // Other spellings of the same instant: an offset, milliseconds, no Z (UTC), a bare date.
    const d = new Date(seeded.now - 4 * 3_600_000);
    const plus2 = new Date(d.getTime() + 2 * 3_600_000).toISOString().slice(0, 19) + "+02:00";
    expect(idsOf((await api.get(`/api/changes?since=${encodeURIComponent(plus2)}`)).body)).toEqual(idsOf(recent.body));
    expect(idsOf((await api.get(`/api/changes?since=${d.toISOString()}`)).body)).toEqual(idsOf(recent.body));
    expect(idsOf((await api.get(`/api/changes?since=${fourHours.slice(0, 19)}`)).body)).toEqual(idsOf(recent.body));
    const day = fourHours.slice(0, 10);
    expect(idsOf((await api.get(`/api/changes?since=${day}`)).body)).toEqual(after(`${day}T00:00:00Z`));
    expect((await api.get("/api/changes?since=2099-01-01T00:00:00Z")).body).toEqual([]);
  });

  test("since combines with the other filters", async () => {
    const since = toIso(seeded.now - 20 * 86_400_000);
    const res = await api.get(`/api/changes?since=${since}&change_type=device_added`);
    expect(idsOf(res.body)).toEqual(expectedIds((c) => c.change_type === "device_added" && SCANS[c.scan].started_ago < 20 * 86_400_000));
  });

  test("limit and offset page newest first; the total is unpaginated", async () => {
    const all = idsOf((await api.get("/api/changes")).body);
    const page = await api.get("/api/changes?limit=4&offset=4");
    expect(idsOf(page.body)).toEqual(all.slice(4, 8));
    expect(page.headers.get("x-total-count")).toBe(String(all.length));
    const filtered = await api.get("/api/changes?change_type=device_added&limit=1");
    expect(filtered.body.length).toBe(1);
    expect(filtered.headers.get("x-total-count")).toBe(String(CHANGES.filter((c) => c.change_type === "device_added").length));
  });

  test("invalid values and unknown keys → 422 naming the field", async () => {
    await expect422("/api/changes?scan_id=0", "scan_id");
    await expect422("/api/changes?scan_id=abc", "scan_id");
    await expect422("/api/changes?device_id=-3", "device_id");
    await expect422("/api/changes?device_id=1.5", "device_id");
    await expect422("/api/changes?change_type=device_appeared", "change_type");
    await expect422("/api/changes?severity=severe", "severity");
    await expect422("/api/changes?severity=", "severity");
    await expect422("/api/changes?acknowledged=yes", "acknowledged");
    await expect422("/api/changes?since=yesterday", "since");
    await expect422("/api/changes?since=2024-02-30", "since");
    await expect422("/api/changes?since=2024-01-15T25:00:00Z", "since");
    await expect422("/api/changes?since=1705314600", "since");
    await expect422("/api/changes?since=", "since");
    await expect422("/api/changes?limit=5000", "limit");
    await expect422("/api/changes?type=device_added", "type");
    const res = await api.get("/api/changes?since=yesterday");
    expect(res.body.detail).toContain("ISO 8601");
    const twice = await api.get("/api/changes?severity=high&severity=critical");
    expect(twice.status).toBe(422);
    expect(twice.body.detail).toBe("Invalid query parameter 'severity': given more than once");
    const far = await api.get(`/api/changes?offset=${Number.MAX_SAFE_INTEGER}`);
    expect([far.status, far.body]).toEqual([200, []]);
    expect((await api.get("/api/changes?offset=99999999999999999999")).status).toBe(422);
  });
});

describe("POST /api/changes/{id}/acknowledge", () => {
  test("marks the change acknowledged and answers it; twice is harmless", async () => {
    const i = CHANGES.findIndex((c) => c.change_type === "port_opened" && c.severity === "critical");
    const id = seeded.changeIds[i];
    const unackedBefore = Number((await api.get("/api/changes?acknowledged=false")).headers.get("x-total-count"));
    const res = await api.post(`/api/changes/${id}/acknowledge`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, change_type: "port_opened", severity: "critical", device_ip: DEVICES[3].ip, acknowledged: true });
    expect(Number((await api.get("/api/changes?acknowledged=false")).headers.get("x-total-count"))).toBe(unackedBefore - 1);
    expect(idsOf((await api.get("/api/changes?acknowledged=true")).body)).toContain(id);
    const again = await api.post(`/api/changes/${id}/acknowledge`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    expect(Number((await api.get("/api/changes?acknowledged=false")).headers.get("x-total-count"))).toBe(unackedBefore - 1);
  });

  test("404 for an unknown change, 422 for a malformed id or a query", async () => {
    expect((await api.post("/api/changes/999999/acknowledge")).status).toBe(404);
    expect((await api.post("/api/changes/999999/acknowledge")).body).toEqual({ detail: "Change 999999 not found" });
    expect((await api.post("/api/changes/x/acknowledge")).status).toBe(422);
    expect((await api.post(`/api/changes/${seeded.changeIds[0]}/acknowledge?all=true`)).status).toBe(422);
  });

  test("a change outlives its deleted device, keeping its IP and MAC", async () => {
    const device = seeded.deviceIds[11];
    const ids = expectedIds((c) => c.device === 11);
    expect((await api.delete(`/api/devices/${device}`)).status).toBe(204);
    expect((await api.get(`/api/changes?device_id=${device}`)).body).toEqual([]);
    const kept = (await api.get("/api/changes")).body.filter((c: any) => ids.includes(c.id));
    expect(kept.map((c: any) => [c.device_id, c.device_ip, c.device_mac])).toEqual(ids.map(() => [null, DEVICES[11].ip, DEVICES[11].mac]));
    expect((await api.post(`/api/changes/${ids[0]}/acknowledge`)).body).toMatchObject({ device_id: null, acknowledged: true });
  });
});
