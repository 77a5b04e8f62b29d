// The listings must stay fast on a big inventory (10,000 devices, a million changes): SQLite's
// EXPLAIN QUERY PLAN for the exact SQL the modules run must show index use, never a full-table
// scan followed by a sort. The SQL comes from the modules themselves, so a query edited later
// without an index fails here.
import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { migrate } from "../../src/db/migrations.ts";
import { changeListQueries, type ChangeFilter } from "../../src/inventory/changes.ts";
import { DEVICE_SORTS, deviceListQueries, type DeviceFilter } from "../../src/inventory/devices.ts";
import { InventoryWriter } from "../../src/inventory/identity.ts";

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

describe("rotation candidate query plans", () => {
  // Every frame from an unknown randomised MAC looks for the device it may be (issue 16: reading every
  // device row for it froze the server under a flood). The statements findRotated really runs are
  // recorded through the connection and each one's plan must search an index, never scan devices.
  test("findRotated searches indexes by hostname key, DHCP fingerprint and service fingerprint", () => {
    const file = new Database(":memory:");
    migrate(file);
    const at = (n: number) => `2026-01-01T00:00:${String(n).padStart(2, "0")}Z`;
    const add = file.query(
      "INSERT INTO devices (mac_address, ip_address, mac_randomized, hostname, dhcp_fingerprint, status, first_seen, last_seen, ports_known) VALUES (?, ?, ?, ?, ?, 'offline', ?, ?, ?)",
    );
    for (let i = 0; i < 200; i++) add.run(`00:11:22:00:01:${(i % 256).toString(16).padStart(2, "0")}`, `10.0.${i >> 8}.${i & 255}`, 0, `host-${i}x`, null, at(0), at(0), 0);
    const named = Number(add.run("02:00:00:00:00:01", "10.1.0.1", 1, "Annas-Laptop.home.lan", null, at(1), at(1), 0).lastInsertRowid);
    const printed = Number(add.run("02:00:00:00:00:02", "10.1.0.2", 1, null, "1,3,6,15|android-dhcp-13", at(2), at(2), 0).lastInsertRowid);
    const served = Number(add.run("00:11:22:00:00:03", "10.1.0.3", 0, null, null, at(3), at(3), 1).lastInsertRowid);
    file.query("INSERT INTO ports (device_id, port, protocol, service, product, version, first_seen, last_seen) VALUES (?, 22, 'tcp', 'ssh', 'OpenSSH', '9.6p1', ?, ?)").run(served, at(3), at(3));
    const w0 = new InventoryWriter(file, null, at(4));
    w0.storeServiceFingerprint(served);

    const statements: string[] = [];
    const traced = new Proxy(file, {
      get(target, prop) {
        if (prop === "query") return (sql: string) => (statements.push(sql), target.query(sql));
        const v = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const w = new InventoryWriter(traced, null, at(5));
    const any = () => true;
    expect(w.findRotated({ hostname: "annas-laptop" }, any)?.id).toBe(named);
    expect(w.findRotated({ hostname: null, dhcp_fingerprint: "1,3,6,15|android-dhcp-13" }, any)?.id).toBe(printed);
    expect(w.findRotated({ hostname: null, ports: [{ port: 22, service: "ssh", product: "OpenSSH", version: "9.6p1" }] }, any)?.id).toBe(served);
    expect(w.findRotated({ hostname: "nobody-here", dhcp_fingerprint: "9,9", ports: [{ port: 8022, service: "ssh" }] }, any)).toBeNull();
    expect(statements.length).toBeGreaterThan(0);
    for (const sql of new Set(statements)) {
      const steps = (file.query(`EXPLAIN QUERY PLAN ${sql}`).all(...Array(sql.split("?").length - 1).fill("x")) as { detail: string }[]).map((r) => r.detail);
      expect({ sql, scans: steps.filter((s) => /^SCAN (devices|ports)\b/.test(s)) }).toEqual({ sql, scans: [] });
      expect({ sql, indexed: steps.some((s) => /^SEARCH devices USING (COVERING )?INDEX devices_rotation_/.test(s)) }).toEqual({ sql, indexed: true });
    }
    file.close();
  });
});
