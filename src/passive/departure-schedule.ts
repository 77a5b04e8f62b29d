// When the departure prober (departures.ts) probes whom: the bookkeeping alone, no sockets, no
// database, so the schedule and the budget can be read (and tested) apart from the packets.
//
// Schedule (SPEC §7 presence modes; the graces are the `departures` config section):
//   - a device heard (passive frame, scan, or an answer to a probe) within its grace is not probed;
//   - once silent for its grace it gets one unicast ARP request; an answer within ANSWER_MS counts as
//     seen and starts the grace again;
//   - unanswered, a second request follows `confirm` after the first (a quarter of the grace, at least
//     ANSWER_MS, at most a minute); unanswered too, the device has gone.
//   Defaults: always_on 20 s + 5 s (gone at most ~27 s after it left), normal 90 s + 22.5 s (at most
//   ~2 min, about 75 s at the median), can_sleep 600 s + 60 s.
// Cost: a silent present device costs one frame per grace (plus the answer's wait): normal ≤ 0.67 a
// minute, can_sleep ≤ 0.1, always_on ≤ 3; a device heard on the wire costs nothing. The budget
// (`frames_per_device_per_minute`, default 1) is a token bucket over all watched devices: it refills
// at N × budget a minute and holds one minute's worth (and 2 more), so the average stays ≤ budget
// per device and no minute sees more than twice it (plus 2). When it runs short: second probes first; then every device
// within its own share (not probed for 1/budget minutes), always_on before normal before can_sleep;
// only then devices asking for more than their share (always_on), which so spend what normal (a
// third of their share), chatty and sleeping devices leave, and never starve anybody. About one
// silent always_on device in seven silent normal ones keeps every promise; a LAN of mostly silent
// always_on devices is probed about once a minute each, and notices their departures later.
// Per tick the work is one pass over the watched devices (bounded by MAX_TRACKED); no timer per device.
import type { PresenceMode } from "../inventory/enums.ts";

/** How long an answer may take (Wi-Fi power save wakes at the next beacon, a few hundred ms). */
export const ANSWER_MS = 1500;
/** Devices watched at most (the most recently seen first): the schedule's memory is bounded. */
export const MAX_TRACKED = 8192;
/** Unanswered probes in a row that mean a device has gone. */
export const PROBES_TO_DEPART = 2;

export type Timing = { graceMs: number; confirmMs: number };
export type DepartureSettings = { always_on_grace_s: number; normal_grace_s: number; can_sleep_grace_s: number; frames_per_device_per_minute: number };

export function timings(s: DepartureSettings): Record<PresenceMode, Timing> {
  const of = (graceS: number): Timing => ({ graceMs: graceS * 1000, confirmMs: Math.max(ANSWER_MS, Math.min(60_000, (graceS * 1000) / 4)) });
  return { always_on: of(s.always_on_grace_s), normal: of(s.normal_grace_s), can_sleep: of(s.can_sleep_grace_s) };
}

/** A device the prober may probe, as the inventory has it. */
export type Candidate = { id: number; mac: string; ip: string; mode: PresenceMode; iface: string; srcIp: string; lastSeenMs: number };

export type Tracked = Candidate & {
  lastHeardMs: number;
  /** Probes unanswered in a row. */
  misses: number;
  /** When the probe now awaiting its answer left; null when none is out. */
  sentAtMs: number | null;
  /** When the second probe is due (misses > 0). */
  nextAtMs: number;
  /** When it was last sent a probe (0: never). */
  probedAtMs: number;
};

const MODE_RANK: Record<PresenceMode, number> = { always_on: 0, normal: 1, can_sleep: 2 };

export class DepartureSchedule {
  private readonly byId = new Map<number, Tracked>();
  private readonly byMac = new Map<string, Tracked>();
  private tokens = 0;
  private refilledAt = 0;
  private timing: Record<PresenceMode, Timing>;
  private perMinute: number;

