// Latency probe for scripts/bench/notify.ts, run as its own process: sequential GET requests to one URL
// for a number of seconds; prints every sample as [start epoch ms, latency ms] so the caller can cut
// the run into windows (before the commit, while the queue drains).
const [url, key, seconds] = [process.argv[2], process.argv[3], Number(process.argv[4] ?? 3)];
const samples: [number, number][] = [];
const end = performance.now() + seconds * 1000;
while (performance.now() < end) {
  const start = Date.now();
  const t0 = performance.now();
  const res = await fetch(url, { headers: { "x-api-key": key } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  samples.push([start, performance.now() - t0]);
}
process.stdout.write(JSON.stringify(samples) + "\n");
