// The router's own route table: the app is assembled exactly as the server assembles it (on a
// throwaway database), and its registered routes are read back with the access each one declared.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/api/app.ts";
import { accessTable, type Access } from "../../src/api/guard.ts";
import { createContext } from "../../src/app-context.ts";
import { loadSettings } from "../../src/config/settings.ts";
import { openDatabase } from "../../src/db/database.ts";

export type RouteInfo = { method: string; path: string; access: Access | "protected" };

export function routeTable(): RouteInfo[] {
  const dir = mkdtempSync(join(tmpdir(), "argus-routes-"));
  try {
    const db = openDatabase(dir);
    const ctx = createContext(db, loadSettings({ ARGUS_DATA_DIR: dir, ARGUS_LOG_LEVEL: "error" }), "s".repeat(32));
    const routes = createApp(ctx).routes.map((r) => ({ method: r.method, path: r.path, hooks: r.hooks }));
    db.close();
    const access = accessTable(routes);
    return routes.map((r) => ({ method: r.method, path: r.path, access: access.get(`${r.method} ${r.path}`) ?? "protected" }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A concrete path for a pattern: each `:param` becomes 1, a trailing `*` becomes x. */
export const concretePath = (pattern: string) => pattern.replace(/:[A-Za-z_]+/g, "1").replace(/\*$/, "x");

/** /openapi.json as the app run from source answers it (built from the routes), on a throwaway database. */
export async function sourceApiDocument(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "argus-routes-"));
  try {
    const db = openDatabase(dir);
    const ctx = createContext(db, loadSettings({ ARGUS_DATA_DIR: dir, ARGUS_LOG_LEVEL: "error" }), "s".repeat(32));
    const res = await createApp(ctx).handle(new Request("http://localhost/openapi.json", { headers: { host: "localhost" } }));
    const text = await res.text();
    db.close();
    return text;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
