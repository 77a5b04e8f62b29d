// While history is pruned, the write-ahead log is checkpointed by a worker thread with a connection
// of its own: a checkpoint copies megabytes into the database file and fsyncs it, which on the main
// thread would stall every request behind it. Pruning awaits each checkpoint between two batches
// (the event loop keeps serving meanwhile): with no write in flight the checkpoint completes, and
// the next batch starts the log over, so it stays small. Without a worker SQLite's automatic
// checkpoints stay on (slower, still correct).
import type { Database } from "bun:sqlite";
import { log } from "../log.ts";

// Inline, so the compiled binary needs no separate worker file.
const WORKER = `
import { Database } from "bun:sqlite";
let db = null;
self.onmessage = (e) => {
  const m = e.data;
  if (m.open) { db = new Database(m.open, { readwrite: true, create: false }); db.run("PRAGMA busy_timeout = 5000"); return; }
  if (m.checkpoint !== undefined) {
    let error = null;
    try { db.query("PRAGMA wal_checkpoint(PASSIVE)").get(); } catch (err) { error = String(err); }
    postMessage({ done: m.checkpoint, error });
    return;
  }
  if (m.stop) { if (db) db.close(); postMessage({ stopped: true }); }
};
`;

let workerUrl: string | null = null;

export type Checkpointer = {
  /** Resolves once the log is checkpointed (at once when no worker runs). */
  checkpoint(): Promise<void>;
  /** Ends the worker and turns SQLite's automatic checkpoints back on. */
  stop(): Promise<void>;
};

const inline: Checkpointer = { checkpoint: async () => {}, stop: async () => {} };

export function startCheckpointer(db: Database): Checkpointer {
  if (!db.filename || db.filename === ":memory:") return inline;
  let worker: Worker;
  try {
    workerUrl ??= URL.createObjectURL(new Blob([WORKER], { type: "application/javascript" }));
    worker = new Worker(workerUrl);
  } catch (e) {
    log.debug("no checkpoint worker; automatic checkpoints stay on", { error: String(e) });
    return inline;
  }
  const waiting = new Map<number, () => void>();
  let stopped: (() => void) | null = null;
  let next = 0;
  let broken = false;
  worker.onmessage = (e: MessageEvent) => {
    if (e.data.stopped) stopped?.();
    else if (e.data.done !== undefined) {
      if (e.data.error) log.warn("background checkpoint failed", { error: e.data.error });
      waiting.get(e.data.done)?.();
      waiting.delete(e.data.done);
    }
  };
  const before = (db.query("PRAGMA wal_autocheckpoint").get() as { wal_autocheckpoint: number }).wal_autocheckpoint;
  const restore = () => db.run(`PRAGMA wal_autocheckpoint = ${before}`);
  worker.onerror = (e) => {
    // A worker that cannot run: back to automatic checkpoints, and nobody waits for it.
    log.warn("checkpoint worker failed; automatic checkpoints back on", { error: String(e.message ?? e) });
    broken = true;
    restore();
    for (const resolve of waiting.values()) resolve();
    waiting.clear();
    stopped?.();
  };
  db.run("PRAGMA wal_autocheckpoint = 0");
  worker.postMessage({ open: db.filename });
  return {
    checkpoint: () =>
      broken
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const id = next++;
            waiting.set(id, resolve);
            worker.postMessage({ checkpoint: id });
          }),
    stop: async () => {
      if (!broken) {
        const done = new Promise<void>((resolve) => (stopped = resolve));
        worker.postMessage({ stop: true });
        await Promise.race([done, Bun.sleep(2000)]);
      }
      worker.terminate();
      restore();
    },
  };
}
