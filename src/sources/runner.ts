// Runs the configured sources (SPEC §7 "Sources"): one timer for all of them, one source read at a
// time, each run under a time limit (an AbortSignal, and the run given up when the reader ignores it).
// A run's observations are applied in chunks, each in its own transaction with its notifications
// queued inside it (apply.ts), and published on the feed after each commit, as the passive watch does.
// A source that fails (a missing file, a refused login, a timeout, an answer that does not read) is
// recorded as `failed` with its reason; nothing else notices. Its state per source is in source_state.
import type { Database } from "bun:sqlite";
import type { ResolvedConfig } from "../config/resolved.ts";
import { isSecretKey } from "../config/secrets.ts";
import type { EventFeed } from "../events.ts";
import { DeviceInventory } from "../inventory/devices.ts";
import type { Change } from "../inventory/observation.ts";
import { log } from "../log.ts";
import type { NotifySink } from "../notify/sink.ts";
import { startCheckpointer, type Checkpointer } from "../retention/checkpointer.ts";
import { isoNow } from "../time.ts";
import { applyObservations, cleanObservation, type CleanObservation } from "./apply.ts";
import type { SourceEntry } from "./config.ts";
import { sourceType as registered } from "./registry.ts";
import { SubnetTally, unconfirmedSubnets } from "./subnets.ts";
import type { SourceState } from "./schema.ts";
import { SourceError, type SourceObservation, type SourceType } from "./types.ts";

/** How long one run may take by default, reading and applying. */
export const RUN_TIMEOUT_MS = 30_000;
/** The timer's step: a source is due at most this late. */
const TICK_MS = 1_000;
/**
 * A transaction applies observations for at most this long, then the event loop is handed back (the
 * API answers between slices): a request waits behind a run at most about this long.
 */
const SLICE_MS = 0.5;
/** The same for the work before the transactions (cleaning, the subnet tally): cheap per observation, cut finer. */
const CHECK_SLICE_MS = 0.25;
/** Observations read per step within a slice (the clock is looked at between steps). */
const STEP = 4;
/**
 * A run with more observations than this checkpoints the write-ahead log from a worker thread
 * (retention/checkpointer.ts) every CHECKPOINT_EVERY_MS, not on the main thread where SQLite's
 * automatic checkpoint would hold the API up for tens of milliseconds.
 */
const BACKGROUND_CHECKPOINT_OVER = 500;
const CHECKPOINT_EVERY_MS = 100;
/** A reader returning more than this is refused (too_large): no LAN has that many hosts. */
export const MAX_OBSERVATIONS = 100_000;
/** New devices one run may add; more wait for the next run. */
export const NEW_DEVICES_PER_RUN = 1000;
/** New devices a run announces one message each; the rest go out in one digest per channel. */
const ANNOUNCE_SINGLY = 10;

export class UnknownSourceError extends Error {}
export class SourceBusyError extends Error {}

export type SourceRunnerOptions = {
  db: Database;
  config: () => ResolvedConfig;
  sink: NotifySink;
  feed: EventFeed;
  timeoutMs?: number;
  /** The type of a `type` name (default: the registry). */
  types?: (type: string) => SourceType<any> | undefined;
  /** The appliance's own files, which no source may read (ReadContext.protectedPaths). */
  protectedPaths?: readonly string[];
};

type ApplyTotals = { devices: number; added: number; deferred: number; unusable: number; suggested: string[] };

type Row = { name: string; type: string; last_run_at: string | null; last_ok_at: string | null; status: SourceState["status"]; detail: string | null; devices: number };

