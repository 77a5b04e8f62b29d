// Role sensor: what this appliance's feed says (its own scans and sightings, committed) goes to the
// hub over the owner's broker (protocol.ts). Every commit's device records and changes become one
// `batch` message, queued on disk (outbox.ts) and published QoS 1 in order, a window at a time; a
// message leaves the outbox only on its PUBACK. While the broker is away the outbox fills (bounded),
// and on reconnect it replays from its oldest message, then reports what was dropped.
//
// Also the records of scans that finished here, and the MACs of devices the owner forgot, so that the
// hub's scan history and inventory follow.
//
// The message is queued right after the commit (the feed's listeners run then): a kill -9 between the
// two loses that one commit's message. A repeat is harmless: the hub applies each number once.
import type { Database } from "bun:sqlite";
import type { MqttClient } from "mqtt";
import type { EventFeed } from "../events.ts";
import type { Device } from "../inventory/devices.ts";
import { namesOf, type DeviceName } from "../inventory/names.ts";
import { portRowsOf, threatRowsOf, type PortRow, type ThreatRow } from "../inventory/port-rows.ts";
import type { Ip6Source } from "../inventory/sightings.ts";
import type { Change } from "../inventory/observation.ts";
import { log } from "../log.ts";
import { isoNow } from "../time.ts";
import { brokerError, connectBroker, type BrokerConfig } from "./broker.ts";
import { commandsTopic, parseCommand, type ScanCommand } from "./commands.ts";
import { Outbox, type OutboxRow } from "./outbox.ts";
import {
  BATCH_BUDGET_BYTES,
  eventsTopic,
  PROTOCOL_VERSION,
  WIRE_ADDRESSES_MAX,
  WIRE_BANNER_MAX,
  WIRE_CHANGES_MAX,
  WIRE_CVES_MAX,
  WIRE_DEVICES_MAX,
  WIRE_FORGOTTEN_MAX,
  WIRE_MDNS_MAX,
  WIRE_NAMES_MAX,
  WIRE_PORTS_MAX,
  WIRE_SCAN_STATUSES,
  WIRE_SCANS_MAX,
  WIRE_THREATS_MAX,
  type WireChange,
  type WireDevice,
  type WireScan,
  type WireThreat,
} from "./protocol.ts";
import { getScan, type ScanRecord } from "../scans/history.ts";

/** Unacknowledged messages in flight at once: enough to fill the pipe, few enough to replay quickly. */
const WINDOW = 64;
export const HEARTBEAT_MS = 30_000;

/** What one commit's feed events said, until they leave as messages. */
type Pending = { devices: Map<string, WireDevice>; changes: WireChange[]; scans: WireScan[]; forgotten: Set<string> };

export type SensorIdentity = { site: string; segment: string; prefix: string; broker: BrokerConfig };

export type SensorStatus = {
  connected: boolean;
  buffered: number;
  dropped: number;
  last_error: string | null;
  instance: string;
};

