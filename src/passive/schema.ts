// The passive watch's shape: whether it listens, where, and its counters (GET /api/passive).
import { Type, type Static } from "@sinclair/typebox";
import { count, named } from "../schema-kit.ts";

export const PassiveStatus = Type.Object(
  {
    listening: Type.Boolean({ description: "False when `passive` is false or raw sockets are not allowed" }),
    interfaces: Type.Array(Type.String(), { description: "Interfaces of the confirmed subnets being listened on" }),
    flooding: Type.Array(Type.String(), { description: "Interfaces whose flood cap is in force" }),
    frames: count("Frames that passed the kernel filter (ARP, DHCP, mDNS)"),
    sightings: count("Frames decoded into a sighting and queued for the inventory"),
    repeats: count("Identical to a recent sighting of the same host (within 20 s), dropped"),
    ignored: count("Not on a watched interface, undecodable, or from a multicast sender"),
    overflow: count("Dropped because the queue to the inventory was full"),
    kernel_drops: count("Dropped by the kernel (socket buffer full)"),
    errors: count("Socket errors survived (an interface going down, …)"),
  },
  { ...named("PassiveStatus"), description: "Whether the passive watch listens, where, and its counters since it started (all 0 while it is off)" },
);
export type PassiveStatus = Static<typeof PassiveStatus>;
