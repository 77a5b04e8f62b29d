// The pieces of a segmented setup on a real SQLite database (migrated as the appliance migrates it):
// the sensor's bounded outbox, the hub's exactly-once, in-order merge, the wire checks and the config.
import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { resolveConfig } from "../../src/config/schema.ts";
import { migrate } from "../../src/db/migrations.ts";
import { applyMessage, listSensors, reportSilentSensors } from "../../src/segments/merge.ts";
import { Outbox } from "../../src/segments/outbox.ts";
import { DeviceInventory } from "../../src/inventory/devices.ts";
import { splitBatch, toWireDevice, toWireScan } from "../../src/segments/sensor.ts";
import { getScan, listScans } from "../../src/scans/history.ts";
import { portRowsOf, threatRowsOf } from "../../src/inventory/port-rows.ts";
import { MAX_MESSAGE_BYTES, parseEventsTopic, parseMessage, type BatchMessage, type WireDevice, type WireScan } from "../../src/segments/protocol.ts";
import { stampSegment } from "../../src/segments/stamp.ts";

const db = () => {
  const d = new Database(":memory:");
  migrate(d);
  return d;
};

const T0 = "2026-01-01T10:00:00.000Z";
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();

const device = (mac: string, ip: string, o: Partial<WireDevice> = {}): WireDevice => ({
  mac, ip, mac_randomized: false, hostname: null, hostname_source: null, vendor: null, device_type: "unknown", os_name: null, model: null,
  status: "online", first_seen: T0, last_seen: T0, open_ports: [], risk_level: "none", risk_score: 0, threat_summary: null, ...o,
});
const added = (mac: string, ip: string, when = T0) => ({
  change_type: "device_added" as const, severity: "warning" as const, device_mac: mac, device_ip: ip, old_value: null, new_value: ip, description: `New device ${ip} (${mac})`, detected_at: when,
});
const batch = (seq: number, devices: WireDevice[], changes: ReturnType<typeof added>[] = [], instance = "abc123"): BatchMessage => ({
  v: 1, event_id: `${instance}:${seq}`, instance, seq, sent_at: at(seq), at: at(seq), kind: "batch", devices, changes,
});

describe("the sensor's outbox", () => {
  test("keeps at most its bound: the oldest go first, counted, and the count is reported once as a dropped message", () => {
    const d = db();
    const box = new Outbox(d, 3);
    for (let i = 1; i <= 5; i++) box.add("argus/home/iot/events", { kind: "batch", at: at(i), devices: [], changes: [] });
    expect(box.count()).toBe(3);
    expect(box.after(0, 10).map((r) => JSON.parse(r.payload).at)).toEqual([at(3), at(4), at(5)]);
    expect(box.dropped()).toBe(2);
    expect(box.reportDropped("argus/home/iot/events", at(6))).toBe(2);
    expect(box.dropped()).toBe(0);
    const last = box.after(0, 10).at(-1)!;
    expect(JSON.parse(last.payload)).toEqual({ kind: "dropped", at: at(6), count: 2 });
    expect(box.reportDropped("argus/home/iot/events", at(7))).toBe(0);
  });

  test("numbers are never reused once the outbox empties (the hub skips numbers it has applied)", () => {
    const d = db();
    const box = new Outbox(d);
    const first = box.add("t", { kind: "batch", at: T0, devices: [], changes: [] });
    box.remove(first);
    expect(box.add("t", { kind: "batch", at: T0, devices: [], changes: [] })).toBe(first + 1);
    expect(box.instance()).toBe(box.instance());
  });
});

