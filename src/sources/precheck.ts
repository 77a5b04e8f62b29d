// "Does this observation change anything?", asked off the main thread. A source read every minute
// mostly says what the inventory already holds; looking each host up (its device, its place, its
// name's record) is most of a run's work, and on the main thread it is work the API waits behind. A
// worker with a read connection of its own answers it for every observation; only the ones that
// would write something are applied on the main thread (runner.ts, through apply.ts as before).
//
// An observation is left out only when applyObservations would provably do nothing with it: its MAC
// matches a device (the same lookups as InventoryWriter.byMac and apply.ts's IPv6 fallback) that has
// a MAC, is at the same place from the same source refreshed within REFRESH_MS (or none is said),
// keeps its name (the same one, or a better-ranked one, identity.ts hostnameRank) and has this
// source's name for it recorded within REFRESH_MS. Everything else is applied: no MAC, no device, a
// MAC or a device that more than one observation of the run names (what one writes could change what
// the other does), an excluded one (apply.ts skips it). Left-out observations still count as matched.
// The answer is from the worker's snapshot: a write in between is read again by the apply, and what
// the worker missed is seen on the next run. Without a worker (an in-memory database) nothing is left out.
import type { Database } from "bun:sqlite";
import { SOURCE_NAME_RANK, SOURCE_RANK } from "../inventory/identity.ts";
import { REFRESH_MS } from "../inventory/names.ts";
import { log } from "../log.ts";
import type { CleanObservation } from "./apply.ts";

// Inline, so the compiled binary needs no separate worker file (as retention/checkpointer.ts).
const WORKER = `
import { Database } from "bun:sqlite";
let db = null;
let q = null;
const COLS = "id, hostname, hostname_source, mac_address, attached_to, attached_source, attached_at";
function check(m) {
  // A string: copied to the worker as one block, where an array of arrays is cloned value by value.
  const obs = JSON.parse(m.obs);
  const ids = new Int32Array(obs.length);
  const same = new Uint8Array(obs.length);
  const rankOf = (s) => (s ? (m.ranks[s] ?? m.defaultRank) : 0);
  db.transaction(() => {
    for (let i = 0; i < obs.length; i++) {
      const [mac, ip4, ip6, hostname, attached] = obs[i];
      if (mac === null) continue;
      let d = q.byMac.get(mac) ?? q.byAlias.get(mac);
      if (!d && ip4 !== null) d = q.byIp.get(ip4);
      if (!d && ip6 !== null) {
        const r = q.byIp6.get(ip6);
        if (r) d = q.byId.get(r.device_id);
      }
      if (!d) continue;
      ids[i] = d.id;
      if (attached && !(d.attached_to === attached && d.attached_source === m.source && d.attached_at !== null && !(d.attached_at < m.staleBefore))) continue;
      if (d.mac_address === null) continue;
      if (hostname !== null) {
        if (hostname !== d.hostname && m.rank >= rankOf(d.hostname_source)) continue;
        const n = q.name.get(d.id, m.source, hostname);
        if (!n || n.last_seen < m.refreshBefore) continue;
      }
      same[i] = 1;
    }
  })();
  return { ids, same };
}
self.onmessage = (e) => {
  const m = e.data;
  if (m.open) {
    db = new Database(m.open, { readwrite: true, create: false });
    db.run("PRAGMA busy_timeout = 5000");
    db.run("PRAGMA query_only = 1");
    q = {
      byMac: db.query("SELECT " + COLS + " FROM devices WHERE mac_address = ?"),
      byAlias: db.query("SELECT " + COLS + " FROM devices WHERE id = (SELECT device_id FROM device_macs WHERE mac = ?)"),
      byIp: db.query("SELECT " + COLS + " FROM devices WHERE mac_address IS NULL AND ip_address = ? ORDER BY last_seen DESC LIMIT 1"),
      byIp6: db.query("SELECT device_id FROM device_ip6 WHERE address = ? ORDER BY last_seen DESC LIMIT 1"),
      byId: db.query("SELECT " + COLS + " FROM devices WHERE id = ?"),
      name: db.query("SELECT last_seen FROM device_names WHERE device_id = ? AND source = ? AND name = ?"),
    };
    return;
  }
  if (m.check !== undefined) {
    try {
      const { ids, same } = check(m);
      postMessage({ done: m.check, ids, same }, [ids.buffer, same.buffer]);
    } catch (err) {
      postMessage({ done: m.check, error: String(err) });
    }
    return;
  }
  if (m.stop) { if (db) db.close(); postMessage({ stopped: true }); }
};
`;