export class SourceRunner {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: string | null = null;
  /** Names waiting to run, in order (the timer's due ones, and "run now" at the front). */
  private queue: string[] = [];
  private waiters = new Map<string, (() => void)[]>();
  private draining: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private closed = false;
  private readonly inventory: DeviceInventory;
  private readonly typeOf: (type: string) => SourceType<any> | undefined;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly opts: SourceRunnerOptions) {
    this.inventory = new DeviceInventory(opts.db);
    this.typeOf = opts.types ?? registered;
  }

  start(): void {
    this.forgetRemoved();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
    this.unsubscribe = this.opts.feed.on("config", ({ changed }) => {
      if (changed.includes("sources")) this.forgetRemoved();
    });
    this.tick();
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.queue = [];
    this.abort?.abort(new SourceError("timeout", "the appliance stopped during the run"));
    await this.draining;
    // Whoever waited for a run that will not come now.
    for (const wakes of this.waiters.values()) for (const wake of wakes) wake();
    this.waiters.clear();
  }

  private entries(): SourceEntry[] {
    return (this.opts.config().config.sources ?? []) as SourceEntry[];
  }

  /** Every configured source with its state, in the configuration's order. */
  list(): SourceState[] {
    const rows = new Map((this.opts.db.query("SELECT name, type, last_run_at, last_ok_at, status, detail, devices FROM source_state").all() as Row[]).map((r) => [r.name, r]));
    return this.entries().map((e) => this.view(e, rows.get(e.name)));
  }

  private view(e: SourceEntry, row: Row | undefined): SourceState {
    // A row of another type under the same name belongs to an entry that was replaced: not its history.
    const own = row && row.type === e.type ? row : undefined;
    if (e.enabled === false) return { name: e.name, type: e.type, last_run_at: own?.last_run_at ?? null, last_ok_at: own?.last_ok_at ?? null, status: "disabled", detail: "Disabled in the configuration", devices: own?.devices ?? 0 };
    if (!own || own.status === "disabled") return { name: e.name, type: e.type, last_run_at: own?.last_run_at ?? null, last_ok_at: own?.last_ok_at ?? null, status: "ok", detail: own?.last_run_at ? own.detail : "Not run yet", devices: own?.devices ?? 0 };
    return { name: own.name, type: e.type, last_run_at: own.last_run_at, last_ok_at: own.last_ok_at, status: own.status, detail: own.detail, devices: own.devices };
  }

  /** One source's state, or null when no source has this name. */
  get(name: string): SourceState | null {
    return this.list().find((s) => s.name === name) ?? null;
  }

  /** Whether this source is being read now. */
  isRunning(name: string): boolean {
    return this.running === name;
  }

  /**
   * Runs one source now (after the one running, if any) and returns its state once the run is done.
   * UnknownSourceError for a name not configured; SourceBusyError when it is disabled or already running.
   */
  async runNow(name: string): Promise<SourceState> {
    const entry = this.entries().find((e) => e.name === name);
    if (!entry) throw new UnknownSourceError(`No source named "${name}" in the configuration`);
    if (entry.enabled === false) throw new SourceBusyError(`The source "${name}" is disabled`);
    if (this.running === name) throw new SourceBusyError(`The source "${name}" is running now`);
    if (this.closed) throw new SourceBusyError("The appliance is stopping");
    const done = new Promise<void>((resolve) => this.waiters.set(name, [...(this.waiters.get(name) ?? []), resolve]));
    this.queue = [name, ...this.queue.filter((n) => n !== name)];
    this.drain();
    await done;
    return this.get(name) ?? this.view(entry, undefined);
  }

  /** Queues the enabled sources that are due (never run, or their interval passed since the last run). */
  private tick(): void {
    if (this.closed) return;
    const last = new Map((this.opts.db.query("SELECT name, type, last_run_at FROM source_state").all() as Row[]).map((r) => [r.name, r]));
    const now = Date.now();
    for (const e of this.entries()) {
      if (e.enabled === false || this.running === e.name || this.queue.includes(e.name)) continue;
      const type = this.typeOf(e.type);
      if (!type) continue;
      const row = last.get(e.name);
      const at = row && row.type === e.type && row.last_run_at ? Date.parse(row.last_run_at) : Number.NEGATIVE_INFINITY;
      if (now - at >= (e.interval_s ?? type.defaultIntervalS) * 1000) this.queue.push(e.name);
    }
    this.drain();
  }

  private drain(): void {
    if (this.draining || this.closed) return;
    this.draining = (async () => {
      while (!this.closed && this.queue.length > 0) {
        const name = this.queue.shift()!;
        const entry = this.entries().find((e) => e.name === name);
        this.running = name;
        try {
          if (entry && entry.enabled !== false) await this.run(entry);
        } catch (e) {
          // run() records its own failures; this is a bug, kept from stopping the other sources.
          log.error("source run failed unexpectedly", { source: name, error: String(e) });
        } finally {
          this.running = null;
          for (const wake of this.waiters.get(name) ?? []) wake();
          this.waiters.delete(name);
        }
      }
    })().finally(() => {
      this.draining = null;
      // Someone asked while the loop was ending.
      if (!this.closed && this.queue.length > 0) this.drain();
    });
  }

  /** Reads one source and applies what it said; records ok or failed. */
  private async run(entry: SourceEntry): Promise<void> {
    const type = this.typeOf(entry.type);
    if (!type) {
      this.record(entry, "failed", `Unknown source type "${entry.type}"`, null);
      this.opts.feed.publish({ type: "status", source: "sources" });
      return;
    }
    const started = Date.now();
    const abort = new AbortController();
    this.abort = abort;
    const timeoutMs = this.opts.timeoutMs ?? RUN_TIMEOUT_MS;
    const timer = setTimeout(() => abort.abort(new SourceError("timeout", `no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`)), timeoutMs);
    try {
      const gaveUp = new Promise<never>((_, reject) => abort.signal.addEventListener("abort", () => reject(abort.signal.reason ?? new SourceError("timeout", "stopped")), { once: true }));
      // Aborted after the reader answered (while applying), nobody races it any more: not an unhandled rejection.
      gaveUp.catch(() => {});
      const said = await Promise.race([type.read(entry, { signal: abort.signal, now: new Date(), protectedPaths: this.opts.protectedPaths }), gaveUp]);
      if (!Array.isArray(said)) throw new SourceError("malformed", "the reader returned no list of observations");
      if (said.length > MAX_OBSERVATIONS) throw new SourceError("too_large", `${said.length} hosts, over the limit of ${MAX_OBSERVATIONS}`);
      const result = await this.apply(type.type, entry.name, said as unknown[], abort.signal);
      const suggested = result.suggested;
      const ms = Date.now() - started;
      const parts = [`${said.length} host${said.length === 1 ? "" : "s"} read`, `${result.devices} device${result.devices === 1 ? "" : "s"} matched or added`];
      if (result.added > 0) parts.push(`${result.added} new`);
      if (result.deferred > 0) parts.push(`${result.deferred} new hosts left for the next run (at most ${NEW_DEVICES_PER_RUN} a run)`);
      if (result.unusable > 0) parts.push(`${result.unusable} unusable entries skipped`);
      this.record(entry, "ok", `${parts.join(", ")} in ${ms} ms`, result.devices, suggested);
    } catch (e) {
      const detail = e instanceof SourceError ? `${e.reason}: ${e.detail}` : `malformed: the reader failed (${e instanceof Error ? e.message : String(e)})`;
      this.record(entry, "failed", withoutSecrets(detail, entry), null);
      log.warn("source failed", { source: entry.name, type: entry.type, detail: withoutSecrets(detail, entry) });
    } finally {
      clearTimeout(timer);
      this.abort = null;
      // Settings → Sources follows the runs live (/api/events `status`), not by polling.
      this.opts.feed.publish({ type: "status", source: "sources" });
    }
  }

  /**
   * Cleans the observations and applies them a time slice per transaction, the event loop free
   * between slices. (A worker that left out the observations changing nothing was tried: with slices
   * this short the API's p99 during runs was the same without it, and a worker holds ~9 MiB.)
   */
  private async apply(source: string, name: string, observations: unknown[], signal: AbortSignal): Promise<ApplyTotals> {
    let checkpointer: Checkpointer | null = null;
    try {
      const resolved = this.opts.config();
      const tally = new SubnetTally(resolved.subnets);
      const clean: CleanObservation[] = [];
      let unusable = 0;
      // Cleaning too is work the API should not wait behind: in slices.
      for (let i = 0; i < observations.length; ) {
        const sliceEnd = performance.now() + CHECK_SLICE_MS;
        do {
          const o = observations[i++];
          const said = typeof o === "object" && o !== null ? (o as SourceObservation) : null;
          const c = said ? cleanObservation(said) : null;
          tally.add(said?.ip);
          if (c) clean.push(c);
          else unusable++;
        } while (i < observations.length && (i % STEP !== 0 || performance.now() < sliceEnd));
        if (i < observations.length) await yieldToServer();
        if (signal.aborted) throw signal.reason ?? new SourceError("timeout", "stopped");
      }
      if (clean.length > BACKGROUND_CHECKPOINT_OVER) checkpointer = startCheckpointer(this.opts.db);
      const totals = await this.applySlices(source, name, clean, signal, checkpointer, resolved);
      return { ...totals, unusable, suggested: tally.result() };
    } finally {
      await checkpointer?.stop();
    }
  }

  /**
   * Applies the observations STEP at a time, a time slice per transaction, under `resolved`: the
   * configuration the run's cleaning used, read once per run.
   */
  private async applySlices(source: string, name: string, observations: CleanObservation[], signal: AbortSignal, checkpointer: Checkpointer | null, resolved: ResolvedConfig): Promise<Omit<ApplyTotals, "unusable" | "suggested">> {
    const { db, sink } = this.opts;
    const scope = { subnets: resolved.subnets, exclusions: resolved.exclusions };
    const budget = { newDevices: NEW_DEVICES_PER_RUN };
    const devices = new Set<number>();
    let added = 0;
    let deferred = 0;
    let newcomers = 0;
    let checkpointed = performance.now();
    let i = 0;
    while (i < observations.length) {
      if (signal.aborted) throw signal.reason ?? new SourceError("timeout", "stopped");
      const r = db
        .transaction(() => {
          const changes: Change[] = [];
          const touched = new Set<number>();
          const sliceEnd = performance.now() + SLICE_MS;
          do {
            const step = observations.slice(i, i + STEP);
            i += STEP;
            const r = applyObservations(db, source, step, scope, budget, isoNow(), name);
            changes.push(...r.changes);
            for (const id of r.touched) touched.add(id);
            for (const id of r.devices) devices.add(id);
            added += r.added;
            deferred += r.deferred;
          } while (i < observations.length && performance.now() < sliceEnd);
          const adds = changes.filter((c) => c.change_type === "device_added");
          newcomers += adds.length;
          // Many newcomers at once (a first run, a new pool): past the first ANNOUNCE_SINGLY of a run, one
          // digest per channel rather than a message each.
          if (newcomers > ANNOUNCE_SINGLY) {
            sink.enqueue(adds, null, { floodDigestMs: 0 });
            sink.enqueue(changes.filter((c) => c.change_type !== "device_added"), null);
          } else sink.enqueue(changes, null);
          return { changes, touched };
        })
        .immediate();
      // The events' work (reading the records, the live streams, the bridges) is a block of its own.
      // (setImmediate: the sockets are served, without the timer's millisecond of idling.)
      if (r.changes.length > 0 || r.touched.size > 0) await new Promise((resolve) => setImmediate(resolve));
      this.published(r.changes, r.touched);
      if (i >= observations.length) break;
      await yieldToServer();
      if (checkpointer && performance.now() - checkpointed > CHECKPOINT_EVERY_MS) {
        await checkpointer.checkpoint();
        checkpointed = performance.now();
      }
    }
    return { devices: devices.size, added, deferred };
  }

  private published(changes: Change[], touched: Iterable<number>): void {
    if (changes.length > 0) this.opts.feed.publish({ type: "changes", scan_id: null, changes });
    this.opts.feed.publishDevices(touched, (ids) => this.inventory.records(ids));
  }

  /** `subnets`: what an ok run suggests; a failed run (null) keeps the last good run's suggestions. */
  private record(entry: SourceEntry, status: "ok" | "failed", detail: string, devices: number | null, subnets: string[] | null = null): void {
    const now = isoNow();
    this.opts.db
      .query(
        `INSERT INTO source_state (name, type, last_run_at, last_ok_at, status, detail, devices, subnets) VALUES (?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, 0), coalesce(?8, '[]'))
         ON CONFLICT (name) DO UPDATE SET type = excluded.type, last_run_at = excluded.last_run_at,
           last_ok_at = CASE WHEN ?5 = 'ok' THEN excluded.last_ok_at WHEN source_state.type = excluded.type THEN source_state.last_ok_at END,
           status = excluded.status, detail = excluded.detail,
           devices = CASE WHEN ?7 IS NOT NULL THEN ?7 WHEN source_state.type = excluded.type THEN source_state.devices ELSE 0 END,
           subnets = CASE WHEN ?8 IS NOT NULL THEN ?8 WHEN source_state.type = excluded.type THEN source_state.subnets ELSE '[]' END`,
      )
      .run(entry.name, entry.type, now, status === "ok" ? now : null, status, detail.slice(0, 500), devices, subnets === null ? null : JSON.stringify(subnets));
  }

  /**
   * Subnets the enabled sources' latest good runs saw hosts on that are not confirmed (subnets.ts),
   * each with the sources that saw it; confirmed ones drop out as soon as the owner confirms them.
   */
  suggestedSubnets(): { subnet: string; sources: { name: string; type: string }[] }[] {
    const confirmed = this.opts.config().subnets;
    const rows = new Map((this.opts.db.query("SELECT name, type, subnets FROM source_state").all() as { name: string; type: string; subnets: string }[]).map((r) => [r.name, r]));
    const out = new Map<string, { name: string; type: string }[]>();
    for (const e of this.entries()) {
      const row = rows.get(e.name);
      if (e.enabled === false || !row || row.type !== e.type) continue;
      let list: unknown;
      try {
        list = JSON.parse(row.subnets);
      } catch {
        continue;
      }
      if (!Array.isArray(list)) continue;
      for (const subnet of list) {
        if (typeof subnet !== "string") continue;
        const base = subnet.split("/")[0];
        // Confirmed since the run (a wider subnet may now hold it): no longer a suggestion.
        if (unconfirmedSubnets([base], confirmed).length === 0) continue;
        out.set(subnet, [...(out.get(subnet) ?? []), { name: e.name, type: e.type }]);
      }
    }
    return [...out].map(([subnet, sources]) => ({ subnet, sources }));
  }

  /** Drops the state of sources no longer configured. */
  private forgetRemoved(): void {
    const names = this.entries().map((e) => e.name);
    this.opts.db.query(`DELETE FROM source_state WHERE name NOT IN (SELECT value FROM json_each(?))`).run(JSON.stringify(names));
  }
}

/** A macrotask, not a microtask: the server's sockets are served before the next slice. */
const yieldToServer = () => new Promise((resolve) => setTimeout(resolve, 0));

/** The text with every secret of the entry (its password, community, key, …) masked. */
function withoutSecrets(text: string, entry: SourceEntry): string {
  let out = text;
  for (const [k, v] of Object.entries(entry)) if (isSecretKey(k) && typeof v === "string" && v.length >= 3) out = out.split(v).join("***");
  return out.length > 500 ? `${out.slice(0, 497)}...` : out;
}