describe("the hub's merge", () => {
  const iot = { site: "home", segment: "iot" };
  const guest = { site: "home", segment: "guest" };

  test("a message delivered twice is applied once; a skipped number counts as lost", () => {
    const d = db();
    const m = batch(1, [device("02:00:00:00:00:01", "10.0.0.5")], [added("02:00:00:00:00:01", "10.0.0.5")]);
    const first = d.transaction(() => applyMessage(d, iot, m, at(1)))();
    expect(first.applied).toBe(true);
    expect(first.changes.map((c) => [c.change_type, c.segment, c.device_id])).toEqual([["device_added", "iot", first.touched[0]]]);
    const again = d.transaction(() => applyMessage(d, iot, m, at(2)))();
    expect(again).toEqual({ applied: false, missed: 0, changes: [], touched: [] });
    expect(d.query("SELECT count(*) AS n FROM changes").get()).toEqual({ n: 1 });
    const later = d.transaction(() => applyMessage(d, iot, batch(4, [device("02:00:00:00:00:01", "10.0.0.6", { last_seen: at(4) })]), at(4)))();
    expect(later.missed).toBe(2);
    expect(listSensors(d, Date.parse(at(5)), 120)).toEqual([{ site: "home", segment: "iot", last_heard_at: at(4), lag_seconds: 0, buffered: 0, dropped: 2, status: "online" }]);
    expect(d.query("SELECT ip_address, segment FROM devices").all()).toEqual([{ ip_address: "10.0.0.6", segment: "iot" }]);
  });

  test("a new sensor database (another instance) starts its numbering again", () => {
    const d = db();
    d.transaction(() => applyMessage(d, iot, batch(7, [device("02:00:00:00:00:01", "10.0.0.5")]), at(1)))();
    const fresh = d.transaction(() => applyMessage(d, iot, batch(1, [device("02:00:00:00:00:02", "10.0.0.7")], [], "def456"), at(2)))();
    expect(fresh.applied).toBe(true);
    expect(d.query("SELECT count(*) AS n FROM devices").get()).toEqual({ n: 2 });
  });

  test("a MAC heard on another segment is the same device, moved once; its old segment's later news is not applied", () => {
    const d = db();
    const mac = "02:00:00:00:00:09";
    d.transaction(() => applyMessage(d, iot, batch(1, [device(mac, "10.0.0.9")], [added(mac, "10.0.0.9")]), at(1)))();
    // Heard on guest after more than MOVE_AFTER_SILENCE_MS of silence on iot: a move.
    const moved = d.transaction(() =>
      applyMessage(d, guest, batch(1, [device(mac, "10.1.0.9", { last_seen: at(400) })], [added(mac, "10.1.0.9", at(400))], "guest1"), at(400)),
    )();
    expect(moved.changes.map((c) => [c.change_type, c.old_value, c.new_value, c.segment])).toEqual([["device_moved", "iot", "guest", "guest"]]);
    // The old segment's sensor then reports it gone (and its departure).
    const gone = { ...added(mac, "10.0.0.9", at(20)), change_type: "device_removed" as const, severity: "info" as const };
    const old = d.transaction(() => applyMessage(d, iot, batch(2, [device(mac, "10.0.0.9", { status: "offline", last_seen: at(5) })], [gone]), at(420)))();
    expect(old.changes).toEqual([]);
    expect(d.query("SELECT id, ip_address, segment, status FROM devices").all()).toEqual([{ id: 1, ip_address: "10.1.0.9", segment: "guest", status: "online" }]);
    expect(d.query("SELECT change_type FROM changes ORDER BY id").all()).toEqual([{ change_type: "device_added" }, { change_type: "device_moved" }]);
  });

  test("a device's IPv6 addresses and names by source reach the hub's device page; hostile ones are not stored", () => {
    const d = db();
    const mac = "02:00:00:00:00:21";
    const other = "02:00:00:00:00:99";
    const record = device(mac, "10.0.0.21", {
      hostname: "nas", hostname_source: "dhcp", last_seen: at(30),
      addresses: [
        { address: "FD00:51:0:0::21", mac, first_seen: at(1), last_seen: at(20), source: "ndp" },
        { address: "fe80::21", mac: null, first_seen: at(2), last_seen: at(30), source: "mdns" },
        // Heard from a MAC the hub does not know as this device's: kept under the record's MAC.
        { address: "2001:db8::21", mac: other, first_seen: at(3), last_seen: at(10), source: "dhcpv6" },
        // Not host addresses, or not addresses at all: dropped.
        { address: "ff02::1", mac, first_seen: at(1), last_seen: at(1), source: "ndp" },
        { address: "::ffff:10.0.0.1", mac, first_seen: at(1), last_seen: at(1), source: "ndp" },
        { address: "fe80::1%eth0", mac, first_seen: at(1), last_seen: at(1), source: "ndp" },
        { address: "<script>", mac, first_seen: at(1), last_seen: at(1), source: "ndp" },
      ],
      names: [
        { name: "DiskStation", source: "mdns", last_seen: at(25) },
        { name: "nas\u202e\u200bevil", source: "dnsmasq_leases", last_seen: at(15) },
        { name: "\u200b", source: "netbios", last_seen: at(15) },
      ],
    });
    const wire = parseMessage(JSON.stringify(batch(1, [record])));
    expect(wire).not.toBeNull();
    d.transaction(() => applyMessage(d, iot, wire as BatchMessage, at(31)))();
    const page = new DeviceInventory(d).get(1)!;
    expect(page.addresses.filter((a) => a.family === 6)).toEqual([
      { address: "fe80::21", family: 6, scope: "link", mac, first_seen: at(2), last_seen: at(30), source: "mdns" },
      { address: "fd00:51::21", family: 6, scope: "ula", mac, first_seen: at(1), last_seen: at(20), source: "ndp" },
      { address: "2001:db8::21", family: 6, scope: "global", mac, first_seen: at(3), last_seen: at(10), source: "dhcpv6" },
    ]);
    expect(page.names.map((n) => [n.name, n.source, n.last_seen])).toEqual([
      ["nas", "dhcp", at(31)],
      ["DiskStation", "mdns", at(25)],
      ["nasevil", "dnsmasq_leases", at(15)],
    ]);
    // A later record moves an address's last sighting on, never back, and keeps its first.
    const later = device(mac, "10.0.0.21", { last_seen: at(40), addresses: [{ address: "fd00:51::21", mac, first_seen: at(35), last_seen: at(40), source: "sweep" }] });
    d.transaction(() => applyMessage(d, iot, batch(2, [later]), at(41)))();
    expect(d.query("SELECT first_seen, last_seen, source FROM device_ip6 WHERE address = 'fd00:51::21'").get()).toEqual({ first_seen: at(1), last_seen: at(40), source: "sweep" });
  });

  test("an older sensor's record without addresses or names still applies", () => {
    const d = db();
    const { addresses: _a, names: _n, ...old } = device("02:00:00:00:00:22", "10.0.0.22");
    const wire = parseMessage(JSON.stringify(batch(1, [old as WireDevice])));
    expect(wire).not.toBeNull();
    const r = d.transaction(() => applyMessage(d, iot, wire as BatchMessage, at(1)))();
    expect(r.applied).toBe(true);
    expect(d.query("SELECT mac_address, ip_address FROM devices").all()).toEqual([{ mac_address: "02:00:00:00:00:22", ip_address: "10.0.0.22" }]);
    expect(d.query("SELECT count(*) AS n FROM device_ip6").get()).toEqual({ n: 0 });
  });

  test("a sensor silent past the limit is reported offline once, until heard again", () => {
    const d = db();
    d.transaction(() => applyMessage(d, iot, batch(1, []), at(0)))();
    expect(reportSilentSensors(d, Date.parse(at(60)), 120)).toEqual([]);
    const silent = reportSilentSensors(d, Date.parse(at(121)), 120);
    expect(silent.map((c) => [c.change_type, c.severity, c.new_value, c.segment])).toEqual([["sensor_offline", "warning", "home/iot", "iot"]]);
    expect(reportSilentSensors(d, Date.parse(at(200)), 120)).toEqual([]);
    expect(listSensors(d, Date.parse(at(200)), 120)[0].status).toBe("offline");
    d.transaction(() => applyMessage(d, iot, batch(2, []), at(201)))();
    expect(reportSilentSensors(d, Date.parse(at(400)), 120).length).toBe(1);
  });
});

describe("the wire", () => {
  test("only events topics under the prefix, with plain names, are a sensor's", () => {
    expect(parseEventsTopic("argus", "argus/home/iot/events")).toEqual({ site: "home", segment: "iot" });
    for (const t of ["argus/home/iot/status", "other/home/iot/events", "argus/home/iot/x/events", "argus/ho me/iot/events", "argus/home//events"]) expect(parseEventsTopic("argus", t)).toBeNull();
  });

  test("malformed or hostile messages are refused whole", () => {
    const good = batch(1, [device("02:00:00:00:00:01", "10.0.0.5")]);
    expect(parseMessage(JSON.stringify(good))).toEqual(good);
    expect(parseMessage("not json")).toBeNull();
    expect(parseMessage(JSON.stringify({ ...good, kind: "exec" }))).toBeNull();
    expect(parseMessage(JSON.stringify({ ...good, seq: 0 }))).toBeNull();
    expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], mac: "ZZ:00:00:00:00:01" }] }))).toBeNull();
    expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], hostname: "x".repeat(256) }] }))).toBeNull();
    expect(parseMessage(JSON.stringify({ ...good, changes: [{ ...added("02:00:00:00:00:01", "10.0.0.5"), change_type: "made_up" }] }))).toBeNull();
    const address = { address: "fe80::1", mac: null, first_seen: T0, last_seen: T0, source: "ndp" };
    expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], addresses: [{ ...address, source: "rumour" }] }] }))).toBeNull();
    expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], addresses: [{ ...address, address: "f".repeat(46) }] }] }))).toBeNull();
    expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], names: [{ name: "x", source: "A B", last_seen: T0 }] }] }))).toBeNull();
    expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], names: [{ name: "x".repeat(256), source: "mdns", last_seen: T0 }] }] }))).toBeNull();
    // Times of the right shape that are no date (red-team: stored, they made the hub's API refuse to
    // answer with its own list): month 13, day 0, February 30th, second 60.
    for (const t of ["2026-13-45T99:99:99Z", "2026-00-00T00:00:00Z", "2026-02-30T10:00:00Z", "2026-12-31T23:59:60Z"]) {
      expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], last_seen: t }] }))).toBeNull();
      expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], first_seen: t }] }))).toBeNull();
      expect(parseMessage(JSON.stringify({ ...good, at: t }))).toBeNull();
    }
    expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], last_seen: "2024-02-29T23:59:59.123456Z" }] }))).not.toBeNull();
  });

  test("a device's addresses and names beyond their bounds are clipped; a message over the size limit is refused", () => {
    const many = device("02:00:00:00:00:01", "10.0.0.5", {
      addresses: Array.from({ length: 40 }, (_, i) => ({ address: `fe80::${i + 1}`, mac: null, first_seen: T0, last_seen: T0, source: "ndp" as const })),
      names: Array.from({ length: 20 }, (_, i) => ({ name: `n${i}`, source: "mdns", last_seen: T0 })),
    });
    const parsed = parseMessage(JSON.stringify(batch(1, [many]))) as BatchMessage;
    expect(parsed.devices[0].addresses!.map((a) => a.address)).toEqual(many.addresses!.slice(0, 32).map((a) => a.address));
    expect(parsed.devices[0].names!.length).toBe(16);
    const huge = batch(1, [device("02:00:00:00:00:01", "10.0.0.5", { threat_summary: "x" })]);
    const text = JSON.stringify(huge);
    expect(parseMessage(text + " ".repeat(MAX_MESSAGE_BYTES - text.length))).not.toBeNull();
    expect(parseMessage(text + " ".repeat(MAX_MESSAGE_BYTES - text.length + 1))).toBeNull();
  });

  test("the sensor splits a large commit into messages under its budget, devices before the changes that name them", () => {
    const devices = Array.from({ length: 50 }, (_, i) => device(`02:00:00:00:01:${i.toString(16).padStart(2, "0")}`, `10.0.1.${i}`, { threat_summary: "t".repeat(900) }));
    const changes = devices.map((x) => added(x.mac, x.ip));
    const parts = splitBatch(devices, changes, 10_000);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(JSON.stringify(p).length).toBeLessThan(10_000 + 2_000);
    expect(parts.flatMap((p) => p.devices)).toEqual(devices);
    expect(parts.flatMap((p) => p.changes)).toEqual(changes);
    const lastDevicePart = parts.findLastIndex((p) => p.devices.length > 0);
    const firstChangePart = parts.findIndex((p) => p.changes.length > 0);
    expect(firstChangePart).toBeGreaterThanOrEqual(lastDevicePart);
    expect(splitBatch([devices[0]], [])).toEqual([{ devices: [devices[0]], changes: [] }]);
  });
});

