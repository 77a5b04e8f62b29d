// The checks of a database file before it may be restored, and their run in a child process.
//
// A hostile file can make SQLite slow: an index on an expression is recomputed row by row by
// `PRAGMA integrity_check`, and one small upload held the event loop (and /health) for a minute. So the
// checks run in a child process (`argus __check-backup FILE`) that is killed at a time limit; the server
// only waits for its answer. Besides integrity, the file must be exactly an Argus database of its
// schema version: the same tables, indexes and triggers as a fresh database migrated to that version
// (no extra index, no redeclared table), and every value of the type its column declares (a BLOB
// host name would make every device listing fail). The child then migrates the file to our schema.
import { Database } from "bun:sqlite";
import { resolve } from "node:path";
import { compiledBinary } from "../service/embedded.ts";
import { APPLICATION_ID, LATEST_VERSION, migrate } from "./migrations.ts";
import { RestoreError } from "./restore-error.ts";

/** The hidden command the child runs (src/cli/index.ts). */
export const CHECK_COMMAND = "__check-backup";

/** Tables every Argus database has had since its first versions. */
const CORE_TABLES = ["users", "sessions", "api_keys", "audit_logs", "scans", "devices", "changes"];
/** The version that started stamping application_id; older files are recognised by their tables. */
const STAMPED_SINCE = 10;

type SchemaRow = { type: string; name: string; tbl_name: string; sql: string | null };

/** Checks the file and migrates it in place to our schema (the caller owns it); returns its original schema version. */
export function checkAndMigrate(path: string): number {
  const version = inspectBackup(path);
  const working = new Database(path, { readwrite: true, strict: true });
  try {
    working.run("PRAGMA journal_mode = DELETE");
    try {
      migrate(working);
    } catch (e) {
      throw new RestoreError(422, `The backup could not be brought to this Argus's schema: ${(e as Error).message}`);
    }
  } finally {
    working.close();
  }
  return version;
}

