// Who a host is and what changed about it: the identity and change rules that scans
// (reconcile.ts) and passive sightings (sightings.ts) share. Runs inside the caller's transaction.
//
// - A device is its MACs (several interfaces the owner merged, macs.ts): found by any of them; a host seen without one is the IP-only device at that address, else the
//   online device that holds it.
// - A new randomised MAC whose hostname, DHCP fingerprint or service fingerprint matches a known
//   device that the caller says may have rotated is that device (`mac_rotated`), not a new one.
//   Trust never moves on one piece of evidence: a trusted device linked by one kind of evidence only
//   (its DHCP name, say) becomes "pending" and the change is a warning, until the owner confirms or
//   a second, independent kind (the mDNS name, the same services) agrees. Each link is kept
//   (mac_links) so that it can be undone when the old MAC speaks again (`identity_conflict`).
// - A MAC is another interface of a known device (a NAS with two ports, a laptop on Wi-Fi and
//   Ethernet) only on strong evidence: the same mDNS name AND the same services (banners with their
//   versions), as a scan saw them (`interface_linked`); one of the two alone is what any guest can
//   copy, and links nothing. The device then has both MACs (macs.ts); the owner's `split` undoes it.
// - Seen again: `device_returned` when it was offline (not when it never was online: a device only
//   a source knew, neverSeen), `ip_changed` when at an address it never had.
// - New: `device_added`, or `mac_changed_for_ip` when the caller judged that it replaced the owner
//   of its address. A device a source adds is known, not seen: offline, without a presence session.
// - Names and types carry their evidence (`hostname_source`, `device_type_source`, `os_source`); a
//   weaker source never overwrites a stronger one (a DHCP hostname beats reverse DNS and NetBIOS).
//   Nothing here writes the owner's type or icon (type_override, icon): no scan or sighting can.
import type { Database } from "bun:sqlite";
import { hostnameKey, serviceFingerprint, type FingerprintPort } from "../identify/fingerprint.ts";
import { deviceDisplayName, deviceNameOf, nameWithAddress } from "./display-name.ts";
import type { Change, ChangeType, Severity } from "./observation.ts";
import type { PresenceSource } from "./enums.ts";
import { dropMac, macsOfDevice, mergeDevices, recordMac, splitApart, touchMac } from "./macs.ts";
import { recordName } from "./names.ts";
import { markSeen } from "./presence.ts";

export type DeviceRow = {
  id: number;
  mac_address: string | null;
  ip_address: string;
  mac_randomized: number;
  hostname: string | null;
  hostname_source: string | null;
  status: "online" | "offline";
  ports_known: number;
  ports_spec: string | null;
  is_trusted: number;
  missed_scans: number;
  dhcp_fingerprint: string | null;
  device_type: string;
  device_type_source: string | null;
  trust_pending: number;
  mdns_name: string | null;
  last_seen: string;
  /** serviceFingerprint of its ports, kept by the scans that write them (storeServiceFingerprint). */
  service_fingerprint: string | null;
  /** For the display name in change descriptions (display-name.ts). */
  label: string | null;
  vendor: string | null;
  /** Scans that saw it; 0 with a `mac_source` for a device a source added that nothing has seen yet (neverSeen). */
  times_seen: number;
  /** The source that gave its MAC (sources/apply.ts); null when the MAC was heard on the wire. */
  mac_source: string | null;
};

export const DEVICE_COLUMNS =
  "id, mac_address, ip_address, mac_randomized, hostname, hostname_source, status, ports_known, ports_spec, is_trusted, missed_scans, dhcp_fingerprint, device_type, device_type_source, trust_pending, mdns_name, last_seen, service_fingerprint, label, vendor, times_seen, mac_source";

/**
 * A device a source added (a lease for a host not on the wire) that no scan, sighting or probe has
 * seen since: it was never online, so its first sighting is not `device_returned`. A device split
 * off another (macs.ts) also starts at times_seen 0, but was seen under the other one and has no
 * mac_source. The first sighting of any device lifts times_seen to at least 1 (writeSeen).
 */
export const neverSeen = (d: Pick<DeviceRow, "times_seen" | "mac_source">): boolean => d.times_seen === 0 && d.mac_source !== null;

/** The kinds of evidence that can link a new MAC to a known device; two different kinds are independent. */
export type EvidenceKind = "dhcp" | "mdns" | "dns" | "services";

/** An undoable link of a device to a new MAC (mac_links); `was_trusted` 1 trusted, 2 pending, 0 neither. */
export type MacLink = { id: number; device_id: number; old_mac: string; new_mac: string; was_trusted: number; evidence: string };

