// Turns one scan's observations into inventory: devices identified by MAC (by IP only when no MAC
// is knowable), their addresses, ports and risk, and the changes since the previous state.
// Must run inside the caller's transaction, together with the scan's own status update, so a crash
// leaves either all of a scan's results or none of them.
//
// Rules (SPEC §4):
// - One MAC at several IPs is one device with several addresses; its primary IP stays put while it
//   is still among them.
// - A new randomised MAC whose hostname or service fingerprint matches a known device that this scan
//   did not see is that device with a rotated MAC (`mac_rotated`), not a new device.
// - A new MAC at an IP whose previous owner was online until now and was not seen anywhere in this
//   scan is `mac_changed_for_ip` (a possible ARP spoof or a swapped device), reported instead of
//   `device_added`. An address freed by a device already offline is simply reused (`device_added`).
// - Absence counts only in complete network scans that covered the device's IP; a device goes
//   offline (`device_removed`) after OFFLINE_AFTER_MISSES such scans in a row.
// - Ports are compared only when both this scan and the device's previous port scan probed them: a
//   narrower profile never "closes" ports it did not look at, and a wider one never "opens" ports
//   the previous one did not look at. A port-number guess is never a service change.
import type { Database } from "bun:sqlite";
import { hostnameKey, serviceFingerprint, type FingerprintPort } from "../identify/fingerprint.ts";
import { parseIpv4 } from "../net/ip.ts";
import { assessDevice, assessPort, type PortInfo } from "../risk/score.ts";
import { parsePortSpec } from "../scan/profiles.ts";
import type { Change, ChangeType, Observation, ObservedPort, ScanScope, Severity } from "./observation.ts";

export const OFFLINE_AFTER_MISSES = 2;

type DeviceRow = {
  id: number;
  mac_address: string | null;
  ip_address: string;
  mac_randomized: number;
  hostname: string | null;
  status: "online" | "offline";
  ports_known: number;
  ports_spec: string | null;
  is_trusted: number;
  missed_scans: number;
};

type PortRow = { port: number; protocol: string; service: string | null; product: string | null; version: string | null; tls: number; extra: string };

export type ReconcileResult = { changes: Change[]; devicesSeen: number; devicesAdded: number; devicesRemoved: number; openPorts: number };

export function reconcile(db: Database, scanId: number, observations: Observation[], scope: ScanScope, now: string): ReconcileResult {
  return new Reconciler(db, scanId, scope, now).run(observations);
}

const DEVICE_COLUMNS = "id, mac_address, ip_address, mac_randomized, hostname, status, ports_known, ports_spec, is_trusted, missed_scans";

const ipKey = (ip: string): number => parseIpv4(ip) ?? 0;

/** Port sets by spec, parsed once per process (an intensive spec is 65,535 ports). */
const specPorts = new Map<string, ReadonlySet<number>>();
function portsOfSpec(spec: string): ReadonlySet<number> {
  let set = specPorts.get(spec);
  if (!set) specPorts.set(spec, (set = new Set(parsePortSpec(spec))));
  return set;
}

function describeService(p: { service: string | null; product: string | null; version: string | null }): string {
  return [p.service, p.product, p.version].filter(Boolean).join(" ") || "unknown";
}

class Reconciler {
  private readonly changes: Change[] = [];
  private readonly seenDevices = new Set<number>();
  private seenMacs = new Set<string>();
  private added = 0;
  private removed = 0;
  private openPorts = 0;

  constructor(
    private readonly db: Database,
    private readonly scanId: number,
    private readonly scope: ScanScope,
    private readonly now: string,
  ) {}

  run(observations: Observation[]): ReconcileResult {
    this.seenMacs = new Set(observations.flatMap((o) => (o.mac ? [o.mac] : [])));
    for (const group of this.groupByIdentity(observations)) this.observe(group);
    if (this.scope.kind === "network" && this.scope.complete) this.markMissing();
    return { changes: this.changes, devicesSeen: this.seenDevices.size, devicesAdded: this.added, devicesRemoved: this.removed, openPorts: this.openPorts };
  }

  private groupByIdentity(observations: Observation[]): Observation[][] {
    const groups = new Map<string, Observation[]>();
    for (const o of observations) {
      const key = o.mac ?? `ip:${o.ip}`;
      const g = groups.get(key);
      if (g) g.push(o);
      else groups.set(key, [o]);
    }
    for (const g of groups.values()) g.sort((a, b) => ipKey(a.ip) - ipKey(b.ip));
    return [...groups.values()];
  }

