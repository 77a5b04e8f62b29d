// The one-click schedules of the setup wizard and Settings (issue 18: "full scan nightly" offered a
// normal scan under a name that suggests intensive): each label names the profiles it schedules.
import { describe, expect, test } from "bun:test";
import { BUILTIN_PROFILES } from "../../src/portscan/profiles.ts";
import { SCHEDULE_PRESETS } from "../../src/ui/app/schedule-presets.ts";

describe("schedule presets", () => {
  test("each label names every profile it schedules, and no profile it does not", () => {
    for (const { label, schedule } of SCHEDULE_PRESETS) {
      const named = BUILTIN_PROFILES.filter((p) => new RegExp(`\\b${p}\\b`, "i").test(label));
      expect({ label, named }).toEqual({ label, named: BUILTIN_PROFILES.filter((p) => schedule.some((e) => e.profile === p)) });
      expect(label).not.toMatch(/\bfull\b/i);
    }
  });
});
