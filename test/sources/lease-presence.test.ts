// A lease says who a host is, not whether it is here (README "Sources"), on the namespace test network
// with the real appliance inside it, its passive watch and departure prober running, and no scan. A
// dnsmasq lease file names two hosts nobody has heard: one whose host is long gone (a stale lease, its
// MAC on no wire) and one whose host sits silent on the LAN. Both become devices that are offline, with
// no presence and no online count; with departure graces of 1 s neither is probed nor said to have
// gone (no false online→offline flap per stale lease). When the silent host ARPs, it comes online with
// one presence session and no `device_returned` (it never was online), and its probes keep it there.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gratuitousArp } from "../helpers/frames.ts";
import { captureArpFrom, sendFrames } from "../helpers/lan.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { requireTools } from "../helpers/require.ts";
import { Scratch } from "../helpers/scratch.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet, type TruthHost } from "../helpers/testnet.ts";

const runnable = requireRoot("runs the appliance and its probes in network namespaces") && requireTools([["tcpdump", "tcpdump"], ["python3", "python3"]]);

const DEPARTURES = { enabled: true, always_on_grace_s: 1, normal_grace_s: 1, can_sleep_grace_s: 1, frames_per_device_per_minute: 30 };

describe.skipIf(!runnable)("devices from a lease file are known, not seen (namespaces, no scan)", () => {
  const scratch = new Scratch();
  let net: Testnet;
  let server: NetServer | null = null;
  let api: Client;
  let silent: TruthHost;
  let staleMac = "";
  let staleIp = "";

  const byMac = async (mac: string) => ((await api.get("/api/devices?limit=100")).body as any[]).find((d) => d.mac_address === mac);
  const changesOf = async (mac: string) => ((await api.get("/api/changes?limit=1000")).body as any[]).filter((c) => c.device_mac === mac);
  const presence = async (id: number) => {
    const res = await api.get(`/api/devices/${id}/presence`);
    expect(res.status).toBe(200);
    return res.body as { from: string; to: string | null; source: string }[];
  };
  const until = async (what: string, ok: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await ok()) return;
      await Bun.sleep(100);
    }
    throw new Error(`${what} did not happen within ${timeoutMs} ms`);
  };

  beforeAll(async () => {
    net = await startTestnet({ hosts: 3 });
    silent = net.hostsWith("normal").filter((h) => !h.role)[0];
    const base = net.truth.lan_subnet.split("/")[0].split(".").slice(0, 3).join(".");
    staleMac = "3c:07:54:00:30:01";
    staleIp = `${base}.230`;
    const leases = join(scratch.dir("argus-lease-presence-"), "dnsmasq.leases");
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    writeFileSync(leases, `${expiry} ${staleMac} ${staleIp} stale-laptop *\n${expiry} ${silent.mac} ${silent.ip} quiet-nas *\n`);
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    ({ session: api } = await adminWithKey(server));
    const put = await api.request("PUT", "/api/config", { json: { departures: DEPARTURES, sources: [{ name: "router-leases", type: "dnsmasq_leases", path: leases }] } });
    if (put.status !== 200) throw new Error(`PUT /api/config: ${put.status} ${put.text}`);
    const run = await api.post("/api/sources/router-leases/run");
    if (run.status !== 200 || run.body.status !== "ok") throw new Error(`source run: ${run.status} ${JSON.stringify(run.body)}`);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await net?.down();
    scratch.clear();
  }, 60_000);

  test("each lease's host is a device: offline in GET /api/devices, no presence, not online on the dashboard, device_added naming the source", async () => {
    for (const [mac, ip, name] of [[staleMac, staleIp, "stale-laptop"], [silent.mac!, silent.ip, "quiet-nas"]]) {
      const d = await byMac(mac);
      expect(d).toMatchObject({ ip_address: ip, hostname: name, hostname_source: "dnsmasq_leases", status: "offline" });
      expect(await presence(d.id)).toEqual([]);
      const changes = await changesOf(mac);
      expect(changes.map((c) => c.change_type)).toEqual(["device_added"]);
      expect(changes[0].description).toEndWith(", known to router-leases (dnsmasq_leases), not seen on the network yet");
    }
    expect((await api.get("/api/stats")).body).toMatchObject({ total_devices: 2, online_devices: 0 });
  });

  test("past the 1 s departure grace, neither is probed nor removed: no flap", async () => {
    const capture = await captureArpFrom(silent.ns, net.truth.scanner_mac);
    await Bun.sleep(8_000);
    const { requests } = await capture.stop();
    expect(requests).toBe(0);
    for (const mac of [staleMac, silent.mac!]) {
      expect((await changesOf(mac)).map((c) => c.change_type)).toEqual(["device_added"]);
      expect((await byMac(mac)).status).toBe("offline");
    }
  }, 30_000);

  test("when the silent host ARPs on the LAN it comes online with one session and no device_returned; then its probes keep it online", async () => {
    await sendFrames(net, silent.ns, [gratuitousArp(silent.mac!, silent.ip)]);
    await until("online", async () => (await byMac(silent.mac!))?.status === "online", 10_000);
    const d = await byMac(silent.mac!);
    const sessions = await presence(d.id);
    expect(sessions).toEqual([{ from: expect.any(String), to: null, source: "passive" }]);
    expect((await api.get("/api/stats")).body).toMatchObject({ total_devices: 2, online_devices: 1 });
    // Now an ordinary online device: probed after its grace, it answers and stays, still in one session.
    const capture = await captureArpFrom(silent.ns, net.truth.scanner_mac);
    await Bun.sleep(6_000);
    expect((await capture.stop()).unicast).toBeGreaterThanOrEqual(1);
    expect((await byMac(silent.mac!)).status).toBe("online");
    expect(await presence(d.id)).toHaveLength(1);
    expect((await changesOf(silent.mac!)).map((c) => c.change_type)).toEqual(["device_added"]);
    // The stale lease's host never spoke: still offline, never removed.
    expect((await changesOf(staleMac)).map((c) => c.change_type)).toEqual(["device_added"]);
    expect((await byMac(staleMac)).status).toBe("offline");
  }, 40_000);
});
