// POST /api/devices/{id}/wake on the namespace test network: the appliance sends the magic packet as
// a UDP broadcast on the device's subnet, and tcpdump in another host's namespace sees it with the
// device's MAC sixteen times; a device without a MAC, or on no attached subnet, is a 409 that says so.
// Wakes are limited (once per device per 5 s, 30 a minute: 429 with Retry-After), and the packet
// leaves by the interface of the device's subnet even when the kernel's route prefers another one.
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

  /** tcpdump on `iface` in namespace `ns`, capturing UDP port 9 until stop(). */
  const capture = async (ns: string, iface: string, name: string) => {
    const file = join(dir, name);
    const dump = Bun.spawn(["ip", "netns", "exec", ns, "tcpdump", "-i", iface, "-n", "--immediate-mode", "-U", "-Z", "root", "-w", file, "udp", "port", "9"], { stdout: "ignore", stderr: "pipe" });
    // tcpdump says "listening on" once its capture is open; --immediate-mode hands it each packet at
    // once (otherwise the kernel's ring may still hold the packet when the capture is stopped).
    const reader = dump.stderr.getReader();
    let banner = "";
    try {
      while (!banner.includes("listening on")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`tcpdump did not start: ${banner}`);
        banner += new TextDecoder().decode(value);
      }
    } catch (e) {
      dump.kill("SIGKILL");
      throw e;
    }
    return {
      async stop() {
        await Bun.sleep(500);
        dump.kill("SIGINT");
        await dump.exited;
      },
      frames: () => readPcap(file).map((r) => r.frame),
    };
  };

  /** A device on the LAN with a MAC, written as a scan would have left it (no packet needed to know it). */
  const lanDevice = (octet: number): number => {
    const db = new Database(join(server.dataDir, DB_FILE));
    try {
      const mac = `3c:07:54:00:01:${octet.toString(16).padStart(2, "0")}`;
      return (db.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES (?, ?, '2024-01-15T10:30:00Z', '2024-01-15T10:30:00Z') RETURNING id").get(mac, lanIp(octet)) as { id: number }).id;
    } finally {
      db.close();
    }
  };

  test("tcpdump on the LAN sees one magic packet: broadcast to port 9 from the appliance, with the device's MAC sixteen times; audited", async () => {
    const device = await heard(sleeper.mac, lanIp(sleeper.octet));
    const watcher = normal()[1];
    const lan = await capture(watcher.ns, "eth0", "wake.pcap");
    try {
      const res = await wakeOf(device.id);
      expect(res.status).toBe(200);
      const broadcast = broadcastOf(net.truth.lan_subnet);
      expect(res.body).toEqual({ mac_address: sleeper.mac, interface: net.truth.scanner_iface, broadcast, port: 9 });
    } finally {
      await lan.stop();
    }
    const frames = lan.frames();
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

  test("one wake per device per 5 seconds: a second one at once is 429 with Retry-After; after the wait it is sent", async () => {
    const id = lanDevice(90);
    expect((await wakeOf(id)).status).toBe(200);
    const again = await wakeOf(id);
    expect(again.status).toBe(429);
    const wait = Number(again.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(5);
    expect(again.body).toEqual({ detail: `Too many wake requests; try again in ${wait} ${wait === 1 ? "second" : "seconds"}` });
    // Another device is not held back by this one.
    expect((await wakeOf(lanDevice(91))).status).toBe(200);
    await Bun.sleep(wait * 1000);
    expect((await wakeOf(id)).status).toBe(200);
  }, 30_000);

  test("30 wakes a minute in all: the 31st device's is 429 with Retry-After, and no packet leaves for it", async () => {
    // A fresh process: the limits count from zero.
    await server.kill();
    await server.restart();
    const ids = Array.from({ length: 31 }, (_, i) => lanDevice(100 + i));
    const lan = await capture(normal()[1].ns, "eth0", "flood.pcap");
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof wakeOf>> | null = null;
    try {
      for (const id of ids) {
        const res = await wakeOf(id);
        statuses.push(res.status);
        if (res.status === 429) refused = res;
      }
    } finally {
      await lan.stop();
    }
    expect(statuses).toEqual([...Array(30).fill(200), 429]);
    const wait = Number(refused!.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(refused!.body.detail).toBe(`Too many wake requests; try again in ${wait} seconds`);
    expect(lan.frames()).toHaveLength(30);
  }, 60_000);

  test("the packet leaves by the interface of the device's subnet, even when the kernel's broadcast route prefers another one on that subnet", async () => {
    // A second interface in the appliance's namespace on the same subnet, its peer in a namespace of
    // this test; eth0's address added again after it, so the kernel's broadcast route now names the
    // new interface first: a socket only bound to eth0's address would leave by it.
    await server.kill(); // the test above used up this minute's wakes
    await server.restart();
    const other = `argus-wk-${process.pid}`;
    const sh = (cmd: string[]) => {
      const r = Bun.spawnSync(cmd, { stderr: "pipe" });
      if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
    };
    const prefix = net.truth.lan_subnet.split("/")[1];
    sh(["ip", "netns", "add", other]);
    try {
      sh(["ip", "-n", net.truth.scanner_ns, "link", "add", "wk0", "type", "veth", "peer", "name", "wk0p", "netns", other]);
      sh(["ip", "-n", net.truth.scanner_ns, "link", "set", "wk0", "up"]);
      sh(["ip", "-n", other, "link", "set", "wk0p", "up"]);
      sh(["ip", "-n", net.truth.scanner_ns, "addr", "add", `${lanIp(250)}/${prefix}`, "dev", "wk0"]);
      sh(["ip", "-n", net.truth.scanner_ns, "addr", "del", `${net.truth.scanner_ip}/${prefix}`, "dev", "eth0"]);
      sh(["ip", "-n", net.truth.scanner_ns, "addr", "add", `${net.truth.scanner_ip}/${prefix}`, "dev", "eth0"]);
      await Bun.sleep(1500); // the peer's link comes up (veth carrier)
      const id = lanDevice(140);
      const lan = await capture(normal()[1].ns, "eth0", "bound-lan.pcap");
      const beside = await capture(other, "wk0p", "bound-other.pcap");
      try {
        const res = await wakeOf(id);
        expect(res.status).toBe(200);
        expect(res.body.interface).toBe(net.truth.scanner_iface);
      } finally {
        await lan.stop();
        await beside.stop();
      }
      expect(lan.frames()).toHaveLength(1);
      expect(beside.frames()).toHaveLength(0);
    } finally {
      Bun.spawnSync(["ip", "-n", net.truth.scanner_ns, "link", "del", "wk0"]);
      Bun.spawnSync(["ip", "netns", "del", other]);
    }
  }, 60_000);
});
