// Turns passive sightings (what the listener heard: ARP, DHCP, mDNS) into inventory with the same
// identity and change rules as scans (identity.ts). Must run inside the caller's transaction.
//
// - A sighting can only add: a device appears (`device_added`), comes back (`device_returned`),
//   moves (`ip_changed`), takes a known device's address while that one is still online
//   (`mac_changed_for_ip`) or turns out to be a known device with a new randomised MAC
//   (`mac_rotated`, trust pending on one piece of evidence). Silence is never absence: going offline
//   is left to the scans and to unanswered departure probes (passive/departures.ts).
// - What a sighting claims is not believed blindly: a MAC claiming the gateway's address is an
//   `ip_conflict` (critical) and moves nobody; a known device claiming the address of another device
//   heard lately is an `ip_conflict` (warning); a MAC's address moves are reported once per window,
//   then once as `address_hopping`, then not at all (the policy's `claim`). The old MAC of a link
//   speaking again undoes the link (identity.ts `undoLink`).
// - Changes carry `scan_id: null`.
// - New devices, including a new MAC linked to a known device, are admitted through a per-interface
//   gate (the flood cap, see passive/flood.ts); known devices always are. The first refusal of a
//   flood records one `sighting_flood` warning.
import type { Database } from "bun:sqlite";
import type { Ip6Scope } from "../net/ip6.ts";
import type { Change, ChangeType, Severity } from "./observation.ts";
import { firstRunPending } from "./first-run.ts";
import { InventoryWriter, type DeviceRow, type Identity } from "./identity.ts";

export type Sighting = Identity & {
  mac: string;
  /** null when the host has no address yet (DHCP DISCOVER): only its names are learnt. */
  ip: string | null;
  source: "arp" | "dhcp" | "mdns";
  iface: string;
  mac_randomized: boolean;
};

export type Admission = "admit" | "refuse" | "refuse-first";

/**
 * A MAC's claim of an address new to it, under the per-MAC limit: the first in a window is reported,
 * the next ones are applied silently, one beyond the limit is reported as `address_hopping`, and
 * after that the MAC moves nowhere until the window ends.
 */
export type Claim = "report" | "silent" | "hopping" | "frozen";

export type SightingPolicy = {
  /** May this known device be the one behind a new randomised MAC (not heard from lately)? */
  mayHaveRotated: (d: DeviceRow) => boolean;
  /** The flood cap: may one more new device be recorded on this interface? */
  admitNew: (iface: string, s: Sighting) => Admission;
  /** Said in the flood warning. */
  capPerMinute: number;
  /** Is this MAC present (heard lately)? Decides whether an undone link leaves two devices. */
  present?: (mac: string) => boolean;
  /** The per-MAC limit of address moves; without it every move is reported. */
  claim?: (mac: string, ip: string) => Claim;
  /** True the first time an alert with this key is raised within its window; without it always. */
  once?: (key: string) => boolean;
  /** False once too many alerts of this kind (from unknown senders) were raised in the window. */
  budget?: (kind: string) => boolean;
  /** The LAN's known gateways. */
  gateways?: readonly { ip: string; mac: string }[];
};

export type SightingResult = {
  changes: Change[];
  refused: number;
  written: number;
  /** The devices whose records these sightings wrote. */
  touched: ReadonlySet<number>;
};

/** A device whose last sighting is older than this no longer holds its address against a newcomer. */
const HOLDS_ADDRESS_MS = 10 * 60_000;

