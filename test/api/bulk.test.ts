// POST /api/devices/bulk (approve, zone, forget several devices) and the change records' device_name
// (the device's name now, label > host name > vendor and IP > IP) against a seeded inventory.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BULK_MAX } from "../../src/inventory/schema.ts";
import { Client, adminWithKey, startTestServer, type TestServer } from "../helpers/server.ts";
import { CHANGES, DEVICES, seedInventory, type Seeded } from "../inventory/seed.ts";

let server: TestServer;
let api: Client;
let reader: Client;
let seeded: Seeded;

beforeAll(async () => {
  server = await startTestServer();
  const admin = await adminWithKey(server);
  api = new Client(server.url, { "X-API-Key": admin.key });
  const readKey = (await admin.session.post("/api/keys", { name: "reader", scope: "read" })).body.key;
  reader = new Client(server.url, { "X-API-Key": readKey });
  seeded = seedInventory(server.ctx.db);
});
afterAll(() => server.close());

const idOf = (ip: string) => seeded.deviceIds[DEVICES.findIndex((d) => d.ip === ip)];
const device = async (id: number) => (await api.get(`/api/devices/${id}`)).body;
const bulk = (body: unknown, client = api) => client.request("POST", "/api/devices/bulk", { json: body });

describe("change records carry the device's name, computed when read", () => {
  test("label first: the router's changes are named by its label", async () => {
    const i = CHANGES.findIndex((c) => c.change_type === "mac_changed_for_ip");
    const change = (await api.get(`/api/changes?device_id=${seeded.deviceIds[0]}`)).body.find((c: any) => c.id === seeded.changeIds[i]);
    expect(change.device_name).toBe("Main router");
  });

  test("every listed change names its device as the device list does, or by its recorded IP once forgotten", async () => {
    const changes = (await api.get("/api/changes?limit=200")).body as any[];
    expect(changes.length).toBe(CHANGES.length);
    for (const c of changes) {
      if (c.device_id === null) {
        expect(c.device_name).toBe(c.device_ip);
        continue;
      }
      const d = await device(c.device_id);
      const expected = d.label || d.hostname || (d.vendor ? `${d.vendor} ${d.ip_address}` : d.ip_address);
      expect({ id: c.id, name: c.device_name }).toEqual({ id: c.id, name: expected });
    }
  });

  test("a rename shows on the device's past changes at once; the stored description keeps the name it was written with", async () => {
    const id = idOf("192.168.1.101");
    const before = (await api.get(`/api/changes?device_id=${id}`)).body as any[];
    expect(before.length).toBeGreaterThan(0);
    expect((await api.request("PUT", `/api/devices/${id}`, { json: { label: "Front door camera" } })).status).toBe(200);
    const after = (await api.get(`/api/changes?device_id=${id}`)).body as any[];
    expect(after.map((c) => c.device_name)).toEqual(before.map(() => "Front door camera"));
    expect(after.map((c) => c.description)).toEqual(before.map((c) => c.description));
    // Acknowledging answers the record with the name too.
    expect((await api.post(`/api/changes/${after[0].id}/acknowledge`)).body.device_name).toBe("Front door camera");
    // Cleared: the host name stands again.
    await api.request("PUT", `/api/devices/${id}`, { json: { label: "" } });
    const host = DEVICES.find((d) => d.ip === "192.168.1.101")!.hostname;
    expect((await api.get(`/api/changes?device_id=${id}&limit=1`)).body[0].device_name).toBe(host);
  });
});

