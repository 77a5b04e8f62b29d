// Passive watch (SPEC §5): listens, sending nothing, on the interfaces of the confirmed subnets for
// ARP, DHCP and mDNS, and over IPv6 for neighbour discovery, DHCPv6 and mDNS, and records what it
// hears as sightings within a second or two.
//
// - The native listener (native/listen.c) runs its own thread; this side sleeps on the listener's
//   wake pipe (no polling), and when woken drains the queue, enriches each sighting (vendor, DHCP
//   fingerprint, mDNS types) and writes the new ones in one transaction per chunk, yielding between
//   chunks so requests keep being served during a flood.
// - Interfaces are re-resolved from the configuration and the host's addresses the moment either
//   changes: on the configuration's change event, and on the kernel's address and link events
//   (netlink, native/netlink.c), so a host that announces itself once right after its subnet was
//   confirmed or its address added is not missed. A link that flaps, or an interface that is deleted
//   and created again, is followed without reopening anything (the socket is not bound to an
//   interface). A re-read every few seconds stays as a safety net, and for the gateway's ARP entry,
//   whose changes come as no event the watch follows.
// - Evidence counts only for the MAC that sent it: an ARP or DHCP frame whose sender or chaddr is not
//   its Ethernet source is a spoofing hint (logged), not a sighting. A DHCP server's OFFER or ACK
//   names nobody unless it comes from the LAN's known server (learned on first sight, see
//   infrastructure.ts); another server's is a `rogue_dhcp_server`. Even the known server's ACK names
//   only a client that was itself heard. Likewise the first IPv6 router heard advertising is learned,
//   and a Router Advertisement from any other router is a `rogue_router_advert` (a guest's RA can take
//   over every IPv6 route on the LAN). An RA behind IPv6 extension headers (hosts accept it, no real
//   router sends it) is never learned: from any router not already known it is rogue.
// - The default gateway (routing table) and its MAC (from the host's own ARP entry, never from a frame
//   a guest could send first) are learned on first sight, as an `infrastructure_learned`; another MAC claiming
//   its address is an `ip_conflict` (inventory/sightings.ts), the host's own ARP entry for it
//   changing is `gateway_changed`.
// - Off, with one log line, when `passive` is false or raw sockets are not allowed.
// - A flood of new MACs must not become a flood of alerts: a passive newcomer is held back for
//   SETTLE_MS (no message, no Home Assistant entity yet); when the flood cap trips, the newcomers still
//   held and every device admitted while the flood lasts go into one digest message per channel
//   (notify/queue.ts enqueueFloodDigest) and get no Home Assistant entity until a DHCP handshake or a
//   scan shows them real. A device whose DHCP handshake was heard is announced at once.
// - Devices gone silent are probed on the watched interfaces (departures.ts): every frame a known
//   MAC sends is news that it is still here, so only the silent ones cost a probe.
import type { Database } from "bun:sqlite";
import { closeSync } from "node:fs";
import type { AppConfig } from "../config/app-config.ts";
import type { ResolvedConfig } from "../config/resolved.ts";
import type { KnownInfrastructure } from "../config/sections/infrastructure.ts";
import { dhcpFingerprint, identifyDhcp, identifyMdns } from "../identify/passive.ts";
import { isRandomizedMac, lookupVendor } from "../identify/vendor.ts";
import type { EventFeed } from "../events.ts";
import { KnownMacs } from "./known-macs.ts";
import { DeviceInventory } from "../inventory/devices.ts";
import type { DeviceRow } from "../inventory/identity.ts";
import type { NotifySink } from "../notify/sink.ts";
import type { Change } from "../inventory/observation.ts";
import { recordAlerts, recordIp6Sightings, recordSightings, type Alert, type Ip6Sighting, type Ip6Source, type Sighting } from "../inventory/sightings.ts";
import { log } from "../log.ts";
import { InterfacesUnavailable, listInterfaces, type NetInterface } from "../net/interfaces.ts";
import { inSubnet, parseIpv4 } from "../net/ip.ts";
import { ip6Scope } from "../net/ip6.ts";
import { Errno } from "../net/native-loader.ts";
import { ifaceIndex, NativeListener, NativeListenerError, NetWatch, type ListenStats, type RawSighting, type SightingPreview } from "../net/native-listener.ts";
import { readNeighbours } from "../net/neighbours.ts";
import { isExcludedIp, isExcludedMac, type Exclusions } from "../net/targets.ts";
import { isoNow } from "../time.ts";
import { AddressClaims, AlertBudget, CLAIM_WINDOW_MS, OnceGate } from "./claims.ts";
import { DepartureProber } from "./departures.ts";
import { FloodGate } from "./flood.ts";
import { judgeRouter, judgeServer, routeGateways, routerOf, serverOf } from "./infrastructure.ts";
import { SightingMemory } from "./memory.ts";

