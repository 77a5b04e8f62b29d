// /api/devices and /api/zones against a seeded inventory: filters, search, sort, paging, the
// device detail, the owner's edits (with audit) and forgetting a device.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEVICE_SORTS } from "../../src/inventory/devices.ts";
import { Client, adminWithKey, expect422 as expect422At, startTestServer, type TestServer } from "../helpers/server.ts";
import { DEVICES, ipNumber, seedInventory, type SeedDevice, type Seeded } from "../inventory/seed.ts";

let server: TestServer;
let api: Client;
let seeded: Seeded;

beforeAll(async () => {
  server = await startTestServer();
  api = new Client(server.url, { "X-API-Key": (await adminWithKey(server)).key });
  seeded = seedInventory(server.ctx.db);
});
afterAll(() => server.close());

const ips = (body: { ip_address: string }[]) => body.map((d) => d.ip_address);
const seedIps = (keep: (d: SeedDevice) => boolean) => DEVICES.filter(keep).map((d) => d.ip);
const byIp = (a: string, b: string) => ipNumber(a) - ipNumber(b);
const idOf = (ip: string) => seeded.deviceIds[DEVICES.findIndex((d) => d.ip === ip)];

const expect422 = (path: string, field: string) => expect422At(api, path, field);

describe("GET /api/devices", () => {
  test("lists every device by IP, numerically, with the total in X-Total-Count", async () => {
    const res = await api.get("/api/devices");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-total-count")).toBe(String(DEVICES.length));
    expect(ips(res.body)).toEqual(DEVICES.map((d) => d.ip).sort(byIp));
    // 192.168.1.2 before .10 before .20 before .101: numeric, not text order.
    expect(ips(res.body).filter((ip) => ["192.168.1.2", "192.168.1.10", "192.168.1.20", "192.168.1.101"].includes(ip))).toEqual([
      "192.168.1.2",
      "192.168.1.10",
      "192.168.1.20",
      "192.168.1.101",
    ]);
  });

  test("each device has the SPEC fields with booleans and the open port numbers", async () => {
    const res = await api.get("/api/devices");
    const cam = res.body.find((d: any) => d.ip_address === "192.168.1.101");
    expect(Object.keys(cam).sort()).toEqual(
      [
        "id", "ip_address", "mac_address", "mac_randomized", "hostname", "vendor", "device_type", "os_name", "status", "first_seen", "last_seen",
        "times_seen", "label", "zone", "is_trusted", "notes", "risk_level", "risk_score", "threat_summary", "open_ports",
        // The evidence of the name and type, and what the device announced (passive watch).
        "hostname_source", "device_type_source", "os_source", "model", "mdns_services",
        // Trust that a frame cannot steal (issue 16): trusted, untrusted or pending.
        "trust",
        // What decided the automatic type, and the owner's icon (issue 18).
        "device_type_evidence", "icon",
        // Per-device alerts (SPEC §7).
        "notify_on",
        // How its departure is noticed (issue 18): normal, can_sleep or always_on.
        "presence_mode",
        // Every MAC the device is known by (several interfaces, SPEC §7).
        "macs",
        // Its IPv4 and IPv6 addresses (SPEC §7), in the list as in the detail (issue 19).
        "addresses",
        // The segment it was last seen on (SPEC §7 "Segments"; null when standalone).
        "segment",
      ].sort(),
    );
    const seed = DEVICES[3];
    expect(cam).toMatchObject({
      id: seeded.deviceIds[3], mac_address: seed.mac, mac_randomized: false, hostname: seed.hostname, vendor: seed.vendor, device_type: "camera",
      status: "online", times_seen: seed.times_seen, label: "Garden camera", zone: "IoT", is_trusted: false, notes: null,
      risk_level: "critical", risk_score: 92, threat_summary: seed.threat_summary, open_ports: [23, 80, 554],
    });
    expect(cam).toMatchObject({ model: null, mdns_services: [], segment: null });
    expect(cam.first_seen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const phone = res.body.find((d: any) => d.hostname === "Pixel-8");
    expect(phone).toMatchObject({ mac_randomized: true, open_ports: [], vendor: null });
    const router = res.body.find((d: any) => d.ip_address === "192.168.1.1");
    expect(router.is_trusted).toBe(true);
    expect(router.open_ports).toEqual([22, 53, 80, 443]);
  });

  test("filters by status, risk_level, is_trusted and zone", async () => {
    const cases: [string, (d: SeedDevice) => boolean][] = [
      ["status=online", (d) => d.status === "online"],
      ["status=offline", (d) => d.status === "offline"],
      ["risk_level=critical", (d) => d.risk_level === "critical"],
      ["risk_level=none", (d) => d.risk_level === "none"],
      ["risk_level=high", (d) => d.risk_level === "high"],
      ["is_trusted=true", (d) => d.is_trusted === true],
      ["is_trusted=false", (d) => !d.is_trusted],
      ["zone=IoT", (d) => d.zone === "IoT"],
      ["zone=Lab", (d) => d.zone === "Lab"],
      ["zone=Nowhere", () => false],
      ["status=online&zone=IoT&risk_level=critical", (d) => d.status === "online" && d.zone === "IoT" && d.risk_level === "critical"],
    ];
    for (const [query, keep] of cases) {
      const res = await api.get(`/api/devices?${query}`);
      const expected = seedIps(keep).sort(byIp);
      expect({ query, ips: ips(res.body) }).toEqual({ query, ips: expected });
      expect(res.headers.get("x-total-count")).toBe(String(expected.length));
    }
  });

  test("port= lists the devices with that port open", async () => {
    for (const port of [22, 23, 80, 6379, 12345]) {
      const res = await api.get(`/api/devices?port=${port}`);
      expect({ port, ips: ips(res.body) }).toEqual({ port, ips: seedIps((d) => d.ports.some((p) => p.port === port)).sort(byIp) });
    }
  });

  test("q searches IP, MAC, hostname, vendor and label, case-insensitively", async () => {
    const cases: [string, string[]][] = [
      ["192.168.1.10", ["192.168.1.10", "192.168.1.101", "192.168.1.102"]],
      ["10.20", ["10.20.0.5"]],
      ["BC:AD:28", ["192.168.1.101"]],
      ["bc-ad-28-10", ["192.168.1.101"]], // Windows-style MAC
      ["pixel", ["192.168.1.150"]],
      ["synology", ["192.168.1.10"]],
      ["living ROOM", ["192.168.1.30"]],
      ["corp.example", ["10.20.0.5"]],
      ["no such thing", []],
    ];
    for (const [q, expected] of cases) {
      const res = await api.get(`/api/devices?q=${encodeURIComponent(q)}`);
      expect({ q, ips: ips(res.body) }).toEqual({ q, ips: expected });
      expect(res.headers.get("x-total-count")).toBe(String(expected.length));
    }
  });

  test("q matches the device type too: 'printer' finds the printer, whose name and vendor do not say so", async () => {
    const want = (type: string) => seedIps((d) => d.device_type === type).sort(byIp);
    expect(want("printer")).toEqual(["192.168.1.20"]);
    expect(ips((await api.get("/api/devices?q=printer")).body)).toEqual(want("printer"));
    expect(ips((await api.get("/api/devices?q=PHONE")).body)).toEqual(want("phone"));
    expect(ips((await api.get("/api/devices?q=server")).body)).toEqual(["10.20.0.5", "192.168.1.50"].sort(byIp)); // a server, and the label "Old build server"
  });

  test("q treats LIKE wildcards literally", async () => {
    // "_" would match the X of labXpc and "%" anything, if they were not escaped.
    expect(ips((await api.get("/api/devices?q=lab_")).body)).toEqual(["192.168.1.60"]);
    expect(ips((await api.get(`/api/devices?q=${encodeURIComponent("100%")}`)).body)).toEqual(["192.168.1.60"]);
    expect(ips((await api.get(`/api/devices?q=${encodeURIComponent("%")}`)).body)).toEqual(["192.168.1.60"]);
    expect((await api.get(`/api/devices?q=${encodeURIComponent("\\")}`)).body).toEqual([]);
    // An empty search box is no search.
    expect((await api.get("/api/devices?q=")).headers.get("x-total-count")).toBe(String(DEVICES.length));
  });

  test("q combines with the other filters", async () => {
    const res = await api.get("/api/devices?q=lab&status=online");
    expect(ips(res.body)).toEqual(["192.168.1.61"]);
  });

  test("every sort key orders as documented, with unnamed devices last for names", async () => {
    const time = (ago: number) => -ago; // later = larger
    const key: Record<string, (d: SeedDevice) => number | string | null> = {
      ip: (d) => ipNumber(d.ip),
      last_seen: (d) => time(d.last_seen_ago),
      first_seen: (d) => time(d.first_seen_ago),
      risk_score: (d) => d.risk_score,
      hostname: (d) => d.hostname?.toLowerCase() ?? null,
      vendor: (d) => d.vendor?.toLowerCase() ?? null,
    };
    const ids = DEVICES.map((d, i) => ({ d, id: seeded.deviceIds[i] }));
    for (const sort of DEVICE_SORTS) {
      const desc = sort.startsWith("-");
      const k = key[sort.replace(/^-/, "")];
      const expected = [...ids]
        .sort((a, b) => {
          const x = k(a.d), y = k(b.d);
          const byId = desc ? b.id - a.id : a.id - b.id;
          if (x === y) return byId;
          if (x === null) return 1; // unnamed last, whichever the direction
          if (y === null) return -1;
          return (x < y ? -1 : 1) * (desc ? -1 : 1);
        })
        .map((e) => e.d.ip);
      const res = await api.get(`/api/devices?sort=${sort}`);
      expect({ sort, ips: ips(res.body) }).toEqual({ sort, ips: expected });
    }
  });

  test("limit and offset page through the list; the total stays the unpaginated count", async () => {
    const all = ips((await api.get("/api/devices?sort=-risk_score")).body);
    const pages: string[] = [];
    for (let offset = 0; offset < all.length; offset += 5) {
      const res = await api.get(`/api/devices?sort=-risk_score&limit=5&offset=${offset}`);
      expect(res.headers.get("x-total-count")).toBe(String(all.length));
      expect(res.body.length).toBe(Math.min(5, all.length - offset));
      pages.push(...ips(res.body));
    }
    expect(pages).toEqual(all);
    const beyond = await api.get("/api/devices?offset=1000");
    expect(beyond.body).toEqual([]);
    expect(beyond.headers.get("x-total-count")).toBe(String(all.length));
    const filtered = await api.get("/api/devices?status=online&limit=2");
    expect(filtered.body.length).toBe(2);
    expect(filtered.headers.get("x-total-count")).toBe(String(DEVICES.filter((d) => d.status === "online").length));
  });

  test("invalid filter values and unknown keys → 422 naming the field", async () => {
    await expect422("/api/devices?status=up", "status");
    await expect422("/api/devices?status=", "status");
    await expect422("/api/devices?risk_level=severe", "risk_level");
    await expect422("/api/devices?is_trusted=yes", "is_trusted");
    await expect422("/api/devices?is_trusted=1", "is_trusted");
    await expect422("/api/devices?zone=", "zone");
    await expect422(`/api/devices?zone=${"z".repeat(65)}`, "zone");
    await expect422(`/api/devices?q=${"q".repeat(201)}`, "q");
    await expect422("/api/devices?port=0", "port");
    await expect422("/api/devices?port=65536", "port");
    await expect422("/api/devices?port=http", "port");
    await expect422("/api/devices?sort=mac", "sort");
    await expect422("/api/devices?sort=--ip", "sort");
    await expect422("/api/devices?limit=0", "limit");
    await expect422("/api/devices?limit=1001", "limit");
    await expect422("/api/devices?offset=-1", "offset");
    await expect422("/api/devices?search=nas", "search");
    await expect422("/api/devices?status=online&statuss=offline", "statuss");
    const res = await api.get("/api/devices?sort=mac");
    expect(res.body.detail).toContain("-risk_score");
  });

  test("a query key given twice → 422 rather than a silent pick", async () => {
    for (const [path, field] of [["/api/devices?status=online&status=offline", "status"], ["/api/devices?q=a&q=b", "q"], ["/api/devices?limit=5&limit=6", "limit"]]) {
      const res = await api.get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 422 });
      expect(res.body.detail).toBe(`Invalid query parameter '${field}': given more than once`);
    }
  });

  test("an offset beyond any table is an empty page; one beyond exact integers is a 422", async () => {
    const res = await api.get(`/api/devices?offset=${Number.MAX_SAFE_INTEGER}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(res.headers.get("x-total-count")).toBe(String(DEVICES.length));
    const huge = await api.get("/api/devices?offset=99999999999999999999");
    expect(huge.status).toBe(422);
    expect(huge.body.detail).toMatch(/'offset'/);
  });
});

describe("GET /api/devices/{id}", () => {
  test("answers the device with ports, threats (CVE ids as arrays) and IP history", async () => {
    const res = await api.get(`/api/devices/${seeded.deviceIds[3]}`);
    expect(res.status).toBe(200);
    const seed = DEVICES[3];
    expect(res.body).toMatchObject({ id: seeded.deviceIds[3], ip_address: seed.ip, open_ports: [23, 80, 554], risk_level: "critical" });
    expect(res.body.ports).toEqual([
      { port: 23, protocol: "tcp", service: "telnet", product: null, version: null, tls: false, banner: "BusyBox v1.19.4 login:", first_seen: expect.any(String), last_seen: expect.any(String) },
      { port: 80, protocol: "tcp", service: "http", product: "Hikvision-Webs", version: "5.4.0", tls: false, banner: null, first_seen: expect.any(String), last_seen: expect.any(String) },
      { port: 554, protocol: "tcp", service: "rtsp", product: null, version: null, tls: false, banner: null, first_seen: expect.any(String), last_seen: expect.any(String) },
    ]);
    // Worst first.
    expect(res.body.threats).toEqual(seed.threats.map((t) => ({ port: t.port, level: t.level, description: t.description, recommendation: t.recommendation, cve_ids: t.cve_ids ?? [] })));
    expect(res.body.threats[1].cve_ids).toEqual(["CVE-2021-36260", "CVE-2017-7921"]);
    expect(res.body.ip_history).toEqual([{ ip_address: seed.ip, first_seen: expect.any(String), last_seen: expect.any(String) }]);
  });

  test("the IP history lists every address, most recent first", async () => {
    const res = await api.get(`/api/devices/${idOf("192.168.1.2")}`);
    expect(res.body.ip_history.map((a: any) => a.ip_address)).toEqual(["192.168.1.2", "192.168.1.77"]);
    expect(res.body.ports.map((p: any) => p.port)).toEqual([22]);
    expect(res.body.threats.map((t: any) => t.level)).toEqual(["low"]);
  });

  test("tls is a boolean and a device without ports has empty lists", async () => {
    const router = (await api.get(`/api/devices/${idOf("192.168.1.1")}`)).body;
    expect(router.ports.find((p: any) => p.port === 443).tls).toBe(true);
    const plug = (await api.get(`/api/devices/${idOf("192.168.1.102")}`)).body;
    expect(plug).toMatchObject({ ports: [], threats: [], open_ports: [], hostname: null });
  });

  test("unknown ids → 404, malformed ids → 422", async () => {
    expect((await api.get("/api/devices/999999")).status).toBe(404);
    expect((await api.get("/api/devices/999999")).body).toEqual({ detail: "Device 999999 not found" });
    expect((await api.get("/api/devices/abc")).status).toBe(422);
    expect((await api.get("/api/devices/0")).status).toBe(422);
    expect((await api.get(`/api/devices/${seeded.deviceIds[0]}?verbose=1`)).status).toBe(422);
  });
});

describe("GET /api/devices/{id}/ports", () => {
  test("lists the device's ports by number, paged, with X-Total-Count", async () => {
    const id = idOf("192.168.1.10");
    const all = await api.get(`/api/devices/${id}/ports`);
    expect(all.status).toBe(200);
    expect(all.body.map((p: any) => p.port)).toEqual([22, 139, 445, 5000]);
    expect(all.headers.get("x-total-count")).toBe("4");
    expect(all.body[2]).toEqual({ port: 445, protocol: "tcp", service: "smb", product: null, version: null, tls: false, banner: null, first_seen: expect.any(String), last_seen: expect.any(String) });
    const page = await api.get(`/api/devices/${id}/ports?limit=2&offset=1`);
    expect(page.body.map((p: any) => p.port)).toEqual([139, 445]);
    expect(page.headers.get("x-total-count")).toBe("4");
  });

  test("404 for an unknown device", async () => {
    expect((await api.get("/api/devices/999999/ports")).status).toBe(404);
  });
});

describe("GET /api/zones", () => {
  test("the distinct zones in use, sorted, without null", async () => {
    const res = await api.get("/api/zones");
    expect(res.status).toBe(200);
    expect(res.body).toEqual([...new Set(DEVICES.flatMap((d) => (d.zone ? [d.zone] : [])))].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    expect(res.body).toEqual(["Infrastructure", "IoT", "Lab", "Office", "Servers"]);
    expect((await api.get("/api/zones?all=1")).status).toBe(422);
  });
});

describe("PUT /api/devices/{id}", () => {
  const put = (id: number, json: unknown) => api.request("PUT", `/api/devices/${id}`, { json });
  const lastAudit = async () => (await api.get("/api/audit-logs?action=device_updated&limit=1")).body[0];

  test("sets only the fields given and answers the updated device", async () => {
    const id = idOf("192.168.1.30");
    const res = await put(id, { zone: "Living room" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, zone: "Living room", label: "Living room TV", is_trusted: false, notes: null, risk_level: "low" });
    expect(res.body.ports.map((p: any) => p.port)).toEqual([8001, 8002]);
    expect((await api.get(`/api/devices/${id}`)).body.zone).toBe("Living room");
    expect((await api.get("/api/zones")).body).toContain("Living room");
    expect((await api.get("/api/devices?zone=Living%20room")).body.map((d: any) => d.id)).toEqual([id]);
  });

  test('a pending trust (a trusted device re-identified on one piece of evidence) is settled by {"is_trusted": true} or false, and audited', async () => {
    const id = idOf("192.168.1.30");
    server.ctx.db.query("UPDATE devices SET is_trusted = 0, trust_pending = 1 WHERE id = ?").run(id);
    expect((await api.get(`/api/devices/${id}`)).body).toMatchObject({ is_trusted: false, trust: "pending" });
    // Other fields leave it pending.
    expect((await put(id, { notes: "Whose is this?" })).body).toMatchObject({ trust: "pending", is_trusted: false });
    const confirmed = await put(id, { is_trusted: true });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ is_trusted: true, trust: "trusted" });
    expect((await lastAudit()).details.changes).toEqual({ is_trusted: { old: false, new: true }, trust: { old: "pending", new: "trusted" } });
    server.ctx.db.query("UPDATE devices SET is_trusted = 0, trust_pending = 1 WHERE id = ?").run(id);
    const declined = await put(id, { is_trusted: false });
    expect(declined.body).toMatchObject({ is_trusted: false, trust: "untrusted" });
    expect((await lastAudit()).details.changes).toEqual({ trust: { old: "pending", new: "untrusted" } });
    await put(id, { notes: null });
  });

  test('"" and null clear a field (stored as NULL); text is trimmed', async () => {
    const id = idOf("192.168.1.20");
    expect((await put(id, { label: "  Office printer  " })).body.label).toBe("Office printer");
    const cleared = await put(id, { label: "", notes: "" });
    expect(cleared.body).toMatchObject({ label: null, notes: null, zone: "Office" });
    expect(server.ctx.db.query("SELECT label, notes FROM devices WHERE id = ?").get(id)).toEqual({ label: null, notes: null });
    expect((await put(id, { zone: null })).body.zone).toBeNull();
    expect((await put(id, { zone: "   " })).body.zone).toBeNull();
    expect((await api.get("/api/zones")).body).not.toContain("Office");
  });

  test("notes keep their line breaks", async () => {
    const id = idOf("192.168.1.10");
    const notes = "Backups at 02:00.\n  RAID 5, 4 disks.";
    expect((await put(id, { notes })).body.notes).toBe(notes);
  });

  test("lengths are bounded: label and zone 64, notes 2000", async () => {
    const id = idOf("192.168.1.61");
    expect((await put(id, { label: "l".repeat(64), zone: "z".repeat(64), notes: "n".repeat(2000) })).status).toBe(200);
    for (const [field, value] of [["label", "l".repeat(65)], ["zone", "z".repeat(65)], ["notes", "n".repeat(2001)]] as const) {
      const res = await put(id, { [field]: value });
      expect({ field, status: res.status }).toEqual({ field, status: 422 });
      expect(res.body.detail).toContain(`'${field}'`);
    }
  });

  test("wrong types, unknown fields and non-objects → 422; nothing changes", async () => {
    const id = idOf("192.168.1.61");
    const before = (await api.get(`/api/devices/${id}`)).body;
    const cases: [unknown, string][] = [
      [{ label: "Lab\u0000pc" }, "label"],
      [{ zone: "IoT\nGuests" }, "zone"],
      // Bidi overrides and C1 controls would let a label reorder what a notification or export shows.
      [{ label: "Printer \u202egpj.exe" }, "label"],
      [{ zone: "IoT\u2066x" }, "zone"],
      [{ label: "a\u0085b" }, "label"],
      [{ is_trusted: "true" }, "is_trusted"],
      [{ is_trusted: 1 }, "is_trusted"],
      [{ label: 5 }, "label"],
      [{ notes: ["a"] }, "notes"],
      [{ hostname: "evil" }, "hostname"],
      [{ label: "ok", risk_level: "none" }, "risk_level"],
    ];
    for (const [body, field] of cases) {
      const res = await put(id, body);
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      expect(res.body.detail).toContain(`'${field}'`);
    }
    expect((await put(id, [])).status).toBe(422);
    expect((await api.request("PUT", `/api/devices/${id}`, { body: "{", headers: { "content-type": "application/json" } })).status).toBe(400);
    expect((await api.get(`/api/devices/${id}`)).body).toEqual(before);
  });

  test("notify_on (SPEC §7): set, kept in one order, in the detail and the list, cleared with []; audited", async () => {
    const id = idOf("192.168.1.50");
    expect((await api.get(`/api/devices/${id}`)).body.notify_on).toEqual([]);
    const res = await put(id, { notify_on: ["port_opened", "left"] });
    expect(res.status).toBe(200);
    expect(res.body.notify_on).toEqual(["left", "port_opened"]);
    expect((await api.get("/api/devices?q=legacy-box")).body.map((d: any) => d.notify_on)).toEqual([["left", "port_opened"]]);
    expect((await lastAudit()).details.changes).toEqual({ notify_on: { old: [], new: ["left", "port_opened"] } });
    // Other fields leave it alone.
    expect((await put(id, { zone: "Lab" })).body.notify_on).toEqual(["left", "port_opened"]);
    expect((await put(id, { notify_on: ["returned", "left", "port_opened"] })).body.notify_on).toEqual(["left", "returned", "port_opened"]);
    const cleared = await put(id, { notify_on: [] });
    expect(cleared.body.notify_on).toEqual([]);
    expect(server.ctx.db.query("SELECT notify_on FROM devices WHERE id = ?").get(id)).toEqual({ notify_on: null });
  });

  test("notify_on: anything but a list of distinct left/returned/port_opened → 422 with a detail naming it; nothing changes", async () => {
    const id = idOf("192.168.1.50");
    await put(id, { notify_on: ["returned"] });
    const before = (await api.get(`/api/devices/${id}`)).body;
    const whole = "Invalid body field 'notify_on': must be a list of distinct values from left, returned, port_opened ([] for none)";
    const item = (i: number) => `Invalid body field 'notify_on.${i}': must be one of "left", "returned", "port_opened"`;
    const cases: [unknown, string][] = [
      [["gone"], item(0)],
      [["left", "Left"], item(1)],
      [[1], item(0)],
      ["left", whole],
      [["left", "left"], whole],
      [["left", "returned", "port_opened", "left"], whole],
      [null, whole],
      [{ left: true }, whole],
    ];
    for (const [notify_on, detail] of cases) {
      const res = await put(id, { notify_on });
      expect({ notify_on, status: res.status, detail: res.body.detail }).toEqual({ notify_on, status: 422, detail });
    }
    expect((await api.get(`/api/devices/${id}`)).body).toEqual(before);
    await put(id, { notify_on: [] });
  });

  test('presence_mode (issue 18): "normal" by default, set to always_on or can_sleep, audited; anything else → 422', async () => {
    const id = idOf("192.168.1.10");
    expect((await api.get(`/api/devices/${id}`)).body.presence_mode).toBe("normal");
    const res = await put(id, { presence_mode: "always_on" });
    expect(res.status).toBe(200);
    expect(res.body.presence_mode).toBe("always_on");
    expect((await lastAudit()).details.changes).toEqual({ presence_mode: { old: "normal", new: "always_on" } });
    expect(((await api.get("/api/devices")).body as any[]).find((d) => d.id === id).presence_mode).toBe("always_on");
    expect((await put(id, { presence_mode: "can_sleep" })).body.presence_mode).toBe("can_sleep");
    for (const bad of ["sometimes", "", null, 1, "ALWAYS_ON"]) {
      const r = await put(id, { presence_mode: bad });
      expect({ bad, status: r.status }).toEqual({ bad, status: 422 });
      expect(r.body.detail).toContain("'presence_mode'");
    }
    expect((await api.get(`/api/devices/${id}`)).body.presence_mode).toBe("can_sleep");
    await put(id, { presence_mode: "normal" });
  });

  test("404 for an unknown device, 422 for a malformed id", async () => {
    expect((await put(999999, { label: "x" })).status).toBe(404);
    expect((await put(0, { label: "x" })).status).toBe(422);
  });

  test("records device_updated with the changed fields, old → new, but not the notes' text", async () => {
    const id = idOf("192.168.1.2");
    await put(id, { label: "Work laptop", is_trusted: true, notes: "wifi password is hunter2" });
    const entry = await lastAudit();
    expect(entry).toMatchObject({
      action: "device_updated",
      resource: `device:${id}`,
      username: "api_key:Test Key",
      success: true,
      details: {
        ip_address: "192.168.1.2",
        mac_address: "a4:83:e7:00:00:02",
        changes: { label: { old: null, new: "Work laptop" }, is_trusted: { old: false, new: true }, notes: "updated" },
      },
    });
    expect(JSON.stringify(entry)).not.toContain("hunter2");
    await put(id, { notes: "" });
    expect((await lastAudit()).details.changes).toEqual({ notes: "cleared" });
  });

  test("a PUT that changes nothing answers the device and writes no audit entry", async () => {
    const id = idOf("192.168.1.2");
    const before = (await api.get("/api/audit-logs?action=device_updated")).headers.get("x-total-count");
    expect((await put(id, { label: "Work laptop" })).status).toBe(200);
    expect((await put(id, {})).status).toBe(200);
    expect((await api.get("/api/audit-logs?action=device_updated")).headers.get("x-total-count")).toBe(before);
  });

  test("trusting a device keeps its findings; listings filter on the new flag", async () => {
    const id = idOf("192.168.1.101");
    const res = await put(id, { is_trusted: true });
    expect(res.body).toMatchObject({ is_trusted: true, risk_level: "critical", risk_score: 92 });
    expect(res.body.threats.length).toBe(2);
    expect((await api.get("/api/devices?is_trusted=true")).body.map((d: any) => d.id)).toContain(id);
    await put(id, { is_trusted: false });
  });
});

describe("DELETE /api/devices/{id}", () => {
  test("forgets the device with its ports, threats, addresses and sightings; past changes keep its IP", async () => {
    const id = idOf("192.168.1.101");
    const count = (sql: string) => (server.ctx.db.query(sql).get(id) as { n: number }).n;
    expect(count("SELECT count(*) AS n FROM ports WHERE device_id = ?")).toBe(3);
    expect(count("SELECT count(*) AS n FROM scan_devices WHERE device_id = ?")).toBeGreaterThan(0);
    const changesBefore = count("SELECT count(*) AS n FROM changes WHERE device_id = ?");
    expect(changesBefore).toBeGreaterThan(0);

    const res = await api.delete(`/api/devices/${id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expect((await api.get(`/api/devices/${id}`)).status).toBe(404);
    for (const table of ["ports", "threats", "device_addresses", "scan_devices", "changes"]) {
      expect({ table, n: count(`SELECT count(*) AS n FROM ${table} WHERE device_id = ?`) }).toEqual({ table, n: 0 });
    }
    const orphaned = server.ctx.db.query("SELECT count(*) AS n FROM changes WHERE device_id IS NULL AND device_ip = '192.168.1.101'").get() as { n: number };
    expect(orphaned.n).toBe(changesBefore);
    const list = await api.get("/api/devices");
    expect(list.headers.get("x-total-count")).toBe(String(DEVICES.length - 1));
    expect(ips(list.body)).not.toContain("192.168.1.101");
  });

  test("404 the second time and for unknown ids", async () => {
    expect((await api.delete(`/api/devices/${idOf("192.168.1.101")}`)).status).toBe(404);
    expect((await api.delete("/api/devices/999999")).status).toBe(404);
  });
});


describe("DELETE /api/devices/{id} audit", () => {
  test("forgetting a device is recorded as device_deleted with its address, by whom", async () => {
    const list = (await api.get("/api/devices?limit=1")).body;
    const victim = list[0];
    expect((await api.delete(`/api/devices/${victim.id}`)).status).toBe(204);
    const [entry] = (await api.get("/api/audit-logs?action=device_deleted")).body;
    expect(entry).toMatchObject({ action: "device_deleted", resource: `device:${victim.id}`, details: { ip_address: victim.ip_address, mac_address: victim.mac_address } });
  });
});
