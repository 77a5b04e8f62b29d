// GET /api/devices/{id}/presence and GET /api/presence against the real appliance: sessions as the
// inventory writes them (markSeen/markGone on the server's own database), the window and bucket
// parameters, the errors, and sessions going with a forgotten device.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { markGone, markSeen } from "../../src/inventory/presence.ts";
import { Client, adminWithKey, expect422, startTestServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let api: Client;
let phone: number;
let nas: number;
let idle: number;

const HOUR = 3_600_000;
const T0 = Date.parse("2025-06-01T00:00:00Z");
const at = (ms: number) => new Date(T0 + ms).toISOString().replace(/\.\d{3}Z$/, "Z");

beforeAll(async () => {
  server = await startTestServer();
  api = new Client(server.url, { "X-API-Key": (await adminWithKey(server)).key });
  const db = server.ctx.db;
  const add = (mac: string, ip: string) =>
    Number(db.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES (?, ?, ?, ?)").run(mac, ip, at(0), at(0)).lastInsertRowid);
  phone = add("02:00:00:00:01:01", "10.9.0.11");
  nas = add("02:00:00:00:01:02", "10.9.0.12");
  idle = add("02:00:00:00:01:03", "10.9.0.13");
  // The phone: 01:30–02:45 by a scan, then heard passively from 05:00 and still online.
  markSeen(db, phone, at(1.5 * HOUR), "scan");
  markGone(db, phone, at(2.75 * HOUR));
  markSeen(db, phone, at(5 * HOUR), "passive");
  // The NAS: all of the first day, seen by a departure probe.
  markSeen(db, nas, at(0), "probe");
  markGone(db, nas, at(24 * HOUR));
});
afterAll(() => server.close());

describe("GET /api/devices/{id}/presence", () => {
  test("answers the device's intervals, newest first, the open one with to null, the total in X-Total-Count", async () => {
    const res = await api.get(`/api/devices/${phone}/presence`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-total-count")).toBe("2");
    expect(res.body).toEqual([
      { from: at(5 * HOUR), to: null, source: "passive" },
      { from: at(1.5 * HOUR), to: at(2.75 * HOUR), source: "scan" },
    ]);
    expect((await api.get(`/api/devices/${nas}/presence`)).body).toEqual([{ from: at(0), to: at(24 * HOUR), source: "probe" }]);
    expect((await api.get(`/api/devices/${idle}/presence`)).body).toEqual([]);
  });

  test("since and until keep the intervals that overlap the window; limit and offset page them", async () => {
    const window = async (q: string) => (await api.get(`/api/devices/${phone}/presence?${q}`)).body.map((s: { from: string }) => s.from);
    expect(await window(`since=${at(3 * HOUR)}`)).toEqual([at(5 * HOUR)]);
    expect(await window(`until=${at(4 * HOUR)}`)).toEqual([at(1.5 * HOUR)]);
    expect(await window(`since=${at(2 * HOUR)}&until=${at(6 * HOUR)}`)).toEqual([at(5 * HOUR), at(1.5 * HOUR)]);
    // Other spellings of an instant, as /api/changes takes them: a date alone, an offset.
    expect(await window("since=2025-06-01&until=2025-06-01T04:00:00%2B02:00")).toEqual([at(1.5 * HOUR)]);
    const paged = await api.get(`/api/devices/${phone}/presence?limit=1&offset=1`);
    expect(paged.headers.get("x-total-count")).toBe("2");
    expect(paged.body).toEqual([{ from: at(1.5 * HOUR), to: at(2.75 * HOUR), source: "scan" }]);
  });

  test("an unknown device is a 404; bad parameters are 422s naming the field", async () => {
    const missing = await api.get("/api/devices/999999/presence");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: "Device 999999 not found" });
    await expect422(api, `/api/devices/${phone}/presence?since=yesterday`, "since");
    // Well-formed but not a real day.
    await expect422(api, `/api/devices/${phone}/presence?since=2025-02-30`, "since");
    await expect422(api, `/api/devices/${phone}/presence?until=2025-06-01T25:00:00Z`, "until");
    await expect422(api, `/api/devices/${phone}/presence?since=${at(2 * HOUR)}&until=${at(HOUR)}`, "until");
    await expect422(api, `/api/devices/${phone}/presence?since=${at(HOUR)}&until=${at(HOUR)}`, "until");
    await expect422(api, `/api/devices/${phone}/presence?limit=0`, "limit");
    expect((await api.get(`/api/devices/${phone}/presence?bucket=hour`)).status).toBe(422);
    expect((await api.get("/api/devices/abc/presence")).status).toBe(422);
  });

  test("milliseconds count: a window inside one second is that second; the order is checked on the instants as given", async () => {
    const ms = (t: string, frac: string) => t.replace(/Z$/, `.${frac}Z`);
    const res = await api.get(`/api/devices/${phone}/presence?since=${at(5 * HOUR)}&until=${ms(at(5 * HOUR), "001")}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ from: at(5 * HOUR), to: null, source: "passive" }]);
    // Within one second, but until before since: still refused.
    await expect422(api, `/api/devices/${phone}/presence?since=${ms(at(HOUR), "900")}&until=${ms(at(HOUR), "500")}`, "until");
    await expect422(api, `/api/devices/${phone}/presence?since=${ms(at(HOUR), "500")}&until=${ms(at(HOUR), "500")}`, "until");
    // until rounds up: a session that began in the second holding until is in the window.
    expect((await api.get(`/api/devices/${phone}/presence?until=${ms(at(5 * HOUR - 1000), "001")}`)).body.map((s: { from: string }) => s.from)).toEqual([at(1.5 * HOUR)]);
    expect((await api.get(`/api/devices/${phone}/presence?until=${ms(at(5 * HOUR), "001")}`)).body.map((s: { from: string }) => s.from)).toEqual([at(5 * HOUR), at(1.5 * HOUR)]);
  });

  test("needs a key or a session", async () => {
    const res = await new Client(server.url).get(`/api/devices/${phone}/presence`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: "Not authenticated" });
  });
});

describe("GET /api/presence", () => {
  test("hour buckets: each device with a session in the range, by id, every hour of the range with its online seconds", async () => {
    const res = await api.get(`/api/presence?since=${at(0)}&until=${at(6 * HOUR)}&bucket=hour`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-total-count")).toBe("2");
    const hours = (seconds: number[]) => seconds.map((online_seconds, h) => ({ at: at(h * HOUR), online_seconds }));
    expect(res.body).toEqual([
      // 01:30–02:45, then from 05:00 on (open; the range ends at 06:00, long past).
      { device_id: phone, buckets: hours([0, 1800, 2700, 0, 0, 3600]) },
      { device_id: nas, buckets: hours([3600, 3600, 3600, 3600, 3600, 3600]) },
    ]);
  });

  test("day buckets, a start inside a bucket, and paging over devices", async () => {
    const res = await api.get(`/api/presence?since=${at(12 * HOUR)}&until=${at(48 * HOUR)}&bucket=day`);
    expect(res.status).toBe(200);
    // The first day counts from 12:00 only; the phone's open session counts up to the range's end.
    expect(res.body).toEqual([
      { device_id: phone, buckets: [{ at: at(0), online_seconds: 12 * 3600 }, { at: at(24 * HOUR), online_seconds: 24 * 3600 }] },
      { device_id: nas, buckets: [{ at: at(0), online_seconds: 12 * 3600 }, { at: at(24 * HOUR), online_seconds: 0 }] },
    ]);
    const second = await api.get(`/api/presence?since=${at(0)}&until=${at(2 * HOUR)}&limit=1&offset=1`);
    expect(second.headers.get("x-total-count")).toBe("2");
    expect(second.body.map((d: { device_id: number }) => d.device_id)).toEqual([nas]);
  });

  test("a window of one millisecond is the whole second that holds it", async () => {
    const res = await api.get(`/api/presence?since=${at(5 * HOUR)}&until=${at(5 * HOUR).replace(/Z$/, ".001Z")}&bucket=hour`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { device_id: phone, buckets: [{ at: at(5 * HOUR), online_seconds: 1 }] },
      { device_id: nas, buckets: [{ at: at(5 * HOUR), online_seconds: 1 }] },
    ]);
    await expect422(api, `/api/presence?since=${at(5 * HOUR).replace(/Z$/, ".5Z")}&until=${at(5 * HOUR).replace(/Z$/, ".25Z")}`, "until");
  });

  test("without since: the last 24 hours by hour, ending now, with open sessions counted up to now", async () => {
    const before = Date.now();
    const res = await api.get("/api/presence");
    expect(res.status).toBe(200);
    // Only the phone is online in the last day; 24 hours plus the one the range starts inside.
    expect(res.body.map((d: { device_id: number }) => d.device_id)).toEqual([phone]);
    const buckets: { at: string; online_seconds: number }[] = res.body[0].buckets;
    // (24 when the request came exactly on the hour.)
    expect(buckets.length).toBe(before % HOUR < 2000 ? buckets.length : 25);
    expect(Date.parse(buckets[0].at) % HOUR).toBe(0);
    expect(Date.parse(buckets[24].at)).toBe(Math.floor(before / HOUR) * HOUR);
    const total = buckets.reduce((sum, b) => sum + b.online_seconds, 0);
    expect(Math.abs(total - 24 * 3600)).toBeLessThanOrEqual(2);
  });

  test("bounded: at most 31 days of hours and 366 days of days; bad values are 422s", async () => {
    const day = 24 * HOUR;
    expect((await api.get(`/api/presence?since=${at(0)}&until=${at(31 * day)}&bucket=hour`)).status).toBe(200);
    await expect422(api, `/api/presence?since=${at(0)}&until=${at(31 * day + HOUR)}&bucket=hour`, "since");
    expect((await api.get(`/api/presence?since=${at(0)}&until=${at(366 * day)}&bucket=day`)).status).toBe(200);
    await expect422(api, `/api/presence?since=${at(0)}&until=${at(367 * day)}&bucket=day`, "since");
    // A range given by its start alone runs to now: as bounded.
    await expect422(api, `/api/presence?since=${at(0)}`, "since");
    await expect422(api, "/api/presence?bucket=week", "bucket");
    await expect422(api, "/api/presence?since=2025-13-01", "since");
    await expect422(api, `/api/presence?since=${at(HOUR)}&until=${at(0)}`, "until");
    await expect422(api, "/api/presence?device_id=1", "device_id");
  });
});

test("forgetting a device deletes its sessions", async () => {
  const db = server.ctx.db;
  const count = () => (db.query("SELECT count(*) AS n FROM presence_sessions WHERE device_id = ?").get(nas) as { n: number }).n;
  expect(count()).toBe(1);
  expect((await api.delete(`/api/devices/${nas}`)).status).toBe(204);
  expect(count()).toBe(0);
  expect((await api.get(`/api/devices/${nas}/presence`)).status).toBe(404);
  expect((await api.get(`/api/presence?since=${at(0)}&until=${at(HOUR)}`)).body.map((d: { device_id: number }) => d.device_id)).toEqual([]);
});
