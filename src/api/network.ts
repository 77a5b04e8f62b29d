// GET /api/network/detect: this host's interfaces and the subnets it proposes to watch.
// Detection only proposes; nothing is scanned until an admin confirms (SPEC §3, consent).
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import { listInterfaces, proposeSubnets } from "../net/interfaces.ts";
import { authentication } from "./guard.ts";
import { models, NetworkDetect, ref } from "./models.ts";
import { json } from "./openapi.ts";
import { noQuery } from "./schemas.ts";

export function networkRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.network" }).use(authentication(ctx)).use(models()).get(
    "/api/network/detect",
    () => {
      const ifaces = listInterfaces();
      return {
        interfaces: ifaces.map((i) => ({ name: i.name, ip_address: i.ip, prefix: i.prefix, subnet: i.subnet, mac_address: i.mac })),
        suggested_subnets: proposeSubnets(ifaces),
        confirmed_subnets: ctx.config().subnets,
      };
    },
    {
      query: noQuery,
      response: { 200: ref(NetworkDetect) },
      detail: {
        summary: "Interfaces, suggested and confirmed subnets",
        tags: ["network"],
        responses: {
          200: json("What this host is attached to", {
            interfaces: [{ name: "eth0", ip_address: "192.168.1.5", prefix: 24, subnet: "192.168.1.0/24", mac_address: "dc:a6:32:01:02:03" }],
            suggested_subnets: ["192.168.1.0/24"],
            confirmed_subnets: ["192.168.1.0/24"],
          }),
        },
      },
    },
  );
}
