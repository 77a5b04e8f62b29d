// Devices with several interfaces on the namespace test network (issue 19, SPEC §7): h1 is one machine
// with two veths on the LAN bridge (eth0 and eth1, two MACs, two addresses), answering on both with
// the same mDNS name and the same SSH banner. A scan makes it ONE device with both MACs
// (interface_linked). Weak evidence links nothing: h2 announces the same name with another SSH server
// (a guest naming itself like the NAS), h3 the same SSH banner under another name. The owner splits
// and merges through the API, and the split stays; the machine moving from one interface to the
// other (one link down, then the other) is no new device and no device_added.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { mustRun } from "../helpers/lan.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet, type TruthHost } from "../helpers/testnet.ts";

const HOST = resolve(import.meta.dir, "fixtures/interface-host.ts");
const runnable = requireRoot("a host with two interfaces on the namespace test network");

const NIC2 = "00:11:32:aa:00:02";
const NAS_SSH = "SSH-2.0-OpenSSH_9.6p1 Debian-3";

describe.skipIf(!runnable)("a host with two interfaces on the LAN", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let nas: TruthHost;
  let guest: TruthHost;
  let lookalike: TruthHost;
  let ip2: string;
  const procs: ReturnType<typeof Bun.spawn>[] = [];
  const sh = (ns: string, cmd: string[]) => mustRun(net, ns, cmd);

  async function serve(ns: string, ips: string[], name: string, banner: string) {
    const proc = Bun.spawn(["ip", "netns", "exec", ns, process.execPath, HOST, JSON.stringify({ ips, name, banner })], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    procs.push(proc);
    const { value } = await proc.stdout.getReader().read();
    if (!new TextDecoder().decode(value).includes("READY")) throw new Error(`the fixture in ${ns} did not start`);
  }

  async function scan(): Promise<any[]> {
    const res = await api.request("POST", "/api/scan/trigger?profile=ssh");
    expect(res.status).toBe(202);
    const done = await waitForScan(api, res.body.scan_id);
    expect(done.status).toBe("completed");
    return (await api.get(`/api/changes?scan_id=${done.id}&limit=1000`)).body as any[];
  }
  const devices = async () => (await api.get("/api/devices?limit=1000")).body as any[];
  const withMac = async (mac: string) => (await devices()).filter((d) => (d.macs as any[]).some((m) => m.mac === mac));
  const macs = (d: any) => (d.macs as any[]).map((m) => m.mac).sort();

  beforeAll(async () => {
    net = await startTestnet({ hosts: 3 });
    [nas, guest, lookalike] = net.hostsWith("normal");
    ip2 = net.truth.lan_subnet.replace(/\.0\/24$/, ".77");
    const p = net.prefix;
    // The NAS's second port: a veth from the LAN bridge into its namespace, made like the test network's own.
    await sh(`${p}-br`, ["ip", "link", "add", `${p}-h1b`, "type", "veth", "peer", "name", "eth1", "address", NIC2, "netns", nas.ns]);
    await sh(`${p}-br`, ["ip", "link", "set", `${p}-h1b`, "addrgenmode", "none"]);
    await sh(`${p}-br`, ["ip", "link", "set", `${p}-h1b`, "master", `${p}-lan`, "up"]);
    // Each interface answers ARP for its own address only and replies from it, as a multi-homed host is set up.
    await sh(nas.ns, ["sysctl", "-q", "-w", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2"]);
    await sh(nas.ns, ["ip", "addr", "add", `${ip2}/24`, "dev", "eth1"]);
    await sh(nas.ns, ["ip", "link", "set", "eth1", "up"]);
    await sh(nas.ns, ["ip", "rule", "add", "from", ip2, "table", "100"]);
    await sh(nas.ns, ["ip", "route", "add", net.truth.lan_subnet, "dev", "eth1", "src", ip2, "table", "100"]);
    await serve(nas.ns, [nas.ip, ip2], "nas-two", NAS_SSH);
    await serve(guest.ns, [guest.ip], "nas-two", "SSH-2.0-dropbear_2022.83");
    await serve(lookalike.ns, [lookalike.ip], "media-box", NAS_SSH);
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    api = server.client({ "X-API-Key": (await adminWithKey(server)).key });
    const put = await api.request("PUT", "/api/config", { json: { profiles: [{ name: "ssh", ports: "22" }] } });
    expect(put.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await server?.close();
    await net?.down();
  });

  test("after a scan the NAS is one device with both MACs and both addresses; the guest with its name and the look-alike with its banner are devices of their own", async () => {
    const changes = await scan();
    const [device, ...more] = await withMac(nas.mac!);
    expect(more).toEqual([]);
    expect(macs(device)).toEqual([nas.mac, NIC2].sort());
    const detail = (await api.get(`/api/devices/${device.id}`)).body;
    expect(detail.ip_address).toBe(nas.ip);
    expect((detail.addresses as any[]).filter((a) => a.family === 4).map((a) => a.address).sort()).toEqual([nas.ip, ip2].sort());
    expect((await devices()).filter((d) => d.mac_address === NIC2)).toEqual([]);
    const linked = changes.filter((c) => c.change_type === "interface_linked");
    expect(linked).toHaveLength(1);
    expect(linked[0]).toMatchObject({ device_id: device.id, severity: "info" });
    expect(linked[0].description).toContain("nas-two");
    // Weak evidence: each of these is its own device with its own MAC only.
    for (const h of [guest, lookalike]) {
      const own = await withMac(h.mac!);
      expect(own).toHaveLength(1);
      expect(macs(own[0])).toEqual([h.mac]);
    }
    expect(changes.filter((c) => c.change_type === "interface_linked" && [guest.mac, lookalike.mac].includes(c.device_mac))).toEqual([]);
  }, 120_000);

  test("the owner splits the second interface off through the API and it stays split at the next scan; merged again, it stays one device", async () => {
    const [device] = await withMac(nas.mac!);
    const split = await api.post(`/api/devices/${device.id}/split`, { mac: NIC2 });
    expect(split.status).toBe(200);
    expect(macs(split.body.device)).toEqual([nas.mac]);
    expect(macs(split.body.new_device)).toEqual([NIC2]);
    const newId = split.body.new_device.id;
    const afterSplit = await scan();
    expect(afterSplit.filter((c) => c.change_type === "interface_linked")).toEqual([]);
    expect((await withMac(NIC2)).map((d) => d.id)).toEqual([newId]);
    expect((await withMac(nas.mac!)).map((d) => d.id)).toEqual([device.id]);

    const merged = await api.post(`/api/devices/${device.id}/merge`, { other_id: newId });
    expect(merged.status).toBe(200);
    expect(macs(merged.body)).toEqual([nas.mac, NIC2].sort());
    expect((await api.get(`/api/devices/${newId}`)).status).toBe(404);
    const afterMerge = await scan();
    expect(afterMerge.filter((c) => ["device_added", "interface_linked"].includes(c.change_type))).toEqual([]);
    expect((await withMac(NIC2)).map((d) => d.id)).toEqual([device.id]);
  }, 180_000);

  test("moving from one interface to the other (one link down, then the other) raises no new device and no device_added", async () => {
    const [device] = await withMac(nas.mac!);
    const count = (await devices()).length;
    for (const [down, up] of [["eth0", "eth1"], ["eth1", "eth0"]]) {
      await sh(nas.ns, ["ip", "link", "set", up, "up"]);
      await sh(nas.ns, ["ip", "link", "set", down, "down"]);
      const changes = await scan();
      expect(changes.filter((c) => ["device_added", "mac_changed_for_ip", "interface_linked"].includes(c.change_type))).toEqual([]);
      expect((await devices()).length).toBe(count);
      const now = (await api.get(`/api/devices/${device.id}`)).body;
      expect(now.status).toBe("online");
      expect(macs(now)).toEqual([nas.mac, NIC2].sort());
    }
  }, 180_000);
});