export function recordSightings(db: Database, sightings: Sighting[], policy: SightingPolicy, now: string): SightingResult {
  const w = new InventoryWriter(db, null, now);
  if (firstRunPending(db)) w.newDeviceSeverity = "info";
  const once = policy.once ?? (() => true);
  let refused = 0;
  let written = 0;
  for (const s of sightings) {
    let device = w.byMac(s.mac, s.ip);
    if (!device) {
      // The old MAC of a link speaks again: the device is its own again.
      const link = w.activeLinkFrom(s.mac);
      if (link) device = w.undoLink(link, policy.present?.(link.new_mac) ?? false);
    }
    if (s.ip === null) {
      // No address yet: a known device's names are still worth having; an unknown one waits for its address.
      if (device) {
        corroborate(w, device, s);
        w.applyIdentity(device.id, s);
        written++;
      }
      continue;
    }
    const gateway = policy.gateways?.find((g) => g.ip === s.ip);
    if (gateway && gateway.mac !== s.mac) {
      // Another MAC claims the gateway's address (ARP spoofing): an alert, never an address of its own.
      // Known devices each once a window; unknown MACs (random ones can be endless) share a budget.
      if (once(`gateway:${s.mac}:${s.ip}`) && (device !== null || (policy.budget?.("gateway-unknown") ?? true))) {
        w.change(
          { id: device?.id ?? null, ip: s.ip, mac: s.mac },
          "ip_conflict",
          "critical",
          `${s.mac} claims the gateway's address ${s.ip}, which belongs to ${gateway.mac} (ARP spoofing? traffic for the gateway may be intercepted)`,
          gateway.mac,
          s.mac,
        );
      }
      if (device) w.stillHere(device);
      continue;
    }
    if (!device) {
      const admission = policy.admitNew(s.iface, s);
      if (admission !== "admit") {
        refused++;
        if (admission === "refuse-first") {
          w.change(
            { id: null, ip: null, mac: null },
            "sighting_flood",
            "warning",
            `Sighting flood on ${s.iface}: more than ${policy.capPerMinute} new devices a minute (random MACs?); further new devices heard only by ARP or mDNS are not recorded until it calms down`,
            null,
            s.iface,
          );
        }
        continue;
      }
      if (s.mac_randomized) {
        const hints = { hostname: s.hostname ?? null, hostname_source: s.hostname_source, mdns_name: s.mdns_name, dhcp_fingerprint: s.dhcp_fingerprint };
        device = w.findRotated(hints, (d) => d.mac_address !== s.mac && policy.mayHaveRotated(d));
        if (device) w.rotate(device, s.mac, s.ip, w.evidence(device, hints));
      }
    }
    if (!device) {
      const owner = w.ipOwner(s.ip, s.mac);
      // Passively there is no "not seen in this scan": an owner that scans still count as online is
      // replaced (or spoofed); an address freed by a device gone offline is simply reused.
      w.add(
        { ...s, ip: s.ip, hostname: s.hostname ?? null, hostname_source: s.hostname_source ?? null, vendor: s.vendor ?? null, device_type: s.device_type ?? null, os_name: s.os_name ?? null },
        owner && owner.status === "online" ? owner : null,
      );
      written++;
      continue;
    }
    corroborate(w, device, s);
    if (s.ip !== device.ip_address && !w.knownAddress(device.id, s.ip)) {
      const claim = policy.claim?.(s.mac, s.ip) ?? "report";
      if (claim === "hopping") {
        w.change(
          { id: device.id, ip: s.ip, mac: s.mac },
          "address_hopping",
          "warning",
          `${s.mac} claims one address after another (now ${s.ip}, known at ${device.ip_address}): spoofed frames or a scanner; its address is not followed until it settles`,
          device.ip_address,
          s.ip,
        );
      }
      if (claim === "hopping" || claim === "frozen") {
        w.stillHere(device);
        written++;
        continue;
      }
      const owner = w.ipOwner(s.ip, s.mac);
      if (owner && owner.id !== device.id && owner.status === "online" && Date.parse(now) - Date.parse(owner.last_seen) < HOLDS_ADDRESS_MS) {
        // Two online MACs on one address: the newcomer does not take it over.
        if (claim === "report" && once(`conflict:${s.mac}:${s.ip}`)) {
          w.change(
            { id: device.id, ip: s.ip, mac: s.mac },
            "ip_conflict",
            "warning",
            `Two online devices claim ${s.ip}: ${owner.mac_address} holds it and ${s.mac} (known at ${device.ip_address}) now claims it too`,
            owner.mac_address,
            s.mac,
          );
        }
        w.stillHere(device);
        written++;
        continue;
      }
      if (claim === "silent") {
        // Within the window after a reported move: applied, not reported again.
        w.seenAgain(device, s.ip, s.mac, s.mac_randomized, [s.ip, device.ip_address]);
      } else {
        w.seenAgain(device, s.ip, s.mac, s.mac_randomized);
      }
    } else {
      w.seenAgain(device, s.ip, s.mac, s.mac_randomized);
    }
    w.applyIdentity(device.id, s);
    w.recordAddress(device.id, s.ip, s.mac);
    written++;
  }
  return { changes: w.changes, refused, written, touched: w.touched };
}

