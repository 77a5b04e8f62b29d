// ApiKeyStore on a real SQLite file: the last_used_at write throttle and the lookup rules.
import { afterAll, expect, test } from "bun:test";
import { ApiKeyStore, LAST_USED_WRITE_INTERVAL_MS } from "../../src/auth/api-keys.ts";
import { openDatabase } from "../../src/db/database.ts";
import { Scratch } from "../helpers/scratch.ts";

const scratch = new Scratch();
afterAll(() => scratch.clear());

test("last_used_at is written at most once per interval, and kept current to within it", () => {
  const db = openDatabase(scratch.dir("argus-keys-"));
  const keys = new ApiKeyStore(db);
  const { id, key } = keys.create("poller");
  let writes = 0;
  db.run("CREATE TEMP TRIGGER count_touch AFTER UPDATE OF last_used_at ON api_keys BEGIN SELECT 1; END");
  const lastUsed = () => (db.query("SELECT last_used_at FROM api_keys WHERE id = ?").get(id) as { last_used_at: string | null }).last_used_at;
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  for (let i = 0; i < 1000; i++) {
    const before = lastUsed();
    expect(keys.authenticate(key, t0 + i * 100)).toEqual({ id, name: "poller", scope: "full" });
    if (lastUsed() !== before) writes++;
  }
  // 1000 requests over 100 s: the first use and one more after the interval.
  expect(writes).toBe(Math.floor((999 * 100) / LAST_USED_WRITE_INTERVAL_MS) + 1);
  expect(lastUsed()).toBe("2026-01-01T00:01:00Z");
});

test("only well-formed, active keys authenticate", () => {
  const db = openDatabase(scratch.dir("argus-keys-"));
  const keys = new ApiKeyStore(db);
  const { id, key } = keys.create("x");
  expect(keys.authenticate(key.toUpperCase())).toBeNull();
  expect(keys.authenticate(` ${key}`)).toBeNull();
  expect(keys.revoke(id)).toBe(true);
  expect(keys.authenticate(key)).toBeNull();
  expect(keys.revoke(id)).toBe(false);
});