export class SegmentSensor {
  private client: MqttClient | null = null;
  private readonly outbox: Outbox;
  private readonly instance: string;
  private readonly topic: string;
  private unsubscribe: (() => void) | null = null;
  private pending: Pending | null = null;
  /** The highest number handed to the client on this connection, and those not acknowledged yet. */
  private sentUpTo = 0;
  private readonly inflight = new Set<number>();
  private lastError: string | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private heartbeats = 0;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly id: SensorIdentity,
    opts: { maxBuffered?: number; heartbeatMs?: number; onScanCommand?: (cmd: ScanCommand) => void } = {},
  ) {
    this.onScanCommand = opts.onScanCommand ?? null;
    this.outbox = new Outbox(db, opts.maxBuffered);
    this.instance = this.outbox.instance();
    this.topic = eventsTopic(id.prefix, id.site, id.segment);
    this.heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  }

  private readonly heartbeatMs: number;
  private readonly onScanCommand: ((cmd: ScanCommand) => void) | null;
  /** Commands already run (QoS 1 may deliver one twice). */
  private readonly commandsSeen = new Set<string>();

  start(feed: EventFeed): void {
    this.unsubscribe = feed.subscribe((e) => {
      if (e.type === "changes") this.collect([], e.changes);
      else if (e.type === "device" && e.device) this.collect([e.device], []);
      else if (e.type === "device" && e.forgotten_mac) this.forgot(e.forgotten_mac);
      else if (e.type === "scan" && e.scan.type === "finished") this.scanFinished(e.scan.scan_id);
    });
    void connectBroker(this.id.broker, `argus-sensor-${this.id.site}-${this.id.segment}`).then(
      (client) => {
        if (this.stopped) return void client.end(true);
        this.client = client;
        client.on("connect", (ack) => {
          // A session the broker kept still has the subscription (and the commands queued meanwhile).
          if (this.onScanCommand && !ack.sessionPresent) client.subscribe(commandsTopic(this.id.prefix, this.id.site, this.id.segment), { qos: 1 });
          this.onConnect();
        });
        client.on("message", (topic, payload) => this.command(topic, payload.toString("utf8")));
        client.on("close", () => {
          // Everything not acknowledged goes again, in order, on the next connection.
          this.sentUpTo = 0;
          this.inflight.clear();
        });
        client.on("error", (e) => {
          const error = brokerError(e);
          if (error !== this.lastError) log.warn("segment broker error", { role: "sensor", error });
          this.lastError = error;
        });
      },
      (e) => log.error("mqtt unavailable", { error: String(e) }),
    );
    this.heartbeat = setInterval(() => this.sendHeartbeat(), this.heartbeatMs);
  }

  status(): SensorStatus {
    return { connected: this.client?.connected === true, buffered: this.outbox.count(), dropped: this.outbox.dropped(), last_error: this.lastError, instance: this.instance };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.flush();
    const client = this.client;
    if (client) await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  }

  /** A command from the hub (only its credentials may write the topic: the broker's ACL). */
  private command(topic: string, payload: string): void {
    if (topic !== commandsTopic(this.id.prefix, this.id.site, this.id.segment) || !this.onScanCommand) return;
    const cmd = parseCommand(payload);
    if (!cmd) {
      log.warn("segment command ignored: malformed", { topic });
      return;
    }
    if (this.commandsSeen.has(cmd.command_id)) return;
    this.commandsSeen.add(cmd.command_id);
    if (this.commandsSeen.size > 1000) this.commandsSeen.delete(this.commandsSeen.values().next().value!);
    this.onScanCommand(cmd);
  }

  /** What is waiting to leave; one commit's feed events arrive together (synchronously after it): they leave as one message. */
  private gather(): Pending {
    if (!this.pending) {
      this.pending = { devices: new Map(), changes: [], scans: [], forgotten: new Set() };
      queueMicrotask(() => this.flush());
    }
    return this.pending;
  }

  /** A device the owner forgot here: the hub forgets it too (if it is still this segment's there). */
  private forgot(mac: string): void {
    const p = this.gather();
    p.devices.delete(mac);
    p.forgotten.add(mac);
  }

  /** A scan that ended here (completed, failed or cancelled): its record goes to the hub's scan history. */
  private scanFinished(scanId: number): void {
    const scan = getScan(this.db, scanId);
    const wire = scan && toWireScan(scan);
    if (wire) this.gather().scans.push(wire);
  }

  private collect(devices: Device[], changes: Change[]): void {
    const p = this.gather();
    for (const d of devices) {
      const w = toWireDevice(d, namesOf(this.db, d.id), { ports: portRowsOf(this.db, d.id, WIRE_PORTS_MAX), threats: threatRowsOf(this.db, d.id, WIRE_THREATS_MAX) });
      if (w) {
        p.devices.set(w.mac, w);
        p.forgotten.delete(w.mac);
      }
    }
    for (const c of changes) p.changes.push(toWireChange(c));
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = null;
    if (!batch || (batch.devices.size === 0 && batch.changes.length === 0 && batch.scans.length === 0 && batch.forgotten.size === 0)) return;
    const at = isoNow();
    for (const part of splitBatch([...batch.devices.values()], batch.changes, BATCH_BUDGET_BYTES, batch.scans, [...batch.forgotten])) this.outbox.add(this.topic, { kind: "batch", at, ...part });
    this.pump();
  }

  private onConnect(): void {
    if (this.lastError) log.info("segment broker connected", { role: "sensor" });
    this.lastError = null;
    this.sendHeartbeat();
    const dropped = this.outbox.reportDropped(this.topic, isoNow());
    if (dropped > 0) log.warn("segment outbox overflowed while the broker was away; the oldest messages were dropped", { dropped });
    this.pump();
  }

  /** Publishes what the outbox holds beyond what is in flight, up to the window. */
  private pump(): void {
    const client = this.client;
    if (!client?.connected || this.stopped) return;
    const room = WINDOW - this.inflight.size;
    if (room <= 0) return;
    for (const row of this.outbox.after(this.sentUpTo, room)) {
      this.sentUpTo = row.seq;
      this.inflight.add(row.seq);
      client.publish(row.topic, this.envelope(row), { qos: 1 }, (err) => {
        this.inflight.delete(row.seq);
        if (err) return;
        this.outbox.remove(row.seq);
        this.pump();
      });
    }
  }

  private envelope(row: OutboxRow): string {
    const body = JSON.parse(row.payload);
    return JSON.stringify({ v: PROTOCOL_VERSION, event_id: `${this.instance}:${row.seq}`, instance: this.instance, seq: row.seq, sent_at: isoNow(), ...body });
  }

  private sendHeartbeat(): void {
    const client = this.client;
    if (!client?.connected) return;
    const now = isoNow();
    const hb = { v: PROTOCOL_VERSION, event_id: `${this.instance}:hb:${++this.heartbeats}`, instance: this.instance, sent_at: now, at: now, kind: "heartbeat", buffered: this.outbox.count() };
    client.publish(this.topic, JSON.stringify(hb), { qos: 1 });
  }
}

