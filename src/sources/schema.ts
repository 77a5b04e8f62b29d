// The sources' shapes (SPEC §7 "Sources"): one source's state as GET /api/sources lists it.
import { Type, type Static } from "@sinclair/typebox";
import { count, literals, named, nullable, Timestamp } from "../schema-kit.ts";

export const SOURCE_STATUSES = ["ok", "failed", "disabled"] as const;
export type SourceStatusName = (typeof SOURCE_STATUSES)[number];

export const SourceState = Type.Object(
  {
    name: Type.String({ description: "The entry's name in the `sources` configuration" }),
    type: Type.String({ description: "dnsmasq_leases | isc_leases | … (the evidence its names carry: hostname_source)" }),
    last_run_at: nullable(Timestamp(), "When the latest run ended, ok or not; null: not run yet"),
    last_ok_at: nullable(Timestamp(), "When the latest successful run ended"),
    status: literals(SOURCE_STATUSES, { description: "ok (also before the first run), failed (the latest run failed: detail says why), disabled (`enabled: false`)" }),
    detail: nullable(Type.String(), "What the latest run did, or why it failed (one line, no secret)"),
    devices: count("Devices the latest successful run matched or added"),
  },
  { ...named("SourceState"), description: "One configured source and how its latest run went" },
);
export type SourceState = Static<typeof SourceState>;
