#!/usr/bin/env bun
// Benchmark (not a test): the web UI on a big network. Builds a temporary data dir with 5,000
// devices (bench/big-inventory.ts), starts the real server on loopback, and measures in Debian's
// Chromium (playwright-core) the first contentful paint of /devices and the time until its first
// page of rows is on screen, cold (empty cache) and warm (bundle revalidated, 304); also the size
// of the JavaScript and CSS the browser downloads, raw and gzipped. Reference in the same run: the
// FCP of a bare Bun.serve page with one heading. Targets: FCP < 1 s, JS < 150 KB gzipped.
// Nothing here can start a scan: no subnet is confirmed and nothing triggers one.
//
// Usage: bun scripts/bench/ui.ts [--devices 5000] [--runs 7]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { buildUiBundle } from "../../src/ui/bundle.ts";
import { buildInventory } from "./big-inventory.ts";

const { values } = parseArgs({ options: { devices: { type: "string", default: "5000" }, runs: { type: "string", default: "7" } } });
const DEVICES = Number(values.devices);
const RUNS = Number(values.runs);
const root = join(import.meta.dir, "..", "..");
const CHROMIUM = process.env.ARGUS_CHROMIUM ?? "/usr/bin/chromium";
const ADMIN = { username: "admin", password: "benchmark password 1" };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

const dataDir = mkdtempSync(join(tmpdir(), "argus-bench-ui-"));
const port = 20_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;
let server: ReturnType<typeof Bun.spawn> | null = null;
const bare = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("<!doctype html><title>x</title><h1>Devices</h1>", { headers: { "content-type": "text/html" } }) });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });

try {
  buildInventory(dataDir, DEVICES, 20_000);
  server = Bun.spawn([process.execPath, join(root, "src/main.ts"), "serve"], {
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ARGUS_"))), ARGUS_PORT: String(port), ARGUS_HOST: "127.0.0.1", ARGUS_DATA_DIR: dataDir, ARGUS_LOG_LEVEL: "warn" },
    stdout: "inherit",
    stderr: "inherit",
  });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(base + "/health")).ok) break;
    } catch {}
    if (i > 200) throw new Error("server did not start");
    await Bun.sleep(50);
  }
  const setup = await fetch(base + "/api/setup", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ADMIN) });
  if (setup.status !== 201) throw new Error(`setup failed: ${setup.status}`);
  const cookie = setup.headers.getSetCookie()[0].split(";")[0].split("=");

  // The same build the server made: every file of it, and what /devices itself loads.
  const bundle = await buildUiBundle();
  const gz = (s: string) => Bun.gzipSync(s, { level: 9 }).length;
  const sum = (ext: string, f: (s: string) => number) => Object.entries(bundle.files).reduce((n, [name, file]) => n + (name.endsWith(ext) ? f(file.body) : 0), 0);

  const fcp = () => new Promise<number>((resolve) => new PerformanceObserver((l) => resolve(l.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1)).observe({ type: "paint", buffered: true }));
  async function measure(url: string, rows: boolean, warm: boolean) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies([{ name: cookie[0], value: cookie[1], url: base }]);
    const page = await context.newPage();
    if (warm) await page.goto(url, { waitUntil: "load" }); // fill the cache first
    await page.goto(url, { waitUntil: "commit" });
    // Polled on every animation frame, so the time is that of the first frame with rows in it.
    const table = rows ? ((await (await page.waitForFunction(() => document.querySelector("table.devices tbody tr") !== null && performance.now(), null, { polling: "raf" })).jsonValue()) as number) : 0;
    const paint = await page.evaluate(fcp);
    const total = rows ? await page.evaluate(() => document.querySelector("caption")?.textContent ?? "") : "";
    const scripts = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => e.name.endsWith(".js")).map((e) => new URL(e.name).pathname.slice(4)));
    await context.close();
    return { paint, table, total, scripts };
  }

  const ref: number[] = [];
  const cold: number[] = [];
  const coldRows: number[] = [];
  const warm: number[] = [];
  const warmRows: number[] = [];
  let caption = "";
  let loaded: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    ref.push((await measure(`http://127.0.0.1:${bare.port}/`, false, false)).paint);
    const c = await measure(base + "/devices", true, false);
    cold.push(c.paint);
    coldRows.push(c.table);
    caption = c.total;
    loaded = c.scripts;
    const w = await measure(base + "/devices", true, true);
    warm.push(w.paint);
    warmRows.push(w.table);
  }
  const r = median(ref);
  console.log(`/devices with ${DEVICES.toLocaleString()} devices (${caption.trim()}), median of ${RUNS} runs:`);
  console.log(`  first contentful paint: cold ${median(cold).toFixed(0)} ms, warm ${median(warm).toFixed(0)} ms (bare one-heading page: ${r.toFixed(0)} ms → ${(median(cold) / r).toFixed(2)}× / ${(median(warm) / r).toFixed(2)}×)`);
  console.log(`  first page of rows on screen: cold ${median(coldRows).toFixed(0)} ms, warm ${median(warmRows).toFixed(0)} ms`);
  const pageJs = loaded.reduce((n, f) => n + (bundle.files[f]?.body.length ?? 0), 0);
  const pageGz = loaded.reduce((n, f) => n + (bundle.files[f] ? gz(bundle.files[f].body) : 0), 0);
  console.log(`  JS loaded by /devices: ${loaded.length} files, ${kb(pageJs)} (gzip ${kb(pageGz)})`);
  console.log(`  whole bundle: JS ${kb(sum(".js", (b) => b.length))} in ${Object.keys(bundle.files).length - 1} files (gzip ${kb(sum(".js", gz))}; target < 150 KB), CSS ${kb(sum(".css", (b) => b.length))} (gzip ${kb(sum(".css", gz))})`);
} finally {
  await browser.close();
  bare.stop(true);
  server?.kill("SIGTERM");
  await server?.exited;
  rmSync(dataDir, { recursive: true, force: true });
}
