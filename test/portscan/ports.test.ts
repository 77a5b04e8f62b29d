import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MAX_FILTERED_LISTED, timeoutFor } from "../../src/portscan/ports.ts";
import { isCI, requireRoot } from "../helpers/require.ts";
import { createTopology, type Topology } from "../helpers/topology.ts";
import { spawnSync } from "node:child_process";

describe("adaptive timeout rule", () => {
  test("initial timeout until the first sample, then srtt + 4·rttvar within bounds", () => {
    expect(timeoutFor({ srtt_ms: null, rttvar_ms: null, samples: 0 })).toBe(1000);
    expect(timeoutFor({ srtt_ms: null, rttvar_ms: null, samples: 0 }, { initial_timeout_ms: 300 })).toBe(300);
    expect(timeoutFor({ srtt_ms: 0.3, rttvar_ms: 0.1, samples: 5 })).toBe(100); // LAN: floor
    expect(timeoutFor({ srtt_ms: 200, rttvar_ms: 50, samples: 5 })).toBe(400);
    expect(timeoutFor({ srtt_ms: 900, rttvar_ms: 400, samples: 5 })).toBe(1250); // ceiling
  });
});

// The open/closed/filtered ports every scan of 10.241.0.2 must report (see fixtures/listeners.ts).
const OPEN = [21, 22, 23, 25, 80, 443, 445, 1883, 1900, 2222, 3306, 3389, 5432, 5900, 6379, 6380, 8008, 8009, 27017];
const SPEC = "1-1000,1883,1900,2222,3306,3389,5432,5900,6379,6380,8008,8009,9990-9999,27017";

