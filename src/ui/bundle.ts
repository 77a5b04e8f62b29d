// The browser side of the UI: src/ui/app/main.tsx (Preact) bundled by `bun build` into one
// JavaScript and one CSS file, served from memory under /ui/.
//
// Run from source (`npm start`, tests) the bundle is built in this process the first time it is
// asked for (a few hundred ms, once per process), so a clone needs no separate build step and can
// never serve a stale bundle. `scripts/build.ts` builds it once and swaps this module for one that
// holds the finished files, so the compiled binary carries them and never runs the bundler.
import { resolve } from "node:path";

export type UiBundle = { js: string; css: string; etag: string };

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

export async function buildUiBundle(): Promise<UiBundle> {
  const result = await Bun.build({
    entrypoints: [UI_ENTRY],
    target: "browser",
    format: "esm",
    minify: true,
    sourcemap: "none",
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
  });
  if (!result.success) throw new Error(`UI bundle failed: ${result.logs.map(String).join("; ")}`);
  let js = "";
  let css = "";
  for (const out of result.outputs) {
    if (out.path.endsWith(".js")) js += await out.text();
    else if (out.path.endsWith(".css")) css += await out.text();
  }
  if (!js || !css) throw new Error("UI bundle produced no JavaScript or no CSS");
  const etag = `"${new Bun.CryptoHasher("sha256").update(js).update(css).digest("hex").slice(0, 16)}"`;
  return { js, css, etag };
}
