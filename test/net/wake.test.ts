// Wake-on-LAN's pure parts: the magic packet's bytes, the route (interface and broadcast address)
// to a device's subnet, and the refusals, which are decided before anything could be sent.
import { describe, expect, test } from "bun:test";
import type { NetInterface } from "../../src/net/interfaces.ts";
import { magicPacket, wake, WakeError, wakeRoute } from "../../src/net/wake.ts";

const iface = (name: string, ip: string, prefix: number, mac = "02:00:00:00:00:01"): NetInterface => {
  const ipNum = ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
  const network = prefix === 0 ? 0 : (ipNum & (~0 << (32 - prefix))) >>> 0;
  const net = [24, 16, 8, 0].map((s) => (network >>> s) & 255).join(".");
  return { name, ip, ipNum, prefix, mac, network, subnet: `${net}/${prefix}` };
};

describe("magic packet", () => {
  test("six 0xFF bytes, then the MAC sixteen times: 102 bytes", () => {
    const p = magicPacket("b8:27:eb:12:34:56");
    expect(p.length).toBe(102);
    expect([...p.slice(0, 6)]).toEqual([255, 255, 255, 255, 255, 255]);
    for (let i = 0; i < 16; i++) expect([...p.slice(6 + i * 6, 12 + i * 6)]).toEqual([0xb8, 0x27, 0xeb, 0x12, 0x34, 0x56]);
  });
  test("any spelling of the MAC gives the same packet; a non-MAC is refused", () => {
    expect(magicPacket("B8-27-EB-12-34-56")).toEqual(magicPacket("b8:27:eb:12:34:56"));
    expect(() => magicPacket("b8:27:eb:12:34")).toThrow();
  });
});

describe("route to the device's subnet", () => {
  const ifaces = [iface("eth0", "192.168.1.2", 24), iface("eth1", "10.20.0.1", 16), iface("eth2", "10.20.30.1", 24)];
  test("the interface attached to the subnet and that subnet's broadcast address", () => {
    expect(wakeRoute("192.168.1.77", ifaces)).toEqual({ iface: "eth0", source: "192.168.1.2", broadcast: "192.168.1.255", subnet: "192.168.1.0/24" });
    expect(wakeRoute("10.20.5.5", ifaces)).toEqual({ iface: "eth1", source: "10.20.0.1", broadcast: "10.20.255.255", subnet: "10.20.0.0/16" });
  });
  test("the longest prefix wins", () => {
    expect(wakeRoute("10.20.30.9", ifaces)?.iface).toBe("eth2");
  });
  test("no attached subnet, a point-to-point link or an interface without Ethernet: no route", () => {
    expect(wakeRoute("172.16.0.9", ifaces)).toBeNull();
    expect(wakeRoute("10.9.9.2", [iface("ptp0", "10.9.9.1", 31)])).toBeNull();
    expect(wakeRoute("10.8.0.7", [iface("wg0", "10.8.0.1", 24, "00:00:00:00:00:00")])).toBeNull();
    expect(wakeRoute("not-an-ip", ifaces)).toBeNull();
  });
});

describe("refusals", () => {
  const ifaces = [iface("eth0", "192.168.1.2", 24)];
  test("a device without a MAC", async () => {
    await expect(wake({ ip_address: "192.168.1.9", mac_address: null }, ifaces)).rejects.toThrow(WakeError);
    await expect(wake({ ip_address: "192.168.1.9", mac_address: null }, ifaces)).rejects.toThrow(/no known MAC address/);
  });
  test("a device on no attached subnet", async () => {
    await expect(wake({ ip_address: "10.9.0.5", mac_address: "b8:27:eb:12:34:56" }, ifaces)).rejects.toThrow(/No interface of this appliance is attached to the subnet of 10\.9\.0\.5/);
  });
});
