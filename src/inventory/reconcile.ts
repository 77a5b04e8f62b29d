// Turns one scan's observations into inventory: devices identified by MAC (by IP only when no MAC
// is knowable), their addresses, ports and risk, and the changes since the previous state.
// Must run inside the caller's transaction, together with the scan's own status update, so a crash
// leaves either all of a scan's results or none of them.
//
// The identity and change rules it shares with passive sightings live in identity.ts; this file adds
// what only a scan knows: who it did not see, which ports it probed, the scan's own records.
//
// Rules (SPEC §4):
// - One MAC at several IPs is one device with several addresses; its primary IP stays put while it
//   is still among them.
// - A new randomised MAC whose hostname or service fingerprint matches a known device that this scan
//   did not see is that device with a rotated MAC (`mac_rotated`), not a new device.
// - A new MAC whose mDNS name and services (banners, versions) both match one known device is another
//   interface of it (`interface_linked`), not a new device; two known devices this scan shows to be
//   one host that way are merged. A device seen on two of its MACs in one scan keeps its primary
//   address and gathers the ports of both.
// - A new MAC at an IP whose previous owner was online until now and was not seen anywhere in this
//   scan is `mac_changed_for_ip` (a possible ARP spoof or a swapped device), reported instead of
//   `device_added`. An address freed by a device already offline is simply reused (`device_added`).
// - Absence counts only in complete network scans that covered the device's IP; a device goes
//   offline (`device_removed`) after OFFLINE_AFTER_MISSES such scans in a row (between scans the
//   departure prober, passive/departures.ts, notices one that leaves sooner). A device the owner
//   excluded is set offline by the first complete network scan of its subnet, without a change.
// - Ports are compared only when both this scan and the device's previous port scan probed them: a
//   narrower profile never "closes" ports it did not look at, and a wider one never "opens" ports
//   the previous one did not look at. A port-number guess is never a service change.
import type { Database } from "bun:sqlite";
import { parseIpv4 } from "../net/ip.ts";
import { assessDevice, assessPort, type PortInfo } from "../risk/score.ts";
import { parsePortSpec } from "../portscan/profiles.ts";
import { nameWithAddress } from "./display-name.ts";
import { hostnameKey, serviceFingerprint } from "../identify/fingerprint.ts";
import { DEVICE_COLUMNS, InventoryWriter, mdnsKeyOf, type DeviceRow } from "./identity.ts";
import { touchMac } from "./macs.ts";
import { markGone } from "./presence.ts";
import type { Change, ChangeType, Observation, ObservedPort, ScanScope, Severity } from "./observation.ts";

export const OFFLINE_AFTER_MISSES = 2;

type PortRow = { port: number; protocol: string; service: string | null; product: string | null; version: string | null; tls: number; extra: string };

export type ReconcileResult = {
  changes: Change[];
  devicesSeen: number;
  devicesAdded: number;
  devicesRemoved: number;
  openPorts: number;
  /** The devices whose records this scan wrote (seen, added, gone offline). */
  touched: ReadonlySet<number>;
  /** The first network scan's devices: a baseline, announced quietly (info, one digest). */
  baseline: boolean;
};

