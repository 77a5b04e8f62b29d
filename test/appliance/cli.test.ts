// The compiled binary's command line as a shell user meets it: help, version, usage errors and
// "nothing to act on" answers with their exit codes (0 ok, 1 failure, 2 usage, 3 nothing there,
// 4 privilege). Nothing here starts a scan or sends a packet.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { buildBinaries, runCmd, tempDir, type Binaries } from "./harness.ts";

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
      [["scan", "8.8.8.0/24", "--data-dir", "x"], "argus scan: CIDR:"],
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
    expect(r.stderr).toBe("argus: ARGUS_PORT must be an integer from 0 to 65535, got '99999'\n");
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
});