describe("configuration", () => {
  const fieldOf = (raw: unknown) => {
    try {
      resolveConfig(raw);
      return null;
    } catch (e: any) {
      return [e.field, e.message];
    }
  };

  test("standalone by default; a sensor needs site, segment and broker; names are topic levels", () => {
    expect(resolveConfig({}).config).toMatchObject({ role: "standalone", site: null, segment: null, hub: { url: null, topic_prefix: "argus", offline_after_s: 120 } });
    expect(fieldOf({ role: "sensor", segment: "iot", hub: { url: "mqtt://b:1883" } })?.[0]).toBe("site");
    expect(fieldOf({ role: "sensor", site: "home", hub: { url: "mqtt://b:1883" } })?.[0]).toBe("segment");
    expect(fieldOf({ role: "sensor", site: "home", segment: "iot" })?.[0]).toBe("hub.url");
    expect(fieldOf({ role: "hub" })?.[0]).toBe("hub.url");
    expect(fieldOf({ role: "relay" })?.[0]).toBe("role");
    expect(fieldOf({ site: "home/+" })?.[0]).toBe("site");
    expect(fieldOf({ hub: { url: "http://b" } })?.[0]).toBe("hub.url");
    expect(fieldOf({ hub: { topic_prefix: "a/#" } })?.[0]).toBe("hub.topic_prefix");
    expect(fieldOf({ role: "sensor", site: "home", segment: "iot", hub: { url: "mqtts://b:8883", username: "s", password: "p" } })).toBeNull();
  });
});

describe("a sensor's own records", () => {
  test("devices, changes and scans written on its connection carry its segment", () => {
    const d = db();
    stampSegment(d, "iot");
    d.run("INSERT INTO devices (mac_address, ip_address, status, first_seen, last_seen) VALUES ('02:00:00:00:00:01', '10.0.0.1', 'online', ?1, ?1)", [T0]);
    d.run("INSERT INTO changes (device_id, change_type, severity, description, detected_at) VALUES (1, 'device_added', 'info', 'x', ?)", [T0]);
    expect(d.query("SELECT segment FROM devices").get()).toEqual({ segment: "iot" });
    expect(d.query("SELECT segment FROM changes").get()).toEqual({ segment: "iot" });
  });
});

describe("the hub's notifications of a sensor's changes", () => {
  test("one message per change normally; during a sensor's sighting flood its newcomers go into one digest and get no Home Assistant entity", async () => {
    const { EventFeed } = await import("../../src/events.ts");
    const { SegmentHub } = await import("../../src/segments/hub.ts");
    const { queueOnlySink } = await import("../../src/notify/sink.ts");
    const { validateNotifications } = await import("../../src/notify/config.ts");
    const d = db();
    const parsed = validateNotifications({
      channels: [{ name: "hook", type: "webhook", url: "http://192.0.2.10/argus" }],
      rules: [{ change_types: ["device_added", "sighting_flood"], channels: ["hook"] }],
    });
    if (!parsed.ok) throw new Error(parsed.reason);
    const feed = new EventFeed();
    const heardOnFeed: string[] = [];
    feed.subscribe((e) => heardOnFeed.push(e.type === "changes" ? `changes:${e.changes.map((c) => c.change_type).join(",")}` : e.type));
    // Never started: no broker; receive() is what the broker's messages go through.
    const hub = new SegmentHub(d, feed, queueOnlySink(d, () => parsed.value), { prefix: "argus", broker: { url: "mqtt://192.0.2.1", username: null, password: null }, offlineAfterS: () => 120 });
    const now = new Date().toISOString();
    const msg = (seq: number, devices: WireDevice[], changes: any[]) => JSON.stringify({ ...batch(seq, devices, changes), at: now, sent_at: now });
    hub.receive("argus/home/iot/events", msg(1, [device("02:00:00:00:00:01", "10.0.0.5")], [added("02:00:00:00:00:01", "10.0.0.5")]));
    expect(d.query("SELECT kind, count(*) AS n FROM notifications GROUP BY kind").all()).toEqual([{ kind: "change", n: 1 }]);
    expect(heardOnFeed).toEqual(["status", "changes:device_added", "device"]);

    const flood = [2, 3, 4].map((i) => `02:00:00:00:01:0${i}`);
    const floodChange = { ...added(flood[0], "10.0.0.20"), change_type: "sighting_flood", device_mac: null, device_ip: null, new_value: "eth0", description: "Sighting flood on eth0" };
    hub.receive("argus/home/iot/events", msg(2, flood.map((m, i) => device(m, `10.0.0.${20 + i}`)), [floodChange, ...flood.map((m, i) => added(m, `10.0.0.${20 + i}`))]));
    const rows = d.query("SELECT kind, payload FROM notifications ORDER BY id").all() as { kind: string; payload: string }[];
    expect(rows.map((r) => r.kind)).toEqual(["change", "change", "digest"]);
    expect(JSON.parse(rows[2].payload).changes.map((c: any) => c.change.device_mac)).toEqual(flood);
    const entities = d.query("SELECT mac_address FROM devices WHERE announce_after_ms IS NULL ORDER BY id").all();
    expect(entities).toEqual([{ mac_address: "02:00:00:00:00:01" }]);
    // A redelivery of the same message changes nothing.
    hub.receive("argus/home/iot/events", msg(2, [], [floodChange]));
    expect((d.query("SELECT count(*) AS n FROM notifications").get() as { n: number }).n).toBe(3);
  });
});

