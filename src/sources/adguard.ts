// AdGuard Home through its HTTP API (openapi/openapi.yaml in AdguardTeam/AdGuardHome): the owner's
// persistent clients (a name and ids that are IPs, MACs, CIDRs or ClientIDs), the clients it found
// by itself (auto_clients: an address and a name from rDNS, DHCP, ARP, /etc/hosts or WHOIS), and
// its DHCP server's leases and static leases. AdGuard Home takes HTTP basic auth on its API.
import { Type } from "@sinclair/typebox";
import { httpFields, sessionFor, type HttpConfig } from "./http.ts";
import { field, ipOf, macOf, observation, Observations } from "./rows.ts";
import { SourceError, type SourceType } from "./types.ts";

const fields = Type.Object({
  url: Type.String({ description: "AdGuard Home's web address, e.g. http://192.168.1.2:3000/", examples: ["http://192.168.1.2:3000/"] }),
  username: Type.String({ description: "An AdGuard Home user" }),
  password: Type.String({ description: "Its password (write-only)" }),
  ...httpFields,
});

export type AdguardConfig = HttpConfig & { username: string; password: string };

/** A persistent client: its name for every MAC and IP among its ids (one MAC pairs with the IPs). */
function readPersistent(c: unknown, out: Observations): void {
  const ids = field(c, "ids");
  if (!Array.isArray(ids)) return;
  const macs = ids.map(macOf).filter((m) => m !== null);
  const ips = ids.map(ipOf).filter((a) => a !== null);
  const name = field(c, "name");
  if (macs.length === 1) {
    if (ips.length === 0) out.add(observation({ mac: macs[0], hostname: name }));
    for (const ip of ips) out.add(observation({ mac: macs[0], ip, hostname: name }));
    return;
  }
  for (const mac of macs) out.add(observation({ mac, hostname: name }));
  for (const ip of ips) out.add(observation({ ip, hostname: name }));
}

function readDhcp(answer: unknown, out: Observations): void {
  for (const list of ["leases", "static_leases"]) {
    const leases = field(answer, list);
    if (leases === undefined || leases === null) continue;
    if (!Array.isArray(leases)) throw new SourceError("malformed", `AdGuard Home's DHCP status has a ${list} that is not a list`);
    for (const l of leases) {
      if (out.full) return;
      out.add(observation({ mac: field(l, "mac"), ip: field(l, "ip"), hostname: field(l, "hostname"), lease_expires_at: field(l, "expires") ?? null }));
    }
  }
}

export const adguardSource: SourceType<AdguardConfig> = {
  type: "adguard",
  fields,
  defaultIntervalS: 300,
  async read(config, ctx) {
    const http = sessionFor(config, ctx, { username: config.username, password: config.password });
    const out = new Observations();
    // DHCP leases first: what the DHCP server handed out; the owner's client names fill in after.
    readDhcp(await http.json("GET", "control/dhcp/status"), out);
    const clients = await http.json("GET", "control/clients");
    const persistent = field(clients, "clients");
    const auto = field(clients, "auto_clients");
    if ((persistent != null && !Array.isArray(persistent)) || (auto != null && !Array.isArray(auto))) {
      throw new SourceError("malformed", "AdGuard Home's /control/clients answer has clients that are not lists");
    }
    for (const c of (persistent as unknown[] | null) ?? []) if (!out.full) readPersistent(c, out);
    for (const c of (auto as unknown[] | null) ?? []) if (!out.full) out.add(observation({ ip: field(c, "ip"), hostname: field(c, "name") }));
    return out.list;
  },
};
