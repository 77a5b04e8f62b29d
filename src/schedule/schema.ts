// The schedule's shapes: one entry of the configured schedule and how its runs went (GET /api/schedule).
import { Type, type Static } from "@sinclair/typebox";
import { id, literals, named, nullable, ref, Timestamp } from "../schema-kit.ts";

export const SCHEDULE_STATES = ["scheduled", "disabled", "waiting_for_subnet", "paused"] as const;
export type ScheduleState = (typeof SCHEDULE_STATES)[number];

export const ScheduleState = literals(SCHEDULE_STATES, {
  ...named("ScheduleState"),
  description: "scheduled | disabled | waiting_for_subnet (no subnet confirmed: nothing runs) | paused (during a restore)",
});

export const ScheduledScan = Type.Object(
  {
    profile: Type.String({ description: "quick | normal | intensive | a custom profile" }),
    cron: Type.String({ description: "5 fields, or 6 with seconds first; the appliance's local time" }),
    enabled: Type.Boolean(),
    state: ref(ScheduleState),
    next_run_at: nullable(Timestamp(), "Next planned run (null unless scheduled)"),
    last_run_at: nullable(Timestamp(), "When this entry last started a scan"),
    last_scan_id: nullable(id(), "The scan it last started"),
    last_skipped_at: nullable(Timestamp(), "When a tick of this entry last found a scan running and was skipped"),
  },
  { ...named("ScheduledScan"), description: "One schedule entry and its runs" },
);
export type ScheduledScan = Static<typeof ScheduledScan>;
