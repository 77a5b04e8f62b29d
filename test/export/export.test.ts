// Device exports against the real appliance, read back with a real CSV parser (csv-parse).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { parse } from "csv-parse/sync";
import { CSV_COLUMNS } from "../../src/export/devices.ts";
import { adminWithKey, Client, startTestServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let api: Client;

const NASTY = ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tTab", "\rCR", 'say "hi", then\nleave', "plain"];

beforeAll(async () => {
  server = await startTestServer();
  const { key } = await adminWithKey(server);
  api = new Client(server.url, { "X-API-Key": key });
  const db = server.ctx.db;
  NASTY.forEach((label, i) => {
    db.query("INSERT INTO devices (mac_address, ip_address, label, zone, status, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, '2025-01-01T00:00:00Z', '2025-01-02T00:00:00Z')").run(
      `02:00:00:00:01:${String(i).padStart(2, "0")}`,
      `10.2.0.${i + 1}`,
      label,
      i % 2 === 0 ? "Lab" : "IoT",
      i < 6 ? "online" : "offline",
    );
  });
  db.query("INSERT INTO ports (device_id, port, first_seen, last_seen) VALUES (1, 22, 'x', 'x'), (1, 80, 'x', 'x')").run();
});
afterAll(() => server.close());

test("CSV: RFC 4180, a header row, formula cells escaped, everything else verbatim", async () => {
  const res = await api.get("/api/export/devices.csv");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/csv");
  expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="argus-devices-\d{8}-\d{6}\.csv"$/);
  expect(res.text).toContain("\r\n");
  const rows: string[][] = parse(res.text, { relax_column_count: false });
  expect(rows[0]).toEqual([...CSV_COLUMNS]);
  const records = rows.slice(1).map((r) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]])));
  expect(records.map((r) => r.ip_address)).toEqual(NASTY.map((_, i) => `10.2.0.${i + 1}`));
  const labels = records.map((r) => r.label);
  expect(labels).toEqual(["'=HYPERLINK(\"http://x\")", "'+1+2", "'-2+3", "'@SUM(A1)", "'\tTab", "'\rCR", 'say "hi", then\nleave', "plain"]);
  for (const l of labels) expect(l).not.toMatch(/^[=+\-@\t\r]/);
  expect(records[0]).toMatchObject({ open_ports: "22 80", is_trusted: "false", mac_address: "02:00:00:00:01:00", risk_score: "0" });
});

test("CSV and JSON take the filters of /api/devices, and reject unknown ones", async () => {
  const csv: string[][] = parse((await api.get("/api/export/devices.csv?status=offline&sort=-ip")).text);
  expect(csv.slice(1).map((r) => r[1])).toEqual(["10.2.0.8", "10.2.0.7"]);
  const json = await api.get("/api/export/devices.json?zone=Lab&port=22");
  expect(json.status).toBe(200);
  expect(json.headers.get("content-disposition")).toMatch(/filename="argus-devices-\d{8}-\d{6}\.json"/);
  expect(json.body).toEqual((await api.get("/api/devices?zone=Lab&port=22")).body);
  expect(json.body.map((d: any) => d.ip_address)).toEqual(["10.2.0.1"]);
  expect((await api.get("/api/export/devices.json")).body.length).toBe(NASTY.length);
  for (const qs of ["?status=gone", "?limitless=1", "?port=0"]) expect((await api.get(`/api/export/devices.csv${qs}`)).status).toBe(422);
});

test("a large export streams page by page and is complete", async () => {
  const db = server.ctx.db;
  db.transaction(() => {
    for (let i = 0; i < 1200; i++) {
      db.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES (?, ?, 'x', 'x')").run(`02:00:00:01:${String(Math.floor(i / 100)).padStart(2, "0")}:${String(i % 100).padStart(2, "0")}`, `10.3.${Math.floor(i / 250)}.${(i % 250) + 1}`);
    }
  })();
  const res = await fetch(`${server.url}/api/export/devices.csv`, { headers: api.defaultHeaders });
  expect(res.headers.get("content-length")).toBeNull();
  const rows: string[][] = parse(await res.text());
  expect(rows.length).toBe(1 + NASTY.length + 1200);
  expect(new Set(rows.slice(1).map((r) => r[0])).size).toBe(NASTY.length + 1200);
});
