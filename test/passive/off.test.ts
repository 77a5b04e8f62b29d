// Passive watch is off, with one clear log line, when the configuration says `passive: false` or
// when raw sockets are not allowed (degraded mode). The appliance runs as a real process in a
// network namespace of its own with nothing but loopback (it listens only; nothing is sent).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sealedEnv } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
const root = requireRoot("a namespace of its own and an unprivileged user for the appliance");
const ns = `argus-poff-${process.pid}`;
const dirs: string[] = [];
// Made in beforeAll, not when the file loads: a run whose filter selects none of these tests runs no
// afterAll either, and would leave the namespace behind.
beforeAll(() => {
  if (!root) return;
  Bun.spawnSync(["ip", "netns", "add", ns]);
  Bun.spawnSync(["ip", "-n", ns, "link", "set", "lo", "up"]);
});
afterAll(() => {
  if (root) Bun.spawnSync(["ip", "netns", "del", ns]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Starts `argus serve`, waits until it listens, stops it with SIGTERM; returns everything it logged. */
async function serveOnce(prefix: string[], env: Record<string, string>, dataDir: string): Promise<string> {
  const proc = Bun.spawn(["ip", "netns", "exec", ns, ...prefix, process.execPath, MAIN, "serve"], {
    env: { ...sealedEnv(), ARGUS_DATA_DIR: dataDir, ARGUS_HOST: "127.0.0.1", ARGUS_PORT: "0", ARGUS_LOG_LEVEL: "info", ...env },
    stdout: "pipe",
    stderr: "pipe",
    cwd: dataDir,
  });
  const out: string[] = [];
  const collect = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) out.push(new TextDecoder().decode(chunk));
  };
  const reading = Promise.all([collect(proc.stdout), collect(proc.stderr)]);
  for (let i = 0; i < 100 && !out.join("").includes("msg=\"listening\""); i++) await Bun.sleep(100);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
  await reading;
  return out.join("");
}

const passiveLines = (log: string) => log.split("\n").filter((l) => l.includes("passive watch"));

test.skipIf(!root)("`passive: false` in the configuration: off, said once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "argus-poff-"));
  dirs.push(dir);
  writeFileSync(join(dir, "config.json"), JSON.stringify({ passive: false, subnets: ["10.77.0.0/24"] }));
  const lines = passiveLines(await serveOnce([], {}, dir));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("passive watch off: `passive` is false in the configuration");
}, 30_000);

test.skipIf(!root)("without raw-socket privilege (degraded mode): off, said once, with the reason", async () => {
  if (!Bun.which("setpriv")) throw new Error("needs setpriv (Debian util-linux)");
  const dir = mkdtempSync(join(tmpdir(), "argus-poff-"));
  dirs.push(dir);
  chownSync(dir, 65534, 65534);
  const lines = passiveLines(await serveOnce(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "env", "HOME=/tmp"], {}, dir));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/level=warn msg="passive watch off: no raw-socket privilege \(CAP_NET_RAW\)/);
}, 30_000);

test.skipIf(!root)("with privilege and `passive` left at its default: on", async () => {
  const dir = mkdtempSync(join(tmpdir(), "argus-poff-"));
  dirs.push(dir);
  const lines = passiveLines(await serveOnce([], {}, dir));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("passive watch on");
}, 30_000);

test("`passive` must be true or false", async () => {
  const { validateAppConfig } = await import("../../src/config/app-config.ts");
  expect(validateAppConfig({}).passive).toBe(true);
  expect(validateAppConfig({ passive: false }).passive).toBe(false);
  expect(() => validateAppConfig({ passive: "no" })).toThrow("config passive: must be true or false");
});