describe("TCP connect scanner against real listeners in a namespace", () => {
  const root = requireRoot("builds a veth pair between two namespaces and nftables rules");
  let topo: Topology | undefined;

  beforeAll(async () => {
    if (!root) return;
    topo = await createTopology("ps");
    // 9999: silently dropped (timeout); 9998: ICMP host-unreachable; 8009: open, but every other SYN is dropped,
    // so the first attempt times out and only the retry can find it. 10.241.0.3 drops everything on 7000-7039.
    topo.srv.nft(`table inet argustest {
      chain input {
        type filter hook input priority 0;
        tcp dport 9999 drop
        tcp dport 9998 reject with icmp type host-unreachable
        ip daddr 10.241.0.2 tcp dport 8009 tcp flags & (syn|ack) == syn numgen inc mod 2 == 0 drop
        ip daddr 10.241.0.3 tcp dport 7000-7039 drop
        ip daddr 10.241.0.3 tcp dport 20000-21199 drop
      }
    }`);
    await topo.startListeners({ extra_open: [8009] });
  }, 30_000);
  afterAll(() => topo?.destroy());

  for (const backend of ["libc", "node"] as const) {
    test.skipIf(!root)(`${backend} backend: finds exactly the open ports, counts closed, and filtered by timeout`, async () => {
      const { result, progress } = await topo!.scan({ hosts: ["10.241.0.2"], ports: SPEC, opts: { backend } });
      const h = result.hosts[0];
      expect(result.complete).toBe(true);
      expect(h.open.map((o: { port: number }) => o.port)).toEqual(OPEN);
      // 9998 answers ICMP host-unreachable: filtered under libc, "closed" under node:net (see the known gap below).
      const filtered = backend === "libc" ? [{ port: 9998, reason: "unreachable" }, { port: 9999, reason: "timeout" }] : [{ port: 9999, reason: "timeout" }];
      expect(h.filtered).toEqual(filtered);
      const total = 1000 + 10 + 12; // 1-1000, 9990-9999 and 12 single ports
      expect(h.closed_count).toBe(total - OPEN.length - filtered.length);
      expect(result.ports_scanned).toBe(total);
      // Every answer is an RTT sample, and on a veth link the timeout drops to the floor.
      expect(h.rtt.samples).toBeGreaterThan(900);
      expect(h.timeout_ms).toBe(100);
      expect(progress.at(-1)).toBe(total);
      for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
    }, 30_000);
  }

  test.skipIf(!root)("libc backend: an ICMP host-unreachable answer makes a port filtered, not closed", async () => {
    const { result } = await topo!.scan({ hosts: ["10.241.0.2"], ports: "9997-9999", opts: { backend: "libc" } });
    expect(result.hosts[0].filtered).toEqual([{ port: 9998, reason: "unreachable" }, { port: 9999, reason: "timeout" }]);
    expect(result.hosts[0].closed_count).toBe(1);
  }, 30_000);

  // Known gap of the node:net fallback: Bun 1.4.4 reports every failed connect as ECONNREFUSED (errno -111),
  // also when the kernel said EHOSTUNREACH, so the port reads closed. Marked failing: it turns red once Bun
  // is fixed, and the fallback's documentation can then lose its caveat.
  (root ? test.failing : test.skip)("node backend: an ICMP host-unreachable answer makes a port filtered, not closed", async () => {
    const { result } = await topo!.scan({ hosts: ["10.241.0.2"], ports: "9998", opts: { backend: "node" } });
    expect(result.hosts[0].filtered).toEqual([{ port: 9998, reason: "unreachable" }]);
  }, 30_000);

  test.skipIf(!root)("agrees with nmap -sT on the same host", async () => {
    if (spawnSync("which", ["nmap"]).status !== 0) {
      if (isCI) throw new Error("nmap missing: install the nmap Debian package");
      console.warn("SKIP: nmap not installed");
      return;
    }
    // 8009 is left out: its every-other-SYN drop rule makes any single run's view depend on the rule's counter.
    const spec = SPEC.replace(",8009", "");
    const xml = topo!.cli.exec(["nmap", "-sT", "-Pn", "-n", "-T4", "--max-retries", "1", "-p", spec, "-oX", "-", "10.241.0.2"]);
    const nmapState = new Map<number, string>();
    for (const m of xml.matchAll(/<port protocol="tcp" portid="(\d+)"><state state="([a-z|]+)"/g)) nmapState.set(Number(m[1]), m[2]);
    const nmapOpen = [...nmapState].filter(([, s]) => s === "open").map(([p]) => p);
    const nmapFiltered = [...nmapState].filter(([, s]) => s === "filtered").map(([p]) => p);
    const { result } = await topo!.scan({ hosts: ["10.241.0.2"], ports: spec });
    expect(result.hosts[0].open.map((o: { port: number }) => o.port)).toEqual(nmapOpen);
    expect(result.hosts[0].filtered.map((f: { port: number }) => f.port)).toEqual(nmapFiltered);
  }, 30_000);

  test.skipIf(!root)("per-host and global concurrency limits bound the parallelism", async () => {
    // 40 silently dropped ports, 200 ms timeout, no retry, no RTT samples: the scan takes ceil(40/limit) rounds.
    const base = { hosts: ["10.241.0.3"], ports: "7000-7039", opts: { initial_timeout_ms: 200, retries: 0 } };
    const wide = await topo!.scan({ ...base, opts: { ...base.opts, per_host_concurrency: 40 } });
    const narrow = await topo!.scan({ ...base, opts: { ...base.opts, per_host_concurrency: 10 } });
    const global = await topo!.scan({ ...base, opts: { ...base.opts, per_host_concurrency: 40, concurrency: 5 } });
    for (const r of [wide, narrow, global]) expect(r.result.hosts[0].filtered.length).toBe(40);
    expect(wide.result.elapsed_ms).toBeGreaterThanOrEqual(190);
    expect(wide.result.elapsed_ms).toBeLessThan(600);
    expect(narrow.result.elapsed_ms).toBeGreaterThanOrEqual(4 * 190);
    expect(narrow.result.elapsed_ms).toBeLessThan(4 * 200 + 400);
    expect(global.result.elapsed_ms).toBeGreaterThanOrEqual(8 * 190);
    expect(global.result.elapsed_ms).toBeLessThan(8 * 200 + 400);
  }, 30_000);

  test.skipIf(!root)("a firewalled host's filtered ports are counted in full but listed only up to a bound", async () => {
    const r = await topo!.scan({ hosts: ["10.241.0.3"], ports: "20000-21199", opts: { initial_timeout_ms: 150, retries: 0, per_host_concurrency: 400 } });
    const h = r.result.hosts[0];
    expect(h.filtered_count).toBe(1200);
    expect(h.filtered.length).toBe(MAX_FILTERED_LISTED);
    expect(h.open).toEqual([]);
  }, 30_000);

  test.skipIf(!root)("a timed-out port is retried once; without retries the dropped SYN hides it", async () => {
    const once = await topo!.scan({ hosts: ["10.241.0.2"], ports: "20-30,8009", opts: { retries: 0 } });
    const twice = await topo!.scan({ hosts: ["10.241.0.2"], ports: "20-30,8009" });
    // The rule drops every other SYN to 8009: of the two runs, exactly one first attempt was dropped.
    const seen = [once, twice].map((r) => r.result.hosts[0].open.some((o: { port: number }) => o.port === 8009));
    expect(twice.result.hosts[0].open.map((o: { port: number }) => o.port)).toEqual([21, 22, 23, 25, 8009]);
    expect(seen[1]).toBe(true);
    // Run the no-retry scan until it meets a dropped first SYN (at most twice, by the rule's alternation).
    let hidden = !seen[0];
    if (!hidden) {
      const again = await topo!.scan({ hosts: ["10.241.0.2"], ports: "8009", opts: { retries: 0 } });
      hidden = again.result.hosts[0].filtered.some((f: { port: number }) => f.port === 8009);
    }
    expect(hidden).toBe(true);
  }, 30_000);

  test.skipIf(!root)("tens of thousands of ports whose refusals come back at once (loopback)", async () => {
    // On loopback connect() fails synchronously; the scanner must neither recurse per port nor leak sockets.
    // The ephemeral range (32768-60999) is left out: there a connect can meet itself (TCP self-connect).
    const { result } = await topo!.scan({ hosts: ["127.0.0.1"], ports: "1-32767,61000-65535" });
    expect(result.complete).toBe(true);
    expect(result.hosts[0].closed_count).toBe(32767 + 4536);
    expect(result.hosts[0].open).toEqual([]);
    const leftovers = topo!.cli.exec(["ss", "-Htan"]).trim();
    expect(leftovers).toBe("");
  }, 60_000);

  test.skipIf(!root)("several hosts at once, and cancellation returns what was found so far", async () => {
    const both = await topo!.scan({ hosts: ["10.241.0.2", "10.241.0.3"], ports: "1-100", opts: { initial_timeout_ms: 200 } });
    expect(both.result.hosts.map((h: { host: string }) => h.host)).toEqual(["10.241.0.2", "10.241.0.3"]);
    expect(both.result.hosts[0].open.map((o: { port: number }) => o.port)).toEqual([21, 22, 23, 25, 80]);
    expect(both.result.hosts[1].open).toEqual([]);
    expect(both.result.hosts[1].closed_count).toBe(100);

    const t0 = performance.now();
    const cut = await topo!.scan({ hosts: ["10.241.0.3"], ports: "7000-7039", abort_after_ms: 300,
      opts: { initial_timeout_ms: 1000, retries: 0, per_host_concurrency: 4 } });
    expect(cut.result.complete).toBe(false);
    expect(cut.result.elapsed_ms).toBeLessThan(600);
    expect(cut.result.hosts[0].unscanned_count).toBe(40);
    expect(performance.now() - t0).toBeLessThan(5000);
  }, 30_000);

  test.skipIf(!root)("a growing scan: a host added while the first is being scanned is scanned in full; none after finish", async () => {
    // The first host's 1,000 ports take longer than 50 ms (10.241.0.3 drops 20000-21199: each waits a timeout).
    const grown = await topo!.scan({ hosts: ["10.241.0.3", "10.241.0.2"], ports: "20000-20999,1-100", add_later_ms: 50, opts: { initial_timeout_ms: 200 } });
    expect(grown.result.complete).toBe(true);
    expect(grown.result.hosts.map((h: { host: string }) => h.host)).toEqual(["10.241.0.3", "10.241.0.2"]);
    expect(grown.result.hosts[1].open.map((o: { port: number }) => o.port)).toEqual([21, 22, 23, 25, 80]);
    expect(grown.result.hosts[1].closed_count).toBe(1000 + 100 - 5);
    expect(grown.result.hosts[0].filtered_count).toBe(1000);
    expect(grown.result.hosts[0].closed_count).toBe(100);
    expect(grown.result.ports_scanned).toBe(2 * 1100);
    expect(grown.progress.at(-1)).toBe(2 * 1100);
    expect(grown.added_after_finish).toContain("no more hosts");
  }, 30_000);
});
