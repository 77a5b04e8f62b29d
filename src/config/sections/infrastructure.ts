// The LAN's known infrastructure (SPEC §7): the default gateway and the DHCP server(s) the passive
// watch trusts. Learned on first sight (the gateway from the host's routing table and the first ARP
// that answers for it; the first DHCP server heard offering or acknowledging a lease) and then only
// changed by the owner (PUT /api/config replaces the whole section). A DHCP reply from any other
// server names nobody and is a `rogue_dhcp_server`; another MAC claiming the gateway's address is an
// `ip_conflict`, critical.
import { Type as t } from "@sinclair/typebox";
import { parseIpv4 } from "../../net/ip.ts";
import { ConfigError } from "../config-error.ts";

const IPV4 = { pattern: "^\\d{1,3}(\\.\\d{1,3}){3}$", errorMessage: "must be an IPv4 address" };
const MAC = { pattern: "^([0-9a-f]{2}:){5}[0-9a-f]{2}$", errorMessage: "must be a MAC address in lower case, like aa:bb:cc:dd:ee:ff" };

export type KnownGateway = { ip: string; mac: string };
export type KnownDhcpServer = { server_id: string; mac: string };
export type KnownInfrastructure = { gateways: KnownGateway[]; dhcp_servers: KnownDhcpServer[] };

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
    },
    {
      default: { gateways: [], dhcp_servers: [] },
      additionalProperties: false,
      description: "The LAN's gateway(s) and DHCP server(s), learned on first sight; a reply from another DHCP server or another MAC at the gateway's address is an alert",
      errorMessage: "must be an object {gateways, dhcp_servers}",
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
}