// What a red team did with one sensor's credentials (the broker's ACL confines it to its own topic):
// each is refused or bounded on the hub.
describe("a hostile sensor", () => {
  const lan = { site: "home", segment: "lan" };
  const iot = { site: "home", segment: "iot" };
  const mac = "02:00:00:00:00:42";
  const row = (d: Database) =>
    d.query("SELECT segment, status, ip_address, hostname, last_seen, risk_level, threat_summary FROM devices WHERE mac_address = ?").get(mac) as Record<string, unknown>;
  const ports = (d: Database) => (d.query("SELECT port FROM ports ORDER BY port").all() as { port: number }[]).map((p) => p.port);

  test("cannot take over another segment's device: the claim is an identity_conflict warning, the device and its later true updates stay lan's", () => {
    const d = db();
    const lanDevice = device(mac, "10.0.0.42", { hostname: "nas", last_seen: at(0), open_ports: [22, 445], risk_level: "medium", risk_score: 40, threat_summary: "SMBv1" });
    d.transaction(() => applyMessage(d, lan, batch(1, [lanDevice], [added(mac, "10.0.0.42")], "lan1"), at(0)))();
    const before = row(d);
    const hijack = batch(
      1,
      [device(mac, "10.9.0.1", { hostname: "<img src=x onerror=alert(1)>", last_seen: "9999-12-31T23:59:59Z", open_ports: [], risk_level: "none", threat_summary: null })],
      [{ ...added(mac, "10.9.0.1"), change_type: "port_closed" as const, description: "all closed" }],
      "iot1",
    );
    // It is a well-formed message: what the hub does with it is the point.
    expect(parseMessage(JSON.stringify(hijack))).not.toBeNull();
    const r = d.transaction(() => applyMessage(d, iot, hijack, at(30)))();
    expect(r.changes.map((c) => [c.change_type, c.severity, c.old_value, c.new_value, c.segment])).toEqual([["identity_conflict", "warning", "lan", "iot", "iot"]]);
    expect(row(d)).toEqual(before);
    expect(ports(d)).toEqual([22, 445]);
    // Said again: no second warning within the hour, still nothing applied.
    const again = d.transaction(() => applyMessage(d, iot, { ...hijack, seq: 2, event_id: "iot1:2" }, at(60)))();
    expect(again.changes).toEqual([]);
    expect(row(d)).toEqual(before);
    // lan's later true report applies (nothing froze it).
    d.transaction(() => applyMessage(d, lan, batch(2, [{ ...lanDevice, last_seen: at(90), open_ports: [22] }], [], "lan1"), at(90)))();
    expect(row(d)).toMatchObject({ segment: "lan", last_seen: at(90), hostname: "nas" });
    expect(ports(d)).toEqual([22]);
    expect((d.query("SELECT change_type FROM changes ORDER BY id").all() as { change_type: string }[]).map((c) => c.change_type)).toEqual(["device_added", "identity_conflict"]);
  });

  test("a device silent on its segment moves (a trusted one with a warning); times later than the hub's clock are its clock", () => {
    const d = db();
    d.transaction(() => applyMessage(d, lan, batch(1, [device(mac, "10.0.0.42", { hostname: "nas", last_seen: at(0) })], [], "lan1"), at(0)))();
    d.query("UPDATE devices SET is_trusted = 1").run();
    const r = d.transaction(() => applyMessage(d, iot, batch(1, [device(mac, "10.9.0.1", { last_seen: "9999-12-31T23:59:59Z", first_seen: "9999-01-01T00:00:00Z" })], [], "iot1"), at(400)))();
    expect(r.changes.map((c) => [c.change_type, c.severity, c.old_value, c.new_value])).toEqual([["device_moved", "warning", "lan", "iot"]]);
    expect(row(d)).toMatchObject({ segment: "iot", ip_address: "10.9.0.1", last_seen: at(400) });
    // A new device's future times are clamped too, and a change's.
    const other = "02:00:00:00:00:43";
    const r2 = d.transaction(() =>
      applyMessage(d, iot, batch(2, [device(other, "10.9.0.2", { first_seen: "9999-01-01T00:00:00Z", last_seen: "9999-12-31T23:59:59Z" })], [added(other, "10.9.0.2", "9999-12-31T23:59:59Z")], "iot1"), at(410)),
    )();
    expect(d.query("SELECT first_seen, last_seen FROM devices WHERE mac_address = ?").get(other)).toEqual({ first_seen: at(410), last_seen: at(410) });
    expect(r2.changes.map((c) => c.detected_at)).toEqual([at(410)]);
    // Not ISO-8601 UTC: refused whole.
    const good = batch(3, [device(other, "10.9.0.2")]);
    expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], last_seen: "2026-01-01T12:00:00+02:00" }] }))).toBeNull();
    expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], last_seen: "99999-01-01T00:00:00Z" }] }))).toBeNull();
    expect(parseMessage(JSON.stringify({ ...good, at: "yesterday" }))).toBeNull();
  });

  test("a new instance id does not reset replay protection: old numbers of any instance it had are refused", async () => {
    const { EventFeed } = await import("../../src/events.ts");
    const { SegmentHub } = await import("../../src/segments/hub.ts");
    const { queueOnlySink } = await import("../../src/notify/sink.ts");
    const d = db();
    const hub = new SegmentHub(d, new EventFeed(), queueOnlySink(d, () => ({ channels: [], rules: [] }) as any), {
      prefix: "argus", broker: { url: "mqtt://192.0.2.1", username: null, password: null }, offlineAfterS: () => 120,
    });
    const now = () => new Date().toISOString();
    const send = (m: object) => hub.receive("argus/home/iot/events", JSON.stringify({ ...m, at: now(), sent_at: now() }));
    const old = [1, 2, 3].map((seq) => batch(seq, [device(`02:00:00:00:01:0${seq}`, `10.0.0.${seq}`)], [added(`02:00:00:00:01:0${seq}`, `10.0.0.${seq}`)], "aaa111"));
    for (const m of old) await send(m);
    const changes = () => (d.query("SELECT count(*) AS n FROM changes").get() as { n: number }).n;
    expect(changes()).toBe(3);
    // A heartbeat under a made-up instance, then the captured messages again.
    await send({ v: 1, event_id: "evil99:hb:1", instance: "evil99", kind: "heartbeat", buffered: 0 });
    for (const m of old) await send(m);
    expect(changes()).toBe(3);
    // A numbered message under a made-up instance switches to it (a new sensor database looks the
    // same); the old instance's numbers stay refused all the same.
    await send(batch(1, [], [added("02:00:00:00:02:01", "10.0.0.9")], "evil99"));
    expect(changes()).toBe(4);
    for (const m of old) await send(m);
    await send(batch(1, [], [added("02:00:00:00:02:01", "10.0.0.9")], "evil99"));
    expect(changes()).toBe(4);
    // The real sensor carries on with its next number: applied, nothing counted lost.
    await send(batch(4, [], [added("02:00:00:00:01:04", "10.0.0.4")], "aaa111"));
    expect(changes()).toBe(5);
    expect(d.query("SELECT instance, last_seq, dropped FROM segment_sensors").get()).toEqual({ instance: "aaa111", last_seq: 4, dropped: 0 });
  });

  test("names and text from a sensor are cleaned like names from the wire; enums are checked", () => {
    const d = db();
    const hostile = device(mac, "10.0.0.42", {
      hostname: "\u001b[31mnas\u202egnp.exe",
      vendor: "Acme\u200b Inc\u0007",
      os_name: "Linux\u2028rm -rf",
      model: "\u2066M1\u2069",
      threat_summary: "\u202eSMBv1",
      names: [{ name: "\u001bprinter\u202e", source: "mdns", last_seen: T0 }, { name: "\u200b\u200d", source: "dhcp", last_seen: T0 }],
    });
    const change = { ...added(mac, "10.0.0.42"), description: "New device \u202eexe.gpj\u001b[0m", new_value: "10.0.0.42\u0000" };
    d.transaction(() => applyMessage(d, lan, batch(1, [hostile], [change], "lan1"), at(1)))();
    expect(d.query("SELECT hostname, vendor, os_name, model, threat_summary FROM devices").get()).toEqual({
      hostname: "[31mnasgnp.exe", vendor: "Acme Inc", os_name: "Linuxrm -rf", model: "M1", threat_summary: "SMBv1",
    });
    expect(d.query("SELECT name FROM device_names ORDER BY name").all()).toEqual([{ name: "printer" }]);
    expect(d.query("SELECT description, new_value FROM changes").get()).toEqual({ description: "New device exe.gpj[0m", new_value: "10.0.0.42" });
    const good = batch(2, [device(mac, "10.0.0.42")]);
    expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], risk_level: "pwned" }] }))).toBeNull();
    expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], device_type: "<b>x</b>" }] }))).toBeNull();
    expect(parseMessage(JSON.stringify({ ...good, devices: [{ ...good.devices[0], status: "gone" }] }))).toBeNull();
  });

  test("a message holds at most 2,000 devices and 2,000 changes; the sensor splits by count as well as by bytes", () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => device(macOf(i), ipOf(i)));
    expect(parseMessage(JSON.stringify(batch(1, many(2_000))))).not.toBeNull();
    expect(parseMessage(JSON.stringify(batch(1, many(2_001))))).toBeNull();
    expect(parseMessage(JSON.stringify(batch(1, many(100_000))))).toBeNull();
    const adds = many(2_001).map((x) => added(x.mac, x.ip));
    expect(parseMessage(JSON.stringify(batch(1, [], adds)))).toBeNull();
    const parts = splitBatch(many(4_500), adds, 100 * 1024 * 1024);
    expect(parts.map((p) => [p.devices.length, p.changes.length])).toEqual([[2_000, 0], [2_000, 0], [500, 2_000], [0, 1]]);
  });

  test("a 2,000-device message is applied in slices (the event loop is never held long); new devices past the sensor's budget are dropped with one sighting_flood", async () => {
    const { EventFeed } = await import("../../src/events.ts");
    const { SegmentHub } = await import("../../src/segments/hub.ts");
    const { queueOnlySink } = await import("../../src/notify/sink.ts");
    const { NEW_DEVICES_PER_WINDOW } = await import("../../src/segments/merge.ts");
    const d = db();
    const feed = new EventFeed();
    const hub = new SegmentHub(d, feed, queueOnlySink(d, () => ({ channels: [], rules: [] }) as any), {
      prefix: "argus", broker: { url: "mqtt://192.0.2.1", username: null, password: null }, offlineAfterS: () => 120,
    });
    const now = new Date().toISOString();
    const devices = Array.from({ length: 2_000 }, (_, i) => device(macOf(i), ipOf(i), { last_seen: now, open_ports: [80, 443] }));
    const msg = (seq: number, ds: WireDevice[], cs: object[]) => JSON.stringify({ ...batch(seq, ds, cs as any), at: now, sent_at: now });
    // The longest gap between turns of the event loop while the hub applies it (a timer every ms).
    let longest = 0;
    let turns = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const t = performance.now();
      turns++;
      longest = Math.max(longest, t - last);
      last = t;
    }, 1);
    const started = performance.now();
    await hub.receive("argus/home/iot/events", msg(1, devices, devices.map((x) => added(x.mac, x.ip))));
    const took = performance.now() - started;
    clearInterval(ticker);
    console.log(`2,000-device message applied in ${took.toFixed(0)} ms; longest event-loop stall ${longest.toFixed(0)} ms`);
    expect(longest).toBeLessThan(200);
    // Handed back between slices: the timer ran while the message was being applied.
    expect(turns).toBeGreaterThan(1);
    const count = (sql: string) => (d.query(sql).get() as { n: number }).n;
    expect(count("SELECT count(*) AS n FROM devices")).toBe(NEW_DEVICES_PER_WINDOW);
    // The dropped devices' own changes are not stored; the flood warning is, once.
    expect(count("SELECT count(*) AS n FROM changes WHERE change_type = 'device_added'")).toBe(NEW_DEVICES_PER_WINDOW);
    expect(count("SELECT count(*) AS n FROM changes WHERE change_type = 'sighting_flood'")).toBe(1);
    // Within the window, more new devices are dropped without another warning; known ones still update.
    await hub.receive("argus/home/iot/events", msg(2, [device("02:00:00:aa:00:01", "10.0.200.1", { last_seen: now }), { ...devices[0], hostname: "known" }], []));
    expect(count("SELECT count(*) AS n FROM devices")).toBe(NEW_DEVICES_PER_WINDOW);
    expect(count("SELECT count(*) AS n FROM changes WHERE change_type = 'sighting_flood'")).toBe(1);
    expect(d.query("SELECT hostname FROM devices WHERE mac_address = ?").get(devices[0].mac)).toEqual({ hostname: "known" });
    expect(d.query("SELECT last_seq FROM segment_sensors").get()).toEqual({ last_seq: 2 });
    // Redelivered (a PUBACK lost): nothing applied twice.
    await hub.receive("argus/home/iot/events", msg(1, devices, devices.map((x) => added(x.mac, x.ip))));
    expect(count("SELECT count(*) AS n FROM changes WHERE change_type = 'device_added'")).toBe(NEW_DEVICES_PER_WINDOW);
  }, 60_000);
});

