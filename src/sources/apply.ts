// What a source said, applied to the inventory through the same identity and change rules as scans and
// sightings (inventory/identity.ts). Runs inside the caller's transaction, one chunk at a time.
//
// - Everything a source reports came from another system: MACs, addresses and names are checked again
//   here (cleanObservation), whatever the reader already did.
// - A source says who a host is, not whether it is here: a known device gets the source's name (kept
//   with its source in device_names; made its hostname only where the evidence ranking allows,
//   identity.ts SOURCE_NAME_RANK: never over a DHCP name heard on the wire, never over the owner's
//   label, which is a column of its own), but is not marked online, moved or brought back. Presence
//   stays with the wire and the scans.
// - A host the source knows by MAC and IPv4 inside the confirmed subnets and not seen yet becomes a
//   device (`device_added`, info during the quiet first run like any newcomer), at most
//   `budget.newDevices` a run (a DHCP pool exhausted by random MACs cannot add thousands). It is
//   known, not seen (a lease outlives its host): offline, without a presence session, so neither
//   counted online nor probed for departure, until the wire or a scan sees it (identity.ts neverSeen).
// - An observation without a MAC only adds its name to the device that holds the address.
// - Where the source says a host is attached (a UniFi AP or switch port, the router interface of an
//   ARP entry) is kept on the device (attached_to/attached_source/attached_at), replaced by each run
//   that says it. A MAC a source gives is the device's MAC (mac_source names the source): for a host on
//   a routed VLAN it is the only MAC there is, the wire shows the router's (net/routed.ts).
// - Excluded addresses and MACs (`exclude`) are never read into the inventory.
import type { Database } from "bun:sqlite";
import { lookupVendor } from "../identify/vendor.ts";
import { firstRunPending } from "../inventory/first-run.ts";
import { hostnameRank, InventoryWriter, type DeviceRow } from "../inventory/identity.ts";
import { recordMac } from "../inventory/macs.ts";
import { recordName, REFRESH_MS } from "../inventory/names.ts";
import type { Change } from "../inventory/observation.ts";
import { inSubnet, normalizeMac, parseIpv4 } from "../net/ip.ts";
import { isExcludedIp, isExcludedMac, type Exclusions } from "../net/targets.ts";
import { stripInvisible } from "../net/wire-text.ts";
import { isIpv4, isIpv6 } from "./addresses.ts";
import type { SourceObservation } from "./types.ts";

/** Names longer than a DNS label's 63 are cut, like the DHCP names the wire gives. */
const NAME_MAX = 63;
/** "switch <name> port <n>" with a 63-character device name fits. */
const ATTACHED_MAX = 100;

export type CleanObservation = { mac: string | null; ip4: string | null; ip6: string | null; hostname: string | null; attached_to?: string | null };

/** The observation with its MAC, address and name checked; null when nothing usable is left. */
export function cleanObservation(o: SourceObservation): CleanObservation | null {
  const mac = typeof o.mac === "string" ? normalizeMac(o.mac) : null;
  const ip = typeof o.ip === "string" ? o.ip.trim() : "";
  const ip4 = isIpv4(ip) ? ip : null;
  const ip6 = !ip4 && isIpv6(ip) ? ip.toLowerCase() : null;
  if (mac === "00:00:00:00:00:00" || mac === "ff:ff:ff:ff:ff:ff") return null;
  const hostname = cleanName(o.hostname);
  if (mac === null && ip4 === null && ip6 === null) return null;
  return { mac, ip4, ip6, hostname, attached_to: cleanText(o.attached_to, ATTACHED_MAX) };
}

/** A host name as the appliance keeps it: no invisible or control characters, one line, at most 63 characters. */
export function cleanName(raw: unknown): string | null {
  return cleanText(raw, NAME_MAX);
}

function cleanText(raw: unknown, max: number): string | null {
  if (typeof raw !== "string") return null;
  const s = stripInvisible(raw.slice(0, 1024)).trim();
  if (s === "" || s === "*") return null;
  // No longer than `max` code units is no longer than `max` characters: kept as it is, without a copy.
  if (s.length <= max) return s;
  return [...s].slice(0, max).join("").trim() || null;
}

export type ApplyScope = {
  subnets: readonly { network: number; prefix: number }[];
  exclusions: Exclusions;
};

export type ApplyResult = {
  changes: Change[];
  /** The devices whose records changed (for the `device` events after the commit). */
  touched: ReadonlySet<number>;
  /** The devices the observations matched or added. */
  devices: Set<number>;
  added: number;
  /** New hosts left out: the run's budget of new devices was spent. */
  deferred: number;
};

