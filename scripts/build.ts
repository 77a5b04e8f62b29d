#!/usr/bin/env bun
// Builds the appliance binaries: dist/argus-linux-x64 and dist/argus-linux-arm64, one file each
// with the Bun runtime, the bundled code (OUI data, migrations, data tables are all imports), the
// browser UI (src/ui/app/ bundled first, then embedded as text), and the native scanning core for that architecture embedded as a file.
//
//   bun scripts/build.ts                 both architectures
//   bun scripts/build.ts --arch arm64    one (x64 | arm64)
//   bun scripts/build.ts --no-bytecode   plain minified JS (to compare start-up)
//   bun scripts/build.ts --smol          runtime in --smol mode (to compare memory)
//
// The arm64 core is cross-compiled with Debian's gcc-aarch64-linux-gnu; the arm64 Bun runtime is
// fetched by `bun build` itself (from the npm registry, @oven/bun-linux-aarch64) on first use and
// cached in ~/.bun/install/cache.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BunPlugin } from "bun";
import { buildUiBundle, type UiBundle } from "../src/ui/bundle.ts";

const root = resolve(import.meta.dir, "..");
const ARCHES = ["x64", "arm64"] as const;
type Arch = (typeof ARCHES)[number];
const BUN_TARGET: Record<Arch, "bun-linux-x64" | "bun-linux-arm64"> = { x64: "bun-linux-x64", arm64: "bun-linux-arm64" };

function parseArgs(argv: string[]): { arches: Arch[]; bytecode: boolean; smol: boolean; outDir: string } {
  let arches: Arch[] = [...ARCHES];
  let bytecode = true;
  let smol = false;
  let outDir = join(root, "dist");
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--arch") {
      const v = argv[++i];
      if (!ARCHES.includes(v as Arch)) throw new Error(`--arch must be one of ${ARCHES.join(", ")}`);
      arches = [v as Arch];
    } else if (a === "--no-bytecode") bytecode = false;
    else if (a === "--smol") smol = true;
    else if (a === "--out-dir") outDir = resolve(argv[++i] ?? "");
    else throw new Error(`unknown option ${a}`);
  }
  return { arches, bytecode, smol, outDir };
}

/** A failure already explained in one line: printed without a stack trace. */
class BuildError extends Error {}

/** Compiles native/*.c for `arch` with the matching compiler (see scripts/build-native.mjs). */
function buildNative(arch: Arch): string {
  try {
    execFileSync(process.execPath, [join(root, "scripts", "build-native.mjs"), "--arch", arch], { stdio: "inherit" });
  } catch {
    // build-native.mjs said why (and which package is missing).
    throw new BuildError(`the native core for ${arch} did not build (see above)`);
  }
  return join(root, "native", "build", `libargus-${arch}.so`);
}

/**
 * Writes the OpenAPI document to `dir`/openapi.json exactly as /openapi.json answers it when run from
 * source: a throwaway app on a throwaway database, asked for it (nothing is started: no listener,
 * watch or scan). The binary serves this file instead of generating the document (src/api/openapi-prebuilt.ts).
 */
async function buildApiDocument(dir: string): Promise<string> {
  const [{ createApp }, { createContext }, { loadSettings }, { openDatabase }] = await Promise.all([
    import("../src/api/app.ts"),
    import("../src/app-context.ts"),
    import("../src/config/settings.ts"),
    import("../src/db/database.ts"),
  ]);
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  const db = openDatabase(dataDir);
  try {
    const ctx = createContext(db, loadSettings({ ARGUS_DATA_DIR: dataDir, ARGUS_LOG_LEVEL: "error" }), "s".repeat(32));
    const res = await createApp(ctx).handle(new Request("http://localhost/openapi.json", { headers: { host: "localhost" } }));
    if (res.status !== 200) throw new Error(`building the API document: /openapi.json answered ${res.status}`);
    const path = join(dir, "openapi.json");
    writeFileSync(path, await res.text());
    return path;
  } finally {
    db.close();
  }
}

