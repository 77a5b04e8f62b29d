// GET /api/passive: whether the passive watch listens, on which interfaces, and its counters.
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import { authentication } from "./guard.ts";
import { models, PassiveStatus, ref } from "./models.ts";
import { json } from "./openapi.ts";
import { noQuery } from "./schemas.ts";

const EXAMPLE = { listening: true, interfaces: ["eth0"], flooding: [], frames: 18342, sightings: 911, repeats: 15210, ignored: 2221, overflow: 0, kernel_drops: 0, errors: 0 };

/** The passive watch's state as GET /api/passive and the live `status` event show it. */
export function passiveStatus(ctx: AppContext): PassiveStatus {
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
}

export function passiveRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.passive" })
    .use(authentication(ctx))
    .use(models())
    .get(
      "/api/passive",
      () => passiveStatus(ctx),
      {
        query: noQuery,
        response: { 200: ref(PassiveStatus) },
        detail: {
          summary: "Passive watch: state, interfaces and counters",
          tags: ["network"],
          responses: { 200: json("The listener's state; counters since it started", EXAMPLE) },
        },
      },
    );
}
