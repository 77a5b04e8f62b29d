// Sends what the queue holds. Each channel has its own lane of at most PER_CHANNEL concurrent sends,
// so a slow or dead channel fills only its own lane and never delays another channel (nor a scan: the
// scan only inserted rows). Every attempt has the channel's timeout; a failure is retried after the
// next delay of the schedule (default: 5 tries over about 30 minutes), then the row is `failed` with
// its last error (coarse; the cause goes to the log, redacted). A send cut short by a crash was never recorded: it is sent again on the
// next start (at least once; a crash between the receiver's answer and our UPDATE is the only repeat).
import type { Database } from "bun:sqlite";
import { log } from "../log.ts";
import { isoNow } from "../time.ts";
import { redactError, type Channel } from "./config.ts";
import { DestinationRefused, NOT_ACCEPTED } from "./destination.ts";
import type { Payload } from "./queue.ts";

/** Delays before the 2nd, 3rd, 4th and 5th try: tries at 0, 0.5, 2.5, 9.5 and 29.5 minutes. */
export const DEFAULT_RETRY_DELAYS_MS = [30_000, 120_000, 420_000, 1_200_000];
export const DEFAULT_TIMEOUT_MS = 10_000;
const PER_CHANNEL = 4;
const POLL_MS = 1000;
const BATCH = 200;

/** `body` is the payload as stored (JSON): the webhook sends it as is. */
export type QueuedMessage = { id: number; channel: string; kind: "change" | "digest" | "test"; payload: Payload; body: string; attempts: number };
export type SendFn = (m: QueuedMessage, channel: Channel, signal: AbortSignal, timeoutMs: number) => Promise<void>;
export type AttemptResult = { status: "sent" | "failed" | "pending"; error: string | null; attempts: number };

export type WorkerOptions = {
  /** Delays between tries; its length + 1 is the number of tries. */
  retryDelaysMs?: number[];
  perChannel?: number;
  pollMs?: number;
  /** Called after every attempt (metrics). */
  onAttempt?: (channel: string, result: AttemptResult) => void;
};

type Row = { id: number; channel: string; kind: QueuedMessage["kind"]; attempts: number };

export class DeliveryWorker {
  private readonly inflight = new Map<number, Promise<AttemptResult>>();
  private readonly lanes = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private scheduled = false;
  private stopped = false;
  private draining = false;
  private sweepDue = true;
  private readonly delays: number[];
  private readonly perChannel: number;
  private readonly pollMs: number;

  constructor(
    private readonly db: Database,
    private readonly channels: () => Channel[],
    private readonly send: SendFn,
    private readonly opts: WorkerOptions = {},
  ) {
    this.delays = opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.perChannel = opts.perChannel ?? PER_CHANNEL;
    this.pollMs = opts.pollMs ?? POLL_MS;
  }

  /** Polls for due rows (also rows queued by `argus scan` in another process, and retries as they fall due). */
  start(): void {
    this.stopped = false;
    this.draining = false;
    this.timer ??= setInterval(() => this.kick(true), this.pollMs);
    this.kick();
  }

  /** Looks for due rows soon (after a commit); calls within one tick coalesce. */
  kick(sweep = false): void {
    if (sweep) this.sweepDue = true;
    if (this.scheduled || this.draining) return;
    this.scheduled = true;
    // After pending I/O (incoming requests among it), not ahead of it: a backlog must not starve the API.
    setImmediate(() => {
      this.scheduled = false;
      const orphans = this.sweepDue;
      this.sweepDue = false;
      try {
        this.fill(orphans);
      } catch (e) {
        // The database may be closing under us at shutdown; the next start picks the rows up.
        if (!this.stopped) log.warn("notification worker failed", { error: String(e) });
      }
    });
  }

  private fill(sweep: boolean): void {
    if (this.draining) return;
    const channels = this.channels();
    const now = Date.now();
    // Per channel, only as many rows as its lane has room for (plus those it is sending, which are
    // still pending): a backlog in one channel never hides another channel's due rows. Without the
    // payloads: each is read when its row is sent.
    const perChannel = this.db.query("SELECT id, channel, kind, attempts FROM notifications WHERE status = 'pending' AND channel = ? AND next_attempt_ms <= ? ORDER BY id LIMIT ?");
    for (const channel of channels) {
      const busy = this.lanes.get(channel.name) ?? 0;
      if (busy >= this.perChannel) continue;
      for (const row of perChannel.all(channel.name, now, this.perChannel) as Row[]) {
        if (this.inflight.has(row.id) || (this.lanes.get(channel.name) ?? 0) >= this.perChannel) continue;
        this.attempt(row, channel);
      }
    }
    // Rows of channels removed from the configuration fail (they can never be sent). This looks at every
    // pending row, so only on the poll, not after each send.
    if (!sweep) return;
    const names = channels.map((c) => c.name);
    const orphans = this.db
      .query(`SELECT id, channel, kind, attempts FROM notifications WHERE status = 'pending' AND next_attempt_ms <= ? AND channel NOT IN (${names.map(() => "?").join(", ")}) LIMIT ?`)
      .all(now, ...names, BATCH) as Row[];
    for (const row of orphans) if (!this.inflight.has(row.id)) this.attempt(row, null);
  }