  private change(device: { id: number | null; ip: string | null; mac: string | null }, type: ChangeType, severity: Severity, description: string, old_value: string | null = null, new_value: string | null = null) {
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
    };
    const res = this.db
      .query("INSERT INTO changes (scan_id, device_id, device_ip, device_mac, change_type, severity, old_value, new_value, description, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(change.scan_id, change.device_id, change.device_ip, change.device_mac, type, severity, old_value, new_value, description, this.now);
    change.id = Number(res.lastInsertRowid);
    change.acknowledged = false;
    this.changes.push(change);
  }

  private observe(group: Observation[]): void {
    const mac = group[0].mac;
    let device = mac ? this.byMac(mac, group[0].ip) : this.withoutMac(group[0].ip);
    const primary = (device && group.find((o) => o.ip === device!.ip_address)) ?? group[0];

    // "Not seen in this scan" only means something for a finished network scan.
    if (!device && mac && primary.mac_randomized && this.scope.complete && this.scope.kind === "network") {
      device = this.findRotated(primary);
      if (device) {
        const oldMac = device.mac_address;
        this.db.query("UPDATE devices SET mac_address = ?, mac_randomized = 1 WHERE id = ?").run(mac, device.id);
        this.change({ id: device.id, ip: primary.ip, mac }, "mac_rotated", "info", `Known device${device.hostname ? ` ${device.hostname}` : ""} now uses the randomised MAC ${mac}`, oldMac, mac);
        device.mac_address = mac;
      }
    }

    if (!device) {
      this.addDevice(primary, group);
      return;
    }

    this.seenDevices.add(device.id);
    if (device.status === "offline") {
      this.change({ id: device.id, ip: primary.ip, mac }, "device_returned", "info", `Device ${primary.ip} is back online`);
    }
    if (!group.some((o) => o.ip === device!.ip_address) && !this.knownAddress(device.id, primary.ip)) {
      this.change({ id: device.id, ip: primary.ip, mac }, "ip_changed", "info", `Device ${mac ?? device.ip_address} moved from ${device.ip_address} to ${primary.ip}`, device.ip_address, primary.ip);
    }
    this.db
      .query(
        `UPDATE devices SET ip_address = ?, status = 'online', last_seen = ?, times_seen = times_seen + 1, missed_scans = 0, last_scan_id = ?,
           mac_address = coalesce(mac_address, ?), mac_randomized = ?, vendor = coalesce(?, vendor), hostname = coalesce(?, hostname), hostname_source = CASE WHEN ? IS NULL THEN hostname_source ELSE ? END,
           device_type = CASE WHEN ? IS NULL OR ? = 'unknown' THEN device_type ELSE ? END, os_name = coalesce(?, os_name)
         WHERE id = ?`,
      )
      .run(
        primary.ip, this.now, this.scanId, mac, primary.mac_randomized ? 1 : 0, primary.vendor, primary.hostname, primary.hostname, primary.hostname_source,
        primary.device_type, primary.device_type, primary.device_type, primary.os_name, device.id,
      );
    this.recordSighting(device.id, group);
    if (primary.ports !== null) {
      if (device.ports_known) this.diffPorts(device, primary);
      this.writePorts(device.id, primary.ports);
      this.db.query("UPDATE devices SET ports_spec = ? WHERE id = ?").run(this.scope.portSpec, device.id);
      this.assessRisk(device.id);
    } else {
      this.openPorts += (this.db.query("SELECT count(*) AS n FROM ports WHERE device_id = ?").get(device.id) as { n: number }).n;
    }
  }