describe("a message applied in slices", () => {
  test("a crash after some slices loses nothing and applies nothing twice: the redelivery upserts the devices again and stores the changes once", async () => {
    const { admit, applyDevices, messageState, newDeviceBudget } = await import("../../src/segments/merge.ts");
    const d = db();
    const iot = { site: "home", segment: "iot" };
    const devices = Array.from({ length: 300 }, (_, i) => device(macOf(i), ipOf(i), { last_seen: at(1), open_ports: [80] }));
    const m = batch(1, devices, devices.map((x) => added(x.mac, x.ip, at(1))));
    // The first two slices commit, then the hub dies before the last one (which holds the changes and the number).
    const state = messageState();
    const budget = newDeviceBudget();
    expect(d.transaction(() => admit(d, iot, m, at(2)))().fresh).toBe(true);
    for (const i of [0, 100]) d.transaction(() => applyDevices(d, iot, devices.slice(i, i + 100), at(2), budget, state))();
    const count = (sql: string) => (d.query(sql).get() as { n: number }).n;
    expect(count("SELECT count(*) AS n FROM devices")).toBe(200);
    expect(count("SELECT count(*) AS n FROM changes")).toBe(0);
    expect(d.query("SELECT last_seq FROM segment_sensors").get()).toEqual({ last_seq: 0 });
    // Redelivered after the restart: applied whole, once.
    const r = d.transaction(() => applyMessage(d, iot, m, at(3)))();
    expect(r.applied).toBe(true);
    expect(count("SELECT count(*) AS n FROM devices")).toBe(300);
    expect(count("SELECT count(*) AS n FROM ports")).toBe(300);
    expect(count("SELECT count(*) AS n FROM changes WHERE change_type = 'device_added'")).toBe(300);
    expect(count("SELECT count(*) AS n FROM changes WHERE change_type <> 'device_added'")).toBe(0);
    expect(d.transaction(() => applyMessage(d, iot, m, at(4)))().applied).toBe(false);
    expect(count("SELECT count(*) AS n FROM changes")).toBe(300);
  });
});

