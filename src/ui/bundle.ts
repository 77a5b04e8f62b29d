// The browser side of the UI: src/ui/app/main.tsx (Preact) bundled by `bun build` into a small
// entry (app.js: the header, toasts and the page router), one chunk per page loaded on demand (so
// /devices never evaluates the chart library), shared chunks, and one CSS file, all served from
// memory under /ui/.
//
// Run from source (`npm start`, tests) the bundle is built in this process the first time it is
// asked for (about 100 ms, once per process), so a clone needs no separate build step and can
// never serve a stale bundle. `scripts/build.ts` builds it once and swaps this module for one that
// holds the finished files, so the compiled binary carries them and never runs the bundler.
import { basename, resolve } from "node:path";

export type UiFile = { body: string; type: string };
export type UiBundle = { files: Record<string, UiFile>; etag: string };

export const UI_ENTRY = resolve(import.meta.dir, "app/main.tsx");

let built: Promise<UiBundle> | null = null;

/** The bundle, built on first use and then kept. */
export function uiBundle(): Promise<UiBundle> {
  built ??= buildUiBundle().catch((e) => {
    built = null; // a failed build is retried on the next request, not cached
    throw e;
  });
  return built;
}

const TYPES: Record<string, string> = { js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8" };

export async function buildUiBundle(): Promise<UiBundle> {
  const result = await Bun.build({
    entrypoints: [UI_ENTRY],
    target: "browser",
    format: "esm",
    splitting: true,
    minify: true,
    sourcemap: "none",
    // Chunks are fetched relative to the entry's URL, /ui/.
    publicPath: "/ui/",
    naming: { entry: "app.[ext]", chunk: "[name]-[hash].[ext]", asset: "[name]-[hash].[ext]" },
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
  });
  if (!result.success) throw new Error(`UI bundle failed: ${result.logs.map(String).join("; ")}`);
  const files: Record<string, UiFile> = {};
  const hash = new Bun.CryptoHasher("sha256");
  for (const out of result.outputs) {
    const name = basename(out.path);
    const ext = name.slice(name.lastIndexOf(".") + 1);
    if (!TYPES[ext]) throw new Error(`UI bundle: unexpected output ${name}`);
    const body = await out.text();
    files[name] = { body, type: TYPES[ext] };
    hash.update(name).update(body);
  }
  if (!files["app.js"] || !files["app.css"]) throw new Error("UI bundle produced no app.js or no app.css");
  return { files, etag: `"${hash.digest("hex").slice(0, 16)}"` };
}