export function reconcile(db: Database, scanId: number, observations: Observation[], scope: ScanScope, now: string): ReconcileResult {
  return new Reconciler(db, scanId, scope, now).run(observations);
}

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
  private readonly seenDevices = new Set<number>();
  private seenMacs = new Set<string>();
  private readonly w: InventoryWriter;
  private added = 0;
  private removed = 0;
  private openPorts = 0;

  constructor(
    private readonly db: Database,
    private readonly scanId: number,
    private readonly scope: ScanScope,
    private readonly now: string,
  ) {
    this.w = new InventoryWriter(db, scanId, now);
    if (scope.baseline) this.w.newDeviceSeverity = "info";
  }

  run(observations: Observation[]): ReconcileResult {
    this.seenMacs = new Set(observations.flatMap((o) => (o.mac ? [o.mac] : [])));
    for (const group of this.groupByIdentity(observations)) this.observe(group);
    this.linkInterfaces();
    if (this.scope.kind === "network" && this.scope.complete) this.markMissing();
    for (const id of this.seenDevices) this.w.touched.add(id);
    return { changes: this.w.changes, devicesSeen: this.seenDevices.size, devicesAdded: this.added, devicesRemoved: this.removed, openPorts: this.openPorts, touched: this.w.touched, baseline: this.scope.baseline === true };
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
    this.w.change(device, type, severity, description, old_value, new_value);
  }

  private observe(group: Observation[]): void {
    const mac = group[0].mac;
    let device = mac ? this.w.byMac(mac, group[0].ip) : this.w.withoutMac(group[0].ip);
    const primary = (device && group.find((o) => o.ip === device!.ip_address)) ?? group[0];

    // "Not seen in this scan" only means something for a finished network scan.
    if (!device && mac && primary.mac_randomized && this.scope.complete && this.scope.kind === "network") {
      // Only a device this scan would have seen, or one already offline, can have changed its MAC.
      const hints = { hostname: primary.hostname, hostname_source: primary.hostname_source, ports: primary.ports };
      device = this.w.findRotated(
        hints,
        (d) => !this.seenDevices.has(d.id) && !this.seenMacs.has(d.mac_address!) && (d.status === "offline" || this.scope.covers(d.ip_address, d.mac_address)),
      );
      if (device) this.w.rotate(device, mac, primary.ip, this.w.evidence(device, hints));
    }

    // Another interface of a known device, by strong evidence only.
    if (!device && mac) {
      const name = primary.hostname_source === "mdns" ? hostnameKey(primary.hostname) : null;
      device = this.w.interfaceOf(name, primary.ports ? serviceFingerprint(primary.ports) : null, [mac]);
      if (device) this.w.linkInterface(device, mac, primary.ip, primary.mac_randomized, name!);
    }

    if (!device) {
      this.addDevice(primary, group);
      return;
    }

    if (this.seenDevices.has(device.id)) {
      this.seenOnAnotherMac(device, mac, group);
      return;
    }
    this.seenDevices.add(device.id);
    this.w.seenAgain(device, primary.ip, mac, primary.mac_randomized, group.map((o) => o.ip));
    this.w.applyIdentity(device.id, scanIdentity(primary));
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

  /**
   * A device this scan already saw on another of its MACs: its addresses and this MAC's sighting are
   * recorded, its primary address stays, and this interface's ports join the others' (nothing is
   * "closed" because one interface does not serve it).
   */
  private seenOnAnotherMac(device: DeviceRow, mac: string | null, group: Observation[]): void {
    for (const o of group) this.w.recordAddress(device.id, o.ip, o.mac ?? mac);
    if (mac) touchMac(this.db, device.id, mac, group[0].mac_randomized, this.now);
    const ports = group[0].ports;
    if (ports !== null) {
      this.writePorts(device.id, ports, false);
      this.assessRisk(device.id, false);
    }
  }

  /**
   * Devices this scan saw that are one host by strong evidence (the same mDNS name and the same
   * services), each with a MAC of its own: merged into one (identity.ts mergeInterfaces).
   */
  private linkInterfaces(): void {
    const read = this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = ?`);
    for (const id of [...this.seenDevices]) {
      const d = read.get(id) as DeviceRow | null;
      if (!d || d.mac_address === null || !d.ports_known) continue;
      const name = mdnsKeyOf(d);
      const other = this.w.interfaceOf(name, d.service_fingerprint, this.w.macsOf(d.id), d.id);
      if (!other) continue;
      const portsOf = (deviceId: number) => (this.db.query("SELECT count(*) AS n FROM ports WHERE device_id = ?").get(deviceId) as { n: number }).n;
      const counted = new Map([d.id, other.id].filter((x) => this.seenDevices.has(x)).map((x) => [x, portsOf(x)]));
      const gone = this.w.mergeInterfaces(d, other, name!);
      // The scan counted the gone device's ports: one host's ports count once.
      this.openPorts -= counted.get(gone) ?? 0;
      this.seenDevices.delete(gone);
    }
  }

  private addDevice(primary: Observation, group: Observation[]): void {
    // Whose address was this? Only a MAC'd device that this scan saw nowhere can have been replaced.
    const owner = primary.mac ? this.w.ipOwner(primary.ip, primary.mac) : null;
    // An owner already offline just left the address free (DHCP reuse): that is a new device, not a spoof.
    const replaced =
      owner && this.scope.complete && owner.status === "online" && !this.seenMacs.has(owner.mac_address!) && !this.seenDevices.has(owner.id) ? owner : null;
    const id = this.w.add({ ...primary, ...scanIdentity(primary), ports_known: primary.ports !== null }, replaced);
    this.seenDevices.add(id);
    if (!replaced) this.added++;
    this.recordSighting(id, group);
    if (primary.ports !== null) {
      this.writePorts(id, primary.ports);
      this.db.query("UPDATE devices SET ports_spec = ? WHERE id = ?").run(this.scope.portSpec, id);
      this.assessRisk(id);
    }
  }

  private recordSighting(deviceId: number, group: Observation[]): void {
    for (const o of group) this.w.recordAddress(deviceId, o.ip, o.mac);
    const primary = group[0];
    this.db
      .query("INSERT OR REPLACE INTO scan_devices (scan_id, device_id, ip_address, mac_address, method, rtt_ms, open_ports) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(this.scanId, deviceId, primary.ip, primary.mac, primary.method, primary.rtt_ms, JSON.stringify((primary.ports ?? []).map((p) => p.port)));
  }

  private diffPorts(device: DeviceRow, o: Observation): void {
    const before = new Map((this.db.query("SELECT port, protocol, service, product, version, tls, extra FROM ports WHERE device_id = ?").all(device.id) as PortRow[]).map((r) => [r.port, r]));
    const who = { id: device.id, ip: o.ip, mac: o.mac };
    const where = nameWithAddress({ ...device, ip_address: o.ip });
    // Scanned before: in the device's previous port set (unknown for databases older than schema v8).
    const previously = device.ports_spec ? portsOfSpec(device.ports_spec) : null;
    for (const p of o.ports!) {
      const old = before.get(p.port);
      if (!old) {
        if (previously && !previously.has(p.port)) continue;
        const threat = assessPort(toPortInfo(p));
        this.change(who, "port_opened", threat?.level ?? "info", `Port ${p.port}/tcp (${describeService(p)}) opened on ${where}${threat ? ` — ${threat.level} risk` : ""}`, null, String(p.port));
      } else if (serviceChanged(old, p)) {
        this.change(who, "service_changed", "info", `Service on ${where} port ${p.port} changed from ${describeService(old)} to ${describeService(p)}`, describeService(old), describeService(p));
      }
    }
    const open = new Set(o.ports!.map((p) => p.port));
    for (const [port, old] of before) {
      if (!open.has(port) && this.scope.ports!.has(port)) {
        this.change(who, "port_closed", "info", `Port ${port}/tcp (${describeService(old)}) closed on ${where}`, String(port), null);
      }
    }
  }

  /** Writes the ports found; `prune` deletes the ones probed and not found (not for a device's second interface). */
  private writePorts(deviceId: number, ports: ObservedPort[], prune = true): void {
    const open = new Set(ports.map((p) => p.port));
    for (const row of prune ? (this.db.query("SELECT port FROM ports WHERE device_id = ?").all(deviceId) as { port: number }[]) : []) {
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
    this.w.storeServiceFingerprint(deviceId);
  }

  /** `count` false: the device's ports were counted once already in this scan. */
  private assessRisk(deviceId: number, count = true): void {
    const rows = this.db.query("SELECT port, protocol, service, product, version, tls, extra FROM ports WHERE device_id = ?").all(deviceId) as PortRow[];
    // Stored without regard to trust: trust changes without a scan, and readers apply it (summaryForTrust).
    const risk = assessDevice({ ports: rows.map(toPortInfo), is_trusted: false });
    if (count) this.openPorts += rows.length;
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
      if (this.seenDevices.has(d.id)) continue;
      if (this.scope.excludes?.(d.ip_address, d.mac_address)) {
        // Excluded: not looked at, so neither "online" (with a last-seen that never moves again)
        // nor "went offline" (it may well be there). Offline without a change; its last seen stays.
        this.db.query("UPDATE devices SET missed_scans = 0, status = 'offline' WHERE id = ?").run(d.id);
        markGone(this.db, d.id, d.last_seen);
        this.w.touched.add(d.id);
        continue;
      }
      if (!this.scope.covers(d.ip_address, d.mac_address)) continue;
      const missed = d.missed_scans + 1;
      if (missed >= OFFLINE_AFTER_MISSES) {
        this.db.query("UPDATE devices SET missed_scans = ?, status = 'offline' WHERE id = ?").run(missed, d.id);
        markGone(this.db, d.id, d.last_seen);
        this.w.touched.add(d.id);
        this.removed++;
        this.change({ id: d.id, ip: d.ip_address, mac: d.mac_address }, "device_removed", "info", `Device ${nameWithAddress(d)} went offline (not seen in ${missed} scans)`, d.ip_address, null);
      } else {
        this.db.query("UPDATE devices SET missed_scans = ? WHERE id = ?").run(missed, d.id);
      }
    }
  }
}

/** A scan's names and guesses with their evidence: the name's resolver, "scan" for the vendor/port guesses. */
function scanIdentity(o: Observation) {
  return {
    vendor: o.vendor,
    hostname: o.hostname,
    hostname_source: o.hostname ? o.hostname_source : null,
    device_type: o.device_type,
    device_type_source: o.device_type ? "scan" : null,
    device_type_evidence: o.device_type ? (o.device_type_evidence ?? null) : null,
    os_name: o.os_name,
    os_source: o.os_name ? "scan" : null,
    // The host's own answer to the scan's mDNS query: the name it announces (evidence for identity.ts).
    mdns_name: o.hostname && o.hostname_source === "mdns" ? o.hostname : null,
  };
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