const macOf = (i: number) => `02:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
const ipOf = (i: number) => `10.0.${i >> 8}.${i & 255}`;

describe("a device's port services and findings on the hub", () => {
  const lan = { site: "home", segment: "lan" };
  const iot = { site: "home", segment: "iot" };
  const mac = "02:00:00:00:00:51";
  const ssh = { port: 22, protocol: "tcp" as const, service: "ssh", product: "OpenSSH", version: "9.6" };
  const dns = { port: 53, protocol: "udp" as const, service: "domain", product: null, version: null };
  const telnet = { port: 23, level: "critical" as const, description: "Telnet sends passwords in clear text", recommendation: "Turn Telnet off", cve_ids: ["CVE-2020-10188"] };
  const record = (o: Partial<WireDevice> = {}) =>
    device(mac, "10.0.0.51", {
      open_ports: [22, 23], risk_level: "critical", risk_score: 90, threat_summary: "Telnet", last_seen: at(10),
      ports: [ssh, { port: 23, protocol: "tcp", service: "telnet", product: null, version: null }, dns], threats: [telnet],
      mdns_services: ["_ssh._tcp"], device_type: "server", device_type_evidence: "SSH and Telnet open", ...o,
    });
  const apply = (d: Database, key: typeof lan, seq: number, devices: WireDevice[], instance = "s1", when = at(seq + 10)) => {
    const wire = parseMessage(JSON.stringify(batch(seq, devices, [], instance)));
    expect(wire).not.toBeNull();
    return d.transaction(() => applyMessage(d, key, wire as BatchMessage, when))();
  };
  const pageOf = (d: Database) => new DeviceInventory(d).get(deviceOfMacId(d))!;
  const deviceOfMacId = (d: Database) => (d.query("SELECT id FROM devices WHERE mac_address = ?").get(mac) as { id: number }).id;

  test("the sensor's ports with their services, its findings, mDNS services and type evidence show on the hub's device page", () => {
    const d = db();
    apply(d, lan, 1, [record()]);
    const page = pageOf(d);
    expect(page.ports.map((p) => ({ port: p.port, protocol: p.protocol, service: p.service, product: p.product, version: p.version }))).toEqual([
      ssh, { port: 23, protocol: "tcp", service: "telnet", product: null, version: null }, dns,
    ]);
    expect(page.threats).toEqual([telnet]);
    expect(page.mdns_services).toEqual(["_ssh._tcp"]);
    expect(page.device_type_evidence).toBe("SSH and Telnet open");
    // The next record lists what is open now: the rest goes, findings included.
    apply(d, lan, 2, [record({ open_ports: [22], ports: [ssh], threats: [], risk_level: "none", risk_score: 0, threat_summary: null })]);
    const later = pageOf(d);
    expect(later.ports.map((p) => [p.port, p.protocol, p.service])).toEqual([[22, "tcp", "ssh"]]);
    expect(later.threats).toEqual([]);
  });

  test("what the sensor's own database holds is what its record carries (toWireDevice with its rows)", () => {
    const sensor = db();
    apply(sensor, lan, 1, [record()]);
    const id = deviceOfMacId(sensor);
    const own = new DeviceInventory(sensor).get(id)!;
    const wire = toWireDevice(own, [], { ports: portRowsOf(sensor, id, 256), threats: threatRowsOf(sensor, id, 64) })!;
    const hub = db();
    apply(hub, iot, 1, [wire]);
    const page = pageOf(hub);
    const strip = (ps: typeof page.ports) => ps.map(({ first_seen: _f, last_seen: _l, ...p }) => p);
    expect(strip(page.ports)).toEqual(strip(own.ports));
    expect(page.threats).toEqual(own.threats);
  });

  test("hostile detail: a bad level or CVE id refuses the message; 10,000 ports are clipped to 256; control characters are cleaned", () => {
    const d = db();
    const bad = (o: Partial<WireDevice>) => parseMessage(JSON.stringify(batch(1, [record(o)])));
    expect(bad({ threats: [{ ...telnet, level: "none" as never }] })).toBeNull();
    expect(bad({ threats: [{ ...telnet, level: "apocalyptic" as never }] })).toBeNull();
    expect(bad({ threats: [{ ...telnet, cve_ids: ["CVE-2020-1"] }] })).toBeNull();
    expect(bad({ threats: [{ ...telnet, cve_ids: ["<script>"] }] })).toBeNull();
    expect(bad({ ports: [{ ...ssh, port: 0 }] })).toBeNull();
    expect(bad({ ports: [{ ...ssh, port: 70000 }] })).toBeNull();
    expect(bad({ ports: [{ ...ssh, protocol: "sctp" as never }] })).toBeNull();
    const many = Array.from({ length: 10_000 }, (_, i) => ({ port: 1000 + i, protocol: "tcp" as const, service: null, product: null, version: null }));
    const cves = Array.from({ length: 40 }, (_, i) => `CVE-2024-${String(1000 + i)}`);
    const threats = Array.from({ length: 100 }, (_, i) => ({ ...telnet, port: i + 1, cve_ids: cves }));
    apply(d, lan, 1, [
      record({
        ports: [{ ...ssh, service: "ss\u0000h\u202e", product: "Open\u200bSSH\u0007" + "x".repeat(240), version: "\u200b" }, ...many],
        threats: [{ ...telnet, description: "Tel\u0000net\u202e", recommendation: "\u200b" }, ...threats],
        mdns_services: ["_ssh._tcp\u0000", "\u200b", ...Array.from({ length: 50 }, (_, i) => `_s${i}._tcp`)],
      }),
    ]);
    const page = pageOf(d);
    expect(page.ports.length).toBe(256);
    const first = page.ports.find((p) => p.port === 22 && p.protocol === "tcp")!;
    expect(first.service).toBe("ssh");
    expect(first.product).toBe("OpenSSH" + "x".repeat(240));
    expect(first.version).toBeNull();
    expect(page.threats.length).toBe(64);
    const t = page.threats.find((x) => x.description === "Telnet")!;
    expect(t).toMatchObject({ port: 23, recommendation: "" });
    expect(page.threats.every((x) => x.cve_ids.length <= 16)).toBe(true);
    expect(page.mdns_services[0]).toBe("_ssh._tcp");
    expect(page.mdns_services.length).toBe(31);
  });

  test("a sensor that does not own the device changes neither its ports nor its findings", () => {
    const d = db();
    apply(d, lan, 1, [record()], "lan1", at(0));
    const before = pageOf(d);
    const claim = record({ ip: "10.9.0.1", last_seen: at(20), ports: [], threats: [], open_ports: [], mdns_services: [], device_type_evidence: null });
    const r = apply(d, iot, 1, [claim], "iot1", at(30));
    expect(r.changes.map((c) => c.change_type)).toEqual(["identity_conflict"]);
    const after = pageOf(d);
    expect(after.ports).toEqual(before.ports);
    expect(after.threats).toEqual(before.threats);
    expect(after.mdns_services).toEqual(["_ssh._tcp"]);
    expect(after.segment).toBe("lan");
  });

  test("an older sensor's record without the detail still applies: its port numbers, no findings, nothing else touched", () => {
    const d = db();
    apply(d, lan, 1, [record()]);
    const { ports: _p, threats: _t, mdns_services: _m, device_type_evidence: _e, ...old } = record({ open_ports: [22, 80], last_seen: at(20) });
    apply(d, lan, 2, [old as WireDevice]);
    const page = pageOf(d);
    expect(page.ports.map((p) => [p.port, p.protocol, p.service])).toEqual([[22, "tcp", "ssh"], [53, "udp", "domain"], [80, "tcp", null]]);
    expect(page.threats).toEqual([telnet]);
    expect(page.mdns_services).toEqual(["_ssh._tcp"]);
    const fresh = db();
    const { ports: _p2, threats: _t2, mdns_services: _m2, device_type_evidence: _e2, ...oldOnly } = record({ mac: "02:00:00:00:00:52" });
    apply(fresh, lan, 1, [oldOnly as WireDevice]);
    const id = (fresh.query("SELECT id FROM devices").get() as { id: number }).id;
    const p2 = new DeviceInventory(fresh).get(id)!;
    expect(p2.ports.map((p) => [p.port, p.service])).toEqual([[22, null], [23, null]]);
    expect(p2.threats).toEqual([]);
  });
});

describe("port banners and TLS flags on the hub", () => {
  const lan = { site: "home", segment: "lan" };
  const iot = { site: "home", segment: "iot" };
  const mac = "02:00:00:00:00:61";
  const https = { port: 443, protocol: "tcp" as const, service: "https", product: "nginx", version: "1.24", tls: true, banner: "HTTP/1.1 200 OK\r\nServer: nginx" };
  const ssh = { port: 22, protocol: "tcp" as const, service: "ssh", product: "OpenSSH", version: "9.6", tls: false, banner: "SSH-2.0-OpenSSH_9.6" };
  const apply = (d: Database, key: typeof lan, seq: number, devices: WireDevice[], instance = "s1", when = at(seq + 10)) => {
    const wire = parseMessage(JSON.stringify(batch(seq, devices, [], instance)));
    expect(wire).not.toBeNull();
    return d.transaction(() => applyMessage(d, key, wire as BatchMessage, when))();
  };
  const portsOf = (d: Database) => {
    const id = (d.query("SELECT id FROM devices WHERE mac_address = ?").get(mac) as { id: number }).id;
    return new DeviceInventory(d).get(id)!.ports.map((p) => ({ port: p.port, tls: p.tls, banner: p.banner }));
  };

  test("travel with the ports: the hub's device page shows them; cleaned and bounded; an older record keeps them; another segment's claim changes nothing", () => {
    const d = db();
    apply(d, lan, 1, [device(mac, "10.0.0.61", { open_ports: [22, 443], ports: [ssh, https] })]);
    // A banner's lines stay lines ("\n").
    expect(portsOf(d)).toEqual([{ port: 22, tls: false, banner: ssh.banner }, { port: 443, tls: true, banner: "HTTP/1.1 200 OK\nServer: nginx" }]);
    // A sensor's own rows carry them (portRowsOf), so what it holds is what the hub gets.
    const sensor = db();
    apply(sensor, lan, 1, [device(mac, "10.0.0.61", { open_ports: [22, 443], ports: [ssh, https] })]);
    const sid = (sensor.query("SELECT id FROM devices").get() as { id: number }).id;
    expect(toWireDevice(new DeviceInventory(sensor).get(sid)!, [], { ports: portRowsOf(sensor, sid, 256), threats: [] })!.ports).toEqual([ssh, { ...https, banner: "HTTP/1.1 200 OK\nServer: nginx" }]);
    // Hostile: control and bidi characters go, a banner past the wire's bound refuses the message, the hub keeps 512 characters.
    expect(parseMessage(JSON.stringify(batch(2, [device(mac, "10.0.0.61", { ports: [{ ...ssh, banner: "x".repeat(1025) }] })])))).toBeNull();
    expect(parseMessage(JSON.stringify(batch(2, [device(mac, "10.0.0.61", { ports: [{ ...ssh, tls: "yes" as never }] })])))).toBeNull();
    apply(d, lan, 2, [device(mac, "10.0.0.61", { open_ports: [22, 443], ports: [{ ...ssh, banner: "SSH\u0000-2.0\u202e" }, { ...https, banner: "y".repeat(1000) }] })]);
    expect(portsOf(d)).toEqual([{ port: 22, tls: false, banner: "SSH-2.0" }, { port: 443, tls: true, banner: "y".repeat(512) }]);
    // An older sensor's ports without them: the hub keeps what it had.
    const { tls: _t, banner: _b, ...older } = ssh;
    apply(d, lan, 3, [device(mac, "10.0.0.61", { open_ports: [22], ports: [older] })]);
    expect(portsOf(d)).toEqual([{ port: 22, tls: false, banner: "SSH-2.0" }]);
    // Another segment's sensor claiming the device (still reported by lan) writes nothing.
    apply(d, iot, 1, [device(mac, "10.9.0.61", { last_seen: at(12), ports: [{ ...ssh, tls: true, banner: "evil" }] })], "iot1", at(13));
    expect(portsOf(d)).toEqual([{ port: 22, tls: false, banner: "SSH-2.0" }]);
  });
});

describe("a sensor's scan records on the hub", () => {
  const iot = { site: "home", segment: "iot" };
  const guest = { site: "home", segment: "guest" };
  const scan = (id: number, o: Partial<WireScan> = {}): WireScan => ({
    id, scan_type: "network", profile: "quick", subnet: "10.0.0.0/24", status: "completed", started_at: at(1), finished_at: at(5), duration_seconds: 4,
    hosts_total: 254, hosts_found: 3, ports_scanned: 300, open_ports: 4, devices_added: 1, devices_removed: 0, changes_count: 2, degraded: false, error: null, ...o,
  });
  const withScans = (seq: number, scans: WireScan[], instance = "s1"): BatchMessage => ({ ...batch(seq, [], [], instance), scans });
  const apply = (d: Database, key: typeof iot, m: BatchMessage, when: string) => {
    const wire = parseMessage(JSON.stringify(m));
    expect(wire).not.toBeNull();
    return d.transaction(() => applyMessage(d, key, wire as BatchMessage, when))();
  };

  test("stored once each under the hub's own ids, with their segment; a replay, or the same scan again, adds no row; the segment filter lists them", () => {
    const d = db();
    // The hub's own scan takes id 1 first: a sensor's scan 1 must not become (or overwrite) it.
    d.run("INSERT INTO scans (scan_type, profile, subnet, status, started_at) VALUES ('network', 'normal', '192.168.1.0/24', 'completed', ?)", [T0]);
    const m = withScans(1, [scan(1), scan(2, { status: "failed", error: "no raw socket", finished_at: at(7) })]);
    expect(apply(d, iot, m, at(10)).applied).toBe(true);
    expect(apply(d, iot, m, at(11)).applied).toBe(false);
    // The same scan in a later message (a sensor re-sending it) is still one row.
    apply(d, iot, withScans(2, [scan(1)]), at(12));
    // Another sensor's scan 1 is another scan.
    apply(d, guest, withScans(1, [scan(1, { subnet: "10.1.0.0/24", status: "cancelled" })], "g1"), at(13));
    const all = listScans(d, { limit: 50, offset: 0 });
    expect(all.total).toBe(4);
    expect(all.items.map((s) => [s.id, s.segment, s.status, s.subnet])).toEqual([
      [4, "guest", "cancelled", "10.1.0.0/24"],
      [3, "iot", "failed", "10.0.0.0/24"],
      [2, "iot", "completed", "10.0.0.0/24"],
      [1, null, "completed", "192.168.1.0/24"],
    ]);
    const iotScans = listScans(d, { segment: "iot", limit: 50, offset: 0 });
    expect(iotScans.items.map((s) => s.id)).toEqual([3, 2]);
    expect(getScan(d, 2)).toMatchObject({ ...scan(1), id: 2, segment: "iot" });
    expect(getScan(d, 3)).toMatchObject({ status: "failed", error: "no raw socket", segment: "iot" });
  });

  test("hostile records: times later than the hub's clock are its clock, text is cleaned, enums and sizes are checked; an older sensor without scans still applies", () => {
    const d = db();
    const bad = (o: Partial<WireScan>) => parseMessage(JSON.stringify(withScans(1, [scan(1, o)])));
    expect(bad({ status: "running" as never })).toBeNull();
    expect(bad({ scan_type: "ddos" as never })).toBeNull();
    expect(bad({ id: 0 })).toBeNull();
    expect(bad({ hosts_found: -1 })).toBeNull();
    expect(bad({ subnet: "x".repeat(601) })).toBeNull();
    expect(bad({ started_at: "tomorrow" })).toBeNull();
    expect(bad({ started_at: "2026-13-45T99:99:99Z" })).toBeNull();
    expect(bad({ finished_at: "2026-02-30T10:00:00Z" })).toBeNull();
    expect(parseMessage(JSON.stringify(withScans(1, Array.from({ length: 65 }, (_, i) => scan(i + 1)))))).toBeNull();
    apply(d, iot, withScans(1, [scan(7, { started_at: "2099-01-01T00:00:00.000Z", finished_at: "2099-01-01T00:01:00.000Z", profile: "qu\u202eick\u0000", error: "boom\u200b" , status: "failed" })]), at(10));
    expect(getScan(d, 1)).toMatchObject({ started_at: at(10), finished_at: at(10), profile: "quick", error: "boom", segment: "iot" });
    expect(apply(d, iot, batch(2, [device("02:00:00:00:00:71", "10.0.0.71")], [], "s1"), at(11)).applied).toBe(true);
    expect(listScans(d, { limit: 50, offset: 0 }).total).toBe(1);
  });

  test("the sensor reports a scan once it has finished, with its own id (toWireScan), and splits them like the rest", () => {
    const d = db();
    d.run("INSERT INTO scans (scan_type, profile, subnet, status, started_at) VALUES ('network', 'quick', '10.0.0.0/24', 'running', ?)", [T0]);
    expect(toWireScan(getScan(d, 1)!)).toBeNull();
    d.run("UPDATE scans SET status = 'cancelled', finished_at = ?, duration_seconds = 2, hosts_found = 5 WHERE id = 1", [at(2)]);
    expect(toWireScan(getScan(d, 1)!)).toMatchObject({ id: 1, status: "cancelled", finished_at: at(2), hosts_found: 5 });
    const parts = splitBatch([], [], 1_000_000, Array.from({ length: 70 }, (_, i) => scan(i + 1)), ["02:00:00:00:00:01"]);
    expect(parts.map((p) => [p.scans?.length ?? 0, p.forgotten?.length ?? 0])).toEqual([[64, 0], [6, 1]]);
  });
});

describe("a device forgotten on its sensor", () => {
  const iot = { site: "home", segment: "iot" };
  const guest = { site: "home", segment: "guest" };
  const apply = (d: Database, key: typeof iot, m: BatchMessage, when: string) => {
    const wire = parseMessage(JSON.stringify(m));
    expect(wire).not.toBeNull();
    return d.transaction(() => applyMessage(d, key, wire as BatchMessage, when))();
  };
  const forget = (seq: number, macs: string[], instance = "s1"): BatchMessage => ({ ...batch(seq, [], [], instance), forgotten: macs });
  const macs = (d: Database) => (d.query("SELECT mac_address, segment FROM devices ORDER BY mac_address").all() as { mac_address: string; segment: string }[]).map((r) => `${r.mac_address}@${r.segment}`);

  test("is forgotten on the hub while it is that segment's; one that moved on to another segment stays; another sensor cannot forget it", () => {
    const d = db();
    // As the appliance opens its database (db/database.ts): a forget takes the device's rows along.
    d.run("PRAGMA foreign_keys = ON");
    const a = "02:00:00:00:00:81";
    const b = "02:00:00:00:00:82";
    const c = "02:00:00:00:00:83";
    apply(d, iot, batch(1, [device(a, "10.0.0.81"), device(b, "10.0.0.82"), device(c, "10.0.0.83")], [], "s1"), at(1));
    // b went quiet on iot and was heard on guest since: guest's now.
    apply(d, iot, batch(2, [device(b, "10.0.0.82", { status: "offline", last_seen: at(2) })], [], "s1"), at(2));
    apply(d, guest, batch(1, [device(b, "10.1.0.82", { last_seen: at(3) })], [], "g1"), at(3));
    expect(macs(d)).toEqual([`${a}@iot`, `${b}@guest`, `${c}@iot`]);
    // guest's sensor cannot forget iot's device c.
    expect(apply(d, guest, forget(2, [c], "g1"), at(4)).forgotten).toBeUndefined();
    const r = apply(d, iot, forget(3, [a, b, "02:00:00:00:00:99"]), at(5));
    expect(r.forgotten?.length).toBe(1);
    expect(macs(d)).toEqual([`${b}@guest`, `${c}@iot`]);
    // A replay forgets nothing more, and the device's past changes stay.
    expect(apply(d, iot, forget(3, [c]), at(6)).applied).toBe(false);
    expect(macs(d)).toEqual([`${b}@guest`, `${c}@iot`]);
    // Its next sighting on the sensor makes it a new device again, as on a standalone appliance.
    apply(d, iot, batch(4, [device(a, "10.0.0.81", { last_seen: at(7) })], [], "s1"), at(7));
    expect(macs(d)).toEqual([`${a}@iot`, `${b}@guest`, `${c}@iot`]);
  });

  test("a message that claims a device (the hub's own, or another segment's silent one) cannot forget it too (red-team finding)", () => {
    const d = db();
    d.run("PRAGMA foreign_keys = ON");
    const own = "02:00:00:00:00:84";
    const theirs = "02:00:00:00:00:85";
    // The hub's own device (no segment: from a source of the hub's, or from before it was a hub).
    d.query("INSERT INTO devices (ip_address, mac_address, label, is_trusted, status, first_seen, last_seen) VALUES ('10.9.0.84', ?, 'owner-nas', 1, 'online', ?, ?)").run(own, at(0), at(0));
    // guest's device, silent there long enough to move.
    apply(d, guest, batch(1, [device(theirs, "10.1.0.85", { status: "offline", last_seen: at(1) })], [], "g1"), at(1));
    const moved = at(1 + 10 * 60);
    const r = apply(d, iot, { ...batch(1, [device(own, "10.0.0.84", { last_seen: moved }), device(theirs, "10.0.0.85", { last_seen: moved })], [], "s1"), forgotten: [own, theirs] }, moved);
    expect(r.forgotten).toBeUndefined();
    expect(macs(d)).toEqual([`${own}@iot`, `${theirs}@iot`]);
    expect((d.query("SELECT label FROM devices WHERE mac_address = ?").get(own) as { label: string }).label).toBe("owner-nas");
  });
});

describe("two sites", () => {
  test("a second site's sensor with a segment name another site has is refused whole: it cannot speak for that segment's devices (red-team finding)", () => {
    const d = db();
    const home = { site: "home", segment: "iot" };
    const office = { site: "office", segment: "iot" };
    const mac = "02:00:00:00:00:91";
    const apply = (key: typeof home, m: BatchMessage) => d.transaction(() => applyMessage(d, key, parseMessage(JSON.stringify(m)) as BatchMessage, at(2)))();
    expect(apply(home, batch(1, [device(mac, "10.0.0.91")], [], "h1")).applied).toBe(true);
    const refused = apply(office, { ...batch(1, [device(mac, "10.5.0.91", { hostname: "spoofed" })], [], "o1"), forgotten: [mac] });
    expect(refused.applied).toBe(false);
    expect(d.query("SELECT mac_address, ip_address, hostname, segment FROM devices").all()).toEqual([{ mac_address: mac, ip_address: "10.0.0.91", hostname: null, segment: "iot" }]);
    expect((d.query("SELECT site FROM segment_sensors ORDER BY site").all() as { site: string }[]).map((r) => r.site)).toEqual(["home"]);
  });
});
