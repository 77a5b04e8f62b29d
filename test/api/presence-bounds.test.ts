// GET /api/presence on a big history, sessions written straight into SQLite: the work of one request
// is bounded. A window before all history reads no session (the plan's index range is empty), an
// answer holds at most MAX_ANSWER_BUCKETS buckets (larger requests are 422s naming limit or since),
// and what is answered is still right (checked against the inserted sessions).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { MAX_ANSWER_BUCKETS, PRESENCE_SQL } from "../../src/inventory/presence.ts";
import { Client, adminWithKey, expect422, startTestServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let api: Client;

const DEVICES = 3_000;
const SESSIONS = 30;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Math.floor(Date.now() / 1000) * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

type Session = { device: number; from: number; to: number | null };
const sessions: Session[] = [];
const ids: number[] = [];

beforeAll(async () => {
  server = await startTestServer();
  api = new Client(server.url, { "X-API-Key": (await adminWithKey(server)).key });
  const db = server.ctx.db;
  // A fixed pseudo-random history: per device 30 sessions one after the other over the last ~400
  // days, each gap longer than the grace; every third device still online.
  let seed = 7;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  db.transaction(() => {
    const device = db.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES (?, ?, ?, ?)");
    const session = db.query("INSERT INTO presence_sessions (device_id, started_at, ended_at, source) VALUES (?, ?, ?, 'scan')");
    for (let d = 0; d < DEVICES; d++) {
      const mac = `02:00:00:${((d >> 16) & 255).toString(16).padStart(2, "0")}:${((d >> 8) & 255).toString(16).padStart(2, "0")}:${(d & 255).toString(16).padStart(2, "0")}`;
      const id = Number(device.run(mac, `10.${(d >> 8) & 255}.${d & 255}.1`, iso(NOW - 400 * DAY), iso(NOW)).lastInsertRowid);
      ids.push(id);
      let t = NOW - 400 * DAY + Math.floor(random() * 5 * DAY / 1000) * 1000;
      for (let k = 0; k < SESSIONS; k++) {
        const length = Math.floor(random() * 3 * DAY / 1000) * 1000;
        const open = k === SESSIONS - 1 && d % 3 === 0;
        const s: Session = { device: id, from: t, to: open ? null : t + length };
        session.run(id, iso(s.from), s.to === null ? null : iso(s.to));
        sessions.push(s);
        t += length + 20 * MIN + Math.floor(random() * 10 * DAY / 1000) * 1000;
      }
    }
  })();
});
afterAll(() => server.close());

test("a window before all history answers nothing and reads no session: the plan's only range of sessions is empty", async () => {
  const res = await api.get("/api/presence?until=1970-01-01T00:00:00Z");
  expect(res.status).toBe(200);
  expect(res.body).toEqual([]);
  expect(res.headers.get("x-total-count")).toBe("0");
  const db = server.ctx.db;
  const [since, until] = ["1969-12-31T00:00:00Z", "1970-01-01T00:00:00Z"];
  const plan = (db.query(`EXPLAIN QUERY PLAN ${PRESENCE_SQL.networkDevices}`).all(since, until, 0, 1000) as { detail: string }[]).map((r) => r.detail);
  // Sessions are read only through presence_sessions_device, begun before `until`, one device after another…
  expect(plan.filter((d) => /^(SCAN|SEARCH) /.test(d))).toEqual([
    "SEARCH d USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)",
    "SEARCH s USING INDEX presence_sessions_device (device_id=? AND started_at<?)",
  ]);
  // …and no session of any device begun before 1970: the range each lookup searches is empty.
  expect(db.query("SELECT count(*) AS n FROM presence_sessions WHERE started_at < ?").get(until)).toEqual({ n: 0 });
  expect((db.query("SELECT count(*) AS n FROM presence_sessions").get() as { n: number }).n).toBe(DEVICES * SESSIONS);
});

test("an answer holds at most MAX_ANSWER_BUCKETS buckets: larger requests are 422s naming limit (or since for the range)", async () => {
  const since30 = iso(NOW - 30 * DAY);
  // The red team's requests: 30 days of hours for 1000 devices; a year of days for 1000 devices.
  await expect422(api, `/api/presence?since=${since30}&until=${iso(NOW)}&limit=1000`, "limit");
  await expect422(api, `/api/presence?bucket=day&since=${iso(NOW - 360 * DAY)}&until=${iso(NOW)}&limit=1000`, "limit");
  // 31 days of hours from a whole hour: 744 buckets; the largest page allowed answers within the bound.
  const start = Math.floor((NOW - 40 * DAY) / HOUR) * HOUR;
  const window = `since=${iso(start)}&until=${iso(start + 31 * DAY)}`;
  const most = Math.floor(MAX_ANSWER_BUCKETS / 744);
  await expect422(api, `/api/presence?${window}&limit=${most + 1}`, "limit");
  const res = await api.get(`/api/presence?${window}&limit=${most}`);
  expect(res.status).toBe(200);
  expect(res.body.length).toBe(most);
  const buckets = res.body.reduce((n: number, d: { buckets: unknown[] }) => n + d.buckets.length, 0);
  expect(buckets).toBe(most * 744);
  expect(buckets).toBeLessThanOrEqual(MAX_ANSWER_BUCKETS);
  // The range's own bound still comes first.
  await expect422(api, `/api/presence?since=${iso(start)}&until=${iso(start + 32 * DAY)}&limit=1`, "since");
  const detail = (await api.get(`/api/presence?${window}&limit=1000`)).body.detail;
  expect(detail).toBe(`Invalid query parameter 'limit': at most ${MAX_ANSWER_BUCKETS} buckets per answer; 744 hour buckets allow a limit of at most ${most} (or ask for a shorter range)`);
});

test("what is answered matches the inserted sessions: the devices online in the window and their seconds per day", async () => {
  const since = Math.floor((NOW - 100 * DAY) / DAY) * DAY;
  const until = since + 20 * DAY;
  const overlapping = sessions.filter((s) => s.from < until && (s.to === null || s.to >= since));
  const online = [...new Set(overlapping.map((s) => s.device))].sort((a, b) => a - b);
  const expected = (device: number) =>
    Array.from({ length: 20 }, (_, k) => {
      const [lo, hi] = [since + k * DAY, since + (k + 1) * DAY];
      const seconds = overlapping
        .filter((s) => s.device === device)
        .reduce((sum, s) => sum + Math.max(0, Math.min(s.to ?? NOW, hi) - Math.max(s.from, lo)) / 1000, 0);
      return { at: iso(lo), online_seconds: Math.round(seconds) };
    });
  const offset = 40;
  const res = await api.get(`/api/presence?bucket=day&since=${iso(since)}&until=${iso(until)}&limit=100&offset=${offset}`);
  expect(res.status).toBe(200);
  expect(Number(res.headers.get("x-total-count"))).toBe(online.length);
  expect(online.length).toBeGreaterThan(offset + 100);
  expect(res.body).toEqual(online.slice(offset, offset + 100).map((device_id) => ({ device_id, buckets: expected(device_id) })));
  // A device's own intervals in the same window are the inserted ones that overlap it, newest first.
  const one = online[offset];
  const mine = overlapping.filter((s) => s.device === one).sort((a, b) => b.from - a.from);
  const intervals = await api.get(`/api/devices/${one}/presence?since=${iso(since)}&until=${iso(until)}&limit=1000`);
  expect(intervals.body).toEqual(mine.map((s) => ({ from: iso(s.from), to: s.to === null ? null : iso(s.to), source: "scan" })));
});
