// ApiKeyStore on a real SQLite file: the last_used_at write throttle and the lookup rules; key scopes
// (SPEC §7) over HTTP against the real server, from the CLI, and for keys made before scopes existed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join, resolve } from "node:path";
import { ApiKeyStore, LAST_USED_WRITE_INTERVAL_MS } from "../../src/auth/api-keys.ts";
import { sha256 } from "../../src/auth/digest.ts";
import { openDatabase } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrations.ts";
import { startIsolatedServer, type NetServer } from "../helpers/netserver.ts";
import { concretePath, routeTable } from "../helpers/route-table.ts";
import { Scratch } from "../helpers/scratch.ts";
import { adminWithKey, sealedEnv, type Client } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";

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

describe.skipIf(!requireRoot("runs the appliance in a namespace: the routes walked include scan triggers"))("key scopes over HTTP", () => {
  let server: NetServer;
  let session: Client;
  let full: { key: string; id: number };
  let read: { key: string; id: number };
  beforeAll(async () => {
    server = await startIsolatedServer();
    ({ session } = await adminWithKey(server, "Full"));
    const made = await session.post("/api/keys", { name: "Grafana", scope: "read" });
    expect(made.status).toBe(201);
    read = { key: made.body.key, id: made.body.id };
    // The seed document's request, without a scope: a full key.
    const seed = await session.post("/api/keys", { name: "My Integration" });
    expect(seed.status).toBe(201);
    // The answer is exactly the seed document's; the list shows the scope.
    expect(Object.keys(seed.body).sort()).toEqual(["created_at", "id", "key", "key_prefix", "name"]);
    full = { key: seed.body.key, id: seed.body.id };
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  test("GET /api/keys rows carry their scope; an unknown scope is a 422", async () => {
    const rows = (await session.get("/api/keys")).body as { name: string; scope: string }[];
    expect(rows.map((r) => [r.name, r.scope])).toEqual([
      ["Full", "full"],
      ["Grafana", "read"],
      ["My Integration", "full"],
    ]);
    const bad = await session.post("/api/keys", { name: "x", scope: "admin" });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toContain("scope");
  });

  test("a read key is refused every unsafe route of the router's table with 403, and reads", async () => {
    const api = server.client({ "X-API-Key": read.key });
    const unsafe = routeTable().filter((r) => !["GET", "HEAD", "OPTIONS"].includes(r.method));
    expect(unsafe.length).toBeGreaterThan(10);
    for (const r of unsafe) {
      const res = await api.request(r.method, concretePath(r.path), { json: {} });
      expect({ route: `${r.method} ${r.path}`, status: res.status, body: res.body }).toEqual({ route: `${r.method} ${r.path}`, status: 403, body: { detail: "This API key is read-only" } });
    }
    // Also as a bearer token, and with the body a route expects.
    const bearer = server.client({ Authorization: `Bearer ${read.key}` });
    expect((await bearer.request("POST", "/api/retention/cleanup")).status).toBe(403);
    expect((await api.request("PUT", "/api/config", { json: { retention_days: 30 } })).status).toBe(403);
    expect((await session.get("/api/config")).body.retention_days).toBe(90);
    // Reading works, and the key is still valid afterwards.
    for (const path of ["/api/devices", "/api/stats", "/api/keys", "/api/config", "/api/auth/me"]) expect((await api.get(path)).status).toBe(200);
    const head = await fetch("http://argus/api/devices", { method: "HEAD", headers: { "X-API-Key": read.key }, unix: server.socket } as RequestInit);
    expect(head.status).toBe(200);
    expect((await session.get("/api/keys")).body.length).toBe(3);
  });

  test("a full key (and a key without a scope, as the seed document makes them) still changes things", async () => {
    const api = server.client({ "X-API-Key": full.key });
    expect((await api.request("POST", "/api/retention/cleanup")).status).toBe(200);
    expect((await api.delete(`/api/keys/${read.id}`)).status).toBe(204);
    expect((await server.client({ "X-API-Key": read.key }).get("/api/devices")).status).toBe(401);
  });
});

test("argus keys create NAME --read makes a read key; list shows the scope", () => {
  const dir = scratch.dir("argus-keys-cli-");
  openDatabase(dir).close();
  const argus = (...args: string[]) => Bun.spawnSync([process.execPath, resolve(import.meta.dir, "../../src/main.ts"), "keys", ...args, "--data-dir", dir], { env: sealedEnv(), stdout: "pipe", stderr: "pipe" });
  const made = argus("create", "Home", "Assistant", "--read");
  expect(made.exitCode).toBe(0);
  expect(made.stderr.toString()).toContain("read-only API key");
  const key = made.stdout.toString().trim();
  const db = openDatabase(dir);
  expect(new ApiKeyStore(db).authenticate(key)).toMatchObject({ name: "Home Assistant", scope: "read" });
  db.close();
  expect(argus("create", "plain").exitCode).toBe(0);
  const list = argus("list").stdout.toString().split("\n");
  expect(list[0].split("\t")).toEqual(["ID", "PREFIX", "SCOPE", "CREATED", "LAST USED", "NAME"]);
  expect(list.slice(1, 3).map((l) => [l.split("\t")[2], l.split("\t")[5]])).toEqual([
    ["read", "Home Assistant"],
    ["full", "plain"],
  ]);
  expect(argus("create", "x", "--write").exitCode).toBe(2);
});

test("keys made before scopes existed (schema 12) are full after the migration", () => {
  const dir = scratch.dir("argus-keys-v12-");
  const db = new Database(join(dir, "argus.db"), { create: true, strict: true });
  migrate(db, 12);
  db.run("INSERT INTO api_keys (name, key_prefix, key_digest, created_at) VALUES ('old', 'argus_ab', ?, '2024-01-15T10:30:00Z')", [sha256("argus_" + "a".repeat(43))]);
  db.close();
  const migrated = openDatabase(dir);
  const keys = new ApiKeyStore(migrated);
  expect(keys.list().map((k) => [k.name, k.scope])).toEqual([["old", "full"]]);
  expect(keys.authenticate("argus_" + "a".repeat(43))).toMatchObject({ name: "old", scope: "full" });
  expect(() => migrated.run("UPDATE api_keys SET scope = 'admin'")).toThrow(/CHECK/);
  migrated.close();
});
