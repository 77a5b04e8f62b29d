// The log tells the owner when the schedule starts: at start-up ("schedule idle" without a subnet,
// else the next run), and again when a subnet is confirmed later (the setup wizard, PUT /api/config)
// or the last one is removed. A new owner saw "schedule idle" and then nothing after setup (issue 18).
// No scan runs here: the scheduler is given a configuration whose crons are far away, and stopped.
import { afterAll, expect, test } from "bun:test";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { validateAppConfig } from "../../src/config/app-config.ts";
import { resolvedView, type ResolvedConfig } from "../../src/config/resolved.ts";
import { openDatabase } from "../../src/db/database.ts";
import { setLogLevel } from "../../src/log.ts";
import { Scheduler } from "../../src/schedule/scheduler.ts";
import { Scratch } from "../helpers/scratch.ts";

const scratch = new Scratch();
afterAll(() => scratch.clear());

test("a subnet confirmed after start is announced with the next run; removing the last one says idle", () => {
  const db = openDatabase(scratch.dir("argus-announce-"));
  const schedule = [{ profile: "normal", cron: "30 3 * * *" }];
  let view: ResolvedConfig = resolvedView(validateAppConfig({ subnets: [], schedule }));
  const scheduler = new Scheduler({ db, config: () => view, audit: new AuditLog(db), startScan: () => ({ scan_id: 0 }) });
  const lines: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => (lines.push(String(chunk)), true)) as typeof process.stdout.write;
  setLogLevel("info");
  try {
    scheduler.start();
    expect(lines.join("")).toContain('msg="schedule idle: no subnet confirmed yet"');
    lines.length = 0;
    view = resolvedView(validateAppConfig({ subnets: ["10.9.30.0/28"], schedule }));
    scheduler.reload();
    expect(lines.join("")).toMatch(/msg="next scheduled scan" profile="normal" at="\d{4}-\d\d-\d\dT\d\d:30:00Z"/);
    // Nothing more while the subnet stays (another config change).
    lines.length = 0;
    scheduler.reload();
    expect(lines.join("")).toBe("");
    view = resolvedView(validateAppConfig({ subnets: [], schedule }));
    scheduler.reload();
    expect(lines.join("")).toContain('msg="schedule idle: no subnet confirmed yet"');
  } finally {
    process.stdout.write = write;
    setLogLevel("error");
    scheduler.stop();
    db.close();
  }
});
