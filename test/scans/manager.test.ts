// The scan manager's lifecycle with a stand-in pipeline (no network): failures, rolled-back writes,
// and one scan at a time across processes sharing the database.
import { afterAll, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";
import { DEFAULT_CONFIG } from "../../src/config/app-config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { Scratch } from "../helpers/scratch.ts";
import type { Change } from "../../src/inventory/observation.ts";
import { ScanBusyError, ScanManager, type ScanEvent } from "../../src/scans/manager.ts";
import type { PipelineInput, PipelineOutput } from "../../src/scans/pipeline.ts";
import { planScan } from "../../src/scans/plan.ts";
import { compareScans, getScan } from "../../src/scans/history.ts";

const found = (): PipelineOutput => ({
  observations: [{ ip: "10.0.0.5", mac: "02:00:00:00:00:05", method: "arp", rtt_ms: 1, mac_randomized: false, vendor: null, hostname: null, hostname_source: null, device_type: null, os_name: null, ports: null }],
  hostsTotal: 16,
  portsScanned: 0,
  complete: true,
  degraded: false,
});

const scratch = new Scratch();
afterAll(() => scratch.clear());

function setup(pipeline: (i: PipelineInput) => Promise<PipelineOutput>) {
  const db = openDatabase(scratch.dir("argus-mgr-"));
  const published: Change[][] = [];
  const events: ScanEvent[] = [];
  const manager = new ScanManager(db, () => DEFAULT_CONFIG, { enqueue: () => {} }, pipeline);
  // What the rest of the appliance hears once a scan's results committed: the feed's `changes` events.
  manager.feed.on("changes", (e) => void published.push(e.changes));
  manager.subscribe((e) => events.push(e));
  return { db, manager, published, events };
}

const plan = planScan({ kind: "network", subnet: "10.0.0.0/28", profile: "quick" }, DEFAULT_CONFIG);

describe("scan manager", () => {
  test("a completed scan records its results and announces its changes once committed", async () => {
    const { db, manager, published, events } = setup(async () => found());
    const { scan_id } = manager.start(plan);
    await manager.idle();
    expect(db.query("SELECT status, hosts_found, changes_count FROM scans WHERE id = ?").get(scan_id)).toEqual({ status: "completed", hosts_found: 1, changes_count: 1 });
    expect(published.map((c) => c.map((x) => x.change_type))).toEqual([["device_added"]]);
    expect(events.at(-1)).toEqual({ type: "finished", scan_id, status: "completed", changes: 1 });
  });

  test("a write that fails rolls back the whole scan result, announces nothing and marks the scan failed", async () => {
    const { db, manager, published, events } = setup(async () => found());
    db.run("CREATE TRIGGER fail_finish BEFORE UPDATE OF status ON scans WHEN NEW.status = 'completed' BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END");
    const { scan_id } = manager.start(plan);
    await manager.idle();
    expect(db.query("SELECT status, error FROM scans WHERE id = ?").get(scan_id)).toEqual({ status: "failed", error: "disk full (simulated)" });
    expect((db.query("SELECT count(*) AS n FROM devices").get() as { n: number }).n).toBe(0);
    expect((db.query("SELECT count(*) AS n FROM changes").get() as { n: number }).n).toBe(0);
    expect(published).toEqual([]);
    expect(events.at(-1)).toEqual({ type: "finished", scan_id, status: "failed", changes: 0 });
    expect(manager.status()).toEqual({ scanning: false });
  });

  test("a pipeline error marks the scan failed with its message, and the next scan can start", async () => {
    let fail = true;
    const { db, manager } = setup(async () => {
      if (fail) throw new Error("interface eth9 vanished");
      return found();
    });
    const first = manager.start(plan);
    await manager.idle();
    expect(db.query("SELECT status, error FROM scans WHERE id = ?").get(first.scan_id)).toEqual({ status: "failed", error: "interface eth9 vanished" });
    fail = false;
    const second = manager.start(plan);
    await manager.idle();
    expect((db.query("SELECT status FROM scans WHERE id = ?").get(second.scan_id) as { status: string }).status).toBe("completed");
  });

  test("a device the owner then excludes ('never scan') is set offline by the next scan, without a change", async () => {
    const two = (): PipelineOutput => ({ ...found(), observations: [found().observations[0], { ...found().observations[0], ip: "10.0.0.6", mac: "02:00:00:00:00:06" }] });
    let out = two();
    const { db, manager, published } = setup(async () => out);
    manager.start(plan);
    await manager.idle();
    out = found(); // .6 is excluded now, so the sweep does not report it
    for (const exclude of [["10.0.0.6"], ["02-00-00-00-00-06"]]) {
      db.run("UPDATE devices SET status = 'online' WHERE ip_address = '10.0.0.6'");
      const excluding = planScan({ kind: "network", subnet: "10.0.0.0/28", profile: "quick" }, { ...DEFAULT_CONFIG, exclude });
      published.length = 0;
      manager.start(excluding);
      await manager.idle();
      expect(db.query("SELECT ip_address, status FROM devices ORDER BY ip_address").all()).toEqual([
        { ip_address: "10.0.0.5", status: "online" },
        { ip_address: "10.0.0.6", status: "offline" },
      ]);
      expect(published.flat()).toEqual([]);
    }
  });

  test("a comparison lists the devices it counts: one missing from the later scan is in devices_removed, though not yet recorded gone", async () => {
    const two = (): PipelineOutput => ({ ...found(), observations: [found().observations[0], { ...found().observations[0], ip: "10.0.0.6", mac: "02:00:00:00:00:06" }] });
    let out = two();
    const { db, manager } = setup(async () => out);
    const first = manager.start(plan).scan_id;
    await manager.idle();
    db.run("UPDATE devices SET label = 'Kitchen tablet' WHERE ip_address = '10.0.0.6'");
    out = found();
    const second = manager.start(plan).scan_id;
    await manager.idle();
    const cmp = compareScans(db, getScan(db, second)!, getScan(db, first)!);
    // The owner saw "1 devices removed" above "Gone offline (0)": one missed scan is not "gone" yet.
    expect(cmp.changes.filter((c) => c.change_type === "device_removed")).toEqual([]);
    expect(cmp.summary).toMatchObject({ devices_added: 0, devices_removed: 1 });
    const sixId = (db.query("SELECT id FROM devices WHERE ip_address = '10.0.0.6'").get() as { id: number }).id;
    expect(cmp.devices_removed).toEqual([{ device_id: sixId, ip_address: "10.0.0.6", mac_address: "02:00:00:00:00:06", hostname: null, label: "Kitchen tablet" }]);
    expect(cmp.devices_added).toEqual([]);
    // The other way round, the same device is the one added.
    const back = compareScans(db, getScan(db, first)!, getScan(db, second)!);
    expect(back.devices_added.map((d) => d.device_id)).toEqual([sixId]);
    expect(back.summary.devices_added).toBe(back.devices_added.length);
  });

  const insertRunning = (db: Database, pid: number) =>
    Number(db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at, pid) VALUES ('network', 'quick', '10.0.0.0/28', 'running', '2026-01-01T00:00:00Z', ?)").run(pid).lastInsertRowid);
  const statusOf = (db: Database, id: number) => (db.query("SELECT status FROM scans WHERE id = ?").get(id) as { status: string }).status;

  test("a scan running in another live process (argus scan, holding the scan lock) blocks a start; once it dies its scan is interrupted", async () => {
    const { db, manager } = setup(async () => found());
    const live = insertRunning(db, 424242);
    // One process that takes the same flock(2) lock another Argus process would hold (util-linux flock(1)).
    const other = Bun.spawn(["sh", "-c", 'exec 9>>"$0"; flock --exclusive 9; echo locked; exec sleep 30', `${db.filename}.scan-lock`], { stdout: "pipe" });
    try {
      expect(new TextDecoder().decode((await other.stdout.getReader().read()).value)).toBe("locked\n");
      expect(() => manager.start(plan)).toThrow(ScanBusyError);
      expect(manager.markInterrupted()).toBe(0);
      // The manager's view agrees with the database: the other process's scan is the running one.
      expect(manager.status()).toMatchObject({ scanning: true, scan_id: live, progress: null });
      other.kill();
      await other.exited;
      const started = manager.start(plan);
      expect(statusOf(db, live)).toBe("interrupted");
      await manager.idle();
      expect(statusOf(db, started.scan_id)).toBe("completed");
    } finally {
      other.kill();
    }
  });

  test("a leftover scan whose pid now belongs to a live, unrelated process is interrupted (pid reuse after a reboot)", async () => {
    const { db, manager } = setup(async () => found());
    const stale = insertRunning(db, 1); // pid 1 is always alive, and never an Argus scan
    expect(manager.status()).toEqual({ scanning: false });
    expect(manager.markInterrupted()).toBe(1);
    expect(statusOf(db, stale)).toBe("interrupted");
    manager.start(plan);
    await manager.idle();
  });

  test("a leftover scan whose process is a zombie (dead, not yet reaped) is interrupted, and a new scan starts", async () => {
    const { db, manager } = setup(async () => found());
    // sh starts a short sleep in the background and becomes a long `sleep`, which never reaps it: once
    // the short one ends it is a zombie.
    const parent = Bun.spawn(["sh", "-c", "sleep 0.3 & echo $!; exec sleep 30"], { stdout: "pipe" });
    try {
      const reader = parent.stdout.getReader();
      const zombie = Number(new TextDecoder().decode((await reader.read()).value).trim());
      let state = "";
      for (let i = 0; i < 250 && state !== "Z"; i++, await Bun.sleep(20)) state = readFileSync(`/proc/${zombie}/stat`, "utf8").split(") ")[1][0];
      expect(state).toBe("Z");
      const stale = insertRunning(db, zombie);
      const started = manager.start(plan);
      expect(statusOf(db, stale)).toBe("interrupted");
      await manager.idle();
      expect(statusOf(db, started.scan_id)).toBe("completed");
    } finally {
      parent.kill();
    }
  });

  test("asking whether a scan runs never takes the lock: an argus scan starting meanwhile is never refused", async () => {
    const { db, manager } = setup(async () => found());
    manager.markInterrupted(); // creates the lock file
    const lockFile = `${db.filename}.scan-lock`;
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      // Another process tries the lock without waiting while this one keeps asking for the status.
      const other = Bun.spawn(["flock", "--nonblock", lockFile, "true"]);
      while (other.exitCode === null) {
        expect(manager.status()).toEqual({ scanning: false });
        await Bun.sleep(0);
      }
      if ((await other.exited) !== 0) refused++;
    }
    expect(refused).toBe(0);
  });
});
