// Starts the appliance: settings → database → context → HTTP server. Returns a handle that
// tests and the CLI use to stop it cleanly.
import type { Database } from "bun:sqlite";
import { createApp } from "./api/app.ts";
import { createContext, type AppContext } from "./app-context.ts";
import { loadSessionSecret } from "./auth/secret.ts";
import type { Settings } from "./config/settings.ts";
import { openDatabase } from "./db/database.ts";
import { log, setLogLevel } from "./log.ts";

/** How long in-flight requests may take to finish during shutdown before their connections are closed. */
const DRAIN_MS = 1500;

export type RunningServer = { url: string; port: number; ctx: AppContext; stop: () => Promise<void> };

export async function startServer(settings: Settings): Promise<RunningServer> {
  setLogLevel(settings.logLevel);
  const db: Database = openDatabase(settings.dataDir);
  const ctx = createContext(db, settings, loadSessionSecret(settings.dataDir, settings.sessionSecret));
  const interrupted = ctx.scans.markInterrupted();
  if (interrupted > 0) log.warn("marked scans interrupted by the previous stop", { count: interrupted });
  const app = createApp(ctx).listen({ hostname: settings.host, port: settings.port });
  const server = app.server!;
  // A unix socket as a second door to the same app: for local tools, a reverse proxy, and tests that
  // run the appliance inside a network namespace the test process cannot reach by TCP.
  const local = settings.socket ? Bun.serve({ unix: settings.socket, fetch: (request) => app.fetch(request) }) : null;
  const shownHost = settings.host === "0.0.0.0" ? "localhost" : settings.host;
  const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${server.port}`;
  log.info("listening", { url, socket: settings.socket ?? "none", data_dir: settings.dataDir });
  ctx.scheduler.start();
  ctx.retention.start();
  let stopped = false;
  return {
    url,
    port: server.port!,
    ctx,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // Stop taking requests, end live streams, let a running scan record itself as cancelled, give
      // in-flight requests a moment, then close what is left and the database file.
      const draining = Promise.all([app.stop(), local?.stop()]);
      ctx.scheduler.stop();
      ctx.retention.stop();
      await ctx.retention.pause();
      await ctx.scans.stop();
      await Promise.race([draining, Bun.sleep(DRAIN_MS)]);
      server.stop(true);
      local?.stop(true);
      db.close(false);
      log.info("stopped");
    },
  };
}
