// What a restore through the API may touch, who may do it, and what an upload may be (SPEC §7), each
// attack done for real against the running server: a key holder downloads a backup, plants a password
// hash and a key digest with sqlite3 and empties the audit log, then uploads it; a file without users;
// password guessing through the restore header; a BLOB host name; an index that makes the integrity
// check take a minute; two restores in one second; a full disk.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sha256 } from "../../src/auth/digest.ts";
import { DB_FILE } from "../../src/db/database.ts";
import { startIsolatedServer, type NetServer } from "../helpers/netserver.ts";
import { ADMIN, adminWithKey, Client, startTestServer, type TestServer } from "../helpers/server.ts";
import { Scratch } from "../helpers/scratch.ts";
import { requireRoot } from "../helpers/testnet.ts";

const scratch = new Scratch();
afterAll(() => scratch.clear());

const PLANTED_PASSWORD = "planted password 1234";
const PLANTED_KEY = "argus_" + "P".repeat(43);

async function download(server: TestServer, key: string): Promise<Uint8Array> {
  const res = await fetch(`${server.url}/api/backup`, { headers: { "X-API-Key": key } });
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

/** The backup file, changed with SQLite as an attacker would. */
function edited(bytes: Uint8Array, change: (db: Database) => void): Uint8Array {
  const path = join(scratch.dir("argus-edit-"), "b.db");
  writeFileSync(path, bytes);
  const db = new Database(path);
  change(db);
  db.close();
  return new Uint8Array(readFileSync(path));
}

const upload = (client: Client, bytes: Uint8Array, headers: Record<string, string> = {}) =>
  client.request("POST", "/api/restore", { body: bytes, headers: { "content-type": "application/octet-stream", ...headers } });
const confirmed = { "X-Argus-Password": ADMIN.password };

const addDevice = (server: TestServer, label: string) =>
  server.ctx.db.run("INSERT INTO devices (mac_address, ip_address, label, first_seen, last_seen) VALUES ('02:00:00:00:0a:01', '10.5.0.1', ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')", [label]);

describe("one API key does not become the admin", () => {
  let server: TestServer;
  let session: Client;
  let key: string;
  let planted: Uint8Array;
  beforeAll(async () => {
    server = await startTestServer();
    ({ session, key } = await adminWithKey(server));
    addDevice(server, "live");
    const hash = await Bun.password.hash(PLANTED_PASSWORD, { algorithm: "argon2id" });
    planted = edited(await download(server, key), (db) => {
      db.run("UPDATE users SET password_hash = ?", [hash]);
      db.run("INSERT INTO api_keys (name, key_prefix, key_digest, created_at) VALUES ('planted', 'argus_PP', ?, '2026-01-01T00:00:00Z')", [sha256(PLANTED_KEY)]);
      db.run("DELETE FROM audit_logs");
      db.run("UPDATE devices SET label = 'from the backup'");
    });
  });
  afterAll(() => server.close());

  test("an API key cannot restore (403), and nothing changes", async () => {
    const api = new Client(server.url, { "X-API-Key": key });
    const res = await upload(api, planted, confirmed);
    expect(res.status).toBe(403);
    expect(res.body.detail).toMatch(/API keys cannot restore/);
    expect((await api.get("/api/devices")).body.map((d: { label: string }) => d.label)).toEqual(["live"]);
  });

  test("a session without its password, or with a wrong one, cannot restore (403)", async () => {
    const missing = await upload(session, planted);
    expect(missing.status).toBe(403);
    expect(missing.body.detail).toContain("X-Argus-Password");
    const wrong = await upload(session, planted, { "X-Argus-Password": "not the password at all" });
    expect(wrong.status).toBe(403);
    expect(wrong.body.detail).toMatch(/Wrong password/);
    const failed = (await session.get("/api/audit-logs?action=login_failed")).body;
    expect(failed[0]).toMatchObject({ username: ADMIN.username, resource: "restore", success: false });
    expect((await session.get("/api/devices")).body.map((d: { label: string }) => d.label)).toEqual(["live"]);
  });

  test("with a session and its password the data is restored, but not the planted password or key, and the audit log stays", async () => {
    const before = (await session.get("/api/audit-logs?limit=1000")).body as { id: number; action: string }[];
    expect(before.map((e) => e.action)).toContain("setup_completed");
    const res = await upload(session, planted, confirmed);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ restored: true, devices: 1 });
    expect((await session.get("/api/devices")).body.map((d: { label: string }) => d.label)).toEqual(["from the backup"]);
    // The session that restored goes on; the live key still works, the planted one does not.
    expect((await session.get("/api/auth/me")).status).toBe(200);
    expect((await new Client(server.url, { "X-API-Key": key }).get("/api/devices")).status).toBe(200);
    expect((await new Client(server.url, { "X-API-Key": PLANTED_KEY }).get("/api/devices")).status).toBe(401);
    const anon = new Client(server.url);
    expect((await anon.post("/api/auth/login", { username: ADMIN.username, password: PLANTED_PASSWORD })).status).toBe(401);
    expect((await anon.post("/api/auth/login", ADMIN)).status).toBe(200);
    // Every entry from before is still there, and the restore is recorded.
    const after = (await session.get("/api/audit-logs?limit=1000")).body as { id: number; action: string }[];
    const ids = new Set(after.map((e) => e.id));
    expect(before.filter((e) => !ids.has(e.id))).toEqual([]);
    expect(after.filter((e) => e.action === "restore_completed").length).toBe(1);
  });
});

