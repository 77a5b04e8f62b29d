// Everything a request handler may need, built once at start-up and passed to each API plugin.
import type { Database } from "bun:sqlite";
import type { Settings } from "./config/settings.ts";
import { UserStore } from "./auth/users.ts";
import { SessionStore } from "./auth/sessions.ts";
import { ApiKeyStore } from "./auth/api-keys.ts";
import { LoginRateLimiter } from "./auth/rate-limit.ts";
import { AuditLog } from "./audit/audit-log.ts";

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
};

export function createContext(db: Database, settings: Settings, sessionSecret: string): AppContext {
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
  };
}