/** The native side drops a host's identical frames within this window before they reach us. */
const REPEAT_MS = 20_000;
const REFRESH_MS = 5_000;
/** A known device heard within this window is present: a new randomised MAC is not it. */
const ROTATION_QUIET_MS = 60_000;
/** A MAC heard within this window is present (two devices claiming to be one). */
const PRESENT_MS = 5 * 60_000;
/** Spoofing hints are logged at most this often per interface. */
const HINT_LOG_MS = 60_000;
/** A (MAC, IPv6 address) already written is refreshed (last_seen) at most this often; at most IP6_REMEMBERED pairs are remembered. */
const IP6_REFRESH_MS = 60_000;
const IP6_REMEMBERED = 4096;
/**
 * IPv6 addresses new to one MAC per claim window (CLAIM_WINDOW_MS) before the rest are not linked: a
 * host has a handful (link-local, ULA, global, a privacy address a day), a frame's source address is
 * the sender's free choice, and one MAC spraying sources must not churn its device's addresses.
 */
export const IP6_NEW_PER_MAC = 16;
/** Alerts an hour about senders that can be endless (random MACs): rogue DHCP servers and IPv6 routers, unknown MACs claiming the gateway. */
const ROGUE_ALERTS_PER_HOUR = 10;
const GATEWAY_CLAIMS_PER_HOUR = 10;
/** Newcomers with a completed DHCP handshake announced at once (not held back, not in a digest), per hour and interface. */
const SOLO_ANNOUNCEMENTS_PER_HOUR = 5;
/** How long a passive newcomer waits before it is announced, in case it is the start of a flood. */
export const SETTLE_MS = 2000;
/** A flood's digest goes out this long after its first device (ARGUS_FLOOD_DIGEST_MS). */
export const DEFAULT_FLOOD_DIGEST_MS = 5 * 60_000;
/** announce_after_ms of a flood's device: never, until shown real. */
const NEVER = Number.MAX_SAFE_INTEGER;
const NEWCOMER_TYPES = new Set(["device_added", "mac_changed_for_ip"]);

export type PassiveOptions = {
  db: Database;
  /** The configuration resolved (its subnets and exclusions parsed once per change, not per frame). */
  config: () => ResolvedConfig;
  /** Queues the changes' notifications inside the transaction that records them (scan null). */
  sink: NotifySink;
  /** Where committed changes, the devices they touched and the watch's state changes are published. */
  feed: EventFeed;
  /** Override of the flood cap (new passive devices per minute per interface). */
  capPerMinute?: number;
  /** Persists known infrastructure learned on first sight (the `known_infrastructure` config section). */
  learn?: (known: KnownInfrastructure) => void;
  /** When a flood's digest goes out after its first device (default DEFAULT_FLOOD_DIGEST_MS). */
  floodDigestMs?: number;
  /**
   * Subscribes to changes of the configuration in force (the keys that changed); returns the
   * unsubscribe. The watch re-reads its interfaces at once when the subnets, the interface or
   * `passive` change.
   */
  onConfigChange?: (listener: (config: AppConfig, changed: string[]) => void) => () => void;
};

/** Configuration keys that decide which interfaces are watched. */
const INTERFACE_KEYS = ["subnets", "interface", "passive"];

type Watched = { ifindex: number; name: string; addrs: NetInterface[] };

export type PassiveStatus = { listening: boolean; interfaces: string[]; stats: ListenStats | null; flooding: string[] };

export class PassiveWatch {
  private watched = new Map<number, Watched>();
  private ownMacs = new Set<string>();
  private ownIps = new Set<string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  /** The kernel's address and link events (null when they cannot be followed: the poll alone then). */
  private netwatch: NetWatch | null = null;
  private netPump: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  /** Set while reread runs: a change arriving meanwhile (learning writes the configuration) waits for it. */
  private rereading = false;
  private rereadAgain = false;
  private pump: Promise<void> = Promise.resolve();
  private busy: Promise<void> = Promise.resolve();
  private closed = false;
  /** Set once the start-up line named the first interfaces: later attachments get their own line. */
  private started = false;
  private readonly memory = new SightingMemory();
  private readonly gate: FloodGate;
  /** The inventory's MACs while a flood asks (its early drop must not cost a query per frame). */
  private readonly knownMacs: KnownMacs;
  private readonly claims = new AddressClaims();
  /** The same per-MAC limit for IPv6 addresses heard (NDP, DHCPv6, mDNS): at most IP6_NEW_PER_MAC - 1 new ones a window are linked. */
  private readonly ip6Claims = new AddressClaims(CLAIM_WINDOW_MS, IP6_NEW_PER_MAC);
  private readonly alerts = new OnceGate();
  private readonly budget = new AlertBudget();
  /** Default gateway per watched interface name, from the routing table. */
  private gateways = new Map<string, string>();
  private hintLogged = new Map<string, number>();
  private learnFailedAt = 0;
  /** Per interface: newcomers' changes still held back (at most a minute's cap of them). */
  private readonly held = new Map<string, { change: Change; at: number }[]>();
  /**
   * Held newcomers' devices still to be shown once they are due (device id → due time). Kept apart
   * from `held`, which a later chunk trims to the newcomers of the last SETTLE_MS (the ones a flood
   * could still claim): trimmed there, a due device was never published, so Home Assistant never got
   * its entity. An entry leaves when the timer publishes it or a flood claims it.
   */
  private readonly settling = new Map<number, number>();
  private syncTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly devices: DeviceInventory;
  /** The interfaces in a flood at the last look: a change is a `status` event. */
  private floodingWas = "";
  /** Probes devices gone silent on the watched interfaces (departures without a scan). */
  readonly departures: DepartureProber;

