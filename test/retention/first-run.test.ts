// Retention never brings the quiet first run back: the newest completed network scan survives
// pruning however old it is, so firstRunPending stays false and new guests stay news.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { firstRunPending } from "../../src/inventory/first-run.ts";
import { pruneHistory } from "../../src/retention/prune.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const DAY = 86_400_000;
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d{3}Z$/, "Z");

test("pruning keeps the newest completed network scan, however old, so the first run stays over", async () => {
  const db = server.ctx.db;
  const scan = (type: string, status: string, days: number) =>
    Number(db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at, finished_at) VALUES (?, 'quick', '10.1.0.0/24', ?, ?, ?)").run(type, status, iso(days * DAY), iso(days * DAY)).lastInsertRowid);
  const older = scan("network", "completed", 200);
  const newest = scan("network", "completed", 100);
  // Younger than the newest completed network scan, but neither is one: they do not count for the first run.
  const failed = scan("network", "failed", 90);
  const device = scan("device", "completed", 80);
  expect(firstRunPending(db)).toBe(false);
  const counts = await pruneHistory(db, 30);
  expect(counts.scans).toBe(3);
  expect(db.query("SELECT id FROM scans ORDER BY id").all()).toEqual([{ id: newest }]);
  expect([older, failed, device]).not.toContain(newest);
  expect(firstRunPending(db)).toBe(false);
  // A second run keeps it still.
  expect((await pruneHistory(db, 30)).scans).toBe(0);
  expect(firstRunPending(db)).toBe(false);
});
