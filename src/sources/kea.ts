// Kea DHCPv4 leases through the Kea Control Agent's REST API: one `lease4-get-all` command forwarded
// to the dhcp4 service. The command comes from Kea's lease_cmds hook library, which kea-dhcp4 must
// load (Debian: /usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so); without it Kea answers
// result 2, "command not supported", and the owner is told so. Written against Kea 2.2 (Debian 12)
// and tested with the real daemons (test/sources/kea.test.ts).
//
// The agent answers a list with one entry per service: {"result", "text", "arguments": {"leases"}}.
// Result 0 is success, 3 "empty" (no leases, not an error), 1 an error (the daemon is down, the
// socket is wrong), 2 an unsupported command.
import { Type } from "@sinclair/typebox";
import { httpFields, sessionFor, type HttpConfig } from "./http.ts";
import { field, nameOf, observation, Observations } from "./rows.ts";
import { SourceError, type SourceType } from "./types.ts";

const fields = Type.Object({
  url: Type.String({ description: "The Kea Control Agent, e.g. http://192.168.1.1:8000/", examples: ["http://192.168.1.1:8000/"] }),
  username: Type.Optional(Type.String({ description: "HTTP basic auth, when the agent has `authentication` configured" })),
  password: Type.Optional(Type.String({ description: "HTTP basic auth password (write-only)" })),
  ...httpFields,
});

export type KeaConfig = HttpConfig & { username?: string; password?: string };

// Kea's lease states: 0 default (in use), 1 declined, 2 expired-reclaimed. Only leases in use name a host.
const LEASE_IN_USE = 0;

export const keaSource: SourceType<KeaConfig> = {
  type: "kea",
  fields,
  defaultIntervalS: 300,
  async read(config, ctx) {
    const http = sessionFor(config, ctx, config.username ? { username: config.username, password: config.password ?? "" } : undefined);
    const answer = await http.json("POST", "", { json: { command: "lease4-get-all", service: ["dhcp4"] } });
    // One entry per service named; an agent-level error comes back as one object.
    const entry = Array.isArray(answer) ? answer[0] : answer;
    const result = field(entry, "result");
    const text = nameOf(field(entry, "text"))?.slice(0, 160) ?? "";
    if (result === 3) return [];
    if (result === 2) throw new SourceError("config", `Kea does not support lease4-get-all: load the lease_cmds hook library in kea-dhcp4 (${text})`);
    if (result === 1) throw new SourceError("unreachable", `Kea could not answer lease4-get-all: ${text}`);
    if (result !== 0) throw new SourceError("malformed", `Kea answered without a known result code`);
    const leases = field(field(entry, "arguments"), "leases");
    if (!Array.isArray(leases)) throw new SourceError("malformed", "Kea's answer has no leases list");
    const out = new Observations();
    for (const l of leases) {
      if (out.full) break;
      if (field(l, "state") !== undefined && field(l, "state") !== LEASE_IN_USE) continue;
      const cltt = field(l, "cltt");
      const lifetime = field(l, "valid-lft");
      // valid-lft 0xffffffff is Kea's "infinite".
      const ends = typeof cltt === "number" && typeof lifetime === "number" && lifetime < 0xffffffff ? cltt + lifetime : null;
      out.add(observation({ mac: field(l, "hw-address"), ip: field(l, "ip-address"), hostname: field(l, "hostname"), seen_at: cltt, lease_expires_at: ends }));
    }
    return out.list;
  },
};
