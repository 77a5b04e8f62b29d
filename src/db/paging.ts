// One page of a listing plus its unpaginated total (SPEC §1: X-Total-Count), for every list the
// API serves, and the WHERE clause of its filters. `count` and `select` share `args`; `select` ends
// with "LIMIT ? OFFSET ?".
import type { Database, SQLQueryBindings } from "bun:sqlite";

export type ListQuery = { count: string; select: string; args: SQLQueryBindings[] };

export function fetchPage<Row>(db: Database, q: ListQuery, page: { limit: number; offset: number }): { rows: Row[]; total: number } {
  const total = (db.query(q.count).get(...q.args) as { n: number }).n;
  const rows = db.query(q.select).all(...q.args, page.limit, page.offset) as Row[];
  return { rows, total };
}

/**
 * The WHERE clause of a listing's filters, ANDed: each condition with its bound values (never spliced
 * into the SQL); a filter left undefined adds nothing.
 */
export class Where {
  private readonly conditions: string[] = [];
  readonly args: SQLQueryBindings[] = [];

  /** `column = ?` when the value is given. */
  eq(column: string, value: string | number | undefined): this {
    return value === undefined ? this : this.add(`${column} = ?`, value);
  }

  /** A condition with its `?` values in order. */
  add(condition: string, ...args: SQLQueryBindings[]): this {
    this.conditions.push(condition);
    this.args.push(...args);
    return this;
  }

  /** "WHERE … AND …", or "" without conditions. */
  get clause(): string {
    return this.conditions.length > 0 ? `WHERE ${this.conditions.join(" AND ")}` : "";
  }
}
