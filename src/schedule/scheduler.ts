// Runs the configured schedule (SPEC §5 "Schedule"): one timer per enabled entry, planned from now on
// with the entry's cron expression as the configuration compiled it (config/resolved.ts), so runs
// missed while the appliance was off are never replayed at start. Idle until a subnet is confirmed
// (consent). A tick that finds a scan running is skipped and recorded, never queued.
import type { Database } from "bun:sqlite";
import type { Cron } from "croner";
import type { AuditLog } from "../audit/audit-log.ts";
import type { ResolvedConfig } from "../config/resolved.ts";
import type { ScheduleEntry } from "../config/sections/schedule.ts";
import { log } from "../log.ts";
import { ScanBusyError } from "../scans/manager.ts";
import { isoNow, toIso } from "../time.ts";
import { SCHEDULER_ACTOR } from "./scheduled-scan.ts";
import type { ScheduledScan, ScheduleState } from "./schema.ts";

export { SCHEDULE_STATES, type ScheduleState } from "./schema.ts";

/** An entry as GET /api/schedule answers it (schema.ts). */
export type ScheduleView = ScheduledScan;

/** The longest a timer may wait (setTimeout's limit); a run further away is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The runs of one entry, one timer at a time. The compiled cron belongs to the configuration (shared,
 * never started or stopped here): it is only asked for the next run.
 */
class Planned {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private at: Date | null = null;

  constructor(
    private readonly cron: Cron,
    private readonly fire: () => void,
  ) {
    this.arm();
  }

  nextRun(): Date | null {
    return this.at;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.at = null;
  }

  private arm(): void {
    this.at = this.cron.nextRun();
    if (!this.at) return;
    this.timer = setTimeout(() => this.wake(), Math.min(Math.max(0, this.at.getTime() - Date.now()), MAX_TIMER_MS));
  }

  private wake(): void {
    // A timer may wake a little early, or in steps for a far run: fire only once the run is due.
    if (this.at && Date.now() >= this.at.getTime()) this.fire();
    if (this.timer) this.arm();
  }
}

type Job = { entry: ScheduleEntry; cron: Planned | null };

export type SchedulerDeps = {
  db: Database;
  config: () => ResolvedConfig;
  audit: AuditLog;
  /** Starts a network scan with this profile (throws ScanBusyError while one runs). */
  startScan: (profile: string) => { scan_id: number };
};

export class Scheduler {
  private jobs: Job[] = [];
  private paused = false;
  private stopped = false;
  private started = false;
  /** Whether the last plan had a subnet to scan: the owner is told when that changes after start. */
  private hadSubnet = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** (Re)plans every entry from the configuration in force; called at start and after each config change. */
  reload(): void {
    for (const j of this.jobs) j.cron?.stop();
    const resolved = this.deps.config();
    const active = !this.stopped && !this.paused && resolved.subnets.length > 0;
    this.jobs = resolved.schedule.map(({ entry, cron }) => ({
      entry,
      cron: active && entry.enabled ? new Planned(cron, () => this.tick(entry)) : null,
    }));
    const hasSubnet = resolved.subnets.length > 0;
    // A subnet confirmed after start (the setup wizard, PUT /api/config) starts the schedule: said in
    // the log as at start, which had said "idle" (and the reverse when the last subnet goes).
    if (this.started && !this.stopped && hasSubnet !== this.hadSubnet) this.announce();
    this.hadSubnet = hasSubnet;
  }

  start(): void {
    this.stopped = false;
    this.started = true;
    this.hadSubnet = this.deps.config().subnets.length > 0;
    this.reload();
    this.announce();
  }

  private announce(): void {
    const next = this.nextRun();
    if (this.deps.config().subnets.length === 0) log.info("schedule idle: no subnet confirmed yet");
    else if (next) log.info("next scheduled scan", { profile: next.profile, at: next.at });
    else log.info("no scan scheduled");
  }

