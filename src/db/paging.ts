// One page of a listing plus its unpaginated total (SPEC §1: X-Total-Count), for every list the
// API serves. `count` and `select` share `args`; `select` ends with "LIMIT ? OFFSET ?".
import type { Database, SQLQueryBindings } from "bun:sqlite";

export type ListQuery = { count: string; select: string; args: SQLQueryBindings[] };

export function fetchPage<Row>(db: Database, q: ListQuery, page: { limit: number; offset: number }): { rows: Row[]; total: number } {
  const total = (db.query(q.count).get(...q.args) as { n: number }).n;
  const rows = db.query(q.select).all(...q.args, page.limit, page.offset) as Row[];
  return { rows, total };
}