/**
 * One commit's records in messages of at most about BATCH_BUDGET_BYTES each (the hub refuses a
 * message over MAX_MESSAGE_BYTES): devices first, then changes, so that the hub knows every device
 * before a change names it (it applies the numbered messages in order).
 */
export function splitBatch(
  devices: WireDevice[],
  changes: WireChange[],
  budget = BATCH_BUDGET_BYTES,
  scans: WireScan[] = [],
  forgotten: string[] = [],
): BatchPart[] {
  // Also at most WIRE_DEVICES_MAX devices, WIRE_CHANGES_MAX changes (and so on) a message (the hub refuses more).
  // Scans and forgets come last: the hub has the devices and changes they follow. A message carries
  // `scans` and `forgotten` only when it has some (an older hub refuses nothing it knew).
  const max = { devices: WIRE_DEVICES_MAX, changes: WIRE_CHANGES_MAX, scans: WIRE_SCANS_MAX, forgotten: WIRE_FORGOTTEN_MAX };
  const parts: BatchPart[] = [];
  let part: BatchPart = { devices: [], changes: [] };
  let size = 0;
  const add = (item: WireDevice | WireChange | WireScan | string, into: keyof typeof max) => {
    const n = JSON.stringify(item).length;
    const full = (part[into]?.length ?? 0) >= max[into];
    if (size > 0 && (size + n > budget || full)) {
      parts.push(part);
      part = { devices: [], changes: [] };
      size = 0;
    }
    ((part[into] ??= []) as unknown[]).push(item);
    size += n;
  };
  for (const d of devices) add(d, "devices");
  for (const c of changes) add(c, "changes");
  for (const s of scans) add(s, "scans");
  for (const m of forgotten) add(m, "forgotten");
  parts.push(part);
  return parts;
}

type BatchPart = { devices: WireDevice[]; changes: WireChange[]; scans?: WireScan[]; forgotten?: string[] };

