#!/usr/bin/env bun
// Benchmark (not a test): how the TypeScript side should learn that sightings wait. Measures the
// idle CPU of a Bun process (nothing else to do but a 1 s keep-alive timer) that
//   none     does nothing more (the reference),
//   fd       waits on a pipe the native thread writes to (Bun.file(fd).stream(): the chosen design),
//   fs-read  waits in a blocking fs.read of that pipe (a thread-pool thread parked on it),
//   poll100  polls the native queue with an FFI call every 100 ms,
//   poll20   the same every 20 ms,
// each as its own process at the same time, over --seconds. Latency of the poll variants is up to
// their period; the fd variants wake as soon as the native side writes.
// Usage: bun scripts/bench/passive-wake.ts [--seconds 10]
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "10" }, child: { type: "string" } } });
const SECONDS = Number(values.seconds);

if (values.child) {
  const { dlopen, FFIType } = await import("bun:ffi");
  const { read } = await import("node:fs");
  const libc = dlopen("libc.so.6", { pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 }, getpid: { args: [], returns: FFIType.i32 } }).symbols;
  const fds = new Int32Array(2);
  libc.pipe2(fds, 0o2000000);
  const mode = values.child;
  if (mode === "fs-read") read(fds[0], Buffer.alloc(64), 0, 64, null, () => {});
  if (mode === "fd") (async () => { for await (const _ of Bun.file(fds[0]).stream()) {} })();
  if (mode === "poll100") setInterval(() => libc.getpid(), 100);
  if (mode === "poll20") setInterval(() => libc.getpid(), 20);
  setInterval(() => {}, 1000);
  await Bun.sleep(500);
  const a = process.cpuUsage();
  await Bun.sleep(SECONDS * 1000);
  const u = process.cpuUsage(a);
  console.log(JSON.stringify({ mode, ms_per_s: (u.user + u.system) / 1000 / SECONDS }));
  process.exit(0);
}

const modes = ["none", "fd", "fs-read", "poll100", "poll20"];
const procs = modes.map((m) => Bun.spawn([process.execPath, import.meta.path, "--child", m, "--seconds", String(SECONDS)], { stdout: "pipe" }));
const results = await Promise.all(procs.map(async (p) => JSON.parse(await new Response(p.stdout).text())));
const base = results.find((r) => r.mode === "none").ms_per_s;
for (const r of results) console.log(`${r.mode.padEnd(8)} ${r.ms_per_s.toFixed(2)} ms CPU per s idle (${((r.ms_per_s - base) / 10).toFixed(3)} % of a core above the reference)`);
