// While history is pruned, the write-ahead log is checkpointed by a worker thread with a connection
// of its own: a checkpoint copies megabytes into the database file and fsyncs it, and on the main
// thread every tenth batch or so would stall the API behind that. PASSIVE checkpoints never block
// the writer. When no worker can start, SQLite's automatic checkpoints stay on (slower, still correct).
import type { Database } from "bun:sqlite";
import { log } from "../log.ts";

// Inline, so the compiled binary needs no separate worker file.
const WORKER = `
import { Database } from "bun:sqlite";
let db = null, timer = null;
const checkpoint = () => { try { db.query("PRAGMA wal_checkpoint(PASSIVE)").get(); } catch {} };
self.onmessage = (e) => {
  if (e.data.path) {
    db = new Database(e.data.path, { readwrite: true, create: false });
    timer = setInterval(checkpoint, e.data.intervalMs);
  } else {
    clearInterval(timer);
    if (db) { checkpoint(); db.close(); }
    postMessage("stopped");
  }
};
`;

let workerUrl: string | null = null;

/** Starts background checkpoints of `db`'s WAL; the returned function stops them and restores automatic ones. */
export function backgroundCheckpoints(db: Database, intervalMs = 100): () => Promise<void> {
  if (!db.filename || db.filename === ":memory:") return async () => {};
  let worker: Worker;
  try {
    workerUrl ??= URL.createObjectURL(new Blob([WORKER], { type: "application/javascript" }));
    worker = new Worker(workerUrl);
  } catch (e) {
    log.debug("no checkpoint worker; automatic checkpoints stay on", { error: String(e) });
    return async () => {};
  }
  const before = (db.query("PRAGMA wal_autocheckpoint").get() as { wal_autocheckpoint: number }).wal_autocheckpoint;
  db.run("PRAGMA wal_autocheckpoint = 0");
  worker.postMessage({ path: db.filename, intervalMs });
  return async () => {
    const stopped = new Promise<void>((resolve) => {
      worker.onmessage = () => resolve();
      worker.onerror = () => resolve();
    });
    worker.postMessage({ stop: true });
    await Promise.race([stopped, Bun.sleep(2000)]);
    worker.terminate();
    db.run(`PRAGMA wal_autocheckpoint = ${before}`);
  };
}
