// Rebuilding a table whose definition ALTER TABLE cannot change (here: adding AUTOINCREMENT to its
// key), by SQLite's documented procedure (https://sqlite.org/lang_altertable.html#otheralter): a
// new table from the old one's current definition (which holds every column added since, so other
// migrations' columns are kept), every row copied with its id, the old table dropped, the new one
// renamed, and its indexes and triggers created again from their stored definitions. Foreign keys
// in other tables name the table, not its storage, and so keep pointing at it.
//
// The caller runs this inside one transaction, with foreign key enforcement off (SQLite ignores
// that pragma inside a transaction, so migrate() sets it before): with enforcement on, dropping the
// old table would delete or null every row that references it.
import type { Database } from "bun:sqlite";

type SchemaEntry = { type: string; name: string; sql: string };

export class RebuildError extends Error {}

export function rebuildTable(db: Database, table: string, newDefinition: (createSql: string) => string): void {
  const current = db.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string } | null;
  if (!current) throw new RebuildError(`no table ${table} to rebuild`);
  const temp = `${table}__rebuild`;
  const rewritten = newDefinition(current.sql);
  if (rewritten === current.sql) throw new RebuildError(`the new definition of ${table} is the old one`);
  // CREATE TABLE "name" / name / [name]: the definition's own name becomes the temporary one.
  const created = rewritten.replace(/^CREATE TABLE\s+("[^"]+"|\[[^\]]+\]|`[^`]+`|\S+)/i, `CREATE TABLE "${temp}"`);
  // Indexes made by UNIQUE / PRIMARY KEY constraints have no sql: the definition recreates them.
  const dependents = db.query("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid").all(table) as SchemaEntry[];
  // Generated columns are computed again from the definition, never copied.
  const columns = (db.query(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => `"${c.name}"`).join(", ");
  const rows = (db.query(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  db.run(created);
  db.run(`INSERT INTO "${temp}" (${columns}) SELECT ${columns} FROM "${table}"`);
  db.run(`DROP TABLE "${table}"`);
  db.run(`ALTER TABLE "${temp}" RENAME TO "${table}"`);
  for (const d of dependents) db.run(d.sql);
  const copied = (db.query(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  if (copied !== rows) throw new RebuildError(`rebuilding ${table} kept ${copied} of its ${rows} rows`);
}