/** A finished scan's record as the hub needs it; null while it has not finished (the hub keeps finished ones only). */
export function toWireScan(s: ScanRecord): WireScan | null {
  const status = WIRE_SCAN_STATUSES.find((x) => x === s.status);
  if (!status) return null;
  return {
    id: s.id,
    scan_type: s.scan_type,
    profile: s.profile.slice(0, 32),
    subnet: s.subnet.slice(0, 600),
    status,
    started_at: s.started_at,
    finished_at: s.finished_at,
    duration_seconds: s.duration_seconds,
    hosts_total: s.hosts_total,
    hosts_found: s.hosts_found,
    ports_scanned: s.ports_scanned,
    open_ports: s.open_ports,
    devices_added: s.devices_added,
    devices_removed: s.devices_removed,
    changes_count: s.changes_count,
    degraded: s.degraded,
    error: cut(s.error, 1000),
  };
}

/**
 * A device record as the hub needs it; null for a device without a MAC (beyond a router: not merged
 * across segments). Its IPv6 addresses (the IPv4 history stays here: the hub keeps its own from the
 * `ip` of each record) and its names by source go along, bounded as the sensor keeps them, and so do
 * its ports' services and its findings (`detail`), so that the hub's device page matches this one.
 */
export function toWireDevice(d: Device, names: DeviceName[] = [], detail?: { ports: PortRow[]; threats: ThreatRow[] }): WireDevice | null {
  if (!d.mac_address) return null;
  return {
    mac: d.mac_address,
    ip: d.ip_address,
    mac_randomized: d.mac_randomized,
    hostname: d.hostname,
    hostname_source: d.hostname_source,
    vendor: d.vendor,
    device_type: d.device_type,
    os_name: d.os_name,
    model: d.model,
    status: d.status,
    first_seen: d.first_seen,
    last_seen: d.last_seen,
    open_ports: d.open_ports,
    risk_level: d.risk_level,
    risk_score: d.risk_score,
    threat_summary: d.threat_summary,
    addresses: d.addresses
      .filter((a) => a.family === 6 && a.source !== "inventory")
      .slice(0, WIRE_ADDRESSES_MAX)
      .map((a) => ({ address: a.address, mac: a.mac, first_seen: a.first_seen, last_seen: a.last_seen, source: a.source as Ip6Source })),
    names: names.slice(0, WIRE_NAMES_MAX).map((n) => ({ name: n.name, source: n.source, last_seen: n.last_seen })),
    ...(detail && {
      ports: detail.ports.slice(0, WIRE_PORTS_MAX).map((p) => ({
        ...p,
        service: cut(p.service, 255),
        product: cut(p.product, 255),
        version: cut(p.version, 255),
        ...(p.banner !== undefined && { banner: cut(p.banner, WIRE_BANNER_MAX) }),
      })),
      threats: detail.threats.slice(0, WIRE_THREATS_MAX).map((t) => ({
        ...t,
        level: t.level as WireThreat["level"],
        description: t.description.slice(0, 2000),
        recommendation: t.recommendation.slice(0, 2000),
        cve_ids: t.cve_ids.filter((c) => CVE.test(c)).slice(0, WIRE_CVES_MAX),
      })),
    }),
    mdns_services: d.mdns_services.slice(0, WIRE_MDNS_MAX).map((m) => m.slice(0, 255)),
    device_type_evidence: cut(d.device_type_evidence, 255),
  };
}

// Within the hub's bounds (protocol.ts), so that a long text never gets the whole message refused.
const cut = (s: string | null, max: number) => (s === null ? null : s.slice(0, max));
const CVE = /^CVE-\d{4}-\d{4,12}$/;

export function toWireChange(c: Change): WireChange {
  return {
    change_type: c.change_type,
    severity: c.severity,
    device_mac: c.device_mac,
    device_ip: c.device_ip,
    old_value: c.old_value,
    new_value: c.new_value,
    description: c.description,
    detected_at: c.detected_at,
  };
}
