// The compiled x64 binary as a user runs it: from a directory without the source tree (and, as
// root, with the repository hidden under an empty tmpfs), over HTTP on loopback. Nothing here
// scans: scans run in test/appliance/netns.test.ts inside namespaces.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { chownSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { sourceApiDocument } from "../helpers/route-table.ts";
import { ADMIN, Client } from "../helpers/server.ts";
import { baseEnv, buildBinaries, hideRepo, isRoot, launch, requireThat, runCmd, tempDir, type Binaries } from "./harness.ts";

let bins: Binaries;
const dirs: string[] = [];
const scratch = (p: string) => {
  const d = tempDir(p);
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  bins = await buildBinaries();
}, 180_000);

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("compiled x64 binary", () => {
  test("serves UI and API from outside the source tree; CLI works on the live database; SIGTERM stops it cleanly", async () => {
    const cwd = scratch("argus-run-");
    const dataDir = join(cwd, "data");
    const env = baseEnv(dataDir);
    // Hiding the repo proves nothing is read from it at run time; that needs a mount namespace (root).
    const prefix = isRoot ? hideRepo() : [];
    if (!isRoot) console.warn("[partial] not root: the source tree is not hidden from the binary in this run");
    const server = await launch([...prefix, bins.x64, "serve"], { env, cwd });
    try {
      const client = new Client(server.url);
      const health = await client.get("/health");
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: "healthy", version: pkg.version, db: "ok" });

      // The UI (assets embedded as text) and the first-run redirect.
      const root = await client.get("/");
      expect(root.status).toBe(303);
      expect(root.headers.get("location")).toBe("/setup");
      const setupPage = await client.get("/setup");
      expect(setupPage.status).toBe(200);
      expect(setupPage.text).toContain('data-page="setup"');
      // The browser bundle was built into the binary, not read from disk.
      const js = await client.get("/ui/app.js");
      expect(js.status).toBe(200);
      expect(js.text).toContain("Skip to content");
      const css = await client.get("/ui/app.css");
      expect(css.status).toBe(200);
      expect(css.headers.get("content-type")).toContain("text/css");
      expect(css.text.length).toBeGreaterThan(500);
      // The API document is built into the binary (scripts/build.ts): the same bytes as run from source.
      const doc = await fetch(`${server.url}/openapi.json`);
      expect(doc.status).toBe(200);
      expect(doc.headers.get("content-type")).toBe("application/json;charset=utf-8");
      expect(await doc.text()).toBe(await sourceApiDocument());

      // Setup, an API key, the inventory.
      expect((await client.post("/api/setup", ADMIN)).status).toBe(201);
      const created = await client.post("/api/keys", { name: "smoke" });
      expect(created.status).toBe(201);
      const byKey = new Client(server.url, { "X-API-Key": created.body.key });
      const devices = await byKey.get("/api/devices");
      expect(devices.status).toBe(200);
      expect(devices.body).toEqual([]);
      expect(devices.headers.get("x-total-count")).toBe("0");

      // `argus keys create` writes to the live database: the server accepts the key at once.
      const cliEnv = { PATH: env.PATH, ARGUS_DATA_DIR: dataDir };
      const made = await runCmd([bins.x64, "keys", "create", "from the shell"], { env: cliEnv, cwd });
      expect(made.code).toBe(0);
      const cliKey = made.stdout.trim();
      expect(cliKey).toMatch(/^argus_[A-Za-z0-9_-]{43}$/);
      const me = await new Client(server.url, { "X-API-Key": cliKey }).get("/api/auth/me");
      expect(me.status).toBe(200);
      const keyId = Number(/created API key (\d+) 'from the shell'/.exec(made.stderr)?.[1]);
      expect(me.body).toMatchObject({ auth: "api_key", key_id: keyId });
      const listed = await runCmd([bins.x64, "keys", "list"], { env: cliEnv, cwd });
      expect(listed.stdout).toContain("from the shell");
      expect(listed.stdout).not.toContain(cliKey);
      // …and `argus keys revoke` from the shell ends it for the running server on the very next request.
      expect((await runCmd([bins.x64, "keys", "revoke", String(keyId)], { env: cliEnv, cwd })).code).toBe(0);
      expect((await new Client(server.url, { "X-API-Key": cliKey }).get("/api/auth/me")).status).toBe(401);

      // `argus user reset-password` (stdin) ends the sessions and changes the password.
      const newPassword = "a brand new passphrase";
      const reset = await runCmd([bins.x64, "user", "reset-password"], { env: cliEnv, cwd, stdin: `${newPassword}\n` });
      expect(reset.code).toBe(0);
      expect(reset.stderr).toContain(`password of '${ADMIN.username}' changed`);
      expect((await client.get("/api/auth/me")).status).toBe(401); // the old session is gone
      const login = new Client(server.url);
      expect((await login.post("/api/auth/login", { username: ADMIN.username, password: ADMIN.password, remember: false })).status).toBe(401);
      expect((await login.post("/api/auth/login", { username: ADMIN.username, password: newPassword, remember: false })).status).toBe(200);
      const audit = await byKey.get("/api/audit-logs?action=password_reset");
      expect(audit.body.length).toBe(1);

      // `argus backup` while the server runs: a consistent, complete, private copy.
      const dest = join(cwd, "backup.db");
      const backup = await runCmd([bins.x64, "backup", dest], { env: cliEnv, cwd });
      expect(backup.code).toBe(0);
      const copy = new Database(dest, { readonly: true });
      expect(copy.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      expect((copy.query("SELECT count(*) AS n FROM api_keys").get() as { n: number }).n).toBe(2);
      expect((copy.query("SELECT username FROM users").all() as { username: string }[]).map((u) => u.username)).toEqual([ADMIN.username]);
      copy.close();
      expect((Bun.file(dest).size)).toBeGreaterThan(0);
      expect((await import("node:fs")).statSync(dest).mode & 0o777).toBe(0o600);
      const again = await runCmd([bins.x64, "backup", dest], { env: cliEnv, cwd });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain("exists; use --force");

      // A restore through the API: the compiled binary checks the upload in a child process of itself
      // (the repository is not there to run from).
      const restored = await login.request("POST", "/api/restore", {
        body: readFileSync(dest),
        headers: { "content-type": "application/octet-stream", "X-Argus-Password": newPassword },
      });
      expect(restored.status).toBe(200);
      expect(restored.body).toEqual({ restored: true, devices: 0 });

      // Clean stop.
      const stopped = await server.signal("SIGTERM");
      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(5000);
      const log = server.output();
      expect(log).toContain('msg="shutting down" signal="SIGTERM"');
      expect(log).toContain('msg="stopped"');
      // One line per event, each with a level, and never a secret.
      for (const line of log.trim().split("\n")) expect(line).toMatch(/^time=\S+Z level=(debug|info|warn|error) msg="/);
      for (const secret of [created.body.key, cliKey, ADMIN.password, newPassword, readFileSync(join(dataDir, "session.secret"), "utf8").trim()]) {
        expect(log).not.toContain(secret);
      }
      // The database was closed properly: no WAL left to replay.
      expect(await Bun.file(join(dataDir, "argus.db-wal")).exists()).toBe(false);
    } finally {
      server.proc.kill("SIGKILL");
    }
  }, 60_000);

  test("checks whole-number parameters as run from source: out of range is a 422 naming the range, never a page without limit or a 500", async () => {
    // The minified binary once lost these checks (Elysia recognises the decode error by its class's
    // name, which the minifier had renamed): each of these answered 200, 404 or 500.
    const cwd = scratch("argus-range-");
    const server = await launch([bins.x64, "serve"], { env: baseEnv(join(cwd, "data")), cwd });
    try {
      const client = new Client(server.url);
      expect((await client.post("/api/setup", ADMIN)).status).toBe(201);
      const api = new Client(server.url, { "X-API-Key": (await client.post("/api/keys", { name: "range" })).body.key });
      const cases: [path: string, detail: string][] = [
        ["/api/devices/0", "Invalid path parameter 'id': must be a whole number from 1 to 9007199254740991"],
        ["/api/keys?limit=0", "Invalid query parameter 'limit': must be a whole number from 1 to 1000"],
        ["/api/keys?limit=9999999999999999", "Invalid query parameter 'limit': must be a whole number from 1 to 1000"],
        ["/api/changes?limit=1001", "Invalid query parameter 'limit': must be a whole number from 1 to 1000"],
        ["/api/export/devices.csv?port=70000", "Invalid query parameter 'port': must be a whole number from 1 to 65535"],
      ];
      for (const [path, detail] of cases) {
        const res = await api.get(path);
        expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 422, body: { detail } });
      }
      // In range, the same parameters still work.
      expect((await api.get("/api/keys?limit=1000")).status).toBe(200);
      expect((await api.get("/api/devices/1")).status).toBe(404);
    } finally {
      server.proc.kill("SIGKILL");
    }
  }, 60_000);

  test("gives memory back once quiet, and answers the same afterwards (its code relinked from the bytecode it carries)", async () => {
    const cwd = scratch("argus-quiet-");
    const server = await launch([bins.x64, "serve"], { env: baseEnv(join(cwd, "data"), { ARGUS_LOG_LEVEL: "debug" }), cwd });
    const shrinks = () => server.output().match(/msg="quiet: memory given back"/g)?.length ?? 0;
    const quiet = async (count: number) => {
      const until = Date.now() + 15_000;
      while (shrinks() < count && Date.now() < until) await Bun.sleep(100);
      expect(shrinks()).toBe(count);
    };
    try {
      const client = new Client(server.url);
      expect((await client.post("/api/setup", ADMIN)).status).toBe(201);
      const api = new Client(server.url, { "X-API-Key": (await client.post("/api/keys", { name: "quiet" })).body.key });
      const answers = async () => {
        const out: unknown[] = [];
        for (const path of ["/api/keys", "/api/stats", "/api/devices?limit=5", "/api/changes?limit=0", "/api/config"]) {
          const res = await api.get(path);
          out.push([path, res.status, res.body]);
        }
        const page = await client.get("/devices");
        out.push(["/devices", page.status, page.text.length > 0]);
        return out;
      };
      const before = await answers();
      await quiet(1);
      // Quiet stays quiet: no second shrink without new requests.
      await Bun.sleep(6_000);
      expect(shrinks()).toBe(1);
      expect(await answers()).toEqual(before);
      await quiet(2);
      expect(await answers()).toEqual(before);
    } finally {
      server.proc.kill("SIGKILL");
    }
  }, 60_000);

  test("SIGTERM with a live event stream open still exits 0 within 5 s", async () => {
    const cwd = scratch("argus-run-");
    const server = await launch([bins.x64, "serve"], { env: baseEnv(join(cwd, "data")), cwd });
    try {
      const session = new Client(server.url);
      expect((await session.post("/api/setup", ADMIN)).status).toBe(201);
      const key = (await session.post("/api/keys", { name: "sse" })).body.key as string;
      const res = await fetch(`${server.url}/api/scan/events`, { headers: { "X-API-Key": key } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toContain("event: status");
      const stopped = await server.signal("SIGTERM");
      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(5000);
      reader.cancel().catch(() => {});
    } finally {
      server.proc.kill("SIGKILL");
    }
  }, 30_000);

  test("tells systemd READY, pings the watchdog and says STOPPING (sd_notify over bun:ffi)", async () => {
    if (!requireThat(Bun.which("python3") !== null, "python3 (a unix datagram listener standing in for systemd)")) return;
    const cwd = scratch("argus-notify-");
    const socket = join(cwd, "notify.sock");
    // python3 plays systemd: binds the socket, starts argus with NOTIFY_SOCKET, prints each datagram.
    const listener = `
import socket, subprocess, sys, os, time, json
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(8)
env = {"PATH": "/usr/bin:/bin", "ARGUS_DATA_DIR": sys.argv[3], "ARGUS_HOST": "127.0.0.1", "ARGUS_PORT": "0",
       "NOTIFY_SOCKET": sys.argv[1], "WATCHDOG_USEC": "1000000"}
p = subprocess.Popen([sys.argv[2], "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
got = []
try:
    while not any(m.startswith("READY=1") for m in got): got.append(s.recv(4096).decode())
    t0 = time.time()
    while time.time() - t0 < 1.7: got.append(s.recv(4096).decode())
    p.terminate()
    while not any(m == "STOPPING=1" for m in got): got.append(s.recv(4096).decode())
except socket.timeout: pass
print(json.dumps({"pid": p.pid, "messages": got, "code": p.wait(timeout=10)}))
`;
    const r = await runCmd(["python3", "-c", listener, socket, bins.x64, join(cwd, "data")], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { pid: number; messages: string[]; code: number };
    const ready = out.messages.find((m) => m.startsWith("READY=1"));
    expect(ready).toBeDefined();
    expect(ready).toContain(`MAINPID=${out.pid}`);
    expect(ready).toMatch(/STATUS=serving on http:\/\/127\.0\.0\.1:\d+/);
    // WatchdogSec=1 s → a ping every 0.5 s; at least 3 in the 1.7 s after READY.
    expect(out.messages.filter((m) => m === "WATCHDOG=1").length).toBeGreaterThanOrEqual(3);
    expect(out.messages.at(-1)).toBe("STOPPING=1");
    expect(out.code).toBe(0);
  }, 40_000);

  test("without CAP_NET_RAW (as an unprivileged user) it says once what is degraded and still serves the UI", async () => {
    if (!requireThat(isRoot, "root (to start the binary as the unprivileged user nobody)")) return;
    if (!requireThat(Bun.which("setpriv") !== null, "setpriv (Debian util-linux)")) return;
    const cwd = scratch("argus-nobody-");
    chownSync(cwd, 65534, 65534);
    const server = await launch(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bins.x64, "serve"], { env: baseEnv(join(cwd, "data")), cwd });
    try {
      const notices = server.output().split("\n").filter((l) => l.includes("Discovery is degraded"));
      expect(notices.length).toBe(1);
      expect(notices[0]).toMatch(/^time=\S+ level=warn /);
      expect(notices[0]).toContain("CAP_NET_RAW");
      expect(notices[0]).toContain("setcap cap_net_raw+ep");
      const client = new Client(server.url);
      expect((await client.get("/setup")).status).toBe(200);
      expect((await client.get("/ui/app.js")).status).toBe(200);
      expect((await client.post("/api/setup", ADMIN)).status).toBe(201);
      expect((await client.get("/api/auth/me")).body).toMatchObject({ username: ADMIN.username });
      const stopped = await server.signal("SIGTERM");
      expect(stopped.code).toBe(0);
    } finally {
      server.proc.kill("SIGKILL");
    }
  }, 30_000);

  test("as root (CAP_NET_RAW present) it does not claim to be degraded", async () => {
    if (!requireThat(isRoot, "root (CAP_NET_RAW)")) return;
    const cwd = scratch("argus-root-");
    const server = await launch([bins.x64, "serve"], { env: baseEnv(join(cwd, "data")), cwd });
    try {
      expect(server.output()).not.toContain("degraded");
      expect((await server.signal("SIGTERM")).code).toBe(0);
    } finally {
      server.proc.kill("SIGKILL");
    }
  }, 30_000);
});