/** Checks an uploaded file without changing it; returns its schema version. */
export function inspectBackup(path: string): number {
  let copy: Database;
  try {
    copy = new Database(path, { readonly: true });
  } catch {
    throw new RestoreError(422, "The file is not an SQLite database");
  }
  try {
    let check: { integrity_check: string }[];
    try {
      check = copy.query("PRAGMA integrity_check").all() as { integrity_check: string }[];
    } catch (e) {
      throw new RestoreError(422, `The file is not a readable SQLite database: ${(e as Error).message}`);
    }
    if (check.length !== 1 || check[0].integrity_check !== "ok") {
      throw new RestoreError(422, `The database failed the integrity check: ${check.slice(0, 3).map((r) => r.integrity_check).join("; ")}`);
    }
    const version = (copy.query("PRAGMA user_version").get() as { user_version: number }).user_version;
    const appId = (copy.query("PRAGMA application_id").get() as { application_id: number }).application_id;
    const tables = new Set((copy.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const missing = CORE_TABLES.filter((t) => !tables.has(t));
    if (missing.length > 0 || version < 3 || (appId !== APPLICATION_ID && !(appId === 0 && version < STAMPED_SINCE))) {
      throw new RestoreError(422, "The file is an SQLite database but not an Argus backup");
    }
    if (version > LATEST_VERSION) {
      throw new RestoreError(422, `The backup has schema version ${version}, newer than this Argus knows (${LATEST_VERSION}); restore it with a newer Argus`);
    }
    const reference = new Database(":memory:");
    try {
      migrate(reference, version);
      compareSchema(copy, reference, version);
      checkValueTypes(copy, reference);
    } finally {
      reference.close();
    }
    return version;
  } finally {
    copy.close();
  }
}

const schemaOf = (db: Database) =>
  // Tables first: a redeclared table explains the missing indexes that come with it.
  db.query("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type <> 'table', type, name").all() as SchemaRow[];

/** The file's tables, indexes, triggers and views must be those of our schema at its version, SQL and all. */
function compareSchema(file: Database, reference: Database, version: number): void {
  const theirs = new Map(schemaOf(file).map((r) => [`${r.type} ${r.name}`, r]));
  const ours = new Map(schemaOf(reference).map((r) => [`${r.type} ${r.name}`, r]));
  const differences: string[] = [];
  for (const [key, row] of ours) {
    const other = theirs.get(key);
    if (!other) differences.push(`${key} is missing`);
    else if (other.sql !== row.sql || other.tbl_name !== row.tbl_name) differences.push(`${key} is declared differently`);
  }
  for (const key of theirs.keys()) if (!ours.has(key)) differences.push(`${key} is not part of it`);
  if (differences.length > 0) {
    throw new RestoreError(422, `The backup could not be brought to this Argus's schema: its tables and indexes are not those of schema version ${version} (${differences.slice(0, 3).join("; ")})`);
  }
}

/** The storage classes a column may hold, from its declared type (SQLite's affinity rules). */
function allowedTypes(declared: string): string[] | null {
  const t = declared.toUpperCase();
  if (t.includes("INT")) return ["integer", "real", "null"];
  if (t.includes("CHAR") || t.includes("CLOB") || t.includes("TEXT")) return ["text", "null"];
  if (t.includes("BLOB")) return ["blob", "null"];
  if (t === "") return null;
  return ["integer", "real", "null"]; // REAL, NUMERIC
}

/** Every value has the type its column declares: the API answers it as that type. */
function checkValueTypes(file: Database, reference: Database): void {
  const tables = (reference.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  for (const table of tables) {
    const columns = (reference.query(`PRAGMA table_info("${table}")`).all() as { name: string; type: string }[])
      .map((c) => ({ name: c.name, allowed: allowedTypes(c.type), declared: c.type }))
      .filter((c) => c.allowed !== null);
    if (columns.length === 0) continue;
    const wrong = (c: (typeof columns)[number]) => `typeof("${c.name}") NOT IN (${c.allowed!.map((a) => `'${a}'`).join(", ")})`;
    // One pass over the table for all its columns; the column is named only once something is wrong.
    if (file.query(`SELECT 1 FROM "${table}" WHERE ${columns.map(wrong).join(" OR ")} LIMIT 1`).get() === null) continue;
    for (const c of columns) {
      const bad = file.query(`SELECT typeof("${c.name}") AS type FROM "${table}" WHERE ${wrong(c)} LIMIT 1`).get() as { type: string } | null;
      if (bad) throw new RestoreError(422, `The backup's rows do not fit this Argus's schema: ${table}.${c.name} holds a ${bad.type} value where ${c.declared} belongs`);
    }
  }
}

/** The child's side: checks and migrates FILE, prints one JSON line: {"version"} or {"status","detail"}. */
export function runCheckCommand(path: string): number {
  try {
    console.log(JSON.stringify({ version: checkAndMigrate(path) }));
    return 0;
  } catch (e) {
    const refusal = e instanceof RestoreError ? e : new RestoreError(422, `The file could not be checked: ${(e as Error).message}`);
    console.log(JSON.stringify({ status: refusal.status, detail: refusal.message }));
    return 1;
  }
}

/**
 * Runs checkAndMigrate() on `path` in a child process, killed after `timeoutMs`; the event loop keeps
 * serving meanwhile. Resolves to the file's schema version; rejects with a RestoreError.
 */
export async function checkInChild(path: string, timeoutMs: number): Promise<number> {
  const argv = compiledBinary ? [process.execPath, CHECK_COMMAND, path] : [process.execPath, resolve(import.meta.dir, "../main.ts"), CHECK_COMMAND, path];
  const child = Bun.spawn(argv, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    // No ARGUS_* setting is needed, and a .env of the working directory must not be read.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    cwd: "/",
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  if (timedOut) throw new RestoreError(422, `The backup took too long to check (more than ${Math.round(timeoutMs / 1000)} s); nothing was changed`);
  let answer: { version?: number; status?: RestoreError["status"]; detail?: string } = {};
  try {
    answer = JSON.parse(out.trim().split("\n").pop() ?? "");
  } catch {
    // fall through: no answer
  }
  if (code === 0 && typeof answer.version === "number") return answer.version;
  if (typeof answer.detail === "string" && typeof answer.status === "number") throw new RestoreError(answer.status, answer.detail);
  throw new RestoreError(422, `The backup could not be checked (the check ended with ${child.signalCode ?? `code ${code}`}${err.trim() ? `: ${err.trim().split("\n")[0].slice(0, 200)}` : ""})`);
}
