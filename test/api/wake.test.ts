// POST /api/devices/{id}/wake on the namespace test network: the appliance sends the magic packet as
// a UDP broadcast on the device's subnet, and tcpdump in another host's namespace sees it with the
// device's MAC sixteen times; a device without a MAC, or on no attached subnet, is a 409 that says so.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DB_FILE } from "../../src/db/database.ts";
import { gratuitousArp } from "../helpers/frames.ts";
import { sendFrames } from "../helpers/lan.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { readPcap } from "../helpers/pcap.ts";
import { requireTools } from "../helpers/require.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";

const runnable = requireRoot("Wake-on-LAN on the namespace test network") && requireTools([["tcpdump", "tcpdump"], ["python3", "python3"]]);

/** The subnet's broadcast address, worked out here from the CIDR text. */
function broadcastOf(cidr: string): string {
  const [addr, bits] = cidr.split("/");
  const n = addr.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  const host = 2 ** (32 - Number(bits)) - 1;
  const b = n + host;
  return [24, 16, 8, 0].map((s) => Math.floor(b / 2 ** s) % 256).join(".");
}

describe.skipIf(!runnable)("POST /api/devices/{id}/wake", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let session: Client;
  let dir: string;
  const normal = () => net.truth.hosts.filter((h) => h.behaviour === "normal" && !h.role);
  const lanIp = (octet: number) => net.truth.lan_subnet.replace(/\.0\/\d+$/, `.${octet}`);
  const sleeper = { mac: "3c:07:54:00:00:77", octet: 77 };
  const audits = async () => (await api.get("/api/audit-logs?action=device_wake_sent&limit=10")).body as any[];
  const wakeOf = (id: number | string) => api.post(`/api/devices/${id}/wake`);

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2, routed: 1 });
    dir = mkdtempSync(join(tmpdir(), "argus-wake-"));
    server = await startNetServer(net, { ARGUS_SUBNETS: `${net.truth.lan_subnet},${net.truth.routed_subnet}` });
    const { key, session: s } = await adminWithKey(server);
    session = s;
    api = server.client({ "X-API-Key": key });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await net?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A device heard once (one gratuitous ARP from a LAN host), as a machine does before it sleeps. */
  const heard = async (mac: string, ip: string) => {
    await sendFrames(net, normal()[0].ns, [gratuitousArp(mac, ip)]);
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = ((await api.get(`/api/devices?q=${mac}`)).body as any[]).find((d) => d.mac_address === mac);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${mac} was not recorded`);
      await Bun.sleep(50);
    }
  };

  test("tcpdump on the LAN sees one magic packet: broadcast to port 9 from the appliance, with the device's MAC sixteen times; audited", async () => {
    const device = await heard(sleeper.mac, lanIp(sleeper.octet));
    const watcher = normal()[1];
    const file = join(dir, "wake.pcap");
    const dump = Bun.spawn(["ip", "netns", "exec", watcher.ns, "tcpdump", "-i", "eth0", "-n", "--immediate-mode", "-U", "-Z", "root", "-w", file, "udp", "port", "9"], { stdout: "ignore", stderr: "pipe" });
    try {
      // tcpdump says "listening on" once its capture is open; --immediate-mode hands it each packet at
      // once (otherwise the kernel's ring may still hold the packet when the capture is stopped).
      const reader = dump.stderr.getReader();
      let banner = "";
      while (!banner.includes("listening on")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`tcpdump did not start: ${banner}`);
        banner += new TextDecoder().decode(value);
      }
      const res = await wakeOf(device.id);
      expect(res.status).toBe(200);
      const broadcast = broadcastOf(net.truth.lan_subnet);
      expect(res.body).toEqual({ mac_address: sleeper.mac, interface: net.truth.scanner_iface, broadcast, port: 9 });
      await Bun.sleep(500);
    } finally {
      dump.kill("SIGINT");
      await dump.exited;
    }
    const frames = readPcap(file).map((r) => r.frame);
    expect(frames).toHaveLength(1);
    const f = frames[0];
    const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
    expect(hex(f.slice(0, 6))).toBe("ff:ff:ff:ff:ff:ff"); // to everyone on the link: a sleeping host answers no ARP
    expect(hex(f.slice(6, 12))).toBe(net.truth.scanner_mac);
    expect((f[12] << 8) | f[13]).toBe(0x0800);
    const ihl = (f[14] & 0x0f) * 4;
    expect(f[14 + 9]).toBe(17); // UDP
    expect([...f.slice(14 + 12, 14 + 16)].join(".")).toBe(net.truth.scanner_ip);
    expect([...f.slice(14 + 16, 14 + 20)].join(".")).toBe(broadcastOf(net.truth.lan_subnet));
    const udp = 14 + ihl;
    expect((f[udp + 2] << 8) | f[udp + 3]).toBe(9);
    const payload = f.slice(udp + 8, udp + 8 + ((f[udp + 4] << 8) | f[udp + 5]) - 8);
    const macBytes = sleeper.mac.split(":").map((h) => Number.parseInt(h, 16));
    expect([...payload]).toEqual([...Array(6).fill(0xff), ...Array.from({ length: 16 }, () => macBytes).flat()]);

    expect((await audits())[0]).toMatchObject({
      action: "device_wake_sent",
      resource: `device:${device.id}`,
      username: "api_key:Test Key",
      success: true,
      details: { ip_address: lanIp(sleeper.octet), mac_address: sleeper.mac, interface: net.truth.scanner_iface, broadcast: broadcastOf(net.truth.lan_subnet), port: 9 },
    });
  }, 30_000);

  test("a device seen only beyond the router has no MAC: 409 that says so", async () => {
    const routed = net.truth.hosts.find((h) => h.behaviour === "routed")!;
    const scan = await api.post(`/api/scan/device/${routed.ip}?profile=quick`);
    expect(scan.status).toBe(202);
    expect((await waitForScan(api, scan.body.scan_id)).status).toBe("completed");
    const device = ((await api.get(`/api/devices?q=${routed.ip}`)).body as any[]).find((d) => d.ip_address === routed.ip);
    expect(device.mac_address).toBeNull();
    const res = await wakeOf(device.id);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ detail: `${routed.ip} has no known MAC address (it was seen only beyond a router): a magic packet needs one` });
    expect((await audits())[0]).toMatchObject({ resource: `device:${device.id}`, success: false });
  }, 60_000);

  test("a device whose subnet no interface is attached to: 409 that says so, audited as not sent", async () => {
    const routed = net.truth.hosts.find((h) => h.behaviour === "routed")!;
    const device = ((await api.get(`/api/devices?q=${routed.ip}`)).body as any[]).find((d) => d.ip_address === routed.ip);
    // Its MAC known (say the owner once had it on the LAN): the subnet is still not this appliance's link.
    const db = new Database(join(server.dataDir, DB_FILE));
    db.query("UPDATE devices SET mac_address = '3c:07:54:00:00:78' WHERE id = ?").run(device.id);
    db.close();
    const res = await wakeOf(device.id);
    expect(res.status).toBe(409);
    expect(res.body.detail).toBe(`No interface of this appliance is attached to the subnet of ${routed.ip}: a magic packet is only sent on a directly attached Ethernet subnet`);
    expect((await audits())[0]).toMatchObject({ resource: `device:${device.id}`, success: false, details: { mac_address: "3c:07:54:00:00:78", reason: res.body.detail } });
  });

  test("unknown device 404, malformed id 422, a read-only key 403", async () => {
    expect((await wakeOf(999999)).status).toBe(404);
    expect((await wakeOf(999999)).body).toEqual({ detail: "Device 999999 not found" });
    expect((await wakeOf("x")).status).toBe(422);
    const read = await session.post("/api/keys", { name: "Viewer", scope: "read" });
    expect(read.status).toBe(201);
    const viewer = server.client({ "X-API-Key": read.body.key });
    const device = ((await api.get(`/api/devices?q=${sleeper.mac}`)).body as any[])[0];
    expect((await viewer.post(`/api/devices/${device.id}/wake`)).status).toBe(403);
  });
});
