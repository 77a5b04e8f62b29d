// Pi-hole v6 through its REST API (docs.pi-hole.net/api, the FTL OpenAPI document served at
// /api/docs): names and addresses of the clients it has seen, and its DHCP leases when it serves
// DHCP. v6 authenticates by session: POST /api/auth with the password (or an application password)
// gives a session id, sent as the X-FTL-SID header; the session is deleted at the end so a reader
// running every few minutes does not use up Pi-hole's limited API seats.
import { Type } from "@sinclair/typebox";
import { httpFields, sessionFor, type HttpConfig, type HttpSession } from "./http.ts";
import { field, MAX_ROWS, observation, Observations } from "./rows.ts";
import { SourceError, type SourceType } from "./types.ts";

const fields = Type.Object({
  url: Type.String({ description: "The Pi-hole's web address, e.g. http://pi.hole/", examples: ["http://pi.hole/"] }),
  password: Type.Optional(Type.String({ description: "The web interface password or an application password (write-only); none when Pi-hole has no password" })),
  ...httpFields,
});

/** Addresses per device: a host with more (IPv6 privacy addresses pile up) is still named by these. */
const MAX_ADDRESSES = 64;

export type PiholeConfig = HttpConfig & { password?: string };

async function login(http: HttpSession, password: string): Promise<void> {
  const answer = await http.json("POST", "api/auth", { json: { password } });
  const session = field(answer, "session");
  const sid = field(session, "sid");
  if (field(session, "valid") !== true) throw new SourceError("auth", `Pi-hole at ${http.base.host} did not accept the password`);
  // A Pi-hole without a password answers valid with no sid: nothing to send.
  if (typeof sid === "string" && sid !== "") http.headers["x-ftl-sid"] = sid;
}

function readDevices(answer: unknown, out: Observations): void {
  const devices = field(answer, "devices");
  if (!Array.isArray(devices)) throw new SourceError("malformed", "Pi-hole's /api/network/devices answer has no devices list");
  for (const d of devices) {
    if (out.full) return;
    // A client Pi-hole knows only by address has the pseudo-MAC "ip-<address>", which the MAC check drops.
    const mac = field(d, "hwaddr");
    const ips = field(d, "ips");
    if (!Array.isArray(ips) || ips.length === 0) {
      out.add(observation({ mac, seen_at: field(d, "lastQuery") }));
      continue;
    }
    for (const a of ips.slice(0, MAX_ADDRESSES)) out.add(observation({ mac, ip: field(a, "ip"), hostname: field(a, "name"), seen_at: field(a, "lastSeen") }));
  }
}

function readLeases(answer: unknown, out: Observations): void {
  const leases = field(answer, "leases");
  if (!Array.isArray(leases)) throw new SourceError("malformed", "Pi-hole's /api/dhcp/leases answer has no leases list");
  for (const l of leases) {
    if (out.full) return;
    // expires 0 is an infinite (static) lease.
    out.add(observation({ mac: field(l, "hwaddr"), ip: field(l, "ip"), hostname: field(l, "name"), lease_expires_at: field(l, "expires") }));
  }
}

export const piholeSource: SourceType<PiholeConfig> = {
  type: "pihole",
  fields,
  defaultIntervalS: 300,
  async read(config, ctx) {
    const http = sessionFor(config, ctx);
    if (config.password) await login(http, config.password);
    try {
      const out = new Observations();
      // Leases first: their names are what the DHCP server handed out; the device table fills the rest.
      try {
        readLeases(await http.json("GET", "api/dhcp/leases"), out);
      } catch (e) {
        // A Pi-hole that was never a DHCP server may not answer here; its client table still counts.
        if (!(e instanceof SourceError && e.reason === "not_found")) throw e;
      }
      // Pi-hole shows 10 devices unless asked for more (the spec's max_devices, max_addresses).
      readDevices(await http.json("GET", `api/network/devices?max_devices=${MAX_ROWS}&max_addresses=${MAX_ADDRESSES}`), out);
      return out.list;
    } finally {
      if (http.headers["x-ftl-sid"]) await http.send("DELETE", "api/auth").catch(() => undefined);
    }
  },
};
