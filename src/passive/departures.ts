// Departures without a scan (SPEC §7 "Presence"): a device not heard for its grace gets a unicast
// ARP request (to its MAC, for its address, from the interface it lives on); an answer counts as seen
// (source "probe"), two unanswered requests in a row mark it offline with a `device_removed`
// (inventory/departures.ts), published on the feed after the commit. When and how often is
// departure-schedule.ts.
//
// - Runs only inside the passive watch (so only with raw sockets), on the interfaces it watches, for
//   online devices with a MAC whose address lies in a confirmed subnet attached there; never for
//   excluded addresses or MACs ("never scan"), nor for the host's own.
// - One tick (TICK_MS) does everything: read the answers, re-read the candidates every SYNC_MS,
//   decide, send. The sockets (native/probe.c) are opened on first use, one per interface and source
//   address, and closed on stop, on a configuration change and when the watched interfaces change.
// - A configuration change stops probing at once: probes in flight are forgotten (they cannot make a
//   device depart), sockets closed, candidates read again under the new exclusions.
// - Our own link down is not everybody's departure: a probe that cannot be sent is not awaited, and
//   no device is declared gone on an interface whose link is not up.
import type { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";
import type { AppConfig } from "../config/app-config.ts";
import type { ResolvedConfig } from "../config/resolved.ts";
import type { EventFeed } from "../events.ts";
import { markDeparted, markSeenByProbe } from "../inventory/departures.ts";
import { DeviceInventory } from "../inventory/devices.ts";
import type { PresenceMode } from "../inventory/enums.ts";
import type { Change } from "../inventory/observation.ts";
import { log } from "../log.ts";
import type { NetInterface } from "../net/interfaces.ts";
import { inSubnet, parseIpv4 } from "../net/ip.ts";
import { ArpProber } from "../net/native-probe.ts";
import { isExcludedIp, isExcludedMac } from "../net/targets.ts";
import type { NotifySink } from "../notify/sink.ts";
import { toIso } from "../time.ts";
import { DepartureSchedule, MAX_TRACKED, type Candidate, type Tracked } from "./departure-schedule.ts";

const TICK_MS = 500;
const SYNC_MS = 2000;
/** Configuration keys after whose change probing starts afresh. */
const RESTART_KEYS = ["departures", "exclude", "subnets", "interface", "passive"];

export type ProbedInterface = { name: string; addrs: NetInterface[] };

export type DepartureOptions = {
  db: Database;
  config: () => ResolvedConfig;
  sink: NotifySink;
  feed: EventFeed;
  onConfigChange?: (listener: (config: AppConfig, changed: string[]) => void) => () => void;
  /** Told the MACs that went offline: the passive watch's next frame from one must count again (device_returned). */
  onDeparted?: (macs: string[]) => void;
};

type Row = { id: number; mac_address: string; ip_address: string; presence_mode: PresenceMode; last_seen: string };

export class DepartureProber {
  private readonly schedule: DepartureSchedule;
  private readonly sockets = new Map<string, ArpProber>();
  private ifaces: ProbedInterface[] = [];
  private ownMacs = new Set<string>();
  private ownIps = new Set<string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: (() => void) | null = null;
  private syncedAt = 0;
  private closed = false;
  /** Set when a socket cannot be opened for lack of privilege: said once, then no probing. */
  private refused = false;
  private readonly failedSends = new Set<string>();
  private readonly devices: DeviceInventory;

  constructor(private readonly opts: DepartureOptions) {
    this.schedule = new DepartureSchedule(opts.config().config.departures);
    this.devices = new DeviceInventory(opts.db);
    this.unsubscribe =
      opts.onConfigChange?.((_, changed) => {
        if (changed.some((k) => RESTART_KEYS.includes(k))) this.restart();
      }) ?? null;
    this.timer = setInterval(() => this.tickSafely(), TICK_MS);
    this.timer.unref?.();
  }

  /** The passive watch's interfaces and the host's own addresses (after each of its re-reads). */
  setInterfaces(ifaces: ProbedInterface[], ownMacs: Set<string>, ownIps: Set<string>): void {
    const key = (l: ProbedInterface[]) => l.map((i) => `${i.name}:${i.addrs.map((a) => `${a.ip}/${a.prefix}`).join(",")}`).sort().join(";");
    const changed = key(ifaces) !== key(this.ifaces);
    this.ifaces = ifaces;
    this.ownMacs = ownMacs;
    this.ownIps = ownIps;
    if (changed) this.restart();
  }

  /** A frame from this MAC was heard on the wire: it is here (no probe needed). O(1). */
  heard(mac: string): void {
    this.schedule.heard(mac, Date.now());
  }

  /** Stops probing for good (shutdown). */
  stop(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    this.closeSockets();
  }

  /** Probing starts afresh: nothing in flight counts, sockets reopen, candidates are read again now. */
  private restart(): void {
    this.closeSockets();
    this.schedule.reset(this.opts.config().config.departures);
    this.syncedAt = 0;
  }

  private closeSockets(): void {
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    this.failedSends.clear();
  }

  private tickSafely(): void {
    try {
      this.tick();
    } catch (e) {
      log.warn("departure probes: a tick failed", { error: e instanceof Error ? e.message : String(e) });
    }
  }

  private tick(): void {
    if (this.closed) return;
    const cfg = this.opts.config().config;
    if (!cfg.departures.enabled || cfg.passive === false || this.ifaces.length === 0 || this.refused) {
      if (this.schedule.size > 0 || this.sockets.size > 0) this.restart();
      return;
    }
    const now = Date.now();
    this.readAnswers(now);
    if (now - this.syncedAt >= SYNC_MS) {
      this.schedule.sync(this.candidates(), now);
      this.syncedAt = now;
    }
    const { probe, gone } = this.schedule.tick(now);
    if (gone.length > 0) this.depart(gone, now);
    for (const t of probe) this.send(t, now);
  }

  /** Online devices with a MAC on a watched, confirmed, attached subnet, not excluded and not our own. */
  private candidates(): Candidate[] {
    const resolved = this.opts.config();
    const rows = this.opts.db
      // A device with several interfaces (merged, inventory/macs.ts) is probed on the MAC it was seen
      // with last: that interface holds its current address.
      .query(
        `SELECT id, coalesce((SELECT m.mac FROM device_macs m WHERE m.device_id = d.id ORDER BY m.last_seen DESC, m.mac = d.mac_address DESC LIMIT 1), mac_address) AS mac_address,
           ip_address, presence_mode, last_seen FROM devices d WHERE status = 'online' AND mac_address IS NOT NULL ORDER BY last_seen DESC LIMIT ?`,
      )
      .all(MAX_TRACKED) as Row[];
    const out: Candidate[] = [];
    for (const r of rows) {
      const ip = parseIpv4(r.ip_address);
      if (ip === null || this.ownIps.has(r.ip_address) || this.ownMacs.has(r.mac_address)) continue;
      if (isExcludedIp(ip, resolved.exclusions) || isExcludedMac(r.mac_address, resolved.exclusions)) continue;
      if (!resolved.subnets.some((c) => inSubnet(ip, c.network, c.prefix))) continue;
      const at = this.attachment(ip);
      if (!at) continue;
      out.push({ id: r.id, mac: r.mac_address, ip: r.ip_address, mode: r.presence_mode, iface: at.iface, srcIp: at.srcIp, lastSeenMs: Date.parse(r.last_seen) || 0 });
    }
    return out;
  }

  /** The watched interface and our address on it whose subnet holds `ip` (the longest prefix). */
  private attachment(ip: number): { iface: string; srcIp: string } | null {
    let best: { iface: string; srcIp: string; prefix: number } | null = null;
    for (const i of this.ifaces) {
      for (const a of i.addrs) {
        if (inSubnet(ip, a.network, a.prefix) && (!best || a.prefix > best.prefix)) best = { iface: i.name, srcIp: a.ip, prefix: a.prefix };
      }
    }
    return best;
  }

  private socket(iface: string, srcIp: string): ArpProber | null {
    const key = `${iface}/${srcIp}`;
    const open = this.sockets.get(key);
    if (open) return open;
    try {
      const s = ArpProber.open(iface, srcIp);
      this.sockets.set(key, s);
      return s;
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      if (errno === 1 || errno === 13) {
        this.refused = true;
        log.warn("departure probes off: no raw-socket privilege (CAP_NET_RAW); departures are noticed by scans only");
      } else if (!this.failedSends.has(key)) {
        this.failedSends.add(key);
        log.warn("departure probes cannot use an interface now", { interface: iface, error: e instanceof Error ? e.message : String(e) });
      }
      return null;
    }
  }

  private send(t: Tracked, now: number): void {
    const resolved = this.opts.config();
    const ip = parseIpv4(t.ip);
    // The exclusions as they are this instant: an excluded device is never sent a frame.
    if (ip === null || isExcludedIp(ip, resolved.exclusions) || isExcludedMac(t.mac, resolved.exclusions)) {
      this.schedule.forget(t);
      this.schedule.unsent(t);
      return;
    }
    const s = this.socket(t.iface, t.srcIp);
    const r = s ? s.send(t.mac, t.ip) : -1;
    if (r === 0) {
      this.schedule.sent(t, now);
      return;
    }
    this.schedule.unsent(t);
    const key = `${t.iface}/${t.srcIp}`;
    if (s && !this.failedSends.has(key)) {
      this.failedSends.add(key);
      log.info("departure probes wait: the interface does not send now (link down?)", { interface: t.iface, errno: -r });
    }
  }

  private readAnswers(now: number): void {
    const seen: number[] = [];
    for (const s of this.sockets.values()) {
      for (const a of s.read()) {
        const t = this.schedule.heard(a.mac, now);
        // The answer must come from the address asked for: a MAC that moved is for the inventory to tell.
        if (t && t.ip === a.ip) seen.push(t.id);
      }
    }
    if (seen.length === 0) return;
    for (const key of this.sockets.keys()) this.failedSends.delete(key);
    this.opts.db.transaction(() => markSeenByProbe(this.opts.db, seen, toIso(now))).immediate();
  }

  private depart(gone: Tracked[], now: number): void {
    const up = new Map<string, boolean>();
    const changes: Change[] = [];
    const touched: number[] = [];
    this.opts.db
      .transaction(() => {
        for (const t of gone) {
          this.schedule.forget(t);
          if (!up.has(t.iface)) up.set(t.iface, linkUp(t.iface));
          if (!up.get(t.iface)) continue; // our side is down: nobody can be judged now
          const lastSeen = toIso(Math.ceil(t.lastHeardMs / 1000) * 1000);
          const r = markDeparted(this.opts.db, { id: t.id, ip: t.ip, mac: t.mac, mode: t.mode, lastSeen, probes: t.misses }, toIso(now));
          changes.push(...r.changes);
          touched.push(...r.touched);
        }
        this.opts.sink.enqueue(changes, null);
      })
      .immediate();
    if (changes.length === 0) return;
    this.opts.onDeparted?.(changes.map((c) => c.device_mac!).filter(Boolean));
    log.info("departure probes: devices went offline", { devices: changes.map((c) => c.device_ip).join(",") });
    this.opts.feed.publish({ type: "changes", scan_id: null, changes });
    this.opts.feed.publishDevices(touched, (ids) => this.devices.records(ids));
  }
}

/** Whether our interface's link is up (operstate "up", or "unknown" for links that do not say). */
function linkUp(iface: string): boolean {
  try {
    const state = readFileSync(`/sys/class/net/${iface}/operstate`, "utf8").trim();
    return state === "up" || state === "unknown";
  } catch {
    return false;
  }
}
