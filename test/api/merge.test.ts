// POST /api/devices/{id}/merge and /split (SPEC §7 "several interfaces") on the real server: one
// machine's two interfaces become one device with both MACs and both histories, the other id is
// gone, and a split gives a MAC its own device again; errors, audit and live events.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { FeedEvent } from "../../src/events.ts";
import { recordSightings, type Sighting } from "../../src/inventory/sightings.ts";
import { Client, adminWithKey, startTestServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let api: Client;
let reader: Client;

beforeAll(async () => {
  server = await startTestServer();
  const admin = await adminWithKey(server);
  api = new Client(server.url, { "X-API-Key": admin.key });
  const created = await admin.session.post("/api/keys", { name: "reader", scope: "read" });
  expect(created.status).toBe(201);
  reader = new Client(server.url, { "X-API-Key": created.body.key });
});
afterAll(() => server.close());

const WIRED = "b8:27:eb:00:00:01";
const WIFI = "b8:27:eb:00:00:02";

/** Two devices as scans would have left them: the laptop's wired and Wi-Fi interfaces, each with history. */
function seedLaptop(n: number): { wired: number; wifi: number } {
  const db = server.ctx.db;
  const mac = (m: string) => macOf(n, m);
  const insert = (m: string, ip: string, first: string, last: string, label: string | null) =>
    (
      db
        .query("INSERT INTO devices (mac_address, ip_address, status, first_seen, last_seen, times_seen, label) VALUES (?, ?, 'online', ?, ?, 3, ?) RETURNING id")
        .get(mac(m), ip, first, last, label) as { id: number }
    ).id;
  const wired = insert(WIRED, `10.${n}.0.10`, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "Anna's laptop");
  const wifi = insert(WIFI, `10.${n}.0.20`, "2025-12-01T00:00:00Z", "2026-01-03T00:00:00Z", null);
  for (const [id, ip, first, last] of [
    [wired, `10.${n}.0.10`, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"],
    [wifi, `10.${n}.0.20`, "2025-12-01T00:00:00Z", "2026-01-03T00:00:00Z"],
    [wifi, `10.${n}.0.21`, "2025-12-01T00:00:00Z", "2025-12-02T00:00:00Z"],
  ] as const) {
    db.query("INSERT INTO device_addresses (device_id, ip_address, first_seen, last_seen) VALUES (?, ?, ?, ?)").run(id, ip, first, last);
  }
  db.query("INSERT INTO changes (device_id, device_ip, device_mac, change_type, severity, description, detected_at) VALUES (?, ?, ?, 'device_added', 'info', 'New device', ?)").run(
    wifi, `10.${n}.0.20`, mac(WIFI), "2025-12-01T00:00:00Z",
  );
  db.query("INSERT INTO presence_sessions (device_id, started_at, ended_at, source) VALUES (?, ?, ?, 'scan')").run(wifi, "2025-12-01T00:00:00Z", "2025-12-01T05:00:00Z");
  return { wired, wifi };
}
const macOf = (n: number, m: string) => m.replace(/..$/, (x) => (parseInt(x, 16) + n * 16).toString(16).padStart(2, "0"));

function recordEvents(): { events: FeedEvent[]; stop: () => void } {
  const events: FeedEvent[] = [];
  const stop = server.ctx.feed.subscribe((e) => events.push(e));
  return { events, stop };
}

describe("POST /api/devices/{id}/merge", () => {
  test("the other's MACs, addresses, changes and presence move to the survivor; the other id answers 404; audited and published", async () => {
    const { wired, wifi } = seedLaptop(1);
    // An IPv6 address heard from the Wi-Fi side (migration 21) moves too.
    server.ctx.db.query("INSERT INTO device_ip6 (device_id, address, scope, first_seen, last_seen) VALUES (?, 'fd00:1::20', 'ula', '2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z')").run(wifi);
    const live = recordEvents();
    const res = await api.post(`/api/devices/${wired}/merge`, { other_id: wifi });
    live.stop();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: wired, mac_address: macOf(1, WIRED), label: "Anna's laptop", first_seen: "2025-12-01T00:00:00Z", last_seen: "2026-01-03T00:00:00Z", times_seen: 6 });
    // Seen last on its Wi-Fi address: that is where it is now.
    expect(res.body.ip_address).toBe("10.1.0.20");
    expect(res.body.macs.map((m: any) => m.mac)).toEqual([macOf(1, WIRED), macOf(1, WIFI)]);
    expect(res.body.macs[1]).toEqual({ mac: macOf(1, WIFI), randomized: false, first_seen: "2025-12-01T00:00:00Z", last_seen: "2026-01-03T00:00:00Z" });
    expect(res.body.ip_history.map((a: any) => a.ip_address).sort()).toEqual(["10.1.0.10", "10.1.0.20", "10.1.0.21"]);
    expect(res.body.addresses.filter((a: any) => a.family === 6).map((a: any) => a.address)).toEqual(["fd00:1::20"]);

    expect((await api.get(`/api/devices/${wifi}`)).status).toBe(404);
    const db = server.ctx.db;
    expect(db.query("SELECT count(*) AS n FROM changes WHERE device_id = ?").get(wired)).toEqual({ n: 1 });
    expect(db.query("SELECT count(*) AS n FROM presence_sessions WHERE device_id = ?").get(wired)).toEqual({ n: 1 });

    expect(live.events.filter((e) => e.type === "device").map((e: any) => [e.id, e.device === null ? null : e.device.macs.length])).toEqual([
      [wifi, null],
      [wired, 2],
    ]);
    const audit = await api.get("/api/audit-logs?action=device_merged");
    expect(audit.status).toBe(200);
    expect(audit.body[0]).toMatchObject({ action: "device_merged", resource: `device:${wired}` });
    expect(audit.body[0].details).toMatchObject({ other_id: wifi, other_mac: macOf(1, WIFI) });
  });

  test("404 for an unknown device on either side, 422 for merging a device with itself or a bad body; nothing changes", async () => {
    const { wired, wifi } = seedLaptop(2);
    const before = (await api.get(`/api/devices/${wired}`)).body;
    for (const [path, body, status, detail] of [
      [`/api/devices/999999/merge`, { other_id: wifi }, 404, "Device 999999 not found"],
      [`/api/devices/${wired}/merge`, { other_id: 999999 }, 404, "Device 999999 not found"],
      [`/api/devices/${wired}/merge`, { other_id: wired }, 422, "A device cannot be merged with itself"],
    ] as const) {
      const res = await api.post(path, body);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ detail });
    }
    for (const body of [{}, { other_id: "x" }, { other_id: wifi, extra: 1 }]) {
      const res = await api.post(`/api/devices/${wired}/merge`, body);
      expect(res.status).toBe(422);
      expect(typeof res.body.detail).toBe("string");
    }
    expect((await api.get(`/api/devices/${wired}`)).body).toEqual(before);
    expect((await api.get(`/api/devices/${wifi}`)).status).toBe(200);
  });

  test("a read key may not merge or split (403)", async () => {
    const { wired, wifi } = seedLaptop(3);
    expect((await reader.post(`/api/devices/${wired}/merge`, { other_id: wifi })).status).toBe(403);
    expect((await reader.post(`/api/devices/${wired}/split`, { mac: macOf(3, WIRED) })).status).toBe(403);
    expect((await api.get(`/api/devices/${wifi}`)).status).toBe(200);
  });
});

