// GET /api/network/detect: this host's interfaces and the subnets it proposes to watch.
// Detection only proposes; nothing is scanned until an admin confirms (SPEC §3, consent). So do the
// sources: the subnets their runs saw hosts on (a routed VLAN in the router's ARP table) are proposed
// with the source that saw them (sources/subnets.ts), never confirmed.
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import { InterfacesUnavailable, listInterfaces, proposeSubnets, type NetInterface } from "../net/interfaces.ts";
import { HttpError } from "./errors.ts";
import { authentication } from "./guard.ts";
import { models, NetworkDetect, ref } from "./models.ts";
import { errors, json } from "./openapi.ts";
import { noQuery } from "./schemas.ts";

export function networkRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.network" }).use(authentication(ctx)).use(models()).get(
    "/api/network/detect",
    () => {
      let ifaces: NetInterface[];
      try {
        ifaces = listInterfaces();
      } catch (e) {
        if (e instanceof InterfacesUnavailable) throw new HttpError(503, `Cannot read this host's interfaces now (${e.reason}); try again shortly`);
        throw e;
      }
      return {
        interfaces: ifaces.map((i) => ({ name: i.name, ip_address: i.ip, prefix: i.prefix, subnet: i.subnet, mac_address: i.mac })),
        suggested_subnets: proposeSubnets(ifaces),
        confirmed_subnets: ctx.config().subnets,
        source_suggestions: ctx.sources.suggestedSubnets(),
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
            source_suggestions: [{ subnet: "192.168.20.0/24", sources: [{ name: "router", type: "snmp" }] }],
          }),
          ...errors({ 503: ["The kernel cannot list the interfaces now (out of file descriptors)", "Cannot read this host's interfaces now (too many open files (EMFILE)); try again shortly"] }),
        },
      },
    },
  );
}