  private constructor(
    private readonly listener: NativeListener,
    private readonly opts: PassiveOptions,
  ) {
    this.gate = new FloodGate(opts.capPerMinute);
    this.knownMacs = new KnownMacs(opts.db, opts.feed);
    this.devices = new DeviceInventory(opts.db);
    this.departures = new DepartureProber({
      db: opts.db,
      config: opts.config,
      sink: opts.sink,
      feed: opts.feed,
      onConfigChange: opts.onConfigChange,
      // Its "still here" was written lately and would be skipped as nothing new: it is news again.
      onDeparted: (macs) => macs.forEach((m) => this.memory.forget(m)),
    });
  }

  /** Starts watching, or says in one log line why not and returns null. */
  static start(opts: PassiveOptions): PassiveWatch | null {
    if (opts.config().config.passive === false) {
      log.info("passive watch off: `passive` is false in the configuration");
      return null;
    }
    let listener: NativeListener;
    try {
      listener = NativeListener.open({ repeatMs: REPEAT_MS });
    } catch (e) {
      if (e instanceof NativeListenerError && (e.errno === Errno.EPERM || e.errno === Errno.EACCES)) {
        log.warn("passive watch off: no raw-socket privilege (CAP_NET_RAW); new devices are found by scans only");
      } else {
        log.warn("passive watch off: the listener could not start", { error: e instanceof Error ? e.message : String(e) });
      }
      return null;
    }
    const w = new PassiveWatch(listener, opts);
    w.refresh();
    w.followChanges();
    w.timer = setInterval(() => {
      w.knownMacs.release();
      w.refresh();
    }, REFRESH_MS);
    w.timer.unref?.();
    const fd = listener.wakeFd();
    w.pump = w.run(fd);
    log.info("passive watch on", { interfaces: [...w.watched.values()].map((i) => i.name).join(",") || "none yet (no confirmed subnet attached)" });
    w.started = true;
    return w;
  }

  status(): PassiveStatus {
    return {
      listening: !this.closed,
      interfaces: [...this.watched.values()].map((w) => w.name),
      stats: this.closed ? null : this.listener.stats(),
      flooding: [...this.watched.values()].filter((w) => this.gate.flooding(w.name)).map((w) => w.name),
    };
  }

  /** A restored backup replaced the inventory (no device events tell of it): forget what was read of it. */
  inventoryReplaced(): void {
    this.knownMacs.invalidate();
  }

  /** Stops listening and waits for the sightings already read to be written. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.departures.stop();
    this.knownMacs.close();
    this.unsubscribe?.();
    this.netwatch?.close(); // joins its thread; its wake pipe reaches end-of-file
    this.listener.close(); // joins the thread; the wake pipe reaches end-of-file
    await Promise.race([Promise.all([this.pump, this.netPump]), Bun.sleep(1000)]);
    await this.busy;
  }

  /**
   * Re-reads the interfaces the moment the configuration or the host's addresses and links change.
   * Without the kernel's events (a netlink socket refused) the periodic re-read still follows them.
   */
  private followChanges(): void {
    this.unsubscribe =
      this.opts.onConfigChange?.((_, changed) => {
        if (changed.some((k) => INTERFACE_KEYS.includes(k))) this.refreshSafely("configuration change");
      }) ?? null;
    try {
      this.netwatch = NetWatch.open();
    } catch (e) {
      log.warn("passive watch follows address changes every few seconds only: the kernel's events cannot be read", { error: e instanceof Error ? e.message : String(e) });
      return;
    }
    const fd = this.netwatch.wakeFd();
    this.netPump = this.followKernel(fd);
  }

  private async followKernel(fd: number): Promise<void> {
    if (fd < 0) return;
    try {
      for await (const _ of Bun.file(fd).stream()) {
        if (this.closed) break;
        this.refreshSafely("address or link change");
      }
    } catch (e) {
      if (!this.closed) log.warn("passive watch stopped following the kernel's address events", { error: String(e) });
    } finally {
      try {
        closeSync(fd);
      } catch {}
    }
  }

