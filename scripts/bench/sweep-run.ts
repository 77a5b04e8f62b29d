// Benchmark helper for scripts/bench/sweep.sh: runs the sweep API once (inside
// the scanner namespace) and prints {results, progress, wall_ms} as JSON.
// Usage: bun scripts/bench/sweep-run.ts '{"targets":["10.240.0.0/16"],"rate":10000}'
import { sweep, type SweepOptions, type SweepProgress } from "../../src/net/sweep.ts";
import { parseTargets } from "../../src/net/targets.ts";

type Input = Omit<SweepOptions, "targets"> & { targets: string[]; exclude?: string[]; allowAllRanges?: boolean };
const { targets, exclude, allowAllRanges, ...opts } = JSON.parse(process.argv[2] ?? "{}") as Input;
let last: SweepProgress | null = null;
const t0 = performance.now();
const results = await sweep({ ...opts, targets: parseTargets(targets, exclude, { allowAllRanges }), onProgress: (p) => (last = p) });
const wall_ms = performance.now() - t0;
console.log(JSON.stringify({ results: results.map((r) => ({ ip: r.ip, mac: r.mac, method: r.method })), progress: last, wall_ms }));
