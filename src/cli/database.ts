// How the maintenance commands (keys, user, backup, scan) find the appliance's database:
// --data-dir, else ARGUS_DATA_DIR, else ./data when it holds one, else the installed
// appliance's /var/lib/argus. They never create an empty database: that is `serve`'s job.
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { configure, DB_FILE, openDatabase } from "../db/database.ts";
import { CliError, EXIT } from "./errors.ts";
import { PATHS } from "./install.ts";

/** Takes `--data-dir DIR` / `--data-dir=DIR` out of args; returns the rest. */
export function takeDataDir(args: string[]): { dataDir: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let dataDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--data-dir") {
      dataDir = args[++i];
      if (!dataDir) throw new CliError("--data-dir needs a directory", EXIT.usage);
    } else if (args[i].startsWith("--data-dir=")) dataDir = args[i].slice("--data-dir=".length);
    else rest.push(args[i]);
  }
  return { dataDir, rest };
}

export function resolveDataDir(flag: string | undefined, env: Record<string, string | undefined> = process.env): string {
  if (flag) return resolve(flag);
  if (env.ARGUS_DATA_DIR) return resolve(env.ARGUS_DATA_DIR);
  const local = resolve("data");
  if (!existsSync(join(local, DB_FILE)) && existsSync(join(PATHS.stateDir, DB_FILE))) return PATHS.stateDir;
  return local;
}

function requireDatabase(dataDir: string): string {
  const path = join(dataDir, DB_FILE);
  if (!existsSync(path)) {
    throw new CliError(`no Argus database at ${path}; start the appliance once (argus serve) or pass --data-dir / ARGUS_DATA_DIR`, EXIT.nothing);
  }
  return path;
}

/** The live database, migrated like `serve` would (safe while the server runs: WAL + busy timeout). */
export function openExisting(dataDir: string): Database {
  requireDatabase(dataDir);
  return openDatabase(dataDir);
}

/** The live database as it is, without migrating it (a backup must copy the pre-upgrade schema). */
export function openUnmigrated(dataDir: string): Database {
  const db = new Database(requireDatabase(dataDir), { readwrite: true, create: false, strict: true });
  configure(db);
  return db;
}
