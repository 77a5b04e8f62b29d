// The scan manager's lifecycle with a stand-in pipeline (no network): failures, rolled-back writes,
// and one scan at a time across processes sharing the database.
import { afterAll, describe, expect, test } from "bun:test";
import { DEFAULT_CONFIG } from "../../src/config/app-config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { Scratch } from "../helpers/scratch.ts";
import type { Change } from "../../src/inventory/observation.ts";
import { resolveProfile } from "../../src/scan/profiles.ts";
import { ScanBusyError, ScanManager, type ScanEvent } from "../../src/scans/manager.ts";
import type { PipelineInput, PipelineOutput } from "../../src/scans/pipeline.ts";

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
  const manager = new ScanManager(db, () => DEFAULT_CONFIG, { enqueue: () => {}, publish: (c) => void published.push(c) }, pipeline);
  manager.subscribe((e) => events.push(e));
  return { db, manager, published, events };
}

const quick = resolveProfile("quick");

describe("scan manager", () => {
  test("a completed scan records its results and announces its changes once committed", async () => {
    const { db, manager, published, events } = setup(async () => found());
    const { scan_id } = manager.start("network", quick, ["10.0.0.0/28"]);
    await manager.idle();
    expect(db.query("SELECT status, hosts_found, changes_count FROM scans WHERE id = ?").get(scan_id)).toEqual({ status: "completed", hosts_found: 1, changes_count: 1 });
    expect(published.map((c) => c.map((x) => x.change_type))).toEqual([["device_added"]]);
    expect(events.at(-1)).toEqual({ type: "finished", scan_id, status: "completed", changes: 1 });
  });

  test("a write that fails rolls back the whole scan result, announces nothing and marks the scan failed", async () => {
    const { db, manager, published, events } = setup(async () => found());
    db.run("CREATE TRIGGER fail_finish BEFORE UPDATE OF status ON scans WHEN NEW.status = 'completed' BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END");
    const { scan_id } = manager.start("network", quick, ["10.0.0.0/28"]);
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
    const first = manager.start("network", quick, ["10.0.0.0/28"]);
    await manager.idle();
    expect(db.query("SELECT status, error FROM scans WHERE id = ?").get(first.scan_id)).toEqual({ status: "failed", error: "interface eth9 vanished" });
    fail = false;
    const second = manager.start("network", quick, ["10.0.0.0/28"]);
    await manager.idle();
    expect((db.query("SELECT status FROM scans WHERE id = ?").get(second.scan_id) as { status: string }).status).toBe("completed");
  });

  test("a scan running in another live process (argus scan) blocks a start; one whose process died is interrupted", async () => {
    const { db, manager } = setup(async () => found());
    const other = Bun.spawn(["sleep", "30"]);
    try {
      const insert = (pid: number) =>
        Number(db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at, pid) VALUES ('network', 'quick', '10.0.0.0/28', 'running', '2026-01-01T00:00:00Z', ?)").run(pid).lastInsertRowid);
      const live = insert(other.pid);
      expect(() => manager.start("network", quick, ["10.0.0.0/28"])).toThrow(ScanBusyError);
      expect(manager.markInterrupted()).toBe(0);
      other.kill();
      await other.exited;
      const started = manager.start("network", quick, ["10.0.0.0/28"]);
      expect((db.query("SELECT status FROM scans WHERE id = ?").get(live) as { status: string }).status).toBe("interrupted");
      await manager.idle();
      expect((db.query("SELECT status FROM scans WHERE id = ?").get(started.scan_id) as { status: string }).status).toBe("completed");
    } finally {
      other.kill();
    }
  });
});
