// `argus backup FILE`: a consistent snapshot of the live database, safe while the server runs.
// Restore: stop the service, copy the file over <data dir>/argus.db, start it (see README).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { snapshotDatabase } from "../db/backup.ts";
import { openUnmigrated, resolveDataDir, takeDataDir } from "./database.ts";
import { CliError, EXIT } from "./errors.ts";

export const USAGE = `Usage: argus backup FILE [--force] [--data-dir DIR]

Writes a consistent snapshot of the Argus database to FILE (mode 0600), while the server runs.
  --force          replace FILE if it exists
  --data-dir DIR   the appliance's data directory (default: ARGUS_DATA_DIR, ./data, /var/lib/argus)`;

export async function run(argv: string[]): Promise<number> {
  const { dataDir, rest } = takeDataDir(argv);
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const force = rest.includes("--force");
  const files = rest.filter((a) => a !== "--force");
  const unknown = files.find((a) => a.startsWith("-"));
  if (unknown) throw new CliError(`unknown option ${unknown}`, EXIT.usage);
  if (files.length !== 1) throw new CliError(files.length === 0 ? "give the file to write the backup to" : "give exactly one FILE", EXIT.usage);
  const dest = resolve(files[0]);
  if (existsSync(dest) && !force) throw new CliError(`${dest} exists; use --force to replace it`);
  const db = openUnmigrated(resolveDataDir(dataDir));
  try {
    const snap = snapshotDatabase(db, dest);
    console.log(`backup written to ${snap.path} (${(snap.bytes / 1024).toFixed(0)} KiB, schema version ${snap.schemaVersion})`);
    return 0;
  } finally {
    db.close();
  }
}
