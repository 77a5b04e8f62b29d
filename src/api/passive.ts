// GET /api/passive: whether the passive watch listens, on which interfaces, and its counters.
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { authentication } from "./authentication.ts";
import { noQuery } from "./schemas.ts";

const counter = t.Integer({ minimum: 0 });
const passiveStatus = t.Object({
  listening: t.Boolean({ description: "False when `passive` is false or raw sockets are not allowed" }),
  interfaces: t.Array(t.String(), { description: "Interfaces of the confirmed subnets being listened on" }),
  flooding: t.Array(t.String(), { description: "Interfaces whose flood cap is in force" }),
  frames: counter,
  sightings: counter,
  repeats: counter,
  ignored: counter,
  overflow: counter,
  kernel_drops: counter,
  errors: counter,
});

export function passiveRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.passive" }).use(authentication(ctx)).get(
    "/api/passive",
    () => {
      const s = ctx.passive?.status();
      const st = s?.stats;
      return {
        listening: s?.listening ?? false,
        interfaces: s?.interfaces ?? [],
        flooding: s?.flooding ?? [],
        frames: st?.frames ?? 0,
        sightings: st?.sightings ?? 0,
        repeats: st?.repeats ?? 0,
        ignored: st?.ignored ?? 0,
        overflow: st?.overflow ?? 0,
        kernel_drops: st?.kernelDrops ?? 0,
        errors: st?.errors ?? 0,
      };
    },
    { query: noQuery, response: { 200: passiveStatus }, detail: { summary: "Passive watch: state, interfaces and counters", tags: ["network"] } },
  );
}
