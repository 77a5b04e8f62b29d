// OPNsense through its REST API (docs.opnsense.org/development/api.html): the DHCPv4 leases of its
// ISC DHCP server (/api/dhcpv4/leases/searchLease) and its ARP table
// (/api/diagnostics/interface/getArp), which reaches every VLAN it routes: hosts there get their real
// MAC and the interface they sit behind. The API takes an API key and secret as HTTP basic auth.
import { Type } from "@sinclair/typebox";
import { httpFields, sessionFor, type HttpConfig } from "./http.ts";
import { field, nameOf, observation, Observations } from "./rows.ts";
import { SourceError, type SourceType } from "./types.ts";

const fields = Type.Object({
  url: Type.String({ description: "OPNsense's web address, e.g. https://192.168.1.1/", examples: ["https://192.168.1.1/"] }),
  key: Type.String({ description: "API key (System > Access > Users > API keys)" }),
  secret: Type.String({ description: "API secret (write-only)" }),
  ...httpFields,
});

export type OpnsenseConfig = HttpConfig & { key: string; secret: string };

/** The rows of an answer: OPNsense's search endpoints wrap them ({"rows": […]}); older getArp is a bare list. */
function rowsOf(answer: unknown, what: string): unknown[] {
  const rows = Array.isArray(answer) ? answer : field(answer, "rows");
  if (!Array.isArray(rows)) throw new SourceError("malformed", `OPNsense's ${what} answer has no rows`);
  return rows;
}

export const opnsenseSource: SourceType<OpnsenseConfig> = {
  type: "opnsense",
  fields,
  defaultIntervalS: 300,
  async read(config, ctx) {
    const http = sessionFor(config, ctx, { username: config.key, password: config.secret });
    const out = new Observations();
    for (const l of rowsOf(await http.json("GET", "api/dhcpv4/leases/searchLease"), "lease")) {
      if (out.full) break;
      // Expired and free leases name nobody now; static mappings have no state and stay.
      const state = field(l, "state");
      if (state === "expired" || state === "free" || state === "abandoned") continue;
      out.add(observation({ mac: field(l, "mac"), ip: field(l, "address"), hostname: field(l, "hostname") || field(l, "client-hostname"), seen_at: field(l, "starts") ?? null, lease_expires_at: field(l, "ends") ?? null }));
    }
    for (const a of rowsOf(await http.json("GET", "api/diagnostics/interface/getArp"), "ARP")) {
      if (out.full) break;
      if (field(a, "expired") === true) continue;
      const where = nameOf(field(a, "intf_description")) ?? nameOf(field(a, "intf"));
      out.add(observation({ mac: field(a, "mac"), ip: field(a, "ip"), hostname: field(a, "hostname"), attached_to: where ? `interface ${where}` : null }));
    }
    return out.list;
  },
};