/** A device whose trust is pending regains it when this sighting adds a second, independent kind of evidence. */
function corroborate(w: InventoryWriter, device: DeviceRow, s: Sighting): void {
  if (device.trust_pending !== 1) return;
  w.corroborate(device, w.evidence(device, { hostname: s.hostname ?? null, hostname_source: s.hostname_source, mdns_name: s.mdns_name }));
}

/** An alert about the LAN rather than one sighting (a rogue DHCP server, the gateway's MAC changed). */
export type Alert = { type: ChangeType; severity: Severity; who: { ip: string | null; mac: string | null }; description: string; old_value: string | null; new_value: string | null };

/** Records alerts as changes (scan_id null), each on the device with its MAC when there is one. */
export function recordAlerts(db: Database, alerts: Alert[], now: string): Change[] {
  const w = new InventoryWriter(db, null, now);
  for (const a of alerts) {
    const device = a.who.mac ? w.byMac(a.who.mac, null) : null;
    w.change({ id: device?.id ?? null, ip: a.who.ip, mac: a.who.mac }, a.type, a.severity, a.description, a.old_value, a.new_value);
  }
  return w.changes;
}

/** Privacy addresses rotate (a new one a day or so): only the newest this many are kept per device. */
export const IP6_KEEP_PER_DEVICE = 32;

/** The IPv6 addresses on record, most recently seen first, at most `limit` (a sweep solicits each). */
export function knownIp6Addresses(db: Database, limit: number): string[] {
  return (db.query("SELECT DISTINCT address FROM device_ip6 ORDER BY last_seen DESC LIMIT ?").all(limit) as { address: string }[]).map((r) => r.address);
}

/** How an IPv6 address was learnt: heard passively (the source address of the device's own neighbour
 * discovery, DHCPv6 or mDNS frame), or as an answer to a sweep's ICMPv6 (sweep). */
export type Ip6Source = "ndp" | "dhcpv6" | "mdns" | "sweep";

/**
 * An IPv6 address a device's own frame spoke for (the sender's MAC was checked by the caller); `source`
 * overrides the call's, and `first_seen`/`last_seen` the call's `now` (a hub stores what its sensor saw, and when).
 */
export type Ip6Sighting = { mac: string; address: string; scope: Ip6Scope; source?: Ip6Source; first_seen?: string; last_seen?: string };

/**
 * Adds IPv6 addresses to the devices already known by these MACs (any of a device's several); a MAC
 * no device has is skipped (an IPv6 sighting alone never creates a device). Each address records the
 * MAC that spoke for it and how it was learnt last. Keeps the newest IP6_KEEP_PER_DEVICE per device.
 * Must run inside the caller's transaction. Returns the ids of the devices given a new address.
 */
export function recordIp6Sightings(db: Database, sightings: readonly Ip6Sighting[], now: string, source: Ip6Source = "ndp"): number[] {
  const byMac = db.query(
    `SELECT device_id AS id FROM device_macs WHERE mac = ?1
     UNION ALL SELECT id FROM devices WHERE mac_address = ?1 LIMIT 1`,
  );
  const known = db.query("SELECT 1 FROM device_ip6 WHERE device_id = ? AND address = ?");
  const upsert = db.query(
    `INSERT INTO device_ip6 (device_id, address, scope, first_seen, last_seen, source, mac) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (device_id, address) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
       source = excluded.source, mac = excluded.mac`,
  );
  const prune = db.query(
    `DELETE FROM device_ip6 WHERE device_id = ?1 AND address NOT IN
       (SELECT address FROM device_ip6 WHERE device_id = ?1 ORDER BY last_seen DESC, address LIMIT ?2)`,
  );
  const added = new Set<number>();
  const touched = new Set<number>();
  for (const s of sightings) {
    const row = byMac.get(s.mac) as { id: number } | null;
    if (!row) continue;
    if (known.get(row.id, s.address) === null) added.add(row.id);
    upsert.run(row.id, s.address, s.scope, s.first_seen ?? now, s.last_seen ?? now, s.source ?? source, s.mac);
    touched.add(row.id);
  }
  for (const id of touched) prune.run(id, IP6_KEEP_PER_DEVICE);
  return [...added];
}