/** `source` is the source's type (the names' evidence, `mac_source`); `name` its entry's name, for the owner. */
export function applyObservations(
  db: Database,
  source: string,
  observations: readonly CleanObservation[],
  scope: ApplyScope,
  budget: { newDevices: number },
  now: string,
  name: string = source,
): ApplyResult {
  // Nothing here marks a device seen: the writer's presence source is never used.
  const w = new InventoryWriter(db, null, now);
  if (firstRunPending(db)) w.newDeviceSeverity = "info";
  const rank = hostnameRank(source);
  const devices = new Set<number>();
  const touched = new Set<number>();
  let added = 0;
  let deferred = 0;
  const byIp6 = db.query("SELECT device_id FROM device_ip6 WHERE address = ? ORDER BY last_seen DESC LIMIT 1");
  const byId = db.query("SELECT id, hostname, hostname_source, mac_address FROM devices WHERE id = ?");
  // Only a change of place is a change of the record (a `device` event). The same place again is
  // written only when its time is older than REFRESH_MS (attached_at says when, to ten minutes, as a
  // name's last_seen does): a source read every minute need not write every device each time.
  const attach = db.query("UPDATE devices SET attached_to = ?2, attached_at = ?3, attached_source = ?4 WHERE id = ?1");
  const placeOf = db.query("SELECT attached_to, attached_source, attached_at FROM devices WHERE id = ?");
  const staleBefore = new Date(Date.parse(now) - REFRESH_MS).toISOString();
  const attachedAt = (id: number, to: string | null | undefined) => {
    if (!to) return;
    const before = placeOf.get(id) as { attached_to: string | null; attached_source: string | null; attached_at: string | null } | null;
    const moved = !before || before.attached_to !== to || before.attached_source !== source;
    if (moved || before.attached_at === null || before.attached_at < staleBefore) attach.run(id, to, now, source);
    if (moved) touched.add(id);
  };
  // A device known by address only (a scan of a routed subnet) learns its MAC from the source.
  const learnMac = db.query(
    "UPDATE devices SET mac_address = ?2, mac_randomized = ?3, vendor = coalesce(vendor, ?4), mac_source = ?5 WHERE id = ?1 AND mac_address IS NULL AND NOT EXISTS (SELECT 1 FROM device_macs WHERE mac = ?2)",
  );
  for (const o of observations) {
    const n4 = o.ip4 !== null ? parseIpv4(o.ip4) : null;
    if ((n4 !== null && isExcludedIp(n4, scope.exclusions)) || isExcludedMac(o.mac, scope.exclusions)) continue;
    let device: Pick<DeviceRow, "id" | "hostname" | "hostname_source" | "mac_address"> | null = null;
    if (o.mac !== null) device = w.byMac(o.mac, o.ip4);
    else if (o.ip4 !== null) device = w.withoutMac(o.ip4);
    if (!device && o.ip6 !== null) {
      const row = byIp6.get(o.ip6) as { device_id: number } | null;
      if (row) device = byId.get(row.device_id) as typeof device;
    }
    if (device) {
      devices.add(device.id);
      attachedAt(device.id, o.attached_to);
      if (o.mac !== null && device.mac_address === null) {
        const randomized = isRandomized(o.mac);
        if (learnMac.run(device.id, o.mac, randomized ? 1 : 0, randomized ? null : lookupVendor(o.mac), source).changes > 0) {
          recordMac(db, device.id, o.mac, randomized, now);
          touched.add(device.id);
        }
      }
      if (o.hostname === null) continue;
      if (o.hostname !== device.hostname && rank >= hostnameRank(device.hostname_source)) {
        // Writes the name (and records it with its source) under the ranking's own check.
        w.applyIdentity(device.id, { hostname: o.hostname, hostname_source: source });
        touched.add(device.id);
      } else {
        recordName(db, device.id, o.hostname, source, now);
      }
      continue;
    }
    // Not known: a device only when the source knows its MAC and an address on a confirmed subnet.
    if (o.mac === null || o.ip4 === null || n4 === null || !scope.subnets.some((c) => inSubnet(n4, c.network, c.prefix))) continue;
    if (budget.newDevices <= 0) {
      deferred++;
      continue;
    }
    budget.newDevices--;
    const randomized = isRandomized(o.mac);
    const id = w.add(
      {
        mac: o.mac, ip: o.ip4, mac_randomized: randomized, hostname: o.hostname, hostname_source: o.hostname ? source : null, vendor: randomized ? null : lookupVendor(o.mac), device_type: null, os_name: null,
        known_to: name === source ? source : `${name} (${source})`,
      },
      null,
    );
    db.query("UPDATE devices SET mac_source = ? WHERE id = ?").run(source, id);
    attachedAt(id, o.attached_to);
    added++;
    devices.add(id);
    touched.add(id);
  }
  for (const id of w.touched) touched.add(id);
  return { changes: w.changes, touched, devices, added, deferred };
}

/** A locally administered (randomised) MAC: bit 1 of its first octet. */
const isRandomized = (mac: string): boolean => (parseInt(mac.slice(0, 2), 16) & 0x02) !== 0;