describe("POST /api/devices/{id}/split", () => {
  test("a merged MAC becomes a device of its own again, offline at its last address, with the address history it was heard at", async () => {
    const { wired, wifi } = seedLaptop(4);
    expect((await api.post(`/api/devices/${wired}/merge`, { other_id: wifi })).status).toBe(200);
    const live = recordEvents();
    const res = await api.post(`/api/devices/${wired}/split`, { mac: macOf(4, WIFI).toUpperCase() });
    live.stop();
    expect(res.status).toBe(200);
    expect(res.body.device.macs.map((m: any) => m.mac)).toEqual([macOf(4, WIRED)]);
    const fresh = res.body.new_device;
    expect(fresh.id).not.toBe(wired);
    expect(fresh).toMatchObject({ mac_address: macOf(4, WIFI), status: "offline", ip_address: "10.4.0.20", label: null });
    expect(fresh.macs).toEqual([{ mac: macOf(4, WIFI), randomized: false, first_seen: "2025-12-01T00:00:00Z", last_seen: "2026-01-03T00:00:00Z" }]);
    // The Wi-Fi side's addresses go with it (each records its MAC, schema 28); the wired side's stay,
    // and the device is at the address its remaining interface was heard at.
    expect(fresh.ip_history.map((a: any) => a.ip_address)).toEqual(["10.4.0.20", "10.4.0.21"]);
    expect(res.body.device.ip_history.map((a: any) => a.ip_address)).toEqual(["10.4.0.10"]);
    expect(res.body.device.ip_address).toBe("10.4.0.10");
    expect((await api.get(`/api/devices/${fresh.id}`)).status).toBe(200);
    expect(live.events.filter((e) => e.type === "device").map((e: any) => e.id).sort()).toEqual([wired, fresh.id].sort());
    const audit = await api.get("/api/audit-logs?action=device_split");
    expect(audit.body[0]).toMatchObject({ action: "device_split", resource: `device:${wired}` });
    expect(audit.body[0].details).toMatchObject({ split_mac: macOf(4, WIFI), new_id: fresh.id });
  });

  test("422 when the MAC is the device's only one or not one of its MACs, 404 for an unknown device", async () => {
    const { wired, wifi } = seedLaptop(5);
    const only = await api.post(`/api/devices/${wired}/split`, { mac: macOf(5, WIRED) });
    expect(only.status).toBe(422);
    expect(only.body.detail).toContain("only MAC");
    const foreign = await api.post(`/api/devices/${wired}/split`, { mac: macOf(5, WIFI) });
    expect(foreign.status).toBe(422);
    expect(foreign.body.detail).toContain("is not one of device");
    const bad = await api.post(`/api/devices/${wired}/split`, { mac: "not-a-mac" });
    expect(bad.status).toBe(422);
    const unknown = await api.post("/api/devices/999999/split", { mac: macOf(5, WIRED) });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ detail: "Device 999999 not found" });
    expect((await api.get(`/api/devices/${wifi}`)).body.macs.map((m: any) => m.mac)).toEqual([macOf(5, WIFI)]);
  });

  test("splitting off the primary MAC makes the other one primary", async () => {
    const { wired, wifi } = seedLaptop(6);
    expect((await api.post(`/api/devices/${wired}/merge`, { other_id: wifi })).status).toBe(200);
    const res = await api.post(`/api/devices/${wired}/split`, { mac: macOf(6, WIRED) });
    expect(res.status).toBe(200);
    expect(res.body.device).toMatchObject({ id: wired, mac_address: macOf(6, WIFI) });
    expect(res.body.device.macs.map((m: any) => m.mac)).toEqual([macOf(6, WIFI)]);
    expect(res.body.new_device.mac_address).toBe(macOf(6, WIRED));
  });
});

