// The listings must stay fast on a big inventory (10,000 devices, a million changes): SQLite's
// EXPLAIN QUERY PLAN for the exact SQL the modules run must show index use, never a full-table
// scan followed by a sort. The SQL comes from the modules themselves, so a query edited later
// without an index fails here.
import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { migrate } from "../../src/db/migrations.ts";
import { changeListQueries, type ChangeFilter } from "../../src/inventory/changes.ts";
import { DEVICE_SORTS, deviceListQueries, type DeviceFilter } from "../../src/inventory/devices.ts";

const db = new Database(":memory:");
migrate(db);

function plan(sql: string, args: (string | number)[]): string[] {
  return (db.query(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
}

/**
 * Whether a plan reads `table` through an index. A bare "SCAN <table>" is allowed only when nothing
 * is sorted afterwards: then it walks the rowid b-tree (the table's own primary-key index) in id
 * order and stops after LIMIT + OFFSET rows.
 */
function problems(table: string, steps: string[]): string[] {
  const sorts = steps.some((s) => s.startsWith("USE TEMP B-TREE FOR ORDER BY"));
  return steps.filter((s) => new RegExp(`^SCAN ${table}$`).test(s) && sorts);
}

function expectIndexed(table: string, queries: { count: string; select: string; args: (string | number)[] }, label: string) {
  const countPlan = plan(queries.count, queries.args);
  const selectPlan = plan(queries.select, [...queries.args, 50, 0]);
  // Counting never reads the whole table row by row: it searches or scans an index.
  expect({ label, count: countPlan.filter((s) => new RegExp(`^SCAN ${table}$`).test(s)) }).toEqual({ label, count: [] });
  expect({ label, select: problems(table, selectPlan) }).toEqual({ label, select: [] });
  expect({ label, usesIndex: selectPlan.some((s) => /USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(s) || s === `SCAN ${table}`) }).toEqual({ label, usesIndex: true });
  return { countPlan, selectPlan };
}

describe("device listing query plans", () => {
  const cases: [string, Omit<DeviceFilter, "limit" | "offset">][] = [
    ["default sort (IP)", {}],
    ["-ip", { sort: "-ip" }],
    ["last_seen", { sort: "last_seen" }],
    ["-last_seen", { sort: "-last_seen" }],
    ["first_seen", { sort: "-first_seen" }],
    ["-risk_score", { sort: "-risk_score" }],
    ["status", { status: "online" }],
    ["risk_level", { risk_level: "critical" }],
    ["zone", { zone: "IoT" }],
    ["port", { port: 22 }],
    ["hostname", { sort: "hostname" }],
    ["-hostname", { sort: "-hostname" }],
    ["vendor", { sort: "vendor" }],
    ["-vendor", { sort: "-vendor" }],
    ["status + -risk_score", { status: "online", sort: "-risk_score" }],
    ["zone + hostname", { zone: "IoT", sort: "hostname" }],
  ];
  for (const [label, filter] of cases) {
    test(label, () => {
      expectIndexed("devices", deviceListQueries(filter), label);
    });
  }

  test("the default order walks the numeric IP index without sorting", () => {
    const { selectPlan } = expectIndexed("devices", deviceListQueries({}), "default");
    expect(selectPlan).toEqual(["SCAN devices USING INDEX devices_ip_sort"]);
  });

  test("every sort key alone, and status / risk_level / zone in IP order, need no sort step", () => {
    const filters: Omit<DeviceFilter, "limit" | "offset">[] = [
      ...DEVICE_SORTS.map((sort) => ({ sort })),
      { status: "online" },
      { risk_level: "high" },
      { zone: "IoT" },
      { status: "offline", sort: "-ip" },
    ];
    for (const filter of filters) {
      const q = deviceListQueries(filter);
      const steps = plan(q.select, [...q.args, 50, 0]);
      expect({ filter, sorts: steps.filter((s) => s.includes("TEMP B-TREE")) }).toEqual({ filter, sorts: [] });
    }
  });

  test("filters search their index", () => {
    for (const [filter, arg, column] of [[{ status: "offline" as const }, "offline", "status"], [{ risk_level: "high" as const }, "high", "risk_level"], [{ zone: "Lab" }, "Lab", "zone"]] as const) {
      const q = deviceListQueries(filter);
      expect(plan(q.count, [arg])).toEqual([expect.stringMatching(new RegExp(`^SEARCH devices USING COVERING INDEX devices_\\w+ \\(${column}=\\?\\)$`))]);
      expect(plan(q.select, [arg, 50, 0])).toEqual([expect.stringMatching(new RegExp(`^SEARCH devices USING INDEX devices_\\w+_ip \\(${column}=\\?\\)$`))]);
    }
    expect(plan(deviceListQueries({ port: 443 }).count, [443]).join(" | ")).toContain("SEARCH ports USING COVERING INDEX ports_port (port=?)");
  });
});

describe("change listing query plans", () => {
  const cases: [string, Omit<ChangeFilter, "limit" | "offset">][] = [
    ["newest first", {}],
    ["by device", { device_id: 7 }],
    ["by scan", { scan_id: 3 }],
    ["by type", { change_type: "port_opened" }],
    ["by severity", { severity: "critical" }],
    ["unacknowledged", { acknowledged: false }],
    ["since", { since: "2024-01-15T10:30:00Z" }],
    ["device + type", { device_id: 7, change_type: "port_opened" }],
    ["type + severity", { change_type: "port_opened", severity: "high" }],
    ["severity + unacknowledged", { severity: "warning", acknowledged: false }],
    ["type + severity + unacknowledged", { change_type: "port_opened", severity: "critical", acknowledged: false }],
    ["scan + severity", { scan_id: 3, severity: "info" }],
    ["since + unacknowledged", { since: "2024-01-15T10:30:00Z", acknowledged: false }],
  ];
  for (const [label, filter] of cases) {
    test(label, () => {
      expectIndexed("changes", changeListQueries(filter), label);
    });
  }

  test("newest first reads the id order backwards with no sort step", () => {
    const { selectPlan } = expectIndexed("changes", changeListQueries({}), "newest");
    expect(selectPlan).toEqual(["SCAN changes"]);
  });

  test("device, scan and type filters search their (column, id) index and need no sort", () => {
    for (const [filter, index] of [
      [{ device_id: 7 }, "changes_device (device_id=?)"],
      [{ scan_id: 3 }, "changes_scan (scan_id=?)"],
      [{ change_type: "device_added" as const }, "changes_type (change_type=?)"],
    ] as const) {
      const q = changeListQueries(filter);
      expect(plan(q.select, [...q.args, 50, 0])).toEqual([`SEARCH changes USING INDEX ${index}`]);
    }
  });

  test("a device or scan filter leads even when low-cardinality filters come with it", () => {
    for (const [filter, index] of [
      [{ device_id: 7, change_type: "port_opened" as const, severity: "high" as const, acknowledged: false }, "changes_device (device_id=?)"],
      [{ device_id: 7, since: "2024-01-15T10:30:00Z" }, "changes_device (device_id=?)"],
      [{ scan_id: 3, device_id: 7, acknowledged: true }, "changes_scan (scan_id=?)"],
    ] as const) {
      const q = changeListQueries(filter);
      expect(plan(q.count, q.args)).toEqual([`SEARCH changes USING INDEX ${index}`]);
      expect(plan(q.select, [...q.args, 50, 0])).toEqual([`SEARCH changes USING INDEX ${index}`]);
    }
  });

  test("combined type / severity / acknowledged counts are answered from an index alone", () => {
    for (const filter of [
      { change_type: "port_opened" as const, severity: "high" as const },
      { severity: "warning" as const, acknowledged: false },
      { change_type: "device_added" as const, acknowledged: false },
      { change_type: "port_opened" as const, severity: "critical" as const, acknowledged: false },
    ]) {
      const q = changeListQueries(filter);
      expect({ filter, plan: plan(q.count, q.args) }).toEqual({ filter, plan: [expect.stringMatching(/^SEARCH changes USING COVERING INDEX changes_\w+_filters /)] });
    }
  });
});
