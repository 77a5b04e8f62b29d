// The import graph of src/: the API layer sits on top (only src/api, src/ui, src/cli and
// src/server.ts import from it), the modules import each other without circles, and the browser
// bundle takes its enumerations as plain lists, never TypeBox.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = join(import.meta.dir, "..");
const SRC = join(ROOT, "src");

/** Every .ts/.tsx file under src/, relative to the repository ("src/api/app.ts"). */
function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.tsx?$/.test(e.name) ? [relative(ROOT, path)] : [];
  });
}

// Static imports and re-exports (also `import type`: a type import ties the modules together just
// the same) and dynamic import() of relative paths.
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]/g;

function importGraph(): Map<string, Set<string>> {
  const files = sources();
  const known = new Set(files);
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const targets = new Set<string>();
    for (const m of readFileSync(join(ROOT, file), "utf8").matchAll(IMPORT)) {
      const target = normalize(join(dirname(file), m[1] ?? m[2]));
      if (known.has(target)) targets.add(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** The strongly connected components of more than one file (Tarjan). */
function circles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

const MAY_IMPORT_API = (file: string) => /^src\/(api|ui|cli)\//.test(file) || file === "src/server.ts";

describe("layers", () => {
  const graph = importGraph();

  test("the graph is read: the API's routes import the areas' schemas", () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get("src/api/models.ts")).toContain("src/inventory/schema.ts");
  });

  test("nothing below src/api imports from src/api (the areas own their schemas)", () => {
    const upward = [...graph].flatMap(([file, targets]) => (MAY_IMPORT_API(file) ? [] : [...targets].filter((t) => t.startsWith("src/api/")).map((t) => `${file} -> ${t}`)));
    expect(upward).toEqual([]);
  });

  test("no import circles", () => {
    expect(circles(graph)).toEqual([]);
  });

  test("the browser app imports no TypeBox schema module, only the plain enumeration lists", () => {
    // What src/ui/app reaches outside itself, transitively: nothing that brings TypeBox or a server module.
    const seen = new Set<string>();
    const queue = sources().filter((f) => f.startsWith("src/ui/app/"));
    while (queue.length > 0) {
      const f = queue.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      queue.push(...(graph.get(f) ?? []));
    }
    const outside = [...seen].filter((f) => !f.startsWith("src/ui/app/")).sort();
    for (const f of outside) expect(readFileSync(join(ROOT, f), "utf8")).not.toMatch(/@sinclair\/typebox|from "elysia"/);
    expect(outside).toContain("src/inventory/enums.ts");
  });
});