describe("merge then split: each IPv4 address stays with the MAC that answered for it", () => {
  test("device 1 (aa:…:01 at .10) merged with device 2 (aa:…:02 at .11): .11 is listed under :02; split off :02, the new device holds .11 in ip_history and addresses", async () => {
    // A server of its own, so the devices are 1 and 2 as in the report; both heard on the wire (the sightings writer).
    const own = await startTestServer();
    try {
      const owner = new Client(own.url, { "X-API-Key": (await adminWithKey(own)).key });
      const heard = (mac: string, ip: string): Sighting => ({ mac, ip, source: "arp", iface: "eth0", mac_randomized: false });
      const policy = { mayHaveRotated: () => false, admitNew: () => "admit" as const, capPerMinute: 60 };
      const db = own.ctx.db;
      db.transaction(() => recordSightings(db, [heard("aa:00:00:00:00:01", "192.168.77.10")], policy, "2026-03-01T10:00:00Z"))();
      db.transaction(() => recordSightings(db, [heard("aa:00:00:00:00:02", "192.168.77.11")], policy, "2026-03-01T10:05:00Z"))();
      expect((await owner.get("/api/devices/1")).body.mac_address).toBe("aa:00:00:00:00:01");
      expect((await owner.get("/api/devices/2")).body.mac_address).toBe("aa:00:00:00:00:02");

      const merged = await owner.post("/api/devices/1/merge", { other_id: 2 });
      expect(merged.status).toBe(200);
      const v4 = (d: any) => d.addresses.filter((a: any) => a.family === 4).map((a: any) => ({ address: a.address, mac: a.mac }));
      expect(v4(merged.body)).toEqual([
        { address: "192.168.77.11", mac: "aa:00:00:00:00:02" },
        { address: "192.168.77.10", mac: "aa:00:00:00:00:01" },
      ]);

      const split = await owner.post("/api/devices/1/split", { mac: "aa:00:00:00:00:02" });
      expect(split.status).toBe(200);
      const fresh = (await owner.get(`/api/devices/${split.body.new_device.id}`)).body;
      expect(fresh.ip_address).toBe("192.168.77.11");
      expect(fresh.ip_history).toEqual([{ ip_address: "192.168.77.11", first_seen: "2026-03-01T10:05:00Z", last_seen: "2026-03-01T10:05:00Z" }]);
      expect(v4(fresh)).toEqual([{ address: "192.168.77.11", mac: "aa:00:00:00:00:02" }]);
      const one = (await owner.get("/api/devices/1")).body;
      expect(one.ip_address).toBe("192.168.77.10");
      expect(one.ip_history.map((a: any) => a.ip_address)).toEqual(["192.168.77.10"]);
      expect(v4(one)).toEqual([{ address: "192.168.77.10", mac: "aa:00:00:00:00:01" }]);
    } finally {
      await own.close();
    }
  });
});