  /** One try of one row now; resolves with the row's new state. */
  private attempt(row: Row, channel: Channel | null): Promise<AttemptResult> {
    this.lanes.set(row.channel, (this.lanes.get(row.channel) ?? 0) + 1);
    const run = (async (): Promise<AttemptResult> => {
      let error: string | null = null;
      let cause: string | null = null;
      let final = false;
      if (!channel) {
        error = `channel "${row.channel}" is no longer configured`;
        final = true;
      } else if (channel.enabled === false && row.kind !== "test") {
        error = `channel "${row.channel}" is disabled`;
        final = true;
      } else {
        const timeoutMs = (channel.timeout_seconds ?? DEFAULT_TIMEOUT_MS / 1000) * 1000;
        const signal = AbortSignal.timeout(timeoutMs);
        try {
          const { payload } = this.db.query("SELECT payload FROM notifications WHERE id = ?").get(row.id) as { payload: string };
          await this.send({ id: row.id, channel: row.channel, kind: row.kind, payload: JSON.parse(payload), body: payload, attempts: row.attempts }, channel, signal, timeoutMs);
        } catch (e) {
          if (e instanceof DestinationRefused) {
            error = e.message;
            final = true;
          } else {
            // How it failed is for the owner's log only: stored or answered, it would let whoever can
            // edit the channels map the LAN (refused, timed out, TLS, an HTTP status).
            const message = signal.aborted ? `timed out after ${timeoutMs / 1000} s` : e instanceof Error ? e.message : String(e);
            cause = redactError(message, channel);
            error = NOT_ACCEPTED;
          }
        }
      }
      try {
        const result = this.record(row, error, final, cause);
        await this.flushed();
        return result;
      } catch (e) {
        // Only at shutdown (the database closed under a late answer): the row stays pending.
        if (!this.stopped) log.warn("notification state not recorded", { id: row.id, error: String(e) });
        return { status: "pending", error, attempts: row.attempts };
      }
    })();
    this.inflight.set(row.id, run);
    const done = () => {
      this.inflight.delete(row.id);
      this.lanes.set(row.channel, (this.lanes.get(row.channel) ?? 1) - 1);
      // A freed lane may take the next due row at once (a backlog drains without waiting for the poll).
      this.kick();
    };
    run.then(done, done);
    return run;
  }

  /**
   * Outcomes are written in batches, one transaction per turn of the event loop: a commit per message
   * would block the loop on a WAL write for each of a thousand messages. A row stays in flight (not
   * picked again) until its outcome is written.
   */
  private writes: [string, (string | number | null)[]][] = [];
  private flush: Promise<void> | null = null;

  private flushed(): Promise<void> {
    this.flush ??= new Promise<void>((resolve, reject) =>
      setImmediate(() => {
        const batch = this.writes.splice(0);
        this.flush = null;
        try {
          this.db.transaction(() => {
            for (const [sql, args] of batch) this.db.query(sql).run(...args);
          })();
          resolve();
        } catch (e) {
          reject(e);
        }
      }),
    );
    return this.flush;
  }

  private record(row: Row, error: string | null, final: boolean, cause: string | null = null): AttemptResult {
    const attempts = row.attempts + 1;
    let result: AttemptResult;
    if (this.stopped && error !== null) {
      // Cut short by shutdown: not this channel's failure. The row stays due for the next start.
      return { status: "pending", error, attempts: row.attempts };
    }
    if (error === null) {
      this.writes.push(["UPDATE notifications SET status = 'sent', attempts = ?, sent_at = ?, error = NULL WHERE id = ?", [attempts, isoNow(), row.id]]);
      result = { status: "sent", error: null, attempts };
    } else if (final || row.kind === "test" || attempts > this.delays.length) {
      this.writes.push(["UPDATE notifications SET status = 'failed', attempts = ?, error = ? WHERE id = ?", [attempts, error, row.id]]);
      log.warn("notification failed", { id: row.id, channel: row.channel, attempts, error, ...(cause ? { cause } : {}) });
      result = { status: "failed", error, attempts };
    } else {
      const next = Date.now() + this.delays[attempts - 1];
      this.writes.push(["UPDATE notifications SET attempts = ?, error = ?, next_attempt_ms = ? WHERE id = ?", [attempts, error, next, row.id]]);
      log.info("notification will be retried", { id: row.id, channel: row.channel, attempts, error, ...(cause ? { cause } : {}) });
      result = { status: "pending", error, attempts };
    }
    this.opts.onAttempt?.(row.channel, result);
    return result;
  }

  /** Sends one row now (the API's test message) and reports how it went. */
  async deliverNow(id: number): Promise<AttemptResult> {
    const existing = this.inflight.get(id);
    if (existing) return existing;
    const row = this.db.query("SELECT id, channel, kind, attempts FROM notifications WHERE id = ?").get(id) as Row;
    const channel = this.channels().find((c) => c.name === row.channel) ?? null;
    return this.attempt(row, channel);
  }

  /** Stops polling and gives sends in flight up to `graceMs` to finish; unfinished rows stay pending. */
  async stop(graceMs = 2000): Promise<void> {
    this.draining = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const pending = [...this.inflight.values()];
    if (pending.length > 0) await Promise.race([Promise.allSettled(pending), Bun.sleep(graceMs)]);
    this.stopped = true;
  }
}
