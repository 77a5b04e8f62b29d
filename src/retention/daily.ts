// Runs the pruning once a day (04:10 local time, when nobody watches) and on request; one run at a
// time, and none while a restore replaces the database. What a cut-short run did not reach waits for
// the next one.
import type { Database } from "bun:sqlite";
import { Cron } from "croner";
import { log } from "../log.ts";
import { pruneHistory, type PruneCounts } from "./prune.ts";

export const DAILY_AT = "10 4 * * *";

export class Retention {
  private job: Cron | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private paused = false;
  /** Ends a run in progress at its next batch (shutdown, restore). */
  private abort = new AbortController();

  constructor(
    private readonly db: Database,
    private readonly days: () => number,
  ) {}

  start(): void {
    this.job = new Cron(DAILY_AT, { catch: true }, async () => {
      if (this.paused) return;
      const counts = await this.run();
      log.info("history pruned", { ...counts, retention_days: this.days() });
    });
  }

  /** Prunes now (after any run in progress); resolves with what this run removed. */
  run(): Promise<PruneCounts> {
    const next = this.queue.then(() => pruneHistory(this.db, this.days(), { signal: this.abort.signal }));
    this.queue = next.catch(() => {});
    return next;
  }

  /** Ends a run in progress after its current batch and holds the daily one until `resume` (restore, shutdown). */
  async pause(): Promise<void> {
    this.paused = true;
    this.abort.abort();
    await this.queue;
    this.abort = new AbortController();
  }

  resume(): void {
    this.paused = false;
  }

  stop(): void {
    this.job?.stop();
    this.job = null;
  }
}
