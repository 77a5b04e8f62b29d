// One device row holding a value outside its column's schema (a BLOB host name written by an old
// version, text where a number belongs) must not take the device list down: the inventory answers
// the row with the value coerced to its schema (text) or null, and the rest as it is.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { adminWithKey, Client, startTestServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let api: Client;

beforeAll(async () => {
  server = await startTestServer();
  api = new Client(server.url, { "X-API-Key": (await adminWithKey(server)).key });
});
afterAll(() => server.close());

const T = "2024-01-15T10:30:00Z";
const insert = (mac: string, ip: string, set: Record<string, unknown> = {}): number => {
  const db = server.ctx.db;
  const id = (db.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES (?, ?, ?, ?) RETURNING id").get(mac, ip, T, T) as { id: number }).id;
  // Written with SQL as a restore or an old version could have left it: the column affinity keeps a BLOB a BLOB.
  for (const [column, value] of Object.entries(set)) db.query(`UPDATE devices SET ${column} = ? WHERE id = ?`).run(value as never, id);
  return id;
};

describe("a device row with an out-of-schema value", () => {
  test("a BLOB host name: GET /api/devices answers 200 with every row, the host name as text (or null when it is no text)", async () => {
    const good = insert("02:00:00:00:05:01", "10.5.0.1", { hostname: "printer" });
    const blob = insert("02:00:00:00:05:02", "10.5.0.2", { hostname: new TextEncoder().encode("nas.lan") });
    const junk = insert("02:00:00:00:05:03", "10.5.0.3", { hostname: new Uint8Array([0xff, 0xfe, 0x00, 0x80]) });
    expect(server.ctx.db.query("SELECT typeof(hostname) AS t FROM devices WHERE id = ?").get(blob)).toEqual({ t: "blob" });
    const res = await api.get("/api/devices");
    expect(res.status).toBe(200);
    const byId = new Map((res.body as { id: number; hostname: string | null }[]).map((d) => [d.id, d.hostname]));
    expect([byId.get(good), byId.get(blob), byId.get(junk)]).toEqual(["printer", "nas.lan", null]);
    expect(res.headers.get("x-total-count")).toBe("3");
    // The device's own page too.
    const one = await api.get(`/api/devices/${blob}`);
    expect(one.status).toBe(200);
    expect(one.body.hostname).toBe("nas.lan");
  });

  test("a number where text belongs becomes its text; text where a number belongs, or an unknown level, the schema's value", async () => {
    const vendor = insert("02:00:00:00:05:04", "10.5.0.4", { vendor: 42 });
    const score = insert("02:00:00:00:05:05", "10.5.0.5", { risk_score: "high", risk_level: "dreadful", times_seen: "7" });
    const res = await api.get("/api/devices?q=10.5.0.");
    expect(res.status).toBe(200);
    const byId = new Map((res.body as any[]).map((d) => [d.id, d]));
    expect(byId.get(vendor).vendor).toBe("42");
    expect(byId.get(score)).toMatchObject({ times_seen: 7, risk_score: 0, risk_level: "none" });
    expect((await api.get(`/api/devices/${score}`)).status).toBe(200);
  });
});
