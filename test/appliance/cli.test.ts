// The compiled binary's command line as a shell user meets it: help, version, usage errors and
// "nothing to act on" answers with their exit codes (0 ok, 1 failure, 2 usage, 3 nothing there,
// 4 privilege). Nothing here starts a scan or sends a packet.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import pkg from "../../package.json" with { type: "json" };
import { ADMIN, Client } from "../helpers/server.ts";
import { baseEnv, buildBinaries, launch, requireThat, runCmd, tempDir, type Binaries } from "./harness.ts";

let bins: Binaries;
let cwd: string;
beforeAll(async () => {
  bins = await buildBinaries();
  cwd = tempDir("argus-cli-");
}, 180_000);
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const argus = (args: string[], stdin?: string) => runCmd([bins.x64, ...args], { cwd, env: { PATH: "/usr/bin:/bin", ARGUS_DATA_DIR: join(cwd, "data") }, stdin });

describe("argus CLI (compiled)", () => {
  test("--version and --help", async () => {
    const v = await argus(["--version"]);
    expect(v).toMatchObject({ code: 0, stdout: `argus ${pkg.version}\n` });
    const h = await argus(["--help"]);
    expect(h.code).toBe(0);
    for (const c of ["serve", "scan", "sweep", "keys create NAME", "user reset-password", "backup FILE", "install", "--version"]) expect(h.stdout).toContain(c);
    for (const c of ["serve", "scan", "sweep", "keys", "user", "backup", "install"]) {
      const sub = await argus([c, "--help"]);
      expect(sub.code).toBe(0);
      expect(sub.stdout).toStartWith("Usage: argus ");
    }
  });

  test("usage errors exit 2 and say what is wrong", async () => {
    const cases: [string[], string][] = [
      [["frobnicate"], "argus: unknown command 'frobnicate'"],
      [["serve", "--port", "1"], "argus serve: unexpected argument '--port'"],
      [["keys"], "Usage: argus keys"],
      [["keys", "rotate"], "argus keys: unknown keys command 'rotate'"],
      [["backup"], "argus backup: give the file to write the backup to"],
      [["backup", "a", "b"], "argus backup: give exactly one FILE"],
      [["user", "delete"], "argus user: unknown user command 'delete'"],
      [["scan", "--profile"], "argus scan: --profile needs a name"],
      [["scan", "8.8.8.0/24", "--data-dir", "x"], "argus scan: subnet:"],
      [["scan", "10.0.0.0/24", "--profile", "turbo"], "argus scan: profile"],
      [["sweep"], "argus sweep: give at least one CIDR"],
    ];
    for (const [args, message] of cases) {
      const r = await argus(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stdout + r.stderr).toContain(message);
    }
  });

  test("commands that need the database say where they looked (exit 3)", async () => {
    for (const args of [["keys", "create", "x"], ["keys", "list"], ["user", "reset-password"], ["backup", "out.db"], ["scan", "10.0.0.0/24"]]) {
      const r = await argus(args);
      expect({ args, code: r.code }).toEqual({ args, code: 3 });
      expect(r.stderr).toContain(`no Argus database at ${join(cwd, "data", "argus.db")}`);
    }
  });

  test("bad settings are reported in one line, exit 2", async () => {
    const r = await runCmd([bins.x64, "serve"], { cwd, env: { PATH: "/usr/bin:/bin", ARGUS_PORT: "99999" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("argus serve: ARGUS_PORT must be an integer from 0 to 65535, got '99999'\n");
  });

  test("ignores .env and bunfig.toml in the directory it starts from (settings come from the environment only)", async () => {
    const dir = join(cwd, "with-dotenv");
    mkdirSync(dir);
    writeFileSync(join(dir, ".env"), "ARGUS_DATA_DIR=/nonexistent/from-dotenv\n");
    writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
    const r = await runCmd([bins.x64, "keys", "list"], { cwd: dir, env: { PATH: "/usr/bin:/bin" } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`no Argus database at ${join(dir, "data", "argus.db")}`);
  });

  test("user reset-password at a terminal asks twice without echoing; a mismatch changes nothing", async () => {
    if (!requireThat(Bun.which("python3") !== null, "python3 (its pty module plays the terminal)")) return;
    const dir = join(cwd, "tty");
    const server = await launch([bins.x64, "serve"], { env: baseEnv(join(dir, "data")), cwd });
    expect((await new Client(server.url).post("/api/setup", ADMIN)).status).toBe(201);
    expect((await server.signal("SIGTERM")).code).toBe(0);
    // Types `first` at the first prompt and `second` at the second, returns the transcript and exit code.
    const typing = String.raw`
import os, pty, sys, time, json
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "user", "reset-password", "--data-dir", sys.argv[2]])
out = b""
def until(tok):
    global out
    end = time.time() + 15
    while tok not in out and time.time() < end:
        try: out += os.read(fd, 1024)
        except OSError: return
until(b"New password: "); os.write(fd, sys.argv[3].encode() + b"\r")
until(b"Repeat it: "); os.write(fd, sys.argv[4].encode() + b"\r")
until(b"the end of the output, which never comes before EOF")
_, status = os.waitpid(pid, 0)
print(json.dumps({"out": out.decode(), "code": os.WEXITSTATUS(status)}))
`;
    const hash = () => {
      const db = new Database(join(dir, "data", "argus.db"), { readonly: true });
      const h = (db.query("SELECT password_hash FROM users").get() as { password_hash: string }).password_hash;
      db.close();
      return h;
    };
    const before = hash();
    const mismatch = JSON.parse((await runCmd(["python3", "-c", typing, bins.x64, join(dir, "data"), "first passphrase one", "second passphrase two"])).stdout);
    expect(mismatch.code).toBe(1);
    expect(mismatch.out).toContain("the passwords differ; nothing changed");
    expect(hash()).toBe(before);
    const same = "a terminal-typed passphrase";
    const ok = JSON.parse((await runCmd(["python3", "-c", typing, bins.x64, join(dir, "data"), same, same])).stdout);
    expect(ok.code).toBe(0);
    expect(ok.out).not.toContain(same); // never echoed
    expect(ok.out).toContain("password of 'admin' changed");
    expect(await Bun.password.verify(same, hash())).toBe(true);
  }, 60_000);
});