let workerUrl: string | null = null;

/** Observations posted to the worker in one message (the copy is made on the main thread). */
const CHUNK = 250;

export type Precheck = {
  /**
   * For each observation: the device it matches (0 for none or not looked up) and whether applying it
   * would change nothing (1). Null when the worker failed: then everything is applied.
   */
  check(observations: readonly CleanObservation[], source: string, now: string): Promise<{ ids: Int32Array; same: Uint8Array } | null>;
  stop(): Promise<void>;
};

/** A worker reading `db`'s file, or null (an in-memory database, or no worker could start). */
export function startPrecheck(db: Database): Precheck | null {
  if (!db.filename || db.filename === ":memory:") return null;
  let worker: Worker;
  try {
    workerUrl ??= URL.createObjectURL(new Blob([WORKER], { type: "application/javascript" }));
    worker = new Worker(workerUrl);
  } catch (e) {
    log.debug("no precheck worker; every observation is applied", { error: String(e) });
    return null;
  }
  const waiting = new Map<number, (r: { ids?: Int32Array; same?: Uint8Array; error?: string } | null) => void>();
  let stopped: (() => void) | null = null;
  let broken = false;
  let ended = false;
  let next = 0;
  worker.onmessage = (e: MessageEvent) => {
    if (e.data.stopped) stopped?.();
    else if (e.data.done !== undefined) {
      waiting.get(e.data.done)?.(e.data);
      waiting.delete(e.data.done);
    }
  };
  worker.onerror = (e) => {
    log.warn("precheck worker failed; every observation is applied", { error: String(e.message ?? e) });
    broken = true;
    for (const resolve of waiting.values()) resolve(null);
    waiting.clear();
    stopped?.();
  };
  // Kept between runs, it does not keep the process alive.
  worker.unref();
  worker.postMessage({ open: db.filename });
  const ask = (obs: string, source: string, now: string) =>
    new Promise<{ ids?: Int32Array; same?: Uint8Array; error?: string } | null>((resolve) => {
      if (broken || ended) return resolve(null);
      const id = next++;
      waiting.set(id, resolve);
      const t = Date.parse(now);
      worker.postMessage({
        check: id,
        obs,
        source,
        rank: SOURCE_RANK[source] ?? SOURCE_NAME_RANK,
        ranks: SOURCE_RANK,
        defaultRank: SOURCE_NAME_RANK,
        // apply.ts's attachedAt compares with milliseconds, names.ts's refresh without.
        staleBefore: new Date(t - REFRESH_MS).toISOString(),
        refreshBefore: new Date(t - REFRESH_MS).toISOString().replace(/\.\d+Z$/, "Z"),
      });
    });
  return {
    check: async (observations, source, now) => {
      const ids = new Int32Array(observations.length);
      const same = new Uint8Array(observations.length);
      for (let i = 0; i < observations.length; i += CHUNK) {
        const part = JSON.stringify(observations.slice(i, i + CHUNK).map((o) => [o.mac, o.ip4, o.ip6, o.hostname, o.attached_to ?? null]));
        const r = await ask(part, source, now);
        if (!r || r.error || !r.ids || !r.same) {
          if (r?.error) log.warn("precheck failed; every observation is applied", { error: r.error });
          return null;
        }
        ids.set(r.ids, i);
        same.set(r.same, i);
      }
      return { ids, same };
    },
    stop: async () => {
      if (ended) return;
      ended = true;
      if (!broken) {
        const done = new Promise<void>((resolve) => (stopped = resolve));
        worker.postMessage({ stop: true });
        await Promise.race([done, Bun.sleep(2000)]);
      }
      worker.terminate();
    },
  };
}
