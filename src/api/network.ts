// GET /api/network/detect: this host's interfaces and the subnets it proposes to watch.
// Detection only proposes; nothing is scanned until an admin confirms (SPEC §3, consent).
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import { listInterfaces, proposeSubnets } from "../net/interfaces.ts";
import { authentication } from "./authentication.ts";
import { noQuery } from "./schemas.ts";

export function networkRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.network" }).use(authentication(ctx)).get(
    "/api/network/detect",
    () => {
      const ifaces = listInterfaces();
      return {
        interfaces: ifaces.map((i) => ({ name: i.name, ip_address: i.ip, prefix: i.prefix, subnet: i.subnet, mac_address: i.mac })),
        suggested_subnets: proposeSubnets(ifaces),
        confirmed_subnets: ctx.config().subnets,
      };
    },
    { query: noQuery, detail: { summary: "Interfaces, suggested and confirmed subnets", tags: ["network"] } },
  );
}