/**
 * Swaps src/service/embedded.ts for a module that embeds this target's native core,
 * src/ui/bundle.ts for one that holds the finished browser bundle (the binary never runs the bundler),
 * and src/api/openapi-prebuilt.ts for one that embeds the finished API document.
 */
function embedPlugin(libPath: string, ui: UiBundle, apiDocPath: string): BunPlugin {
  const embeddedModule = join(root, "src", "service", "embedded.ts");
  const bundleModule = join(root, "src", "ui", "bundle.ts");
  const apiDocModule = join(root, "src", "api", "openapi-prebuilt.ts");
  return {
    name: "argus-embed",
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]api[\\/]openapi-prebuilt\.ts$/ }, (args) => {
        if (args.path !== apiDocModule) return undefined;
        return {
          loader: "ts",
          contents: [`import doc from ${JSON.stringify(apiDocPath)} with { type: "file" };`, `export const prebuiltDocument: string | null = doc;`].join("\n"),
        };
      });
      build.onLoad({ filter: /[\\/]src[\\/]ui[\\/]bundle\.ts$/ }, (args) => {
        if (args.path !== bundleModule) return undefined;
        return {
          loader: "ts",
          contents: [
            `const bundle = ${JSON.stringify(ui)};`,
            `export const UI_ENTRY = "";`,
            `export const uiBundle = () => Promise.resolve(bundle);`,
            `export const buildUiBundle = uiBundle;`,
          ].join("\n"),
        };
      });
      build.onLoad({ filter: /[\\/]src[\\/]service[\\/]embedded\.ts$/ }, (args) => {
        if (args.path !== embeddedModule) return undefined;
        return {
          loader: "ts",
          contents: [
            `import lib from ${JSON.stringify(libPath)} with { type: "file" };`,
            `export const embeddedNativeLibrary: string | null = lib;`,
            `export const compiledBinary: boolean = true;`,
          ].join("\n"),
        };
      });
    },
  };
}

async function buildBinary(arch: Arch, bytecode: boolean, outDir: string, apiDocPath: string, smol = false): Promise<string> {
  const lib = buildNative(arch);
  const ui = await buildUiBundle();
  const outfile = join(outDir, `argus-linux-${arch}`);
  const result = await Bun.build({
    entrypoints: [join(root, "src", "main.ts")],
    compile: {
      target: BUN_TARGET[arch],
      outfile,
      // An appliance takes its settings from the environment only: no .env or bunfig.toml picked
      // up from whatever directory it happens to start in.
      autoloadDotenv: false,
      autoloadBunfig: false,
      execArgv: smol ? ["--smol"] : [],
    },
    minify: true,
    // Code reached only through a dynamic import (the mqtt, nodemailer and prom-client packages, which a
    // channel or a scrape needs) goes into chunks of its own: left in the one module, it costs ~4 MiB
    // of RSS unused (measured with scripts/bench/appliance.sh).
    splitting: true,
    // Bytecode spares the parse at start-up; it needs ESM output here because main.ts awaits at top level.
    bytecode,
    format: "esm",
    sourcemap: "none",
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    plugins: [embedPlugin(lib, ui, apiDocPath)],
  });
  if (!result.success) {
    for (const m of result.logs) console.error(m);
    throw new Error(`build for ${arch} failed`);
  }
  return outfile;
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`build: ${(e as Error).message}\nUsage: bun scripts/build.ts [--arch x64|arm64] [--no-bytecode] [--smol] [--out-dir DIR]`);
    return 2;
  }
  mkdirSync(opts.outDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "argus-build-"));
  try {
    const apiDoc = await buildApiDocument(work);
    for (const arch of opts.arches) {
      const started = performance.now();
      const out = await buildBinary(arch, opts.bytecode, opts.outDir, apiDoc, opts.smol);
      const mb = (statSync(out).size / 1024 / 1024).toFixed(1);
      console.log(`build: ${out} (${mb} MiB, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    console.error(`build: ${e.message}`);
    return 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return 0;
}

process.exitCode = await main();
