// When scans run on their own: cron entries per profile (SPEC §5 "Schedule").
import { isDeepStrictEqual } from "node:util";
import { Cron } from "croner";
import { Type as t } from "@sinclair/typebox";
import { BUILTIN_PROFILES, type CustomProfile } from "../../portscan/profiles.ts";
import { ConfigError } from "../config-error.ts";

/** An intensive scan probes all 65,535 ports of every host: it may not be planned more often than this. */
export const INTENSIVE_MIN_INTERVAL_S = 3600;

export type ScheduleEntry = { profile: string; cron: string; enabled: boolean };

export const DEFAULT_SCHEDULE: ScheduleEntry[] = [
  { profile: "quick", cron: "*/15 * * * *", enabled: true },
  { profile: "normal", cron: "30 3 * * *", enabled: true },
];

/**
 * The schedule stored with subnets confirmed before the owner has said when to scan (the setup wizard
 * asks in its next step): none, since confirmed subnets start the schedule and the default's quick scan
 * could otherwise run while the owner is still choosing. A schedule other than the default was chosen
 * by someone (the configuration file, Settings) and is kept.
 */
export function scheduleUntilChosen(current: ScheduleEntry[]): ScheduleEntry[] {
  return isDeepStrictEqual(current, DEFAULT_SCHEDULE) ? [] : current;
}

export const scheduleSection = {
  schedule: t.Array(
    t.Object(
      {
        profile: t.String({ minLength: 1, maxLength: 32, description: "quick | normal | intensive | a custom profile", errorMessage: "must be a profile name" }),
        cron: t.String({ minLength: 1, maxLength: 200, description: "5 fields (minute hour day month weekday), or 6 with seconds first; the appliance's local time", errorMessage: "must be a cron expression" }),
        enabled: t.Boolean({ default: true, errorMessage: "must be true or false" }),
      },
      { additionalProperties: false, errorMessage: "must be an entry {profile, cron, enabled}" },
    ),
    { default: DEFAULT_SCHEDULE, maxItems: 32, description: "Scheduled scans; they stay idle until a subnet is confirmed", errorMessage: "must be a list of {profile, cron, enabled}" },
  ),
};

/** Parses a cron expression as the scheduler will run it (5 fields, or 6 with seconds); throws on anything else. */
export function parseCron(expression: string): Cron {
  return new Cron(expression, { mode: "5-or-6-parts" });
}

/** A schedule entry with its cron expression compiled (not started: the scheduler plans from it). */
export type CompiledEntry = { entry: ScheduleEntry; cron: Cron };

/** Checks every entry by compiling its cron expression once; the compiled entries are the result. */
export function compileSchedule(c: { schedule: ScheduleEntry[]; profiles: CustomProfile[] }): CompiledEntry[] {
  const known = [...BUILTIN_PROFILES, ...c.profiles.map((p) => p.name)];
  return c.schedule.map((entry, i) => {
    if (!known.includes(entry.profile)) throw new ConfigError(`schedule.${i}.profile`, `unknown profile "${entry.profile}" (known: ${known.join(", ")})`);
    const fields = entry.cron.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) {
      throw new ConfigError(`schedule.${i}.cron`, `"${entry.cron}" has ${fields} fields; use 5 (minute hour day month weekday) or 6 (seconds first)`);
    }
    let cron: Cron;
    try {
      cron = parseCron(entry.cron);
    } catch (e) {
      throw new ConfigError(`schedule.${i}.cron`, `"${entry.cron}" is not a valid cron expression: ${(e as Error).message}`);
    }
    // One next run tells whether it fires at all; the 200-run sample (costly for a rare pattern such as
    // a leap day) only where the interval matters.
    if (cron.nextRun() === null) throw new ConfigError(`schedule.${i}.cron`, `"${entry.cron}" never fires`);
    if (entry.profile === "intensive") {
      // Sampled over its next 200 runs within a year: enough to meet every gap of a daily, weekly or
      // monthly pattern, and bounded for a rare one.
      const horizon = Date.now() + 366 * 86_400_000;
      let prev = cron.nextRun();
      for (let k = 1; k < 200 && prev && prev.getTime() < horizon; k++) {
        const next = cron.nextRun(prev);
        if (!next) break;
        if (next.getTime() - prev.getTime() < INTENSIVE_MIN_INTERVAL_S * 1000) {
          throw new ConfigError(`schedule.${i}.cron`, `an intensive scan may run at most hourly; "${entry.cron}" fires more often (an intensive scan can take longer than that)`);
        }
        prev = next;
      }
    }
    return { entry, cron };
  });
}
