#!/usr/bin/env bun
// Benchmark (not a test): authenticated GET /api/keys with X-API-Key on the real Argus server,
// against a bare Bun.serve returning the same JSON, measured in the same run with wrk
// (Debian package `wrk`). Prints throughput, p99 latency and the ratio. Loopback only.
//
// Usage: bun scripts/bench/api.ts [--seconds 10] [--connections 32] [--rounds 3] [--threads 2]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    rounds: { type: "string", default: "3" },
    // wrk threads: 2 = one per core (load generator and server share the machine); 1 leaves the
    // server a core of its own, which measures its capacity more strictly.
    threads: { type: "string", default: "2" },
  },
});
const root = join(import.meta.dir, "..", "..");
const bun = process.execPath;

if (!Bun.which("wrk")) {
  console.error("scripts/bench/api.ts needs wrk (Debian: apt-get install wrk)");
  process.exit(2);
}

async function firstLine(proc: Bun.Subprocess<"ignore", "pipe", "inherit">): Promise<string> {
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text.split("\n")[0];
}

async function waitForHealth(url: string) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url + "/health")).ok) return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error(`server at ${url} did not come up`);
}

type Result = { rps: number; p99ms: number };

async function wrk(url: string, headers: string[]): Promise<Result> {
  const args = ["wrk", `-t${values.threads}`, `-c${values.connections}`, `-d${values.seconds}s`, "--latency", ...headers.flatMap((h) => ["-H", h]), url];
  const out = await new Response(Bun.spawn(args, { stdout: "pipe" }).stdout).text();
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) throw new Error(`wrk saw ${non2xx[1]} error responses:\n${out}`);
  const p99ms = p99 ? Number(p99[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[p99[2]] : NaN;
  return { rps, p99ms };
}

const dataDir = mkdtempSync(join(tmpdir(), "argus-bench-"));
const port = 20000 + Math.floor(Math.random() * 20000);
const argus = Bun.spawn([bun, join(root, "src/main.ts"), "serve"], {
  env: { ...process.env, ARGUS_PORT: String(port), ARGUS_HOST: "127.0.0.1", ARGUS_DATA_DIR: dataDir, ARGUS_LOG_LEVEL: "warn" },
  stdout: "ignore",
  stderr: "inherit",
});
let bare: Bun.Subprocess | undefined;
try {
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(base);
  const setup = await fetch(base + "/api/setup", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: "benchmark password" }) });
  const cookie = setup.headers.getSetCookie()[0].split(";")[0];
  let key = "";
  for (const name of ["Home Assistant", "Grafana Dashboard", "Backup Script"]) {
    const res = await fetch(base + "/api/keys", { method: "POST", headers: { "content-type": "application/json", cookie }, body: JSON.stringify({ name }) });
    key = (await res.json()).key;
  }
  const listing = await fetch(base + "/api/keys", { headers: { "X-API-Key": key } });
  const bodyFile = join(dataDir, "keys.json");
  writeFileSync(bodyFile, await listing.text());

  bare = Bun.spawn([bun, join(import.meta.dir, "bare-server.ts"), bodyFile], { stdout: "pipe", stderr: "inherit" });
  const barePort = await firstLine(bare as Bun.Subprocess<"ignore", "pipe", "inherit">);

  const rounds = Number(values.rounds);
  const argusRuns: Result[] = [];
  const bareRuns: Result[] = [];
  // Alternate the two so drift on a shared machine affects both alike; report the medians.
  for (let i = 0; i < rounds; i++) {
    bareRuns.push(await wrk(`http://127.0.0.1:${barePort}/api/keys`, []));
    argusRuns.push(await wrk(`${base}/api/keys`, [`X-API-Key: ${key}`]));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const a = { rps: median(argusRuns.map((r) => r.rps)), p99ms: median(argusRuns.map((r) => r.p99ms)) };
  const b = { rps: median(bareRuns.map((r) => r.rps)), p99ms: median(bareRuns.map((r) => r.p99ms)) };
  console.log(`wrk -t${values.threads} -c${values.connections} -d${values.seconds}s, ${rounds} rounds each, medians`);
  console.log(`bare Bun.serve           ${b.rps.toFixed(0).padStart(8)} req/s   p99 ${b.p99ms.toFixed(2)} ms`);
  console.log(`argus GET /api/keys+key  ${a.rps.toFixed(0).padStart(8)} req/s   p99 ${a.p99ms.toFixed(2)} ms`);
  console.log(`throughput ratio argus/bare: ${(a.rps / b.rps).toFixed(2)} (target >= 0.50)`);
  console.log(`p99 ratio argus/bare: ${(a.p99ms / b.p99ms).toFixed(2)}`);
} finally {
  argus.kill();
  bare?.kill();
  await argus.exited;
  rmSync(dataDir, { recursive: true, force: true });
}