  /** The device with this MAC; else a device tracked by IP only at this address, which now gets its MAC. */
  private byMac(mac: string, ip: string): DeviceRow | null {
    return (
      (this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE mac_address = ?`).get(mac) as DeviceRow | null) ??
      (this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE mac_address IS NULL AND ip_address = ? ORDER BY last_seen DESC LIMIT 1`).get(ip) as DeviceRow | null)
    );
  }

  /**
   * A host seen without a MAC (beyond a router, or found without raw sockets): the IP-only device at
   * that address, else the online device that holds it (the same host, its MAC just not learnt this time).
   */
  private withoutMac(ip: string): DeviceRow | null {
    return (
      (this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE mac_address IS NULL AND ip_address = ?`).get(ip) as DeviceRow | null) ??
      (this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE ip_address = ? AND status = 'online' ORDER BY last_seen DESC LIMIT 1`).get(ip) as DeviceRow | null)
    );
  }

  private knownAddress(deviceId: number, ip: string): boolean {
    return this.db.query("SELECT 1 FROM device_addresses WHERE device_id = ? AND ip_address = ?").get(deviceId, ip) !== null;
  }

  private addDevice(primary: Observation, group: Observation[]): void {
    // Whose address was this? Only a MAC'd device that this scan saw nowhere can have been replaced.
    const owner = primary.mac
      ? (this.db
          .query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE ip_address = ? AND mac_address IS NOT NULL AND mac_address != ? ORDER BY last_seen DESC, id DESC LIMIT 1`)
          .get(primary.ip, primary.mac) as DeviceRow | null)
      : null;
    // An owner already offline just left the address free (DHCP reuse): that is a new device, not a spoof.
    const replaced =
      owner && this.scope.complete && owner.status === "online" && !this.seenMacs.has(owner.mac_address!) && !this.seenDevices.has(owner.id) ? owner : null;
    const res = this.db
      .query(
        `INSERT INTO devices (mac_address, ip_address, mac_randomized, hostname, hostname_source, vendor, device_type, os_name, status, first_seen, last_seen, times_seen, ports_known, last_scan_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'online', ?, ?, 1, ?, ?)`,
      )
      .run(
        primary.mac, primary.ip, primary.mac_randomized ? 1 : 0, primary.hostname, primary.hostname_source, primary.vendor, primary.device_type ?? "unknown",
        primary.os_name, this.now, this.now, primary.ports === null ? 0 : 1, this.scanId,
      );
    const id = Number(res.lastInsertRowid);
    this.seenDevices.add(id);
    const who = { id, ip: primary.ip, mac: primary.mac };
    if (replaced) {
      this.change(who, "mac_changed_for_ip", "warning", `${primary.ip} now answers with MAC ${primary.mac} instead of ${replaced.mac_address} (possible ARP spoofing or a replaced device)`, replaced.mac_address, primary.mac);
    } else {
      this.added++;
      const name = [primary.hostname, primary.vendor].filter(Boolean).join(", ");
      this.change(who, "device_added", "warning", `New device ${primary.ip}${primary.mac ? ` (${primary.mac})` : ""}${name ? ` — ${name}` : ""}`, null, primary.ip);
    }
    this.recordSighting(id, group);
    if (primary.ports !== null) {
      this.writePorts(id, primary.ports);
      this.db.query("UPDATE devices SET ports_spec = ? WHERE id = ?").run(this.scope.portSpec, id);
      this.assessRisk(id);
    }
  }

  /** A not-yet-seen device this new randomised MAC belongs to: same hostname, else same service fingerprint. */
  private findRotated(o: Observation): DeviceRow | null {
    // Only a device this scan would have seen, or one already offline, can have changed its MAC.
    const candidates = (this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE mac_address IS NOT NULL ORDER BY last_seen DESC`).all() as DeviceRow[]).filter(
      (d) =>
        !this.seenDevices.has(d.id) &&
        !this.seenMacs.has(d.mac_address!) &&
        (d.status === "offline" || this.scope.covers(d.ip_address, d.mac_address)),
    );
    const name = hostnameKey(o.hostname);
    if (name) {
      const byName = candidates.find((d) => hostnameKey(d.hostname) === name);
      if (byName) return byName;
    }
    const print = o.ports ? serviceFingerprint(o.ports) : null;
    if (print) {
      for (const d of candidates) {
        if (!d.ports_known) continue;
        const rows = this.db.query("SELECT port, protocol, service, product, version FROM ports WHERE device_id = ?").all(d.id) as FingerprintPort[];
        if (serviceFingerprint(rows) === print) return d;
      }
    }
    return null;
  }

  private recordSighting(deviceId: number, group: Observation[]): void {
    for (const o of group) {
      this.db
        .query("INSERT INTO device_addresses (device_id, ip_address, first_seen, last_seen) VALUES (?, ?, ?, ?) ON CONFLICT (device_id, ip_address) DO UPDATE SET last_seen = excluded.last_seen")
        .run(deviceId, o.ip, this.now, this.now);
    }
    const primary = group[0];
    this.db
      .query("INSERT OR REPLACE INTO scan_devices (scan_id, device_id, ip_address, mac_address, method, rtt_ms, open_ports) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(this.scanId, deviceId, primary.ip, primary.mac, primary.method, primary.rtt_ms, JSON.stringify((primary.ports ?? []).map((p) => p.port)));
  }

  private diffPorts(device: DeviceRow, o: Observation): void {
    const before = new Map((this.db.query("SELECT port, protocol, service, product, version, tls, extra FROM ports WHERE device_id = ?").all(device.id) as PortRow[]).map((r) => [r.port, r]));
    const who = { id: device.id, ip: o.ip, mac: o.mac };
    // Scanned before: in the device's previous port set (unknown for databases older than schema v8).
    const previously = device.ports_spec ? portsOfSpec(device.ports_spec) : null;
    for (const p of o.ports!) {
      const old = before.get(p.port);
      if (!old) {
        if (previously && !previously.has(p.port)) continue;
        const threat = assessPort(toPortInfo(p));
        this.change(who, "port_opened", threat?.level ?? "info", `Port ${p.port}/tcp (${describeService(p)}) opened on ${o.ip}${threat ? ` — ${threat.level} risk` : ""}`, null, String(p.port));
      } else if (serviceChanged(old, p)) {
        this.change(who, "service_changed", "info", `Service on ${o.ip}:${p.port} changed from ${describeService(old)} to ${describeService(p)}`, describeService(old), describeService(p));
      }
    }
    const open = new Set(o.ports!.map((p) => p.port));
    for (const [port, old] of before) {
      if (!open.has(port) && this.scope.ports!.has(port)) {
        this.change(who, "port_closed", "info", `Port ${port}/tcp (${describeService(old)}) closed on ${o.ip}`, String(port), null);
      }
    }
  }

  private writePorts(deviceId: number, ports: ObservedPort[]): void {
    const open = new Set(ports.map((p) => p.port));
    for (const row of this.db.query("SELECT port FROM ports WHERE device_id = ?").all(deviceId) as { port: number }[]) {
      if (!open.has(row.port) && this.scope.ports!.has(row.port)) this.db.query("DELETE FROM ports WHERE device_id = ? AND port = ? AND protocol = 'tcp'").run(deviceId, row.port);
    }
    for (const p of ports) {
      // Keep what an earlier probe learnt when this one could not name the service.
      this.db
        .query(
          `INSERT INTO ports (device_id, port, protocol, service, product, version, tls, banner, extra, first_seen, last_seen) VALUES (?, ?, 'tcp', ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (device_id, port, protocol) DO UPDATE SET service = CASE WHEN ? THEN excluded.service ELSE coalesce(service, excluded.service) END,
             product = coalesce(excluded.product, product),
             version = coalesce(excluded.version, version), tls = excluded.tls, banner = coalesce(excluded.banner, banner), extra = excluded.extra, last_seen = excluded.last_seen`,
        )
        .run(deviceId, p.port, p.service, p.product, p.version, p.tls ? 1 : 0, p.banner, JSON.stringify(p.extra), this.now, this.now, p.identified ? 1 : 0);
    }
    this.db.query("UPDATE devices SET ports_known = 1 WHERE id = ?").run(deviceId);
  }

  private assessRisk(deviceId: number): void {
    const rows = this.db.query("SELECT port, protocol, service, product, version, tls, extra FROM ports WHERE device_id = ?").all(deviceId) as PortRow[];
    // Stored without regard to trust: trust changes without a scan, and readers apply it (summaryForTrust).
    const risk = assessDevice({ ports: rows.map(toPortInfo), is_trusted: false });
    this.openPorts += rows.length;
    this.db
      .query("UPDATE devices SET risk_level = ?, risk_score = ?, threat_summary = ? WHERE id = ?")
      .run(risk.risk_level, risk.risk_score, risk.threat_summary, deviceId);
    this.db.query("DELETE FROM threats WHERE device_id = ?").run(deviceId);
    for (const t of risk.threats) {
      this.db
        .query("INSERT INTO threats (device_id, port, protocol, level, service_id, description, recommendation, cve_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .run(deviceId, t.port, t.protocol, t.level, t.service_id, t.description, t.recommendation, JSON.stringify(t.cve_ids));
    }
  }

  private markMissing(): void {
    const online = this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE status = 'online'`).all() as DeviceRow[];
    for (const d of online) {
      if (this.seenDevices.has(d.id) || !this.scope.covers(d.ip_address, d.mac_address)) continue;
      const missed = d.missed_scans + 1;
      if (missed >= OFFLINE_AFTER_MISSES) {
        this.db.query("UPDATE devices SET missed_scans = ?, status = 'offline' WHERE id = ?").run(missed, d.id);
        this.removed++;
        this.change({ id: d.id, ip: d.ip_address, mac: d.mac_address }, "device_removed", "info", `Device ${d.ip_address} went offline (not seen in ${missed} scans)`, d.ip_address, null);
      } else {
        this.db.query("UPDATE devices SET missed_scans = ? WHERE id = ?").run(missed, d.id);
      }
    }
  }
}

function toPortInfo(p: { port: number; service: string | null; product: string | null; version: string | null; tls: number | boolean; extra: string | Record<string, string> }): PortInfo {
  return {
    port: p.port,
    protocol: "tcp",
    service: p.service,
    product: p.product,
    version: p.version,
    tls: Boolean(p.tls),
    extra: typeof p.extra === "string" ? JSON.parse(p.extra) : p.extra,
  };
}

/** Only a positive identification that differs counts: a probe that got no answer this time is not a change. */
function serviceChanged(old: PortRow, now: ObservedPort): boolean {
  if (!now.identified) return false;
  if (now.service && old.service && now.service !== old.service) return true;
  if (now.product && old.product && now.product !== old.product) return true;
  if (now.product && now.product === old.product && now.version && old.version && now.version !== old.version) return true;
  return false;
}