/**
 * Whether these kinds of evidence may carry a device's trust to a new MAC. What a device broadcasts
 * (its DHCP name and fingerprint, its mDNS name, the DNS name its lease gave it) any guest on the LAN
 * has heard and can replay, so any number of those kinds only makes trust pending. Trust carries only
 * when the device also answered Argus's own probes like the trusted one did (the same services), and
 * one more kind agrees.
 */
export function trustCarries(kinds: Iterable<EvidenceKind>): boolean {
  const set = new Set(kinds);
  return set.has("services") && set.size >= 2;
}

const evidenceOf = (source: string | null | undefined): EvidenceKind | null =>
  source === "dhcp" ? "dhcp" : source === "mdns" ? "mdns" : source === "dns" || source === "netbios" ? "dns" : null;

/** At most this many devices share a rotation key before the key stops telling them apart. */
export const ROTATION_CANDIDATES = 64;

/** findRotated's lookups, newest first, each through its index (test/inventory/query-plans.test.ts). */
export const ROTATION_SQL = {
  byHostname: `SELECT ${DEVICE_COLUMNS} FROM devices WHERE hostname_key = ? AND mac_address IS NOT NULL ORDER BY last_seen DESC LIMIT ?`,
  byDhcp: `SELECT ${DEVICE_COLUMNS} FROM devices WHERE dhcp_fingerprint = ? AND mac_randomized = 1 AND mac_address IS NOT NULL ORDER BY last_seen DESC LIMIT ?`,
  byServices: `SELECT ${DEVICE_COLUMNS} FROM devices WHERE service_fingerprint = ? AND ports_known = 1 AND mac_address IS NOT NULL ORDER BY last_seen DESC LIMIT ?`,
};

/**
 * How much a name's or type's source is worth. Names: a DHCP hostname is what the device calls
 * itself (dhcp), then what it announces (mdns); reverse DNS and NetBIOS are what others (or old
 * leases) say about it. Types: the model a device announces (mdns-model), then its DHCP client's
 * fingerprint, then the services it announces (mdns-service), then a scan's guess from vendor and
 * ports. Unknown sources rank lowest.
 */
export const SOURCE_RANK: Record<string, number> = { dhcp: 5, "mdns-model": 5, mdns: 4, "dhcp-fingerprint": 4, "mdns-service": 3, dns: 2, netbios: 2, scan: 1 };

/**
 * A host name from a configured source of truth (sources/: a lease file, a DHCP or DNS server, named
 * by its type, "dnsmasq_leases"): below the name the device sent in DHCP on our wire (its own word,
 * this minute), above what it announces over mDNS and what reverse DNS or NetBIOS say. A hostname
 * source that is not one of SOURCE_RANK's is such a source.
 */
export const SOURCE_NAME_RANK = 4.5;

/** How much a hostname's source is worth (SOURCE_RANK, else a configured source's SOURCE_NAME_RANK). */
export const hostnameRank = (source: string | null | undefined): number => (source ? (SOURCE_RANK[source] ?? SOURCE_NAME_RANK) : 0);

/** SQL: rank of a source column, for "overwrite only when at least as good"; `other` for a non-null source not listed. */
export function rankSql(column: string, other = 0): string {
  return `(CASE ${column} ${Object.entries(SOURCE_RANK)
    .map(([k, v]) => `WHEN '${k}' THEN ${v}`)
    .join(" ")} ELSE ${other} END)`;
}

/** What identifies a host beyond its MAC, for recognising a rotated MAC. */
export type IdentityHints = {
  hostname: string | null;
  /** Where the hostname came from (dhcp, mdns, dns): the kind of evidence it is. */
  hostname_source?: string | null;
  /** The name announced over mDNS, when the sighting carries one. */
  mdns_name?: string | null;
  /** DHCP options 55 and 60 ("1,3,6,15|MSFT 5.0"), when the device asked for an address. */
  dhcp_fingerprint?: string | null;
  ports?: FingerprintPort[] | null;
};

export type Who = { id: number | null; ip: string | null; mac: string | null };

export class InventoryWriter {
  readonly changes: Change[] = [];
  /** The devices this writer wrote (for the `device` events published after the commit). */
  readonly touched = new Set<number>();
  /** `device_added`'s severity: info for the devices of the first network scan (the baseline), else a warning. */
  newDeviceSeverity: Severity = "warning";
  /** The segment the changes this writer records happened on (a hub applying a sensor's events); null otherwise. */
  segment: string | null = null;

  constructor(
    private readonly db: Database,
    /** null for passive sightings. */
    private readonly scanId: number | null,
    private readonly now: string,
    /** What the device's presence sessions say saw it: a scan, else a passive sighting (a prober says "probe"). */
    private readonly seenBy: PresenceSource = scanId === null ? "passive" : "scan",
  ) {}

