// Wake-on-LAN: a magic packet (six 0xFF bytes, then the target's MAC sixteen times) sent as a UDP
// broadcast to port 9 on the subnet the device is on, from the interface attached to that subnet.
//
//   magicPacket(mac): Uint8Array                       the 102 bytes
//   wakeRoute(ip, interfaces): WakeRoute | null        where to send it, or null: no attached subnet holds ip
//   sendMagicPacket(route, mac): Promise<void>          one datagram out of route.iface; rejects with the errno's name
//
// Why UDP broadcast and not a raw Ethernet frame (ethertype 0x0842): network cards match the magic
// pattern anywhere in a frame's payload, so both wake the same hardware, and the UDP/9 broadcast is
// what wakeonlan, etherwake -b and routers send. It needs no CAP_NET_RAW (it works where discovery
// runs degraded), no ARP entry for a host that sleeps (the frame goes to ff:ff:ff:ff:ff:ff), and no
// new function in the native core. The socket is bound to that interface (SO_BINDTODEVICE, see
// interface-udp.ts), not to its address, so the packet leaves where the route says even with two
// interfaces on one subnet; the subnet-directed broadcast address keeps it on that link (routers do
// not forward it). At most one wake per device per 5 s and 30 a minute leave (wake-limit.ts).
import { attachedInterface, InterfacesUnavailable, listInterfaces, type NetInterface } from "./interfaces.ts";
import { sendUdpFromInterface } from "./interface-udp.ts";
import { formatIpv4, normalizeMac, parseIpv4, prefixMask } from "./ip.ts";

export const WAKE_PORT = 9;

export type WakeRoute = { iface: string; source: string; broadcast: string; subnet: string };

export function magicPacket(mac: string): Uint8Array {
  const norm = normalizeMac(mac);
  if (!norm) throw new Error(`not a MAC address: ${mac}`);
  const bytes = norm.split(":").map((h) => Number.parseInt(h, 16));
  const out = new Uint8Array(6 + 16 * 6).fill(0xff, 0, 6);
  for (let i = 0; i < 16; i++) out.set(bytes, 6 + i * 6);
  return out;
}

/** The interface attached to the subnet that holds `ip` (an Ethernet one, /30 or wider) and that subnet's broadcast address. */
export function wakeRoute(ip: string, interfaces: NetInterface[] = listInterfaces()): WakeRoute | null {
  const n = parseIpv4(ip);
  if (n === null) return null;
  const iface = attachedInterface(n, interfaces);
  if (!iface) return null;
  const broadcast = (iface.network | ~prefixMask(iface.prefix)) >>> 0;
  return { iface: iface.name, source: iface.ip, broadcast: formatIpv4(broadcast), subnet: iface.subnet };
}

export async function sendMagicPacket(route: WakeRoute, mac: string): Promise<void> {
  // Out of the interface attached to the device's subnet, bound to it by name: bound only by its
  // address, the datagram would leave by whichever interface's route the kernel prefers.
  sendUdpFromInterface(route.iface, route.broadcast, WAKE_PORT, magicPacket(mac));
}

/** Why no magic packet left: said to the owner as it is (the API's 409). */
export class WakeError extends Error {}

export type WakeTarget = { ip_address: string; mac_address: string | null };
export type WakeSent = { mac_address: string; interface: string; broadcast: string; port: number };

/** Sends the device's magic packet on its subnet; WakeError when it has no MAC, no attached subnet, or the send fails. */
export async function wake(target: WakeTarget, interfaces?: NetInterface[]): Promise<WakeSent> {
  if (!target.mac_address) throw new WakeError(`${target.ip_address} has no known MAC address (it was seen only beyond a router): a magic packet needs one`);
  let route: WakeRoute | null;
  try {
    route = wakeRoute(target.ip_address, interfaces);
  } catch (e) {
    if (e instanceof InterfacesUnavailable) throw new WakeError(`No magic packet was sent: ${e.message}`);
    throw e;
  }
  if (!route) throw new WakeError(`No interface of this appliance is attached to the subnet of ${target.ip_address}: a magic packet is only sent on a directly attached Ethernet subnet`);
  try {
    await sendMagicPacket(route, target.mac_address);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new WakeError(`The magic packet could not be sent on ${route.iface}: ${typeof code === "string" ? code : e instanceof Error ? e.message : String(e)}`);
  }
  return { mac_address: target.mac_address, interface: route.iface, broadcast: route.broadcast, port: WAKE_PORT };
}
