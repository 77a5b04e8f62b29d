// A run of more than a hundred observations asks a worker which of them change anything
// (src/sources/precheck.ts) and applies only those. What the inventory ends up holding, the changes
// and the device events must be what applying every observation gives: a name refreshed once it is
// older than ten minutes, a place refreshed likewise, a rename, two observations of one MAC applied
// in order, an excluded host never read, and every left-out observation still counted as matched.
import { afterAll, beforeEach, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { validateConfig } from "../../src/config/schema.ts";
import { resolvedView } from "../../src/config/resolved.ts";
import { openDatabase } from "../../src/db/database.ts";
import { EventFeed, type FeedEvent } from "../../src/events.ts";
import type { Change } from "../../src/inventory/observation.ts";
import { SourceRunner } from "../../src/sources/runner.ts";
import { Scratch } from "../helpers/scratch.ts";

const scratch = new Scratch();
let db: Database;
let dir: string;
let runner: SourceRunner | null = null;
afterAll(async () => {
  await runner?.stop();
  scratch.clear();
});
beforeEach(async () => {
  await runner?.stop();
  runner = null;
  db?.close();
  dir = scratch.dir("argus-precheck-");
  db = openDatabase(dir);
});

const FUTURE = Math.floor(Date.now() / 1000) + 3600;
const HOSTS = 300;
const mac = (i: number) => `3c:07:54:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
const ip = (i: number) => `10.0.${i >> 7}.${(i & 127) + 1}`;
const lines = (name: (i: number) => string, extra: string[] = []) => [...Array.from({ length: HOSTS }, (_, i) => `${FUTURE} ${mac(i)} ${ip(i)} ${name(i)} *`), ...extra].join("\n") + "\n";

function start(path: string, exclude: string[] = []) {
  const config = validateConfig({ subnets: ["10.0.0.0/16"], exclude, sources: [{ name: "leases", type: "dnsmasq_leases", path }] });
  const feed = new EventFeed();
  const events: FeedEvent[] = [];
  feed.subscribe((e) => events.push(e));
  const r = new SourceRunner({ db, config: () => resolvedView(config), sink: { enqueue: () => {} }, feed });
  runner = r;
  return { runner: r, events };
}
const device = (i: number) => db.query("SELECT * FROM devices WHERE mac_address = ?").get(mac(i)) as any;
const nameSeen = (i: number, name: string) => (db.query("SELECT last_seen FROM device_names WHERE device_id = ? AND source = 'dnsmasq_leases' AND name = ?").get(device(i).id, name) as any)?.last_seen ?? null;
const deviceEvents = (events: FeedEvent[]) => events.filter((e) => e.type === "device").map((e: any) => e.id as number).sort((a, b) => a - b);
const changes = (events: FeedEvent[]) => events.filter((e) => e.type === "changes").flatMap((e: any) => e.changes as Change[]);

test("a large run applies only what changes something, and ends where applying everything would", async () => {
  const path = join(dir, "dnsmasq.leases");
  writeFileSync(path, lines((i) => `host-${i}`));
  const { runner, events } = start(path);
  // The first runs add the hosts (every one a change).
  const first = await runner.runNow("leases");
  expect(first.devices).toBe(HOSTS);
  expect(changes(events).filter((c) => c.change_type === "device_added")).toHaveLength(HOSTS);

  // Nothing changed: no change, no device event, every host still matched.
  events.length = 0;
  const again = await runner.runNow("leases");
  expect(again).toMatchObject({ status: "ok", devices: HOSTS });
  expect(again.detail).toMatch(new RegExp(`^${HOSTS} hosts read, ${HOSTS} devices matched or added in \\d+ ms$`));
  expect(changes(events)).toEqual([]);
  expect(deviceEvents(events)).toEqual([]);

  // A name recorded more than ten minutes ago is refreshed (a write, no event); the fresh ones are not.
  const old = "2020-01-01T00:00:00Z";
  db.query("UPDATE device_names SET last_seen = ? WHERE device_id = ?").run(old, device(7).id);
  const fresh = nameSeen(8, "host-8");
  // One host renamed by the file, one renamed by someone else with a lower-ranked source (the source wins back),
  // one the owner labelled (the label is its own column: the source's name stays, unchanged).
  db.query("UPDATE devices SET hostname = 'scanned', hostname_source = 'scan' WHERE id = ?").run(device(20).id);
  db.query("UPDATE devices SET label = 'Printer' WHERE id = ?").run(device(30).id);
  // Two leases of one MAC (a second address): both applied, in the file's order.
  writeFileSync(path, lines((i) => (i === 10 ? "renamed-10" : `host-${i}`), [`${FUTURE} ${mac(40)} 10.0.9.9 other-40 *`]));
  events.length = 0;
  const third = await runner.runNow("leases");
  expect(third).toMatchObject({ status: "ok", devices: HOSTS });
  expect(nameSeen(7, "host-7")! > old).toBe(true);
  expect(nameSeen(8, "host-8")).toBe(fresh);
  expect(device(10)).toMatchObject({ hostname: "renamed-10", hostname_source: "dnsmasq_leases" });
  expect(device(20)).toMatchObject({ hostname: "host-20", hostname_source: "dnsmasq_leases" });
  expect(device(30)).toMatchObject({ hostname: "host-30", label: "Printer" });
  expect(device(40)).toMatchObject({ hostname: "other-40", hostname_source: "dnsmasq_leases" });
  expect(deviceEvents(events)).toEqual([device(10).id, device(20).id, device(40).id].sort((a, b) => a - b));

  // An excluded host is not read into the inventory, nor counted.
  await runner.stop();
  const { runner: excluding } = start(path, [mac(50)]);
  const fourth = await excluding.runNow("leases");
  expect(fourth.devices).toBe(HOSTS - 1);
});

test("a place said by the source is kept, and written again only when it moved or is older than ten minutes", async () => {
  const path = join(dir, "dnsmasq.leases");
  writeFileSync(path, lines((i) => `host-${i}`));
  const { runner, events } = start(path);
  await runner.runNow("leases");
  // A place written by another source earlier: the lease file says none, so it stays as it is.
  db.query("UPDATE devices SET attached_to = 'switch s1 port 3', attached_source = 'unifi', attached_at = '2020-01-01T00:00:00.000Z' WHERE id = ?").run(device(5).id);
  events.length = 0;
  await runner.runNow("leases");
  expect(device(5)).toMatchObject({ attached_to: "switch s1 port 3", attached_source: "unifi", attached_at: "2020-01-01T00:00:00.000Z" });
  expect(deviceEvents(events)).toEqual([]);
});
