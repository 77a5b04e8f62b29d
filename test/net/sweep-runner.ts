// Runs the TypeScript sweep API inside a test namespace and prints one JSON
// object: { results, progress: [...], answers: [...], abortedAt, finishedAt, error }. "announce": true
// records each host onAnswer reports, with the time it came.
// Usage (inside the scanner namespace):
//   bun test/net/sweep-runner.ts '{"targets":["10.231.0.0/24"],"abortAfterMs":500}'
import { sweep, type SweepOptions, type SweepProgress } from "../../src/net/sweep.ts";
import { parseTargets } from "../../src/net/targets.ts";

type Input = Omit<SweepOptions, "targets"> & { targets: string[]; exclude?: string[]; abortAfterMs?: number; announce?: boolean };
const { targets, exclude, announce, ...opts } = JSON.parse(process.argv[2] ?? "{}") as Input;
const answers: { ip: string; mac: string | null; at: number }[] = [];
if (announce) opts.onAnswer = (r) => answers.push({ ip: r.ip, mac: r.mac, at: Date.now() });
const ac = new AbortController();
const progress: (SweepProgress & { at: number })[] = [];
let abortedAt: number | null = null;
let sentAtAbort: number | null = null;
if (opts.abortAfterMs !== undefined) {
  setTimeout(() => {
    abortedAt = Date.now();
    sentAtAbort = progress.at(-1)?.sent ?? 0;
    ac.abort();
  }, opts.abortAfterMs);
}
// The event loop must keep turning during a sweep: a timer ticking every
// 10 ms records how late it fires (the longest stall).
let lastTick = performance.now();
let maxStallMs = 0;
let ticks = 0;
const ticker = setInterval(() => {
  ticks++;
  const now = performance.now();
  maxStallMs = Math.max(maxStallMs, now - lastTick - 10);
  lastTick = now;
}, 10);
try {
  const results = await sweep({ ...opts, targets: parseTargets(targets, exclude), signal: ac.signal, onProgress: (p) => progress.push({ ...p, at: Date.now() }) });
  clearInterval(ticker);
  console.log(JSON.stringify({ results, progress, answers, abortedAt, sentAtAbort, finishedAt: Date.now(), maxStallMs, ticks, error: null }));
} catch (e) {
  clearInterval(ticker);
  console.log(JSON.stringify({ results: [], progress, abortedAt, sentAtAbort, finishedAt: Date.now(), maxStallMs, error: { name: (e as Error).name, message: (e as Error).message } }));
  process.exitCode = 1;
}
