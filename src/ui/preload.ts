// Which bundle files a page needs, for <link rel="modulepreload"> in its HTML shell. Kept apart
// from bundle.ts, which the binary build swaps for a module holding the finished files.
import type { UiBundle } from "./bundle.ts";

/**
 * The JavaScript files a page needs, for <link rel="modulepreload">: the entry's static imports,
 * the page's own chunk (named after its source file, pages/<page>.tsx) and that chunk's imports,
 * so the browser fetches them all at once instead of discovering them one after another.
 */
export function preloadsFor(bundle: UiBundle, page: string): string[] {
  const imports = (name: string) => [...(bundle.files[name]?.body.matchAll(/(?:from|import)\s*"(?:\.|\/ui)\/([\w.-]+\.js)"/g) ?? [])].map((m) => m[1]);
  const pageChunk = Object.keys(bundle.files).find((n) => new RegExp(`^${page}-[a-z0-9]+\\.js$`).test(n));
  const wanted = new Set<string>(imports("app.js"));
  if (pageChunk) for (const n of [pageChunk, ...imports(pageChunk)]) wanted.add(n);
  wanted.delete("app.js");
  return [...wanted].filter((n) => Object.hasOwn(bundle.files, n)).sort();
}
