// The flood's set of known MACs on a real SQLite file: read when first asked, refreshed on its
// clock, devices the feed announces added at once, let go when no flood asks.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { openDatabase } from "../../src/db/database.ts";
import { EventFeed } from "../../src/events.ts";
import { DeviceInventory, type Device } from "../../src/inventory/devices.ts";
import { recordSightings, type Sighting, type SightingPolicy } from "../../src/inventory/sightings.ts";
import { KnownMacs } from "../../src/passive/known-macs.ts";
import { Scratch } from "../helpers/scratch.ts";

let db: Database;
const scratch = new Scratch();
afterAll(() => scratch.clear());
beforeEach(() => {
  db?.close();
  db = openDatabase(scratch.dir("argus-known-macs-"));
});

const admitAll: SightingPolicy = { mayHaveRotated: () => true, admitNew: () => "admit", capPerMinute: 60 };
const add = (mac: string, ip: string) => {
  const s: Sighting = { mac, ip, source: "arp", iface: "eth0", mac_randomized: false };
  db.transaction(() => recordSightings(db, [s], admitAll, "2026-01-01T00:00:00Z"))();
  return (db.query("SELECT id FROM devices WHERE mac_address = ?").get(mac) as { id: number }).id;
};

describe("KnownMacs", () => {
  test("knows the inventory's MACs, its devices' other MACs too, and nothing else", () => {
    const id = add("00:1d:0f:00:00:01", "10.0.0.1");
    db.query("INSERT INTO device_macs (device_id, mac, randomized, first_seen, last_seen) VALUES (?, '00:1d:0f:00:00:02', 0, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')").run(id);
    const known = new KnownMacs(db, new EventFeed());
    expect(known.has("00:1d:0f:00:00:01")).toBe(true);
    expect(known.has("00:1d:0f:00:00:02")).toBe(true);
    expect(known.has("00:1d:0f:00:00:03")).toBe(false);
  });

  test("a device the feed announces is known at once; one written without an announcement after the next read", () => {
    let now = 0;
    const feed = new EventFeed();
    const known = new KnownMacs(db, feed, 1000, () => now);
    expect(known.has("00:1d:0f:00:00:10")).toBe(false);
    const announced = add("00:1d:0f:00:00:10", "10.0.0.10");
    feed.publishDevices([announced], (ids) => new DeviceInventory(db).records(ids));
    expect(known.has("00:1d:0f:00:00:10")).toBe(true);
    add("00:1d:0f:00:00:11", "10.0.0.11");
    now = 999;
    expect(known.has("00:1d:0f:00:00:11")).toBe(false);
    now = 1000;
    expect(known.has("00:1d:0f:00:00:11")).toBe(true);
  });

  test("is let go when no flood asked for two periods, and read again when one does", () => {
    let now = 0;
    const known = new KnownMacs(db, new EventFeed(), 1000, () => now);
    known.release();
    expect(known.held).toBe(false);
    known.has("00:1d:0f:00:00:20");
    now = 1999;
    known.release();
    expect(known.held).toBe(true);
    now = 2000;
    known.release();
    expect(known.held).toBe(false);
    add("00:1d:0f:00:00:20", "10.0.0.20");
    expect(known.has("00:1d:0f:00:00:20")).toBe(true);
  });

  test("after invalidate (a restored inventory) the next question reads it again", () => {
    const known = new KnownMacs(db, new EventFeed());
    expect(known.has("00:1d:0f:00:00:40")).toBe(false);
    add("00:1d:0f:00:00:40", "10.0.0.40");
    expect(known.has("00:1d:0f:00:00:40")).toBe(false);
    known.invalidate();
    expect(known.has("00:1d:0f:00:00:40")).toBe(true);
  });

  test("after close the feed no longer reaches it", () => {
    const feed = new EventFeed();
    const known = new KnownMacs(db, feed);
    known.close();
    expect(known.held).toBe(false);
    // Asked again after close it reads the inventory; an announced device must not reach it now.
    expect(known.has("00:1d:0f:00:00:30")).toBe(false);
    const announced = { mac_address: "00:1d:0f:00:00:31", macs: [{ mac: "00:1d:0f:00:00:32" }] } as unknown as Device;
    feed.publish({ type: "device", id: 31, device: announced });
    expect(known.has("00:1d:0f:00:00:31")).toBe(false);
    expect(known.has("00:1d:0f:00:00:32")).toBe(false);
  });
});