test("a file without users does not reopen setup, also after a restart", async () => {
  const dir = scratch.dir("argus-nousers-");
  let server = await startTestServer({ ARGUS_DATA_DIR: dir });
  try {
    const { session, key } = await adminWithKey(server);
    const empty = edited(await download(server, key), (db) => {
      db.run("DELETE FROM sessions");
      db.run("DELETE FROM users");
    });
    const res = await upload(session, empty, confirmed);
    expect(res.status).toBe(200);
    await server.stop();
    server = await startTestServer({ ARGUS_DATA_DIR: dir });
    const anon = new Client(server.url);
    expect((await anon.get("/api/setup")).body).toEqual({ setup_required: false });
    const setup = await anon.post("/api/setup", { username: "intruder", password: "a long enough password" });
    expect(setup.status).toBe(409);
    expect((await anon.post("/api/auth/login", ADMIN)).status).toBe(200);
  } finally {
    await server.stop();
  }
});

test("wrong restore passwords count as failed logins: the header is no way to guess passwords", async () => {
  const server = await startTestServer();
  try {
    const { session, key } = await adminWithKey(server);
    const bytes = await download(server, key);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await upload(session, bytes, { "X-Argus-Password": `guess number ${i}` })).status);
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429]);
    // Not even the right password is tried now, and logging in from here waits as well.
    const limited = await upload(session, bytes, confirmed);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await new Client(server.url).post("/api/auth/login", ADMIN)).status).toBe(429);
  } finally {
    await server.close();
  }
});

describe("what an upload may be", () => {
  let server: TestServer;
  let session: Client;
  let key: string;
  let good: Uint8Array;
  beforeAll(async () => {
    server = await startTestServer();
    ({ session, key } = await adminWithKey(server));
    addDevice(server, "original");
    good = edited(await download(server, key), (db) => db.run("UPDATE devices SET label = 'from the backup'"));
  });
  afterAll(() => server.close());
  const liveFiles = () => ["argus.db", "argus.db-wal"].map((f) => Bun.hash(readFileSync(join(server.dataDir, f))).toString());

  test("a BLOB host name is refused with 422, and the device list still answers", async () => {
    const blob = edited(good, (db) => db.run("UPDATE devices SET hostname = X'00ff10'"));
    const before = liveFiles();
    const res = await upload(session, blob, confirmed);
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain("devices.hostname holds a blob");
    expect(liveFiles()).toEqual(before);
    const devices = await session.get("/api/devices");
    expect(devices.status).toBe(200);
    expect(devices.body.map((d: { label: string }) => d.label)).toEqual(["original"]);
  });

  test("an extra index is refused: the tables and indexes must be those of the file's schema version", async () => {
    const extra = edited(good, (db) => db.run("CREATE INDEX devices_extra ON devices (lower(hostname))"));
    const res = await upload(session, extra, confirmed);
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain("index devices_extra is not part of it");
  });

  test("two restores within one second keep two copies under distinct names; only the last 3 are kept", async () => {
    const kept = () => readdirSync(server.dataDir).filter((f) => f.startsWith("argus-before-restore-")).sort();
    const labelIn = (name: string) => {
      const db = new Database(join(server.dataDir, name), { readonly: true });
      try {
        return (db.query("SELECT label FROM devices").get() as { label: string }).label;
      } finally {
        db.close();
      }
    };
    expect(kept()).toEqual([]);
    const second = (name: string) => name.slice(0, "argus-before-restore-YYYYMMDD-HHMMSS".length);
    // Two restores right after a second begins; on a busy machine they may still straddle two
    // seconds, then the pair is tried again (the live label says which state each copy holds).
    let pair: string[] | null = null;
    for (let i = 0; i < 5 && pair === null; i++) {
      server.ctx.db.run("UPDATE devices SET label = ?", [`before pair ${i}`]);
      await Bun.sleep(1000 - (Date.now() % 1000) + 5);
      const before = new Set(kept());
      expect((await upload(session, good, confirmed)).status).toBe(200);
      expect((await upload(session, good, confirmed)).status).toBe(200);
      const made = kept().filter((n) => !before.has(n));
      expect(made.length).toBe(2);
      if (second(made[0]) !== second(made[1])) continue;
      pair = made;
      // The first copy is the database from before the pair: not overwritten by the second.
      expect(made.map(labelIn).sort()).toEqual([`before pair ${i}`, "from the backup"]);
    }
    expect(pair).not.toBeNull();
    const first = pair!.find((n) => labelIn(n).startsWith("before pair"))!;
    for (let i = 0; i < 2; i++) expect((await upload(session, good, confirmed)).status).toBe(200);
    const three = kept();
    expect(three.length).toBe(3);
    expect(three).not.toContain(first);
    expect(readdirSync(server.dataDir).filter((f) => f.startsWith(".restore") || f.includes(".partial"))).toEqual([]);
  });
});