  /** A re-read on an event: whatever goes wrong is logged, never thrown into the code that changed something. */
  private refreshSafely(cause: string): void {
    try {
      this.refresh();
    } catch (e) {
      log.warn("passive watch could not re-read its interfaces", { cause, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Set while the interface list cannot be read (out of descriptors): said once, not every 5 s. */
  private listUnreadable = false;

  /**
   * The interfaces that carry a confirmed subnet (or the configured one), as they are now. When the
   * kernel cannot tell now (out of file descriptors), the last known set stays and the next refresh
   * tries again: one log line, no exception out of the timer.
   */
  refresh(): void {
    // Learning the gateway during a re-read saves the configuration, whose change event comes back
    // here: run once more after, never inside.
    if (this.rereading) {
      this.rereadAgain = true;
      return;
    }
    this.rereading = true;
    try {
      do {
        this.rereadAgain = false;
        this.rereadOnce();
      } while (this.rereadAgain && !this.closed);
    } finally {
      this.rereading = false;
    }
  }

  private rereadOnce(): void {
    try {
      this.reread();
      if (this.listUnreadable) log.info("passive watch reads the interface list again");
      this.listUnreadable = false;
    } catch (e) {
      if (!(e instanceof InterfacesUnavailable)) throw e;
      if (!this.listUnreadable) log.warn("passive watch keeps its interfaces: the list cannot be read now; retrying", { reason: e.reason, retry_s: REFRESH_MS / 1000 });
      this.listUnreadable = true;
    }
  }

  private reread(): void {
    if (this.closed) return;
    const resolved = this.opts.config();
    const cfg = resolved.config;
    const subnets = cfg.passive === false ? [] : resolved.subnets;
    const next = new Map<number, Watched>();
    const macs = new Set<string>();
    const ips = new Set<string>();
    const listed = new Set<string>();
    for (const a of listInterfaces()) {
      listed.add(a.name);
      macs.add(a.mac);
      ips.add(a.ip);
      if (cfg.interface && a.name !== cfg.interface) continue;
      if (a.prefix >= 31) continue;
      // The interface's subnet and a confirmed one overlap: one contains the other.
      const overlaps = subnets.some((c) => inSubnet(a.network, c.network, c.prefix) || inSubnet(c.network, a.network, a.prefix));
      if (!overlaps) continue;
      const ifindex = ifaceIndex(a.name);
      if (ifindex === null) continue;
      const w = next.get(ifindex) ?? { ifindex, name: a.name, addrs: [] };
      w.addrs.push(a);
      next.set(ifindex, w);
    }
    // An interface that is down is missing from the address list but still there: keep it (same
    // index), so frames count again the moment its link comes back. One that is listed with no
    // confirmed subnet (the subnet was withdrawn) is not watched any more.
    for (const [ifindex, w] of this.watched) {
      if (!next.has(ifindex) && !listed.has(w.name) && ifaceIndex(w.name) === ifindex) next.set(ifindex, w);
    }
    const changed = [...next.keys()].sort().join() !== [...this.watched.keys()].sort().join();
    const before = this.watched;
    this.watched = next;
    this.ownMacs = macs;
    this.ownIps = ips;
    this.departures.setInterfaces([...next.values()].map((w) => ({ name: w.name, addrs: w.addrs })), macs, ips);
    const routes = routeGateways();
    this.gateways = new Map([...next.values()].filter((w) => routes.has(w.name)).map((w) => [w.name, routes.get(w.name)!]));
    this.checkGateways();
    if (changed) {
      // The owner confirms a subnet in setup after the start: say when listening really begins (or ends).
      if (this.started) {
        for (const [ifindex, w] of next) {
          if (!before.has(ifindex)) log.info("passive watch listening", { interface: w.name, addresses: w.addrs.map((a) => `${a.ip}/${a.prefix}`).join(",") });
        }
        for (const [ifindex, w] of before) if (!next.has(ifindex)) log.info("passive watch stopped listening", { interface: w.name });
      }
      this.listener.setInterfaces([...next.keys()]);
      log.debug("passive watch interfaces", { interfaces: [...next.values()].map((w) => `${w.name}#${w.ifindex}`).join(",") });
      this.opts.feed.publish({ type: "status", source: "passive" });
    }
  }

  /**
   * The host's own ARP entry for each watched gateway: learned when none is known yet, and a
   * `gateway_changed` when it now names another MAC than the known one (the host itself was fooled,
   * or the router was replaced: the owner updates known_infrastructure).
   */
  private checkGateways(): void {
    if (this.gateways.size === 0) return;
    const known = this.opts.config().config.known_infrastructure;
    const neighbours = readNeighbours();
    const alerts: Alert[] = [];
    for (const [iface, ip] of this.gateways) {
      const entry = neighbours.find((n) => n.ip === ip && n.iface === iface);
      if (!entry) continue;
      const k = known.gateways.find((g) => g.ip === ip);
      if (!k) this.learnGateway(ip, entry.mac, iface, alerts);
      else if (k.mac !== entry.mac && this.alerts.once(`gateway_changed:${ip}:${entry.mac}`)) {
        alerts.push({
          type: "gateway_changed",
          severity: "critical",
          who: { ip, mac: entry.mac },
          description: `The default gateway ${ip} now answers with MAC ${entry.mac} instead of ${k.mac} (ARP spoofing, or a replaced router: confirm it in known_infrastructure)`,
          old_value: k.mac,
          new_value: entry.mac,
        });
      }
    }
    if (alerts.length > 0) this.writeAlerts(alerts, [...this.gateways.keys()][0]);
  }

  /**
   * The gateway's MAC, learned from the host's own ARP entry only: the kernel resolved it by asking
   * itself and, by default, takes no unsolicited ARP, so a guest cannot be "first" with one gratuitous
   * frame (it could with the first ARP frame heard).
   */
  private learnGateway(ip: string, mac: string, iface: string, alerts: Alert[]): void {
    const known = this.opts.config().config.known_infrastructure;
    if (known.gateways.some((g) => g.ip === ip)) return;
    this.persist({ ...known, gateways: [...known.gateways, { ip, mac }] }, `the default gateway ${ip} at ${mac}`, { ip, mac }, iface, alerts);
  }

  /** Saves what was learned, and says so with an info change that the owner can check. */
  private persist(next: KnownInfrastructure, what: string, who: Alert["who"], iface: string, alerts: Alert[], value = `${who.ip} ${who.mac}`): void {
    // A configuration that cannot be written is retried a minute later, not on every frame.
    if (!this.opts.learn || Date.now() - this.learnFailedAt < 60_000) return;
    try {
      this.opts.learn(next);
      log.info("passive watch learned known infrastructure", { what });
    } catch (e) {
      this.learnFailedAt = Date.now();
      log.warn("passive watch could not save known infrastructure", { what, error: e instanceof Error ? e.message : String(e) });
      return;
    }
    alerts.push({
      type: "infrastructure_learned",
      severity: "info",
      who,
      description: `Learned ${what} on ${iface} on first sight; if it is not your router or DHCP server, correct known_infrastructure`,
      old_value: null,
      new_value: value,
    });
  }

  private writeAlerts(alerts: Alert[], iface: string): void {
    const changes = this.opts.db
      .transaction(() => {
        const recorded = recordAlerts(this.opts.db, alerts, isoNow());
        this.opts.sink.enqueue(recorded, null);
        return recorded;
      })
      .immediate();
    this.published(changes, []);
  }

  /** After a commit: its changes and the records of the devices it wrote, to the feed. */
  private published(changes: Change[], touched: Iterable<number>): void {
    if (changes.length > 0) this.opts.feed.publish({ type: "changes", scan_id: null, changes });
    this.opts.feed.publishDevices(touched, (ids) => this.devices.records(ids));
  }

  /** A frame that names another host than the one that sent it: logged (at most once a minute per interface), never evidence. */
  private spoofHint(r: RawSighting, iface: string): void {
    const now = Date.now();
    if (now - (this.hintLogged.get(iface) ?? 0) < HINT_LOG_MS) return;
    this.hintLogged.set(iface, now);
    log.warn("passive watch ignored a frame that speaks for another host (spoofing?)", { iface, source: r.source, sender: r.ethSrc, claims: r.mac });
  }

  /**
   * A DHCP server's reply: whether it may count as a sighting of its client. Unknown servers are
   * learned on first sight (only from a reply to a client that was heard asking), others are rogue.
   */
  private serverReply(r: RawSighting, iface: string, alerts: Alert[]): boolean {
    const known = this.opts.config().config.known_infrastructure;
    let verdict = judgeServer(r, known);
    const asked = this.memory.heard(r.mac) !== undefined;
    if (verdict === "learn" && asked && (r.dhcpType === 2 || r.dhcpType === 5)) {
      const server = serverOf(r)!;
      this.persist({ ...known, dhcp_servers: [...known.dhcp_servers, server] }, `the DHCP server ${server.server_id} at ${server.mac}`, { ip: server.server_id, mac: server.mac }, iface, alerts);
      verdict = "known";
    }
    if (verdict === "rogue") {
      const server = serverOf(r)!;
      if (this.alerts.once(`rogue_dhcp:${server.mac}:${server.server_id}`) && this.budget.allow(`rogue_dhcp:${iface}`, ROGUE_ALERTS_PER_HOUR)) {
        const names = known.dhcp_servers.map((k) => `${k.server_id} (${k.mac})`).join(", ");
        alerts.push({
          type: "rogue_dhcp_server",
          severity: "critical",
          who: { ip: server.server_id, mac: server.mac },
          description: `A DHCP server that is not the known one answers on ${iface}: ${server.server_id} from ${server.mac} (known: ${names}); its clients may get a hostile gateway or DNS`,
          old_value: names,
          new_value: `${server.server_id} ${server.mac}`,
        });
      }
      return false;
    }
    // Only the known server's ACK of a client that was itself heard names anybody.
    return verdict === "known" && r.dhcpType === 5 && asked;
  }

  /**
   * A Router Advertisement: the first router heard is learned, any other is rogue (once an hour per
   * router, at most ROGUE_ALERTS_PER_HOUR an hour per interface: random MACs cannot flood alerts).
   */
  private routerAdvert(r: RawSighting, iface: string, alerts: Alert[]): void {
    const router = routerOf(r);
    if (!router) return;
    const known = this.opts.config().config.known_infrastructure;
    const verdict = judgeRouter(router, known, r.ndExtHeaders);
    if (verdict === "learn") {
      // Its link-local address is named in the change's values, not as the change's (IPv4) device_ip.
      this.persist({ ...known, routers6: [...known.routers6, router] }, `the IPv6 router ${router.ip} at ${router.mac}`, { ip: null, mac: router.mac }, iface, alerts, `${router.ip} ${router.mac}`);
      return;
    }
    if (verdict !== "rogue" || !this.alerts.once(`rogue_ra:${router.mac}:${router.ip}`) || !this.budget.allow(`rogue_ra:${iface}`, ROGUE_ALERTS_PER_HOUR)) return;
    const names = known.routers6.map((k) => `${k.ip} (${k.mac})`).join(", ");
    const how = r.ndExtHeaders ? " behind IPv6 extension headers" : "";
    alerts.push({
      type: "rogue_router_advert",
      severity: "critical",
      who: { ip: null, mac: router.mac },
      description: `An IPv6 router that is not the known one advertises${how} on ${iface}: ${router.ip} from ${router.mac} (known: ${names || "none"}); hosts may take it as their IPv6 gateway`,
      old_value: names,
      new_value: `${router.ip} ${router.mac}`,
    });
  }

  private async run(fd: number): Promise<void> {
    if (fd < 0) return;
    try {
      for await (const _ of Bun.file(fd).stream()) {
        if (this.closed) break;
        await (this.busy = this.drain());
      }
    } catch (e) {
      if (!this.closed) log.warn("passive watch stopped reading", { error: String(e) });
    } finally {
      try {
        closeSync(fd);
      } catch {}
    }
  }

  private async drain(): Promise<void> {
    for (;;) {
      // Read and decoded when its turn comes, not all at once: the flood's preview must see what the
      // batches before it changed (a newcomer admitted by its DHCP handshake keeps its mDNS and ARP).
      // Without a flood the preview would only repeat part of the decode.
      const { sightings, more } = this.listener.readBatch(this.gate.anyFlooding() ? this.keepDuringFlood : undefined);
      if (sightings.length > 0) this.handle(sightings);
      if (!more) return;
      // Let requests in between batches: a flood must not stall the API.
      await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * The flood's drop, decided on a sighting's preview before it is decoded (most of what arrives
   * during a flood is this): a new MAC heard by ARP, mDNS or DHCPv6 from its own Ethernet source while
   * its interface floods would be refused anyway; known devices go on as usual. What handle() takes
   * another way (not watched, our own or excluded MACs, replies to our probes, NDP, DHCPv4, another
   * sender) is left to it and counts no pressure; pressure is counted only for newcomers, so a known
   * device's chatter does not prolong a flood. It runs on each batch just before handle() takes it,
   * so it sees what the batches before changed (a device admitted, a MAC kept; nothing it reads
   * changes within a batch).
   */
  private readonly keepDuringFlood = (p: SightingPreview): boolean => {
    if (p.source === "dhcp" || p.source === "ndp" || !p.sameSender) return true;
    const w = this.watched.get(p.ifindex);
    if (!w || !this.gate.flooding(w.name)) return true;
    if (this.ownMacs.has(p.mac) || isExcludedMac(p.mac, this.opts.config().exclusions)) return true;
    if (p.source === "arp" && p.arpOp === 2 && p.auxIp && this.ownIps.has(p.auxIp)) return true;
    return this.memory.isKept(p.mac) || this.knownMacs.has(p.mac) || !this.gate.refusesNewcomer(w.name);
  };

  /** Writes one chunk of sightings; exported behaviour is tested through the real listener. */
  private handle(raw: RawSighting[]): void {
    const resolved = this.opts.config();
    const excluded = resolved.exclusions;
    const byIface = new Map<string, Sighting[]>();
    const alerts = new Map<string, Alert[]>();
    const ip6: Ip6Sighting[] = [];
    for (const r of raw) {
      const w = this.watched.get(r.ifindex);
      if (!w || this.ownMacs.has(r.mac) || this.ownMacs.has(r.ethSrc) || isExcludedMac(r.mac, excluded)) continue;
      // Replies to our own probes are the scan's business, not a passive sighting.
      if (r.source === "arp" && r.arpOp === 2 && r.auxIp && this.ownIps.has(r.auxIp)) continue;
      if (r.source === "ndp") {
        if (r.ndType === 134) {
          const list = alerts.get(w.name) ?? [];
          alerts.set(w.name, list);
          this.routerAdvert(r, w.name, list);
        }
        // Only the sender's own MAC counts; it adds IPv6 addresses to a known device and never makes one.
        if (r.ethSrc !== r.mac) this.spoofHint(r, w.name);
        else this.ip6Of(r, ip6);
        continue;
      }
      if (r.source === "dhcp" && r.dhcpOp === 2) {
        const list = alerts.get(w.name) ?? [];
        alerts.set(w.name, list);
        if (!this.serverReply(r, w.name, list)) continue;
        // The known server's ACK of a client heard asking: a completed handshake (the flood gate admits it ahead of noise).
        this.memory.note(r);
      } else if (r.ethSrc !== r.mac) {
        this.spoofHint(r, w.name);
        continue;
      } else {
        // (A new MAC heard by ARP, mDNS or DHCPv6 while its interface floods never gets here:
        // keepDuringFlood dropped it before its decode.)
        this.memory.note(r);
        this.departures.heard(r.mac);
        // DHCPv6 and mDNS over IPv6: the frame's IPv6 source is the one address it speaks for (a
        // DUID's MAC or an AAAA record inside it is never linked). Names go on below like IPv4's,
        // with no IPv4 address: they reach a known device and never make one.
        if (r.ip6 !== null && (r.source === "dhcpv6" || r.source === "mdns")) this.ip6Of(r, ip6, r.source);
      }
      let ip = r.ip ?? (r.source === "dhcp" && r.dhcpType === 3 ? r.auxIp : null);
      if (ip !== null && !this.inScope(ip, w, resolved)) ip = null;
      if (ip !== null && this.ownIps.has(ip)) continue;
      const s = this.memory.withHints(r);
      if (!this.memory.fresh(s, ip)) continue;
      const list = byIface.get(w.name) ?? [];
      list.push(toSighting(s, ip, w.name, !r.hostname && s.hostname !== null));
      byIface.set(w.name, list);
    }
    for (const [iface, list] of alerts) if (list.length > 0) this.writeAlerts(list, iface);
    if (ip6.length > 0) {
      const db = this.opts.db;
      const added = db.transaction(() => recordIp6Sightings(db, ip6, isoNow())).immediate();
      this.opts.feed.publishDevices(added, (ids) => this.devices.records(ids));
    }
    for (const [iface, sightings] of byIface) {
      const now = isoNow();
      const known = this.opts.config().config.known_infrastructure;
      const refusedMacs: string[] = [];
      /** How each admitted newcomer is announced: at once (DHCP handshake), held, or in the flood digest. */
      const admitted = new Map<string, "now" | "held" | "flood">();
      let heldAny = false;
      const result = this.opts.db
        .transaction(() => {
          const recorded = recordSightings(
            this.opts.db,
            sightings,
            {
              capPerMinute: this.gate.capPerMinute,
              mayHaveRotated: (d: DeviceRow) => {
                const heard = d.mac_address ? this.memory.heard(d.mac_address) : undefined;
                return heard === undefined || Date.now() - heard > ROTATION_QUIET_MS;
              },
              admitNew: (name, s) => {
                const handshake = this.memory.handshake(s.mac) !== undefined;
                const a = this.gate.admit(name, s.source === "dhcp", handshake);
                if (a !== "admit") refusedMacs.push(s.mac);
                // A handshake can be forged with the known server's MAC and identifier: only a few an hour
                // are announced at once; the rest wait like any newcomer (and join a flood's digest).
                else admitted.set(s.mac, handshake && this.budget.allow(`solo:${name}`, SOLO_ANNOUNCEMENTS_PER_HOUR) ? "now" : this.gate.flooding(name) ? "flood" : "held");
                return a;
              },
              present: (mac) => {
                const heard = this.memory.heard(mac);
                return heard !== undefined && Date.now() - heard < PRESENT_MS;
              },
              claim: (mac) => this.claims.claim(mac),
              once: (key) => this.alerts.once(key),
              budget: (kind) => this.budget.allow(`${kind}:${iface}`, GATEWAY_CLAIMS_PER_HOUR),
              gateways: known.gateways,
            },
            now,
          );
          heldAny = this.queue(iface, recorded.changes, admitted, sightings, refusedMacs);
          return recorded;
        })
        .immediate();
      for (const mac of refusedMacs) this.memory.forget(mac);
      // Recorded devices (known, or admitted) stay in memory however many flood MACs follow.
      const refused = new Set(refusedMacs);
      for (const s of sightings) if (s.ip !== null && !refused.has(s.mac)) this.memory.keep(s.mac);
      this.published(result.changes, result.touched);
      if (heldAny) this.syncAfterSettling();
    }
    const flooding = [...this.watched.values()].filter((w) => this.gate.flooding(w.name)).map((w) => w.name).join();
    if (flooding !== this.floodingWas) {
      this.floodingWas = flooding;
      this.opts.feed.publish({ type: "status", source: "passive" });
    }
  }

  /**
   * Queues the chunk's notifications (inside its transaction) and marks who Home Assistant may see:
   * newcomers held, a flood's devices (with the newcomers still held when it began) into its digest.
   * Returns whether a newcomer was held back.
   */
  private queue(iface: string, changes: Change[], admitted: Map<string, "now" | "held" | "flood">, sightings: Sighting[], refused: string[]): boolean {
    const db = this.opts.db;
    const nowMs = Date.now();
    const mode = (c: Change) => (c.device_mac && NEWCOMER_TYPES.has(c.change_type) ? admitted.get(c.device_mac) : undefined);
    const flood: Change[] = [];
    const held: Change[] = [];
    const rest: Change[] = [];
    for (const c of changes) {
      const m = mode(c);
      (m === "flood" ? flood : m === "held" ? held : rest).push(c);
    }
    const earlier = (this.held.get(iface) ?? []).filter((h) => nowMs - h.at < SETTLE_MS);
    if (this.gate.flooding(iface)) {
      // The flood began: the newcomers still held (earlier ones, and this chunk's before the cap
      // tripped) were its first devices.
      flood.unshift(...earlier.map((h) => h.change), ...held.splice(0));
      this.held.set(iface, []);
    } else {
      this.held.set(iface, [...earlier, ...held.map((change) => ({ change, at: nowMs }))]);
    }
    const mark = db.query("UPDATE devices SET announce_after_ms = ? WHERE id = ?");
    for (const c of held) if (c.device_id !== null) (mark.run(nowMs + SETTLE_MS, c.device_id), this.settling.set(c.device_id, nowMs + SETTLE_MS));
    for (const c of flood) if (c.device_id !== null) (mark.run(NEVER, c.device_id), this.settling.delete(c.device_id));
    // A completed DHCP handshake shows a held-back or flood device real.
    const skip = new Set(refused);
    const real = db.query("UPDATE devices SET announce_after_ms = NULL WHERE mac_address = ? AND announce_after_ms IS NOT NULL");
    for (const s of sightings) if (!skip.has(s.mac) && this.memory.handshake(s.mac) !== undefined) real.run(s.mac);
    this.opts.sink.enqueue(rest, null);
    if (held.length > 0) this.opts.sink.enqueue(held, null, { holdMs: SETTLE_MS });
    if (flood.length > 0) this.opts.sink.enqueue(flood, null, { floodDigestMs: this.opts.floodDigestMs ?? DEFAULT_FLOOD_DIGEST_MS });
    return held.length > 0;
  }

  /** Once held newcomers are due, their records again: Home Assistant may show them now. */
  private syncAfterSettling(): void {
    if (this.syncTimer || this.closed || this.settling.size === 0) return;
    const wait = Math.max(0, Math.min(...this.settling.values()) - Date.now());
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      if (this.closed) return;
      const now = Date.now();
      const ids = [...this.settling].filter(([, due]) => due <= now).map(([id]) => id);
      for (const id of ids) this.settling.delete(id);
      this.published([], ids);
      // Newcomers held since this timer was set are due later: once more for them.
      this.syncAfterSettling();
    }, wait + 200);
    this.syncTimer.unref?.();
  }

  private knownMac: ReturnType<Database["query"]> | null = null;

  /** When each (MAC, IPv6 address) was last written: a chatty host's NDP refreshes it once per IP6_REFRESH_MS. */
  private ip6Written = new Map<string, number>();

  /** The addresses an NDP, DHCPv6 or IPv6 mDNS sighting speaks for, of a known device, not written lately. */
  private ip6Of(r: RawSighting, out: Ip6Sighting[], source: Ip6Source = "ndp"): void {
    const now = Date.now();
    for (const address of [r.ip6, r.auxIp6]) {
      if (address === null) continue;
      const scope = ip6Scope(address);
      if (scope === null) continue;
      const key = `${r.mac} ${address}`;
      const last = this.ip6Written.get(key);
      if ((last !== undefined && now - last < IP6_REFRESH_MS) || !this.known(r.mac)) continue;
      // An address not heard from this MAC lately draws on its per-MAC allowance.
      if (last === undefined) {
        const claim = this.ip6Claims.claim(r.mac);
        if (claim === "hopping") log.warn("passive watch links no more IPv6 addresses of this MAC for now (too many new ones: spoofed sources?)", { mac: r.mac, source });
        if (claim === "hopping" || claim === "frozen") continue;
      }
      if (this.ip6Written.size >= IP6_REMEMBERED) this.ip6Written.clear();
      this.ip6Written.set(key, now);
      out.push({ mac: r.mac, address, scope, source });
    }
  }

  private known(mac: string): boolean {
    this.knownMac ??= this.opts.db.query("SELECT 1 FROM devices WHERE mac_address = ?1 UNION ALL SELECT 1 FROM device_macs WHERE mac = ?1 LIMIT 1");
    return this.knownMac.get(mac) !== null;
  }

  private inScope(ip: string, w: Watched, resolved: { exclusions: Exclusions; subnets: ResolvedConfig["subnets"] }): boolean {
    const n = parseIpv4(ip);
    if (n === null || isExcludedIp(n, resolved.exclusions)) return false;
    return w.addrs.some((a) => inSubnet(n, a.network, a.prefix)) && resolved.subnets.some((c) => inSubnet(n, c.network, c.prefix));
  }
}

/** A raw sighting with what can be read from it: vendor, names and types with their evidence. */
export function toSighting(r: RawSighting, ip: string | null, iface: string, hostnameFromDhcp = false): Sighting {
  const dhcp = r.prl || r.vendorClass ? identifyDhcp(r.prl, r.vendorClass) : null;
  const mdns = identifyMdns(r.services, r.model);
  const hostname = r.hostname ? r.hostname.slice(0, 63) : null;
  // Prefer the stronger type evidence: an announced model, then the DHCP fingerprint, then service types.
  const type = mdns?.source === "mdns-model" ? mdns : dhcp ? { type: dhcp.type, os: dhcp.os, source: "dhcp-fingerprint", evidence: `asks for an address the way ${dhcp.os} does` } : mdns;
  const os = mdns?.os ? { os: mdns.os, source: mdns.source } : dhcp ? { os: dhcp.os, source: "dhcp-fingerprint" } : null;
  return {
    mac: r.mac,
    ip,
    // A DHCPv6 client's name ranks as a DHCP name; the sighting is one of a DHCP client's.
    source: r.source === "dhcpv6" ? "dhcp" : (r.source as Sighting["source"]),
    iface,
    mac_randomized: isRandomizedMac(r.mac),
    vendor: lookupVendor(r.mac),
    hostname,
    hostname_source: hostname ? (r.source === "mdns" && !hostnameFromDhcp ? "mdns" : "dhcp") : null,
    mdns_name: hostname && r.source === "mdns" && !hostnameFromDhcp ? hostname : null,
    device_type: type?.type ?? null,
    device_type_source: type?.source ?? null,
    device_type_evidence: type?.evidence ?? null,
    os_name: os?.os ?? null,
    os_source: os?.source ?? null,
    model: r.model,
    dhcp_fingerprint: dhcpFingerprint(r.prl, r.vendorClass),
    mdns_services: r.services.length > 0 ? r.services : null,
  };
}
