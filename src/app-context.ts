// Everything a request handler may need, built once at start-up and passed to each API plugin.
import type { Database } from "bun:sqlite";
import type { Settings } from "./config/settings.ts";
import { UserStore } from "./auth/users.ts";
import { SessionStore } from "./auth/sessions.ts";
import { ApiKeyStore } from "./auth/api-keys.ts";
import { LoginRateLimiter } from "./auth/rate-limit.ts";
import { AccountLoginDelay } from "./auth/account-delay.ts";
import { AuditLog } from "./audit/audit-log.ts";
import { configPath, envOverrides, loadResolvedConfig, updateAppConfig, type AppConfig, type ConfigUpdate, type ResolvedConfig } from "./config/app-config.ts";
import { EventFeed } from "./events.ts";
import { FeedMetrics } from "./metrics/feed.ts";
import { Notifier } from "./notify/notifier.ts";
import { runPipeline } from "./scans/pipeline.ts";
import { ScanManager } from "./scans/manager.ts";
import type { PassiveWatch } from "./passive/watch.ts";
import { Retention } from "./retention/daily.ts";
import { Scheduler } from "./schedule/scheduler.ts";
import { startScheduledScan } from "./schedule/scheduled-scan.ts";
import { SourceRunner } from "./sources/runner.ts";
import type { Segments } from "./segments/role.ts";

export type AppContext = {
  db: Database;
  settings: Settings;
  sessionSecret: string;
  startedAt: number;
  users: UserStore;
  sessions: SessionStore;
  apiKeys: ApiKeyStore;
  audit: AuditLog;
  loginLimiter: LoginRateLimiter;
  /** Failed logins per account name, across all addresses (in memory). */
  accountDelay: AccountLoginDelay;
  /** The appliance configuration in force. */
  config: () => AppConfig;
  /**
   * The configuration resolved: the file's view, the view in force and its parsed forms (CIDRs,
   * exclusions, port sets, profiles, compiled crons). Replaced as a whole on each change, before the
   * feed's `config` event.
   */
  resolved: () => ResolvedConfig;
  /** Validates, saves and applies a change to the configuration file (setup wizard: keys the environment sets stay with it). */
  updateConfig: (patch: Partial<AppConfig>) => AppConfig;
  /** PUT /api/config: validates, saves and applies a partial update; a change to a key the environment sets is refused. */
  applyConfig: (patch: Record<string, unknown>) => ConfigUpdate;
  /** Keys of the configuration that environment variables set, with the variable of each. */
  envOverrides: () => Record<string, string>;
  /** Called after every change of the configuration in force, with the keys that changed. */
  onConfigChange: (listener: (config: AppConfig, changed: string[]) => void) => () => void;
  /** The one event feed (events.ts): what committed, for everyone who listens. */
  feed: EventFeed;
  /** Counts of the feed and of the live stream's clients, for /metrics. */
  feedMetrics: FeedMetrics;
  scans: ScanManager;
  /** Notification queue, delivery worker and MQTT bridges (started by the server, following the feed). */
  notifier: Notifier;
  /** The passive listener, once started (null when off). */
  passive: PassiveWatch | null;
  scheduler: Scheduler;
  retention: Retention;
  /** The configured sources of names and devices (leases, DHCP and DNS servers, routers), read on their intervals. */
  sources: SourceRunner;
  /** The sensor or hub part of a segmented setup (SPEC §7 "Segments"), once started; none when standalone. */
  segments: Segments;
};

export function createContext(db: Database, settings: Settings, sessionSecret: string): AppContext {
  const path = configPath(settings.dataDir, settings.configEnv);
  // The database, session secret and configuration: no source may be pointed at them.
  const protectedPaths = [settings.dataDir, path];
  let resolved = loadResolvedConfig(path, settings.configEnv);
  const current = () => resolved.config;
  const currentResolved = () => resolved;
  const feed = new EventFeed();
  const apply = (update: ConfigUpdate): ConfigUpdate => {
    if (update.changed.length === 0) return update;
    resolved = update.resolved;
    feed.publish({ type: "config", config: resolved.config, resolved, changed: update.changed });
    return update;
  };
  const audit = new AuditLog(db);
  const notifier = new Notifier(db, () => resolved.config.notifications, { schedule: settings.notifySchedule });
  const scans = new ScanManager(db, current, notifier, runPipeline, feed);
  const scheduler = new Scheduler({
    db,
    config: currentResolved,
    audit,
    startScan: (profile) => {
      // The entry's last run (or skip) is recorded right after this returns or throws: said once it is.
      queueMicrotask(() => feed.publish({ type: "status", source: "schedule" }));
      return startScheduledScan({ config: currentResolved, scans, audit }, profile);
    },
  });
  feed.on("config", ({ changed }) => {
    // Subnets are the consent the schedule waits for; the rest of the schedule is read at each tick.
    if (changed.includes("schedule") || changed.includes("subnets") || changed.includes("profiles")) {
      scheduler.reload();
      feed.publish({ type: "status", source: "schedule" });
    }
  });
  return {
    db,
    settings,
    sessionSecret,
    startedAt: Date.now(),
    users: new UserStore(db),
    sessions: new SessionStore(db),
    apiKeys: new ApiKeyStore(db),
    audit,
    loginLimiter: new LoginRateLimiter(),
    accountDelay: new AccountLoginDelay(),
    config: current,
    resolved: currentResolved,
    updateConfig: (patch) => apply(updateAppConfig(path, patch, settings.configEnv, { envConflict: "skip", current: resolved, protectedPaths })).config,
    applyConfig: (patch) => apply(updateAppConfig(path, patch, settings.configEnv, { current: resolved, protectedPaths })),
    envOverrides: () => envOverrides(settings.configEnv),
    onConfigChange: (listener) => feed.on("config", (e) => listener(e.config, e.changed)),
    feed,
    feedMetrics: new FeedMetrics(feed),
    scans,
    scheduler,
    retention: new Retention(db, () => resolved.config.retention_days),
    notifier,
    passive: null,
    sources: new SourceRunner({ db, config: currentResolved, sink: notifier, feed, protectedPaths }),
    segments: { sensor: null, hub: null },
  };
}
