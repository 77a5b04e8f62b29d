// The names the appliance may be reached by beyond its own (SPEC §7 "Hosts"): a reverse proxy's public
// name, a DNS alias. Every other Host is refused (421), which defeats DNS rebinding.
import { Type as t } from "@sinclair/typebox";
import { allowedHostProblem } from "../../net/own-names.ts";
import { ConfigError } from "../config-error.ts";

export const hostsSection = {
  allowed_hosts: t.Array(t.String({ maxLength: 255 }), {
    default: [],
    maxItems: 64,
    description:
      "Host names (or addresses) the web UI and API may be reached by besides the appliance's own addresses, its host name and localhost, e.g. a reverse proxy's public name. Requests under any other Host are refused with 421.",
    errorMessage: "must be a list of host names",
  }),
};

/** Each entry is a bare host name or address: a URL or a port in it would never match a Host. */
export function checkHosts(c: { allowed_hosts: string[] }): void {
  c.allowed_hosts.forEach((entry, i) => {
    const problem = allowedHostProblem(entry);
    if (problem) throw new ConfigError(`allowed_hosts.${i}`, problem);
  });
}
