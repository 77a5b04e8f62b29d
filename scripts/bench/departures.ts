#!/usr/bin/env bun
// Benchmark (not a test): departure probes on the namespace test network (needs root, tcpdump,
// python3), with the default graces and budget, and no scan at all.
//
// 1. Cost: every host announces itself once (a gratuitous ARP the passive watch hears) and then stays
//    silent; --always-on of them are set to always_on (the budget has room for about one silent
//    always_on device per seven silent normal ones; beyond that always_on devices are probed less often
//    than their grace says, within the budget). tcpdump in each host's namespace counts the unicast
//    ARP requests the appliance sends it over --quiet seconds: frames per device per minute, per
//    mode and over all (the budget is 1 on average).
// 2. Departure time: --leave normal hosts and every always_on host (the rest stay, silent: the LAN
//    around them) each have their link go down at a random moment (uniform over its mode's cycle,
//    so where in the cycle a device leaves is not chosen); time from the link going down to its
//    device_removed being visible in GET /api/changes (polled every 100 ms). p50 and max per mode, over
//    --rounds rounds (between rounds the links come back and the hosts announce themselves again).
//
// Usage: bun scripts/bench/departures.ts [--hosts 16] [--always-on 2] [--leave 6] [--rounds 2] [--quiet 180]
import { parseArgs } from "node:util";
import { gratuitousArp } from "../../test/helpers/frames.ts";
import { captureArpFrom, mustRun, sendFrames } from "../../test/helpers/lan.ts";
import { startNetServer } from "../../test/helpers/netserver.ts";
import { adminWithKey } from "../../test/helpers/server.ts";
import { startTestnet } from "../../test/helpers/testnet.ts";

const { values } = parseArgs({
  options: { hosts: { type: "string", default: "16" }, "always-on": { type: "string", default: "2" }, leave: { type: "string", default: "6" }, rounds: { type: "string", default: "2" }, quiet: { type: "string", default: "180" } },
});
const HOSTS = Number(values.hosts);
const ALWAYS_ON = Number(values["always-on"]);
const ROUNDS = Number(values.rounds);
const LEAVE = Number(values.leave);
const QUIET_S = Number(values.quiet);
/** The default graces (config `departures`): the cycle over which a departure's moment is drawn. */
const GRACE_S = { always_on: 20, normal: 90 } as const;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const s1 = (ms: number) => (ms / 1000).toFixed(1);

const net = await startTestnet({ hosts: HOSTS });
const server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
try {
  const { session: api } = await adminWithKey(server);
  const hosts = net.hostsWith("normal").filter((h) => !h.role);
  for (const h of hosts) await sendFrames(net, h.ns, [gratuitousArp(h.mac!, h.ip)]);
  for (let i = 0; i < 150 && ((await api.get("/api/devices")).body as any[]).length < hosts.length; i++) await Bun.sleep(100);
  const devices = (await api.get("/api/devices")).body as any[];
  if (devices.length < hosts.length) throw new Error(`only ${devices.length} of ${hosts.length} hosts were recorded`);
  const mode = new Map(hosts.map((h, i) => [h.mac!, i < ALWAYS_ON ? ("always_on" as const) : ("normal" as const)]));
  for (const d of devices) {
    if (mode.get(d.mac_address) === "always_on") await api.request("PUT", `/api/devices/${d.id}`, { json: { presence_mode: "always_on" } });
  }

  // 1. Cost, all hosts silent and present.
  console.log(`cost: ${hosts.length} silent hosts (${hosts.filter((h) => mode.get(h.mac!) === "always_on").length} always_on), ${QUIET_S} s of tcpdump on each…`);
  const captures = await Promise.all(hosts.map((h) => captureArpFrom(h.ns, net.truth.scanner_mac)));
  const t0 = Date.now();
  await Bun.sleep(QUIET_S * 1000);
  const counts = (await Promise.all(captures.map((c) => c.stop()))).map((r) => r.unicast);
  const minutes = (Date.now() - t0) / 60_000;
  const perMin = (m: "always_on" | "normal" | null) => {
    const idx = hosts.map((h, i) => [h, i] as const).filter(([h]) => m === null || mode.get(h.mac!) === m).map(([, i]) => i);
    return idx.reduce((a, i) => a + counts[i], 0) / idx.length / minutes;
  };
  console.log(`  frames per device per minute: always_on ${perMin("always_on").toFixed(2)}, normal ${perMin("normal").toFixed(2)}, all ${perMin(null).toFixed(2)} (budget 1)`);

  // 2. Departures at random moments, in rounds.
  const removals = async (mac: string) => ((await api.get("/api/changes?change_type=device_removed&limit=1000")).body as any[]).filter((c) => c.device_mac === mac).length;
  const took: { m: "always_on" | "normal"; ms: number }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`departures, round ${round}: each host's link goes down at a random moment of its cycle…`);
    const leaving = hosts.slice(0, ALWAYS_ON + LEAVE);
    const before = new Map(await Promise.all(leaving.map(async (h) => [h.mac!, await removals(h.mac!)] as const)));
    took.push(
      ...(await Promise.all(
        leaving.map(async (h) => {
          const m = mode.get(h.mac!)!;
          await Bun.sleep(Math.random() * GRACE_S[m] * 1000);
          await mustRun(net, h.ns, ["ip", "link", "set", "eth0", "down"]);
          const left = Date.now();
          while ((await removals(h.mac!)) === before.get(h.mac!)) {
            if (Date.now() - left > 10 * 60_000) throw new Error(`${h.ip} was not removed within 10 minutes`);
            await Bun.sleep(100);
          }
          return { m, ms: Date.now() - left };
        }),
      )),
    );
    if (round === ROUNDS) break;
    // Back: links up, each host announces itself (device_returned), then silence again for a while.
    for (const h of leaving) {
      await mustRun(net, h.ns, ["ip", "link", "set", "eth0", "up"]);
      await sendFrames(net, h.ns, [gratuitousArp(h.mac!, h.ip)]);
    }
    for (let i = 0; i < 150 && ((await api.get("/api/devices?status=online")).body as any[]).length < hosts.length; i++) await Bun.sleep(100);
    await Bun.sleep(GRACE_S.normal * 1000);
  }
  for (const m of ["always_on", "normal"] as const) {
    const xs = took.filter((t) => t.m === m).map((t) => t.ms);
    if (xs.length === 0) continue;
    console.log(`  ${m}: link down → device_removed p50 ${s1(pct(xs, 50))} s, max ${s1(Math.max(...xs))} s over ${xs.length} departures (${xs.map(s1).join(", ")})`);
  }
  const stayed = hosts.slice(ALWAYS_ON + LEAVE);
  console.log(`hosts that stayed (silent, answering) removed by mistake: ${(await Promise.all(stayed.map((h) => removals(h.mac!)))).reduce((a, b) => a + b, 0)} of ${stayed.length}`);
  console.log(`scans run: ${((await api.get("/api/scans")).body as any[]).length}`);
} finally {
  await server.close();
  await net.down();
}