  /** The soonest planned run, if any. */
  nextRun(): { profile: string; at: string } | null {
    let best: { profile: string; at: Date } | null = null;
    for (const j of this.jobs) {
      const at = j.cron?.nextRun();
      if (at && (!best || at < best.at)) best = { profile: j.entry.profile, at };
    }
    return best ? { profile: best.profile, at: toIso(best.at.getTime()) } : null;
  }

  /** Holds every entry (restore); `resume` plans them again from now. */
  pause(): void {
    this.paused = true;
    this.reload();
  }

  resume(): void {
    this.paused = false;
    this.reload();
  }

  stop(): void {
    this.stopped = true;
    for (const j of this.jobs) j.cron?.stop();
    this.jobs = [];
  }

  entries(): ScheduleView[] {
    const cfg = this.deps.config().config;
    // By what an entry says, not by object: any configuration change replaces every entry object,
    // while only a change of the schedule (or of the subnets) re-plans the jobs.
    const plannedFor = (e: ScheduleEntry) => this.jobs.find((j) => j.entry.profile === e.profile && j.entry.cron === e.cron && j.entry.enabled === e.enabled)?.cron;
    return cfg.schedule.map((entry) => {
      const row = this.deps.db.query("SELECT last_run_at, last_scan_id, last_skipped_at FROM schedule_runs WHERE profile = ? AND cron = ?").get(entry.profile, entry.cron) as
        | { last_run_at: string | null; last_scan_id: number | null; last_skipped_at: string | null }
        | null;
      const next = plannedFor(entry)?.nextRun() ?? null;
      const state: ScheduleState = !entry.enabled ? "disabled" : cfg.subnets.length === 0 ? "waiting_for_subnet" : this.paused || this.stopped ? "paused" : "scheduled";
      return {
        ...entry,
        state,
        next_run_at: next ? toIso(next.getTime()) : null,
        last_run_at: row?.last_run_at ?? null,
        last_scan_id: row?.last_scan_id ?? null,
        last_skipped_at: row?.last_skipped_at ?? null,
      };
    });
  }

  private tick(entry: ScheduleEntry): void {
    if (this.paused || this.stopped) return;
    const now = isoNow();
    try {
      const started = this.deps.startScan(entry.profile);
      this.remember(entry, { last_run_at: now, last_scan_id: started.scan_id });
      log.info("scheduled scan started", { scan_id: started.scan_id, profile: entry.profile, cron: entry.cron });
    } catch (e) {
      if (e instanceof ScanBusyError) {
        this.remember(entry, { last_skipped_at: now });
        this.deps.audit.record(SCHEDULER_ACTOR, "scheduled_scan_skipped", {
          resource: `scan:${e.runningScanId}`,
          details: { profile: entry.profile, cron: entry.cron, reason: "a scan was running", running_scan_id: e.runningScanId },
        });
        log.info("scheduled scan skipped: a scan is running", { profile: entry.profile, running_scan_id: e.runningScanId });
        return;
      }
      log.warn("scheduled scan could not start", { profile: entry.profile, error: e instanceof Error ? e.message : String(e) });
      this.deps.audit.record(SCHEDULER_ACTOR, "scan_started", { success: false, details: { profile: entry.profile, trigger: "schedule", error: e instanceof Error ? e.message : String(e) } });
    } finally {
      log.debug("next scheduled scan", { at: this.nextRun()?.at ?? "none" });
    }
  }

  private remember(entry: ScheduleEntry, fields: { last_run_at?: string; last_scan_id?: number; last_skipped_at?: string }): void {
    this.deps.db
      .query(
        `INSERT INTO schedule_runs (profile, cron, last_run_at, last_scan_id, last_skipped_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (profile, cron) DO UPDATE SET last_run_at = coalesce(?3, last_run_at), last_scan_id = coalesce(?4, last_scan_id),
           last_skipped_at = coalesce(?5, last_skipped_at)`,
      )
      .run(entry.profile, entry.cron, fields.last_run_at ?? null, fields.last_scan_id ?? null, fields.last_skipped_at ?? null);
  }
}
