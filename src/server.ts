// Starts the appliance: settings → database → context → HTTP server. Returns a handle that
// tests and the CLI use to stop it cleanly.
import type { Database } from "bun:sqlite";
import { createApp } from "./api/app.ts";
import { viaLocalSocket } from "./api/host-check.ts";
import { createContext, type AppContext } from "./app-context.ts";
import { loadSessionSecret } from "./auth/secret.ts";
import type { Settings } from "./config/settings.ts";
import { openDatabase } from "./db/database.ts";
import { FileLock, serveLockPath } from "./db/file-lock.ts";
import { log, setLogLevel } from "./log.ts";
import { startupReport } from "./service/startup.ts";
import { PassiveWatch } from "./passive/watch.ts";
import { preloadVendors } from "./identify/vendor.ts";
import { startSegments, stopSegments } from "./segments/role.ts";
import { IdleShrink } from "./service/idle-shrink.ts";

/** How long in-flight requests may take to finish during shutdown before their connections are closed. */
const DRAIN_MS = 1500;

/**
 * Seconds a connection may stay silent before it is closed, on both doors alike. Live event streams
 * send a keepalive more often than this (KEEPALIVE_MS in api/scans.ts); Bun's own default (10 s) is
 * shorter than that keepalive and would cut a quiet stream.
 */
export const IDLE_TIMEOUT_S = 30;

export type RunningServer = { url: string; port: number; ctx: AppContext; stop: () => Promise<void> };

export type StartOptions = {
  /**
   * Give memory back after this many quiet milliseconds (src/service/idle-shrink.ts); `argus serve`
   * does, with its default. Off for servers that share their process (tests, benchmarks).
   */
  shrinkWhenIdleMs?: number;
};

/** The engine's shrink, and SQLite's page cache of the connection handed back as well. */
function shrinkFootprint(db: Database): void {
  Bun.shrink();
  db.run("PRAGMA shrink_memory");
}

export async function startServer(settings: Settings, opts: StartOptions = {}): Promise<RunningServer> {
  setLogLevel(settings.logLevel);
  const db: Database = openDatabase(settings.dataDir);
  // Held for the server's lifetime: `argus restore` refuses while the service runs on this data dir.
  const serving = new FileLock(serveLockPath(db.filename));
  if (!serving.tryAcquire()) {
    db.close(false);
    throw new Error(`another argus serve is running on ${settings.dataDir}`);
  }
  const ctx = createContext(db, settings, loadSessionSecret(settings.dataDir, settings.sessionSecret));
  const interrupted = ctx.scans.markInterrupted();
  if (interrupted > 0) log.warn("marked scans interrupted by the previous stop", { count: interrupted });
  // Said once, before listening, so that it heads the log: raw sockets or degraded, subnet or none.
  const report = startupReport(ctx.config());
  log[report.level](report.message, report.fields);
  const app = createApp(ctx);
  const idle =
    opts.shrinkWhenIdleMs === undefined ? null : new IdleShrink({ idleMs: opts.shrinkWhenIdleMs, busy: () => ctx.scans.scanning, shrink: () => shrinkFootprint(db) });
  if (idle) app.onRequest(() => idle.touch());
  let local: ReturnType<typeof Bun.serve> | null = null;
  try {
    // Not `reusePort` (Elysia's default): with it a second appliance started on the same port would
    // not fail but silently take part of the clients, e.g. an unconfigured one offering its setup.
    // `development: false`: should an error ever escape the app's own handler, Bun answers a bare 500,
    // never its debugging page with the stack and source lines.
    app.listen({ hostname: settings.host, port: settings.port, reusePort: false, idleTimeout: IDLE_TIMEOUT_S, development: false });
    // A unix socket as a second door to the same app: for local tools, a reverse proxy, and tests that
    // run the appliance inside a network namespace the test process cannot reach by TCP.
    if (settings.socket) local = Bun.serve({ unix: settings.socket, idleTimeout: IDLE_TIMEOUT_S, development: false, fetch: (request) => app.fetch(viaLocalSocket(request)) });
  } catch (e) {
    // A start that fails half-way (the socket taken after the port was bound) leaves nothing serving.
    app.server?.stop(true);
    db.close(false);
    serving.release();
    throw e;
  }
  ctx.passive = PassiveWatch.start({
    db,
    config: ctx.resolved,
    sink: ctx.notifier,
    feed: ctx.feed,
    learn: (known) => ctx.updateConfig({ known_infrastructure: known }),
    floodDigestMs: settings.floodDigestMs,
    onConfigChange: ctx.onConfigChange,
  });
  // Sends what is queued, also what a previous run committed but had not sent yet.
  ctx.notifier.start(ctx.feed);
  ctx.segments = startSegments(db, ctx.config, ctx.feed, ctx.notifier, { config: ctx.resolved, scans: ctx.scans, audit: ctx.audit }, { heartbeatMs: settings.segmentHeartbeatMs, checkMs: settings.segmentCheckMs });
  const server = app.server!;
  const shownHost = settings.host === "0.0.0.0" ? "localhost" : settings.host;
  const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${server.port}`;
  // The URL names localhost for 0.0.0.0 (a browser on this machine); the log also says that every
  // address of the machine answers, so an owner on another machine knows to use its LAN address.
  log.info("listening", { url, ...(settings.host === "0.0.0.0" ? { on: "every address of this machine" } : {}), socket: settings.socket ?? "none", data_dir: settings.dataDir });
  ctx.scheduler.start();
  ctx.retention.start();
  ctx.sources.start();
  // The MAC vendor table, indexed in slices between requests, so that the first device heard or
  // scanned does not wait for it on the event loop.
  preloadVendors().catch((e) => log.warn("MAC vendor table not preloaded; it loads on first lookup", { error: String(e) }));
  idle?.start();
  let stopped = false;
  return {
    url,
    port: server.port!,
    ctx,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      idle?.stop();
      // Stop taking requests, end live streams, let a running scan record itself as cancelled, give
      // in-flight requests a moment, then close what is left and the database file.
      const draining = Promise.all([app.stop(), local?.stop()]);
      ctx.scheduler.stop();
      ctx.retention.stop();
      await ctx.sources.stop();
      await ctx.retention.pause();
      await Promise.all([ctx.scans.stop(), ctx.passive?.stop()]);
      // After the scans and the watch: their last commits are in the sensor's outbox by now.
      await stopSegments(ctx.segments);
      // The last changes are queued by now; what is not sent in the grace period stays queued.
      await ctx.notifier.stop();
      await Promise.race([draining, Bun.sleep(DRAIN_MS)]);
      server.stop(true);
      local?.stop(true);
      db.close(false);
      serving.release();
      log.info("stopped");
    },
  };
}
