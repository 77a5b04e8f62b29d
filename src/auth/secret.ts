// The key that signs session cookies: ARGUS_SESSION_SECRET, or one generated on first start and kept
// in the data dir (mode 0600) so sessions survive restarts.
import { existsSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { randomToken } from "./digest.ts";

export const SECRET_FILE = "session.secret";

export function loadSessionSecret(dataDir: string, fromEnv?: string): string {
  if (fromEnv) return fromEnv;
  const path = join(dataDir, SECRET_FILE);
  if (existsSync(path)) {
    const stored = readFileSync(path, "utf8").trim();
    if (stored.length >= 32) return stored;
  }
  const secret = randomToken(48);
  writeFileSync(path, secret + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
  return secret;
}
