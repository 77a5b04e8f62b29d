// The LAN's known infrastructure (SPEC §7): the default gateway, the DHCP server(s) and the IPv6
// router(s) the passive watch trusts. Learned on first sight (the gateway from the host's routing
// table and the first ARP that answers for it; the first DHCP server heard offering or acknowledging
// a lease; the first router heard advertising) and then only changed by the owner (PUT /api/config
// replaces the whole section). A DHCP reply from any other server names nobody and is a
// `rogue_dhcp_server`; a router advertisement from any other router is a `rogue_router_advert`;
// another MAC claiming the gateway's address is an `ip_conflict`, critical.
import { Type as t } from "@sinclair/typebox";
import { parseIpv4 } from "../../net/ip.ts";
import { ConfigError } from "../config-error.ts";
import { ip6Scope } from "../../net/ip6.ts";

const IPV4 = { pattern: "^\\d{1,3}(\\.\\d{1,3}){3}$", errorMessage: "must be an IPv4 address" };
const MAC = { pattern: "^([0-9a-f]{2}:){5}[0-9a-f]{2}$", errorMessage: "must be a MAC address in lower case, like aa:bb:cc:dd:ee:ff" };

export type KnownGateway = { ip: string; mac: string };
export type KnownDhcpServer = { server_id: string; mac: string };
/** An IPv6 router: the MAC its advertisements come from and its link-local source address (RFC 5952 text). */
export type KnownRouter6 = { mac: string; ip: string };
export type KnownInfrastructure = { gateways: KnownGateway[]; dhcp_servers: KnownDhcpServer[]; routers6: KnownRouter6[] };

export const infrastructureSection = {
  known_infrastructure: t.Object(
    {
      gateways: t.Array(t.Object({ ip: t.String(IPV4), mac: t.String(MAC) }, { additionalProperties: false, errorMessage: "must be an entry {ip, mac}" }), {
        default: [],
        maxItems: 16,
        description: "Default gateways of the watched networks: their address and the MAC that owns it",
        errorMessage: "must be a list of {ip, mac}",
      }),
      dhcp_servers: t.Array(t.Object({ server_id: t.String(IPV4), mac: t.String(MAC) }, { additionalProperties: false, errorMessage: "must be an entry {server_id, mac}" }), {
        default: [],
        maxItems: 16,
        description: "DHCP servers whose offers and acks count: server identifier (option 54) and the MAC they come from",
        errorMessage: "must be a list of {server_id, mac}",
      }),
      routers6: t.Array(t.Object({ mac: t.String(MAC), ip: t.String({ maxLength: 64 }) }, { additionalProperties: false, errorMessage: "must be an entry {mac, ip}" }), {
        default: [],
        maxItems: 16,
        description: "IPv6 routers whose router advertisements count: the MAC they come from and their link-local address (fe80::…)",
        errorMessage: "must be a list of {mac, ip}",
      }),
    },
    {
      default: { gateways: [], dhcp_servers: [], routers6: [] },
      additionalProperties: false,
      description:
        "The LAN's gateway(s), DHCP server(s) and IPv6 router(s), learned on first sight; a reply from another DHCP server, an advertisement from another IPv6 router or another MAC at the gateway's address is an alert",
      errorMessage: "must be an object {gateways, dhcp_servers, routers6}",
    },
  ),
};

export function checkInfrastructure(c: { known_infrastructure: KnownInfrastructure }): void {
  c.known_infrastructure.gateways.forEach((g, i) => {
    if (parseIpv4(g.ip) === null) throw new ConfigError(`known_infrastructure.gateways.${i}.ip`, "must be an IPv4 address");
  });
  c.known_infrastructure.dhcp_servers.forEach((s, i) => {
    if (parseIpv4(s.server_id) === null) throw new ConfigError(`known_infrastructure.dhcp_servers.${i}.server_id`, "must be an IPv4 address");
  });
  c.known_infrastructure.routers6.forEach((r, i) => {
    // Compared as text with what the wire says (RFC 5952), so it must be written the same way.
    const short = shortIp6(r.ip);
    if (short === null || ip6Scope(short) !== "link") throw new ConfigError(`known_infrastructure.routers6.${i}.ip`, "must be an IPv6 link-local address (fe80::…)");
    if (short !== r.ip) throw new ConfigError(`known_infrastructure.routers6.${i}.ip`, `must be written in its short form (RFC 5952): ${short}`);
  });
}

/** RFC 5952 text of an IPv6 address (the URL parser's serialisation is exactly that), or null. */
function shortIp6(text: string): string | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}