  constructor(settings: DepartureSettings) {
    this.timing = timings(settings);
    this.perMinute = settings.frames_per_device_per_minute;
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * Forgets the devices (configuration changed, probing stopped): no half-done probe counts later.
   * The budget's bucket stays as it is: a change of configuration is no fresh allowance.
   */
  reset(settings: DepartureSettings): void {
    this.byId.clear();
    this.byMac.clear();
    this.timing = timings(settings);
    this.perMinute = settings.frames_per_device_per_minute;
  }

  /** The devices to watch now (online, probe-able); what is known of those that stay is kept. */
  sync(candidates: Candidate[], nowMs: number): void {
    const keep = new Set<number>();
    for (const c of candidates.slice(0, MAX_TRACKED)) {
      keep.add(c.id);
      const t = this.byId.get(c.id);
      if (t && t.mac === c.mac && t.ip === c.ip && t.iface === c.iface) {
        t.mode = c.mode;
        t.srcIp = c.srcIp;
        // Seen by a scan (or a sighting) since: any probe out or missed is moot.
        if (c.lastSeenMs > t.lastHeardMs) this.fresh(t, c.lastSeenMs);
        continue;
      }
      if (t) this.byMac.delete(t.mac);
      const n: Tracked = { ...c, lastHeardMs: c.lastSeenMs, misses: 0, sentAtMs: null, nextAtMs: 0, probedAtMs: 0 };
      this.byId.set(c.id, n);
      this.byMac.set(c.mac, n);
    }
    for (const [id, t] of this.byId) {
      if (keep.has(id)) continue;
      this.byId.delete(id);
      if (this.byMac.get(t.mac) === t) this.byMac.delete(t.mac);
    }
  }

  /** A frame from this MAC (passive watch) or an answer to its probe: it is here. O(1). */
  heard(mac: string, nowMs: number): Tracked | null {
    const t = this.byMac.get(mac);
    if (!t) return null;
    this.fresh(t, nowMs);
    return t;
  }

  private fresh(t: Tracked, atMs: number): void {
    t.lastHeardMs = Math.max(t.lastHeardMs, atMs);
    t.misses = 0;
    t.sentAtMs = null;
  }

  /** Drops a device (it departed, or cannot be probed now). */
  forget(t: Tracked): void {
    this.byId.delete(t.id);
    if (this.byMac.get(t.mac) === t) this.byMac.delete(t.mac);
  }

  /** This tick's work: the devices to probe now (within the budget) and those that have gone. */
  tick(nowMs: number): { probe: Tracked[]; gone: Tracked[] } {
    this.refill(nowMs);
    const gone: Tracked[] = [];
    const due: { t: Tracked; rank: number; since: number }[] = [];
    const share = 60_000 / this.perMinute;
    for (const t of this.byId.values()) {
      const timing = this.timing[t.mode];
      if (t.sentAtMs !== null) {
        if (nowMs - t.sentAtMs < ANSWER_MS) continue;
        t.misses++;
        t.nextAtMs = t.sentAtMs + timing.confirmMs;
        t.sentAtMs = null;
        if (t.misses >= PROBES_TO_DEPART) {
          gone.push(t);
          continue;
        }
      }
      if (t.misses === 0) {
        // Within its share, or asking for more than its share (borrowing what others leave).
        const owed = nowMs - t.probedAtMs >= share;
        if (nowMs - t.lastHeardMs >= timing.graceMs) due.push({ t, rank: (owed ? 1 : 4) + MODE_RANK[t.mode], since: t.lastHeardMs });
      } else if (nowMs >= t.nextAtMs) due.push({ t, rank: 0, since: t.lastHeardMs });
    }
    due.sort((a, b) => a.rank - b.rank || a.since - b.since);
    const probe: Tracked[] = [];
    for (const d of due) {
      if (this.tokens < 1) break;
      this.tokens--;
      probe.push(d.t);
    }
    return { probe, gone };
  }

  /** The probe left: its answer is awaited from now. */
  sent(t: Tracked, nowMs: number): void {
    t.sentAtMs = nowMs;
    t.probedAtMs = nowMs;
  }

  /** The probe could not be sent (our link is down): nothing is awaited, the token is returned. */
  unsent(_t: Tracked): void {
    this.tokens++;
  }

  /**
   * The budget's bucket: N × budget a minute, holding one minute's worth and one departure's pair of
   * probes more (so a small LAN's second probe does not wait a minute for its token).
   */
  private refill(nowMs: number): void {
    const perMinute = this.byId.size * this.perMinute;
    const cap = perMinute + PROBES_TO_DEPART;
    if (this.refilledAt === 0) this.tokens = cap;
    else this.tokens = Math.min(cap, this.tokens + ((nowMs - this.refilledAt) * perMinute) / 60_000);
    this.refilledAt = nowMs;
  }
}