describe("POST /api/devices/bulk", () => {
  test("trust: every id named is trusted, audited one entry per device changed; already trusted counts as done", async () => {
    const ids = ["192.168.1.150", "192.168.1.2", "192.168.1.50"].map(idOf);
    expect((await device(ids[2])).is_trusted).toBe(true);
    const auditsBefore = Number((await api.get("/api/audit-logs?action=device_updated")).headers.get("x-total-count"));
    const res = await bulk({ ids, action: "trust" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ action: "trust", done: ids, skipped: [] });
    for (const id of ids) expect(await device(id)).toMatchObject({ is_trusted: true, trust: "trusted" });
    const audits = (await api.get("/api/audit-logs?action=device_updated&limit=10")).body as any[];
    expect(Number((await api.get("/api/audit-logs?action=device_updated")).headers.get("x-total-count"))).toBe(auditsBefore + 2);
    expect(audits.slice(0, 2).map((a) => a.resource).sort()).toEqual([`device:${ids[0]}`, `device:${ids[1]}`].sort());
    expect(audits[0].details).toMatchObject({ bulk: true, changes: { is_trusted: { old: false, new: true } } });
    expect(audits[0].username).toBe("api_key:Test Key");
  });

  test("zone: sets one zone on all, an empty zone clears it; the zone list follows", async () => {
    const ids = ["192.168.1.150", "192.168.1.2"].map(idOf);
    const res = await bulk({ ids, action: "zone", zone: "  Family " });
    expect(res.status).toBe(200);
    for (const id of ids) expect((await device(id)).zone).toBe("Family");
    expect((await api.get("/api/zones")).body).toContain("Family");
    expect((await bulk({ ids, action: "zone", zone: "" })).status).toBe(200);
    for (const id of ids) expect((await device(id)).zone).toBeNull();
    expect((await api.get("/api/zones")).body).not.toContain("Family");
  });

  test("unknown ids are skipped and listed; the known ones are done", async () => {
    const id = idOf("192.168.1.30");
    const res = await bulk({ ids: [id, 999_999], action: "zone", zone: "IoT" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ action: "zone", done: [id], skipped: [999_999] });
  });

  test("forget: the devices are gone, each audited as device_deleted; their past changes keep their IP", async () => {
    const ips = ["192.168.1.60", "192.168.1.61"];
    const ids = ips.map(idOf);
    const res = await bulk({ ids, action: "forget" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ action: "forget", done: ids, skipped: [] });
    for (const id of ids) expect((await api.get(`/api/devices/${id}`)).status).toBe(404);
    const audits = (await api.get("/api/audit-logs?action=device_deleted&limit=2")).body as any[];
    expect(audits.map((a) => a.resource).sort()).toEqual(ids.map((id) => `device:${id}`).sort());
    expect(audits.map((a) => a.details.ip_address).sort()).toEqual([...ips].sort());
    // Forgotten twice: nothing to do, both skipped.
    expect((await bulk({ ids, action: "forget" })).body).toEqual({ action: "forget", done: [], skipped: ids });
  });

  test("invalid requests are 422 (or 400 for malformed JSON) with a JSON detail, and change nothing", async () => {
    const id = idOf("192.168.1.20");
    const before = await device(id);
    const cases: [unknown, string][] = [
      [{ ids: [], action: "trust" }, "ids"],
      [{ ids: Array.from({ length: BULK_MAX + 1 }, (_, i) => i + 1), action: "trust" }, "ids"],
      [{ ids: [0], action: "trust" }, "ids"],
      // Past Number.MAX_SAFE_INTEGER a JSON number is not the id it spells (…993 reads as …992).
      [{ ids: [1e300], action: "trust" }, "ids"],
      [{ ids: [id, Number.MAX_SAFE_INTEGER + 1], action: "forget" }, "ids"],
      [JSON.parse('{"ids": [9007199254740993], "action": "trust"}'), "ids"],
      [{ ids: ["7"], action: "trust" }, "ids"],
      [{ ids: [id], action: "delete" }, "action"],
      [{ ids: [id] }, "action"],
      [{ ids: [id], action: "zone" }, "zone"],
      [{ ids: [id], action: "trust", zone: "IoT" }, "zone"],
      [{ ids: [id], action: "zone", zone: "a\u0007b" }, "zone"],
      [{ ids: [id], action: "zone", zone: "z".repeat(65) }, "zone"],
      [{ ids: [id], action: "trust", extra: 1 }, "extra"],
    ];
    for (const [body, field] of cases) {
      const res = await bulk(body);
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      expect(typeof res.body.detail).toBe("string");
      expect({ body, detail: res.body.detail.includes(field) }).toEqual({ body, detail: true });
    }
    const malformed = await api.request("POST", "/api/devices/bulk", { body: "{not json", headers: { "content-type": "application/json" } });
    expect(malformed.status).toBe(400);
    expect(typeof malformed.body.detail).toBe("string");
    expect(await device(id)).toEqual(before);
  });

  test("a read-only key gets 403 and changes nothing; no credentials get 401", async () => {
    const id = idOf("192.168.1.20");
    const res = await bulk({ ids: [id], action: "trust" }, reader);
    expect(res.status).toBe(403);
    expect(typeof res.body.detail).toBe("string");
    expect((await device(id)).is_trusted).toBe(false);
    const anonymous = await bulk({ ids: [id], action: "forget" }, new Client(server.url));
    expect(anonymous.status).toBe(401);
    expect((await api.get(`/api/devices/${id}`)).status).toBe(200);
  });
});
