// Everything a request handler may need, built once at start-up and passed to each API plugin.
import type { Database } from "bun:sqlite";
import type { Settings } from "./config/settings.ts";
import { UserStore } from "./auth/users.ts";
import { SessionStore } from "./auth/sessions.ts";
import { ApiKeyStore } from "./auth/api-keys.ts";
import { LoginRateLimiter } from "./auth/rate-limit.ts";
import { AuditLog } from "./audit/audit-log.ts";
import { configPath, loadAppConfig, updateAppConfig, type AppConfig } from "./config/app-config.ts";
import { Notifier } from "./notify/notifier.ts";
import { ScanManager } from "./scans/manager.ts";
import type { Change } from "./inventory/observation.ts";
import { passiveAnnouncer } from "./notify/announce.ts";
import type { PassiveWatch } from "./passive/watch.ts";

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
  /** The appliance configuration in force. */
  config: () => AppConfig;
  /** Validates, saves and applies a change to the configuration file. */
  updateConfig: (patch: Partial<AppConfig>) => AppConfig;
  scans: ScanManager;
  /** Notification queue, delivery worker and MQTT bridges (started by the server). */
  notifier: Notifier;
  /** Where changes recorded outside a scan go (passive watch). */
  announce: (changes: Change[], iface: string) => void;
  /** The passive listener, once started (null when off). */
  passive: PassiveWatch | null;
};

export function createContext(db: Database, settings: Settings, sessionSecret: string): AppContext {
  const path = configPath(settings.dataDir, settings.configEnv);
  let config = loadAppConfig(path, settings.configEnv);
  const current = () => config;
  const notifier = new Notifier(db, () => config.notifications, { schedule: settings.notifySchedule });
  const scans = new ScanManager(db, current, notifier);
  return {
    db,
    settings,
    sessionSecret,
    startedAt: Date.now(),
    users: new UserStore(db),
    sessions: new SessionStore(db),
    apiKeys: new ApiKeyStore(db),
    audit: new AuditLog(db),
    loginLimiter: new LoginRateLimiter(),
    config: current,
    updateConfig: (patch) => (config = updateAppConfig(path, patch, settings.configEnv)),
    scans,
    notifier,
    announce: passiveAnnouncer(notifier, scans),
    passive: null,
  };
}
