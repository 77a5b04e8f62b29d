// The quiet first run (issue 18): until a network scan has completed, a newcomer the passive watch
// hears is part of the baseline (device_added as info); after it, a newcomer is news (warning).
// The first scan's own baseline (info changes, one digest) is test/scans/first-run.test.ts.
import { afterAll, beforeEach, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { openDatabase } from "../../src/db/database.ts";
import { firstRunPending } from "../../src/inventory/first-run.ts";
import { recordSightings, type Sighting, type SightingPolicy } from "../../src/inventory/sightings.ts";
import { Scratch } from "../helpers/scratch.ts";
import { completedNetworkScan } from "../helpers/known-inventory.ts";

let db: Database;
const scratch = new Scratch();
afterAll(() => scratch.clear());
beforeEach(() => {
  db?.close();
  db = openDatabase(scratch.dir("argus-first-run-"));
});

const policy: SightingPolicy = { mayHaveRotated: () => true, admitNew: () => "admit", capPerMinute: 60 };
const arp = (mac: string, ip: string): Sighting => ({ mac, ip, source: "arp", iface: "eth0", mac_randomized: false });
const added = (list: Sighting[]) =>
  db.transaction(() => recordSightings(db, list, policy, "2026-01-01T00:00:00Z"))().changes.filter((c) => c.change_type === "device_added").map((c) => c.severity);

test("before any network scan has completed, devices heard passively are the baseline (info)", () => {
  expect(firstRunPending(db)).toBe(true);
  expect(added([arp("00:11:22:00:00:01", "10.0.0.1"), arp("00:11:22:00:00:02", "10.0.0.2")])).toEqual(["info", "info"]);
});

test("a failed, cancelled or device scan does not end the first run; a completed network scan does", () => {
  for (const [type, status] of [["network", "failed"], ["network", "cancelled"], ["device", "completed"]]) {
    db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at) VALUES (?, 'quick', '10.0.0.0/24', ?, '2026-01-01T00:00:00Z')").run(type, status);
  }
  expect(firstRunPending(db)).toBe(true);
  completedNetworkScan(db);
  expect(firstRunPending(db)).toBe(false);
  expect(added([arp("00:11:22:00:00:03", "10.0.0.3")])).toEqual(["warning"]);
});