// The server runs as a process of its own here: a frozen event loop in this test's process would
// freeze the clock that measures it too.
describe.skipIf(!requireRoot("runs the appliance as its own process in a namespace"))("an upload that is slow to check", () => {
  let server: NetServer;
  let session: Client;
  let good: Uint8Array;
  beforeAll(async () => {
    server = await startIsolatedServer({ ARGUS_RESTORE_CHECK_SECONDS: "2" });
    let key: string;
    ({ session, key } = await adminWithKey(server));
    const res = await fetch("http://argus/api/backup", { headers: { "X-API-Key": key }, unix: server.socket } as RequestInit);
    good = new Uint8Array(await res.arrayBuffer());
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  test("an index that makes the integrity check slow: /health stays responsive, the upload is refused at the time limit", async () => {
    if (!Bun.which("sqlite3")) throw new Error("needs the sqlite3 command-line tool (apt install sqlite3) to plant the index");
    // Two hundred devices, indexed on an expression that builds a 10 MB string per row. The index is made
    // cheap, then its declaration is swapped for the slow one (as sqlite3 lets a file's owner do).
    const file = join(scratch.dir("argus-slow-"), "slow.db");
    writeFileSync(
      file,
      edited(good, (db) => {
        db.run("DELETE FROM devices");
        const insert = db.prepare("INSERT INTO devices (mac_address, ip_address, hostname, first_seen, last_seen) VALUES (?, ?, ?, 'x', 'x')");
        for (let i = 0; i < 200; i++) insert.run(`02:00:00:00:0b:${i.toString(16).padStart(2, "0")}`, `10.6.0.${i}`, `h${i}`);
        db.run("CREATE INDEX devices_slow ON devices (length(hostname))");
      }),
    );
    const slow = "length(replace(printf(''%.*c'', 10000000, hostname), ''h'', '''')) + length(hostname)";
    const planted = Bun.spawnSync(["sqlite3", file, `PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = 'CREATE INDEX devices_slow ON devices (${slow})' WHERE name = 'devices_slow';`], { stderr: "pipe" });
    expect(planted.stderr.toString()).toBe("");
    const started = performance.now();
    const restore = upload(session, new Uint8Array(readFileSync(file)), confirmed);
    let done = false;
    void restore.finally(() => (done = true));
    const latencies: number[] = [];
    while (!done) {
      const t = performance.now();
      const res = await fetch("http://argus/health", { unix: server.socket } as RequestInit);
      expect(res.status).toBe(200);
      latencies.push(performance.now() - t);
      await Bun.sleep(50);
    }
    const res = await restore;
    expect(Math.max(...latencies)).toBeLessThan(500);
    expect(latencies.length).toBeGreaterThan(5);
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/took too long to check/);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect((await session.get("/api/devices")).body.map((d: { label: string }) => d.label)).toEqual([]);
    expect(readdirSync(server.dataDir).filter((f) => f.startsWith(".restore") || f.startsWith("argus-before"))).toEqual([]);
  }, 60_000);
});

describe.skipIf(!requireRoot("mounts a small tmpfs as the data directory"))("free space", () => {
  test("507 when the data directory has less free space than twice the upload, nothing changed", async () => {
    const dir = scratch.dir("argus-full-");
    const mount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", dir], { stderr: "pipe" });
    expect(mount.stderr.toString()).toBe("");
    const server = await startTestServer({ ARGUS_DATA_DIR: dir });
    try {
      const { session } = await adminWithKey(server);
      const before = Bun.hash(readFileSync(join(dir, DB_FILE))).toString();
      // About 3.5 MB: less than twice that is free on a 6 MB file system.
      const big = new Uint8Array(3_500_000);
      const res = await upload(session, big, confirmed);
      expect(res.status).toBe(507);
      expect(res.body.detail).toMatch(/Not enough free space/);
      expect(Bun.hash(readFileSync(join(dir, DB_FILE))).toString()).toBe(before);
      expect(readdirSync(dir).filter((f) => f.startsWith(".restore") || f.startsWith("argus-before"))).toEqual([]);
    } finally {
      await server.stop();
      // The stopped server's files may take a moment to be released.
      for (let i = 0; i < 50 && Bun.spawnSync(["umount", dir]).exitCode !== 0; i++) await Bun.sleep(100);
      if (Bun.spawnSync(["mountpoint", "-q", dir]).exitCode === 0) Bun.spawnSync(["umount", "-l", dir]);
    }
  });
});