  change(device: Who, type: ChangeType, severity: Severity, description: string, old_value: string | null = null, new_value: string | null = null): Change {
    const change: Change = {
      scan_id: this.scanId,
      device_id: device.id,
      device_ip: device.ip,
      device_mac: device.mac,
      change_type: type,
      severity,
      old_value,
      new_value,
      description,
      detected_at: this.now,
      segment: this.segment,
    };
    const res = this.db
      .query("INSERT INTO changes (scan_id, device_id, device_ip, device_mac, change_type, severity, old_value, new_value, description, detected_at, segment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(change.scan_id, change.device_id, change.device_ip, change.device_mac, type, severity, old_value, new_value, description, this.now, this.segment);
    change.id = Number(res.lastInsertRowid);
    change.acknowledged = false;
    this.changes.push(change);
    if (device.id !== null) this.touched.add(device.id);
    return change;
  }

  /**
   * The device with this MAC, primary or one of its several; else a device tracked by IP only at
   * this address, which now gets its MAC.
   */
  byMac(mac: string, ip: string | null): DeviceRow | null {
    const direct =
      (this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE mac_address = ?`).get(mac) as DeviceRow | null) ??
      (this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = (SELECT device_id FROM device_macs WHERE mac = ?)`).get(mac) as DeviceRow | null);
    if (direct || ip === null) return direct;
    return this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE mac_address IS NULL AND ip_address = ? ORDER BY last_seen DESC LIMIT 1`).get(ip) as DeviceRow | null;
  }

  /**
   * A host seen without a MAC (beyond a router, or found without raw sockets): the IP-only device at
   * that address, else the online device that holds it (the same host, its MAC just not learnt this
   * time), else the device a source gave a MAC at that address (a routed host from the router's ARP
   * table, offline or not: the wire never shows its MAC, so an address is all a scan can match it by).
   */
  withoutMac(ip: string): DeviceRow | null {
    return (
      (this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE mac_address IS NULL AND ip_address = ?`).get(ip) as DeviceRow | null) ??
      (this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE ip_address = ? AND status = 'online' ORDER BY last_seen DESC LIMIT 1`).get(ip) as DeviceRow | null) ??
      (this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE ip_address = ? AND mac_source IS NOT NULL ORDER BY last_seen DESC LIMIT 1`).get(ip) as DeviceRow | null)
    );
  }

  /** The device with another MAC that holds this address (its latest holder), if any. */
  ipOwner(ip: string, mac: string): DeviceRow | null {
    return this.db
      .query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE ip_address = ? AND mac_address IS NOT NULL AND mac_address != ? ORDER BY last_seen DESC, id DESC LIMIT 1`)
      .get(ip, mac) as DeviceRow | null;
  }

  knownAddress(deviceId: number, ip: string): boolean {
    return this.db.query("SELECT 1 FROM device_addresses WHERE device_id = ? AND ip_address = ?").get(deviceId, ip) !== null;
  }

  /**
   * The known device a new randomised MAC belongs to, among those `mayHaveRotated` allows: same
   * hostname, else the one device with the same DHCP fingerprint and hostname-less or same-named,
   * else the same service fingerprint. Candidates come from indexes (schema v15), at most
   * ROTATION_CANDIDATES per key, never from a walk of the devices: this runs for every frame of an
   * unknown randomised MAC, which a guest can send by the thousand.
   */
  findRotated(hints: IdentityHints, mayHaveRotated: (d: DeviceRow) => boolean): DeviceRow | null {
    const name = hostnameKey(hints.hostname);
    if (name) {
      const byName = (this.db.query(ROTATION_SQL.byHostname).all(name, ROTATION_CANDIDATES) as DeviceRow[]).find(
        (d) => hostnameKey(d.hostname) === name && mayHaveRotated(d),
      );
      if (byName) return byName;
    }
    // A DHCP fingerprint is shared by every device of a model: it links only a randomised MAC to the
    // single randomised device that carries it, and never across different hostnames.
    if (hints.dhcp_fingerprint) {
      const rows = this.db.query(ROTATION_SQL.byDhcp).all(hints.dhcp_fingerprint, ROTATION_CANDIDATES + 1) as DeviceRow[];
      const same = rows.filter((d) => (!name || !hostnameKey(d.hostname)) && mayHaveRotated(d));
      // More rows than read may hold a second match: then it is not "the one device".
      if (same.length === 1 && rows.length <= ROTATION_CANDIDATES) return same[0];
    }
    const print = hints.ports ? serviceFingerprint(hints.ports) : null;
    if (print) {
      const byPrint = (this.db.query(ROTATION_SQL.byServices).all(print, ROTATION_CANDIDATES) as DeviceRow[]).find(mayHaveRotated);
      if (byPrint) return byPrint;
    }
    return null;
  }

  /**
   * The one other device that is the same host by strong evidence: the same mDNS name key and the
   * same service fingerprint, for these MACs (a new one, or a known device's). Several such devices
   * are no answer (which one would be a guess); one the owner split apart from these MACs is none.
   * Candidates come from the service-fingerprint index, as for findRotated.
   */
  interfaceOf(mdnsKey: string | null, print: string | null, macs: string[], exceptId: number | null = null): DeviceRow | null {
    if (!mdnsKey || !print) return null;
    const rows = (this.db.query(ROTATION_SQL.byServices).all(print, ROTATION_CANDIDATES) as DeviceRow[]).filter((d) => d.id !== exceptId && mdnsKeyOf(d) === mdnsKey);
    return rows.length === 1 && !splitApart(this.db, macs, rows[0].id) ? rows[0] : null;
  }

  /** All MACs of a device (for interfaceOf). */
  macsOf(deviceId: number): string[] {
    return macsOfDevice(this.db, deviceId);
  }

  /** A new MAC is one more interface of `device` (interfaceOf said so): recorded among its MACs, and said. */
  linkInterface(device: DeviceRow, mac: string, ip: string, randomized: boolean, mdnsKey: string): void {
    recordMac(this.db, device.id, mac, randomized, this.now);
    this.change(
      { id: device.id, ip, mac },
      "interface_linked",
      linkSeverity(device),
      `${ip} (${mac}) is another interface of ${nameWithAddress(device)}: the same mDNS name ${mdnsKey} and the same services (split it off if it is not)`,
      device.mac_address,
      mac,
    );
  }

  /**
   * Two known devices that strong evidence shows to be one host: one device, the other's MACs and
   * history moved to it (macs.ts mergeDevices). The trusted one survives, else the older. Returns the
   * id that is gone.
   */
  mergeInterfaces(a: DeviceRow, b: DeviceRow, mdnsKey: string): number {
    const older = (x: DeviceRow, y: DeviceRow) => (this.firstSeen(x) < this.firstSeen(y) || (this.firstSeen(x) === this.firstSeen(y) && x.id < y.id) ? x : y);
    const survivor = a.is_trusted !== b.is_trusted ? (a.is_trusted ? a : b) : older(a, b);
    const other = survivor === a ? b : a;
    const merged = mergeDevices(this.db, survivor.id, other.id);
    this.change(
      { id: survivor.id, ip: other.ip_address, mac: other.mac_address },
      "interface_linked",
      linkSeverity(survivor),
      `${other.ip_address} (${other.mac_address}) is another interface of ${nameWithAddress(survivor)}: the same mDNS name ${mdnsKey} and the same services; merged into one device (split it off if it is not)`,
      merged.mac_address,
      other.mac_address,
    );
    this.touched.add(other.id);
    return other.id;
  }

  private firstSeen(d: DeviceRow): string {
    return (this.db.query("SELECT first_seen FROM devices WHERE id = ?").get(d.id) as { first_seen: string }).first_seen;
  }

  /** Stores the service fingerprint of the device's ports (after a scan wrote them), for findRotated. */
  storeServiceFingerprint(deviceId: number): void {
    const rows = this.db.query("SELECT port, protocol, service, product, version FROM ports WHERE device_id = ?").all(deviceId) as FingerprintPort[];
    this.db.query("UPDATE devices SET service_fingerprint = ? WHERE id = ?").run(serviceFingerprint(rows), deviceId);
  }

  /** Which kinds of evidence say that `hints` describe `device` (a DHCP name and fingerprint are one kind: one message). */
  evidence(device: DeviceRow, hints: IdentityHints): EvidenceKind[] {
    const kinds = new Set<EvidenceKind>();
    const kind = evidenceOf(hints.hostname_source);
    const name = hostnameKey(hints.hostname);
    // An mDNS name counts when it is the name the device itself announced over mDNS before.
    const mdnsName = hostnameKey(device.mdns_name ?? (device.hostname_source === "mdns" ? device.hostname : null));
    if (name && kind && kind !== "mdns" && name === hostnameKey(device.hostname)) kinds.add(kind);
    const mdns = hostnameKey(hints.mdns_name ?? (kind === "mdns" ? hints.hostname : null));
    if (mdns && mdns === mdnsName) kinds.add("mdns");
    if (hints.dhcp_fingerprint && hints.dhcp_fingerprint === device.dhcp_fingerprint) kinds.add("dhcp");
    const print = hints.ports ? serviceFingerprint(hints.ports) : null;
    if (print && device.ports_known && device.service_fingerprint === print) kinds.add("services");
    return [...kinds];
  }

  /**
   * The device now uses `mac`: `mac_rotated`, remembered in mac_links. A trusted device linked by
   * fewer than two kinds of evidence keeps its record but not its trust: "pending", and a warning.
   */
  rotate(device: DeviceRow, mac: string, ip: string, evidence: EvidenceKind[] = []): void {
    const oldMac = device.mac_address;
    const trusted = device.is_trusted === 1 || device.trust_pending === 1;
    const carries = device.is_trusted === 1 && trustCarries(evidence);
    const pending = trusted && !carries;
    this.db.query("UPDATE devices SET mac_address = ?, mac_randomized = 1, is_trusted = ?, trust_pending = ? WHERE id = ?").run(mac, carries ? 1 : 0, pending ? 1 : 0, device.id);
    // The old MAC is no longer one of its MACs: when it speaks again, mac_links decides (undoLink).
    if (oldMac) dropMac(this.db, device.id, oldMac);
    recordMac(this.db, device.id, mac, true, this.now);
    this.touched.add(device.id);
    if (oldMac) {
      this.db
        .query("INSERT INTO mac_links (device_id, old_mac, new_mac, was_trusted, evidence, linked_at) VALUES (?, ?, ?, ?, ?, ?)")
        .run(device.id, oldMac, mac, device.is_trusted === 1 ? 1 : device.trust_pending === 1 ? 2 : 0, evidence.join(","), this.now);
    }
    const name = device.hostname ? ` ${device.hostname}` : "";
    if (pending) {
      this.change(
        { id: device.id, ip, mac },
        "mac_rotated",
        "warning",
        `Trusted device${name} may now use the randomised MAC ${mac}, but only ${evidence.length === 0 ? "weak evidence" : `its ${evidence.join(", ")} evidence`} says so: trust is pending until the owner confirms it (possible impersonation)`,
        oldMac,
        mac,
      );
    } else {
      this.change({ id: device.id, ip, mac }, "mac_rotated", "info", `Known device${name} now uses the randomised MAC ${mac}`, oldMac, mac);
    }
    device.mac_address = mac;
    device.is_trusted = carries ? 1 : 0;
    device.trust_pending = pending ? 1 : 0;
  }

  /** The link still in force that moved a device away from `oldMac`, if that device still uses the new MAC. */
  activeLinkFrom(oldMac: string): MacLink | null {
    return this.db
      .query(
        `SELECT l.id, l.device_id, l.old_mac, l.new_mac, l.was_trusted, l.evidence FROM mac_links l JOIN devices d ON d.id = l.device_id AND d.mac_address = l.new_mac
         WHERE l.old_mac = ? AND l.undone_at IS NULL ORDER BY l.id DESC LIMIT 1`,
      )
      .get(oldMac) as MacLink | null;
  }

  /** The latest link in force that gave this device its current MAC. */
  activeLinkOf(device: DeviceRow): MacLink | null {
    return this.db
      .query("SELECT id, device_id, old_mac, new_mac, was_trusted, evidence FROM mac_links WHERE device_id = ? AND new_mac = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1")
      .get(device.id, device.mac_address) as MacLink | null;
  }

  /**
   * A pending device heard with more evidence: once the kinds gathered over the link and since may
   * carry trust (trustCarries), it does, and an info `mac_rotated` says so (the owner saw the pending
   * warning and must see it settled). Returns true when it did.
   */
  corroborate(device: DeviceRow, evidence: EvidenceKind[]): boolean {
    if (device.trust_pending !== 1) return false;
    const link = this.activeLinkOf(device);
    if (!link) return false;
    const kinds = new Set([...link.evidence.split(",").filter(Boolean), ...evidence]);
    if (kinds.size === new Set(link.evidence.split(",").filter(Boolean)).size) return false;
    this.db.query("UPDATE mac_links SET evidence = ? WHERE id = ?").run([...kinds].join(","), link.id);
    if (!trustCarries(kinds as Set<EvidenceKind>)) return false;
    this.db.query("UPDATE devices SET is_trusted = 1, trust_pending = 0 WHERE id = ?").run(device.id);
    this.touched.add(device.id);
    device.is_trusted = 1;
    device.trust_pending = 0;
    const name = device.hostname ? ` ${device.hostname}` : "";
    this.change(
      { id: device.id, ip: device.ip_address, mac: device.mac_address },
      "mac_rotated",
      "info",
      `Trusted device${name} confirmed under the MAC ${device.mac_address}: its ${[...kinds].join(", ")} evidence agrees; trust carries`,
      link.old_mac,
      device.mac_address,
    );
    return true;
  }

  /**
   * The old MAC of a link spoke again. The device gets it back with the trust it had; when the new
   * MAC is still present, two devices claim to be one (`identity_conflict`, a warning) and the new
   * MAC becomes a separate, untrusted device. Returns the device, now under its old MAC.
   */
  undoLink(link: MacLink, newPresent: boolean): DeviceRow {
    const device = this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = ?`).get(link.device_id) as DeviceRow;
    const randomized = isLocallyAdministered(link.old_mac);
    this.db
      .query("UPDATE devices SET mac_address = ?, mac_randomized = ?, is_trusted = ?, trust_pending = ? WHERE id = ?")
      .run(link.old_mac, randomized ? 1 : 0, link.was_trusted === 1 ? 1 : 0, link.was_trusted === 2 ? 1 : 0, device.id);
    this.db.query("UPDATE mac_links SET undone_at = ? WHERE id = ?").run(this.now, link.id);
    dropMac(this.db, device.id, link.new_mac);
    recordMac(this.db, device.id, link.old_mac, randomized, this.now);
    this.touched.add(device.id);
    const name = device.hostname ? ` ${device.hostname}` : "";
    if (newPresent) {
      this.change(
        { id: device.id, ip: device.ip_address, mac: link.old_mac },
        "identity_conflict",
        "warning",
        `Two devices claim to be${name || ` device ${device.id}`}: its old MAC ${link.old_mac} speaks again while ${link.new_mac} is present; the link is undone and ${link.new_mac} is a separate, untrusted device`,
        link.new_mac,
        link.old_mac,
      );
      this.add(
        {
          mac: link.new_mac, ip: device.ip_address, mac_randomized: true, hostname: null, hostname_source: null, vendor: null, device_type: null, os_name: null,
        },
        null,
        false,
      );
    } else {
      this.change({ id: device.id, ip: device.ip_address, mac: link.old_mac }, "mac_rotated", "info", `Known device${name} uses its earlier MAC ${link.old_mac} again`, link.new_mac, link.old_mac);
    }
    return { ...device, mac_address: link.old_mac, mac_randomized: randomized ? 1 : 0, is_trusted: link.was_trusted === 1 ? 1 : 0, trust_pending: link.was_trusted === 2 ? 1 : 0 };
  }

  /**
   * A known device seen (again) at `ip`, by a scan or a sighting: the one place that writes it.
   * Records `device_returned` if it was offline (not for a device only a source knew: it was never
   * online, and its `device_added` already said it) and `ip_changed` if the address is new to it (not
   * among `alsoAt`), then marks it online at `ip`, its presence session open (presence.ts). A scan
   * also counts the sighting (`times_seen`, `last_scan_id`) and shows a held-back newcomer real
   * (`announce_after_ms`).
   */
  seenAgain(device: DeviceRow, ip: string, mac: string | null, mac_randomized: boolean, alsoAt: string[] = [ip]): void {
    if (device.status === "offline" && !neverSeen(device)) {
      this.change({ id: device.id, ip, mac }, "device_returned", "info", `Device ${nameWithAddress({ ...device, ip_address: ip })} is back online`);
    }
    if (!alsoAt.includes(device.ip_address) && !this.knownAddress(device.id, ip)) {
      this.change({ id: device.id, ip, mac }, "ip_changed", "info", `Device ${movedName(device, mac)} moved from ${device.ip_address} to ${ip}`, device.ip_address, ip);
    }
    this.writeSeen(device.id, ip, mac, mac_randomized);
  }

  /** A known device heard whose address is not followed (a refused claim): online now, where it was. */
  stillHere(device: DeviceRow): void {
    this.writeSeen(device.id, null, null, null);
  }

  private writeSeen(deviceId: number, ip: string | null, mac: string | null, mac_randomized: boolean | null): void {
    this.db
      .query(
        `UPDATE devices SET ip_address = coalesce(?1, ip_address), status = 'online', last_seen = ?2, missed_scans = 0, mac_address = coalesce(mac_address, ?3),
           -- Seen on another of its MACs, the primary's flag stays.
           mac_randomized = CASE WHEN mac_address IS NULL OR mac_address = ?3 THEN coalesce(?4, mac_randomized) ELSE mac_randomized END, times_seen = times_seen + (?5 IS NOT NULL OR times_seen = 0), last_scan_id = coalesce(?5, last_scan_id),
           announce_after_ms = CASE WHEN ?5 IS NULL THEN announce_after_ms END
         WHERE id = ?6`,
      )
      .run(ip, this.now, mac, mac_randomized === null ? null : mac_randomized ? 1 : 0, this.scanId, deviceId);
    if (mac !== null) touchMac(this.db, deviceId, mac, mac_randomized ?? isLocallyAdministered(mac), this.now);
    markSeen(this.db, deviceId, this.now, this.seenBy);
    this.touched.add(deviceId);
  }

  /**
   * A new device: inserted, announced as `device_added`, or as `mac_changed_for_ip` when it replaced
   * `replaced` (or not at all: `announce` false). Seen now (online, a presence session open), unless
   * only a source knows it (`known_to`): then it is offline, seen 0 times, without a session, until
   * the wire or a scan sees it (seenAgain).
   */
  add(o: NewDevice, replaced: DeviceRow | null, announce = true): number {
    const seen = !o.known_to;
    const res = this.db
      .query(
        `INSERT INTO devices (mac_address, ip_address, mac_randomized, hostname, hostname_source, vendor, device_type, device_type_source, os_name, os_source, model,
           dhcp_fingerprint, mdns_services, mdns_name, status, first_seen, last_seen, times_seen, ports_known, last_scan_id, device_type_evidence)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        o.mac, o.ip, o.mac_randomized ? 1 : 0, o.hostname, o.hostname ? o.hostname_source : null, o.vendor, o.device_type ?? "unknown", o.device_type ? (o.device_type_source ?? null) : null,
        o.os_name, o.os_name ? (o.os_source ?? null) : null, o.model ?? null, o.dhcp_fingerprint ?? null, o.mdns_services?.length ? JSON.stringify(o.mdns_services) : null,
        o.mdns_name ?? null, seen ? "online" : "offline", this.now, this.now, seen ? 1 : 0, o.ports_known ? 1 : 0, this.scanId, o.device_type ? (o.device_type_evidence ?? null) : null,
      );
    const id = Number(res.lastInsertRowid);
    if (o.mac !== null) recordMac(this.db, id, o.mac, o.mac_randomized, this.now);
    if (o.hostname && o.hostname_source) recordName(this.db, id, o.hostname, o.hostname_source, this.now);
    if (seen) markSeen(this.db, id, this.now, this.seenBy);
    this.touched.add(id);
    const who = { id, ip: o.ip, mac: o.mac };
    if (!announce) {
      // Said by the caller's own change.
    } else if (replaced) {
      this.change(who, "mac_changed_for_ip", "warning", `${o.ip} now answers with MAC ${o.mac} instead of ${replaced.mac_address} (possible ARP spoofing or a replaced device)`, replaced.mac_address, o.mac);
    } else {
      this.change(who, "device_added", this.newDeviceSeverity, describeNewDevice(o), null, o.ip);
    }
    this.recordAddress(id, o.ip, o.mac);
    return id;
  }

  /**
   * The device was seen at `ip`, heard from `mac` (one of its interfaces; schema v28): the IPv4
   * history row records the MAC that last answered for the address, so a merge keeps it and a split
   * takes it along. Heard without a MAC (beyond a router), the row keeps the MAC it had.
   */
  recordAddress(deviceId: number, ip: string, mac: string | null): void {
    this.db
      .query(
        `INSERT INTO device_addresses (device_id, ip_address, mac, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (device_id, ip_address) DO UPDATE SET last_seen = excluded.last_seen, mac = coalesce(excluded.mac, mac)`,
      )
      .run(deviceId, ip, mac, this.now);
  }

  /**
   * Names, type, OS and passive fingerprints of a known device, each replaced only by a value from a
   * source at least as good as the one it came from (a scan's reverse-DNS name never overwrites a DHCP name).
   */
  applyIdentity(deviceId: number, o: Identity): void {
    const h = `(CASE WHEN hostname_source IS NULL THEN 0 ELSE ${rankSql("hostname_source", SOURCE_NAME_RANK)} END)`;
    const t = rankSql("device_type_source");
    const s = rankSql("os_source");
    const rank = (src: string | null | undefined) => (src ? (SOURCE_RANK[src] ?? 0) : 0);
    const type = o.device_type && o.device_type !== "unknown" ? o.device_type : null;
    this.db
      .query(
        `UPDATE devices SET
           vendor = coalesce(?1, vendor),
           hostname = CASE WHEN ?2 IS NOT NULL AND ?3 >= ${h} THEN ?2 ELSE hostname END,
           hostname_source = CASE WHEN ?2 IS NOT NULL AND ?3 >= ${h} THEN ?4 ELSE hostname_source END,
           device_type = CASE WHEN ?5 IS NOT NULL AND (?6 >= ${t} OR device_type = 'unknown') THEN ?5 ELSE device_type END,
           device_type_source = CASE WHEN ?5 IS NOT NULL AND (?6 >= ${t} OR device_type = 'unknown') THEN ?7 ELSE device_type_source END,
           device_type_evidence = CASE WHEN ?5 IS NOT NULL AND (?6 >= ${t} OR device_type = 'unknown') THEN ?16 ELSE device_type_evidence END,
           os_name = CASE WHEN ?8 IS NOT NULL AND ?9 >= ${s} THEN ?8 ELSE os_name END,
           os_source = CASE WHEN ?8 IS NOT NULL AND ?9 >= ${s} THEN ?10 ELSE os_source END,
           model = coalesce(?11, model),
           dhcp_fingerprint = coalesce(?12, dhcp_fingerprint),
           mdns_services = coalesce(?13, mdns_services),
           -- While trust is pending, the name to compare with stays the device's own from before.
           mdns_name = CASE WHEN trust_pending = 1 THEN mdns_name ELSE coalesce(?15, mdns_name) END
         WHERE id = ?14`,
      )
      .run(
        o.vendor ?? null, o.hostname ?? null, hostnameRank(o.hostname_source), o.hostname_source ?? null, type, rank(o.device_type_source), o.device_type_source ?? null,
        o.os_name ?? null, rank(o.os_source), o.os_source ?? null, o.model ?? null, o.dhcp_fingerprint ?? null, o.mdns_services?.length ? JSON.stringify(o.mdns_services) : null, deviceId,
        o.mdns_name ?? null, o.device_type_evidence ?? null,
      );
    // Every name is kept with its source, also one the ranking did not choose (names.ts).
    if (o.hostname && o.hostname_source) recordName(this.db, deviceId, o.hostname, o.hostname_source, this.now);
    this.touched.add(deviceId);
  }
}

/** What is known about a host's identity, each with where it came from. */
export type Identity = {
  vendor?: string | null;
  hostname?: string | null;
  hostname_source?: string | null;
  device_type?: string | null;
  device_type_source?: string | null;
  /** What decided the type, as the owner reads it ("RTSP port 554 open"). */
  device_type_evidence?: string | null;
  os_name?: string | null;
  os_source?: string | null;
  model?: string | null;
  dhcp_fingerprint?: string | null;
  mdns_services?: string[] | null;
  /** The name the host announces over mDNS (kept apart: it is evidence independent of its DHCP name). */
  mdns_name?: string | null;
};

export type NewDevice = Identity & {
  mac: string | null;
  ip: string;
  mac_randomized: boolean;
  hostname: string | null;
  hostname_source: string | null;
  vendor: string | null;
  device_type: string | null;
  os_name: string | null;
  ports_known?: boolean;
  /**
   * Set when only a source knows the host (a lease, a router's ARP table), as its description names
   * the source: "router-leases (dnsmasq_leases)". Such a device is not seen yet (InventoryWriter.add).
   */
  known_to?: string | null;
};

// Descriptions are stored text: they carry the device's name at the time they were written. A later
// rename shows in the change records' `device_name` (computed when read, src/inventory/changes.ts).

/**
 * "New device kitchen-tablet at 192.168.1.5 (mac) — vendor", or "New device Apple 192.168.1.23 (mac)";
 * for a host only a source knows, "…, known to router-leases (dnsmasq_leases), not seen on the network yet".
 */
function describeNewDevice(o: NewDevice): string {
  const { name, source } = deviceNameOf({ hostname: o.hostname, vendor: o.vendor, ip_address: o.ip });
  const named = source === "hostname";
  const knownTo = o.known_to ? `, known to ${o.known_to}, not seen on the network yet` : "";
  return `New device ${name}${named ? ` at ${o.ip}` : ""}${o.mac ? ` (${o.mac})` : ""}${named && o.vendor ? ` — ${o.vendor}` : ""}${knownTo}`;
}

/** A device that moved is named as it was known before the move; with neither label nor host name, by its MAC. */
function movedName(device: DeviceRow, mac: string | null): string {
  const { name, source } = deviceNameOf(device);
  return source === "label" || source === "hostname" ? name : (mac ?? device.mac_address ?? deviceDisplayName(device));
}

/** The key of the name a device announced over mDNS (its own mDNS answer, passively or to a scan's query). */
export function mdnsKeyOf(d: Pick<DeviceRow, "mdns_name" | "hostname" | "hostname_source">): string | null {
  return hostnameKey(d.mdns_name ?? (d.hostname_source === "mdns" ? d.hostname : null));
}

/** Whether a MAC is locally administered (randomised): bit 1 of its first octet. */
function isLocallyAdministered(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 0x02) !== 0;
}

/**
 * A MAC joining a trusted device shares its trust: the owner hears of it as a warning, since a guest
 * who copied both the name and the banners would be exactly this (README threat model). Joining an
 * untrusted device changes nobody's standing, so that is info.
 */
function linkSeverity(device: DeviceRow): Severity {
  return device.is_trusted ? "warning" : "info";
}
