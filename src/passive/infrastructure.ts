// The LAN's known infrastructure as the passive watch uses it (SPEC §7): which DHCP replies count,
// which IPv6 routers may advertise, and where the default gateway is. The known list lives in the configuration
// (`known_infrastructure`, config/sections/infrastructure.ts); what is not known yet is learned on
// first sight and handed to the caller to persist.
import { readFileSync } from "node:fs";
import type { KnownDhcpServer, KnownInfrastructure, KnownRouter6 } from "../config/sections/infrastructure.ts";
import { ip6Scope } from "../net/ip6.ts";
import type { RawSighting } from "../net/native-listener.ts";

/** How a server's reply (BOOTP op 2) is judged. */
export type ServerVerdict = "known" | "rogue" | "learn" | "unnamed";

/** The server identity a reply shows: option 54, else its IPv4 source; and the MAC it came from. */
export function serverOf(r: RawSighting): KnownDhcpServer | null {
  const id = r.serverId ?? r.srcIp;
  return id ? { server_id: id, mac: r.ethSrc } : null;
}

export function judgeServer(r: RawSighting, known: KnownInfrastructure): ServerVerdict {
  const server = serverOf(r);
  if (!server) return "unnamed";
  if (known.dhcp_servers.length === 0) return "learn";
  // Both must match: a host that copies the server's option 54 still sends from its own MAC.
  return known.dhcp_servers.some((k) => k.mac === server.mac && k.server_id === server.server_id) ? "known" : "rogue";
}

/**
 * The router a Router Advertisement (ICMPv6 134) shows: the MAC it came from (the Ethernet source,
 * whatever its link-layer option claims) and its link-local source. Hosts drop an RA from any other
 * source address (RFC 4861 6.1.2), so such a frame steers nobody and is no router: null.
 */
export function routerOf(r: RawSighting): KnownRouter6 | null {
  if (r.source !== "ndp" || r.ndType !== 134 || r.ip6 === null || ip6Scope(r.ip6) !== "link") return null;
  return { mac: r.ethSrc, ip: r.ip6 };
}

/**
 * `wrapped`: the RA came behind IPv6 extension headers. Hosts still accept it, but no real router
 * sends one, so it is never learned as the LAN's router: unknown, it is rogue even before any router is known.
 */
export function judgeRouter(router: KnownRouter6, known: KnownInfrastructure, wrapped = false): Exclude<ServerVerdict, "unnamed"> {
  // Both must match, as for DHCP servers: a guest can copy the router's link-local address, not its MAC.
  if (known.routers6.some((k) => k.mac === router.mac && k.ip === router.ip)) return "known";
  return known.routers6.length === 0 && !wrapped ? "learn" : "rogue";
}

/** Default gateways per interface name, from the host's routing table (/proc/net/route). */
export function routeGateways(text?: string): Map<string, string> {
  const out = new Map<string, string>();
  let table = text;
  if (table === undefined) {
    try {
      table = readFileSync("/proc/net/route", "utf8");
    } catch {
      return out;
    }
  }
  for (const line of table.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] !== "00000000" || f[7] !== "00000000") continue;
    const flags = Number.parseInt(f[3], 16);
    if (!(flags & 0x2) || !/^[0-9A-Fa-f]{8}$/.test(f[2])) continue; // RTF_GATEWAY
    const n = Number.parseInt(f[2], 16); // little-endian on the hosts Argus runs on
    const ip = [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join(".");
    if (!out.has(f[0])) out.set(f[0], ip);
  }
  return out;
}
