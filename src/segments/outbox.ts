// A sensor's messages on disk until the broker has them (migration 23: segment_outbox, segment_state).
// A message leaves only on its PUBACK, so a broker away, a lost connection or a kill -9 loses
// nothing that was queued. Bounded: past `max` messages the oldest go, and their count is kept to be
// reported (a `dropped` message) once the broker is back.
import type { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import type { OutboxBody } from "./protocol.ts";

export const OUTBOX_MAX = 10_000;

export type OutboxRow = { seq: number; topic: string; payload: string; created_at: string };

export class Outbox {
  constructor(
    private readonly db: Database,
    private readonly max = OUTBOX_MAX,
  ) {}

  /** This database's sensor id, made once: the hub tells a sensor's numbering apart from a new database's. */
  instance(): string {
    const row = this.db.query("SELECT value FROM segment_state WHERE key = 'instance'").get() as { value: string } | null;
    if (row) return row.value;
    const id = randomBytes(6).toString("hex");
    this.db.query("INSERT INTO segment_state (key, value) VALUES ('instance', ?)").run(id);
    return id;
  }

  /** Queues one message; drops the oldest beyond the bound (counted). Its own transaction. */
  add(topic: string, body: OutboxBody): number {
    return this.db
      .transaction(() => {
        const res = this.db.query("INSERT INTO segment_outbox (topic, payload, created_at) VALUES (?, ?, ?)").run(topic, JSON.stringify(body), body.at);
        const over = this.count() - this.max;
        if (over > 0) {
          this.db.query("DELETE FROM segment_outbox WHERE seq IN (SELECT seq FROM segment_outbox ORDER BY seq LIMIT ?)").run(over);
          this.db
            .query("INSERT INTO segment_state (key, value) VALUES ('dropped', ?1) ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + ?1")
            .run(over);
        }
        return Number(res.lastInsertRowid);
      })
      .immediate();
  }

  /** Messages after `afterSeq`, oldest first. */
  after(afterSeq: number, limit: number): OutboxRow[] {
    return this.db.query("SELECT seq, topic, payload, created_at FROM segment_outbox WHERE seq > ? ORDER BY seq LIMIT ?").all(afterSeq, limit) as OutboxRow[];
  }

  /** The broker acknowledged it. */
  remove(seq: number): void {
    this.db.query("DELETE FROM segment_outbox WHERE seq = ?").run(seq);
  }

  count(): number {
    return (this.db.query("SELECT count(*) AS n FROM segment_outbox").get() as { n: number }).n;
  }

  /** Messages dropped since the last report (not yet queued as a `dropped` message). */
  dropped(): number {
    const row = this.db.query("SELECT value FROM segment_state WHERE key = 'dropped'").get() as { value: string } | null;
    return row ? Number(row.value) : 0;
  }

  /** Queues the report of the dropped messages (at the end, after what survived) and resets the count. */
  reportDropped(topic: string, at: string): number {
    return this.db
      .transaction(() => {
        const count = this.dropped();
        if (count === 0) return 0;
        this.db.query("DELETE FROM segment_state WHERE key = 'dropped'").run();
        this.db.query("INSERT INTO segment_outbox (topic, payload, created_at) VALUES (?, ?, ?)").run(topic, JSON.stringify({ kind: "dropped", at, count }), at);
        return count;
      })
      .immediate();
  }
}
