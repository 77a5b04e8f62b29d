// The schedules the setup wizard and Settings offer in one click. Each label names its scans by the
// profile they run (quick, normal), as the README and the profile lists do: "full" read as intensive.
export type ScheduleEntry = { profile: string; cron: string; enabled: boolean };

/** The appliance's default schedule (config/sections/schedule.ts; test/api/setup-wizard.test.ts keeps them equal), the recommended preset. */
export const DEFAULT_SCHEDULE: ScheduleEntry[] = [
  { profile: "quick", cron: "*/15 * * * *", enabled: true },
  { profile: "normal", cron: "30 3 * * *", enabled: true },
];

export const SCHEDULE_PRESETS: { id: string; label: string; schedule: ScheduleEntry[] }[] = [
  { id: "recommended", label: "Quick scan every 15 minutes, normal scan (ports) nightly at 03:30 (recommended)", schedule: DEFAULT_SCHEDULE },
  { id: "hourly", label: "Quick scan every hour", schedule: [{ profile: "quick", cron: "0 * * * *", enabled: true }] },
  { id: "daily", label: "Normal scan (ports) once a day at 03:30", schedule: [{ profile: "normal", cron: "30 3 * * *", enabled: true }] },
  { id: "manual", label: "Only when I click Scan now", schedule: [] },
];
