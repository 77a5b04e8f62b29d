// The install on a real systemd: a Debian bookworm container booted with systemd-nspawn
// (--private-network: it has only its own loopback), where the compiled binary is installed the
// way README says, then the service is checked as systemd runs it: active and answering, its
// exposure score and capabilities, restart after a kill, the watchdog, a clean stop, an upgrade
// that keeps the data and the session secret, and an uninstall that leaves nothing running.
//
// Needs root, debootstrap, systemd-nspawn (Debian systemd-container) and nsenter; without them it
// skips and says why, except under CI=true, where that is a failure. The container's root is
// cached (see nspawn.ts); the first run spends about a minute in debootstrap.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ADMIN } from "../helpers/server.ts";
import { BUN, buildBinaries, isRoot, REPO, requireThat, runCmd, tempDir, which, type Binaries } from "./harness.ts";
import { bootContainer, type Container } from "./nspawn.ts";

const ready = requireThat(
  isRoot && which("debootstrap") && which("systemd-nspawn") && which("nsenter") && which("curl"),
  "root, debootstrap, systemd-nspawn (systemd-container), nsenter and curl to boot a Debian container with systemd",
);

const CAP_NET_RAW = 1n << 13n;

describe.skipIf(!ready)("argus on a real systemd (systemd-nspawn container)", () => {
  let bins: Binaries;
  let older: string;
  let box: Container;
  const work = ready ? tempDir("argus-nspawn-test-") : "";
  const jar = join(work, "cookies.txt");

  const sh = async (script: string, timeoutMs = 60_000) => box.exec(["sh", "-c", script], { timeoutMs });
  const prop = async (name: string) => (await box.exec(["systemctl", "show", "argus.service", "-p", name, "--value"])).stdout.trim();
  const health = async () => box.execInNet(["curl", "-s", "-m", "5", "-w", "\n%{http_code}", "http://127.0.0.1:8080/health"]);
  const api = async (args: string[]) => box.execInNet(["curl", "-s", "-m", "10", "-w", "\n%{http_code}", ...args]);
  const status = (r: { stdout: string }) => Number(r.stdout.trim().split("\n").at(-1));
  const body = (r: { stdout: string }) => JSON.parse(r.stdout.trim().split("\n").slice(0, -1).join("\n") || "null");
  async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; journal:\n${(await box.exec(["journalctl", "-u", "argus", "--no-pager", "-n", "40"])).stdout}`);
      await Bun.sleep(200);
    }
  }
  const mainPid = async () => Number(await prop("MainPID"));

  beforeAll(async () => {
    bins = await buildBinaries();
    // A second, different build of the same code (plain JS instead of bytecode) is the "old"
    // version the upgrade replaces.
    const build = await runCmd([BUN, join(REPO, "scripts", "build.ts"), "--arch", "x64", "--no-bytecode", "--out-dir", work], { cwd: REPO, timeoutMs: 240_000 });
    if (build.code !== 0) throw new Error(`old build failed: ${build.stdout}${build.stderr}`);
    older = join(work, "argus-linux-x64");
    box = await bootContainer({ "argus-old": older, "argus-new": bins.x64, "install.sh": join(REPO, "scripts", "install.sh") });
  }, 600_000);
  afterAll(async () => {
    await box?.stop();
    await runCmd(["rm", "-rf", work]);
  }, 60_000);

  test("install.sh installs and starts the unit; /health answers; the start-up line says raw sockets and no subnet", async () => {
    const r = await box.exec(["sh", "/root/install.sh", "/root/argus-old"], { timeoutMs: 60_000 });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).toContain("Argus is running");
    expect((await box.exec(["systemctl", "is-active", "argus.service"])).stdout.trim()).toBe("active");
    expect((await box.exec(["systemctl", "is-enabled", "argus.service"])).stdout.trim()).toBe("enabled");
    const h = await health();
    expect(status(h)).toBe(200);
    expect(body(h)).toMatchObject({ status: "healthy", db: "ok" });
    const journal = (await box.exec(["journalctl", "-u", "argus", "-o", "cat", "--no-pager"])).stdout;
    const startLines = journal.split("\n").filter((l) => l.includes("Raw sockets available"));
    expect(startLines).toHaveLength(1);
    expect(startLines[0]).toContain("No subnet confirmed: nothing will be scanned until one is confirmed in the setup wizard or config.");
    expect(startLines[0]).toContain("raw_sockets=\"full\"");
  }, 90_000);

  test("systemd-analyze security rates it at most 2.0; the process has exactly CAP_NET_RAW, as user argus", async () => {
    const sec = await box.exec(["systemd-analyze", "security", "--no-pager", "argus.service"]);
    const m = /Overall exposure level for argus\.service: (\d+\.\d+)/.exec(sec.stdout);
    expect(m).not.toBeNull();
    console.log(`systemd-analyze security (live unit): ${m![1]}`);
    expect(Number(m![1])).toBeLessThanOrEqual(2.0);
    const procStatus = (await box.exec(["cat", `/proc/${await mainPid()}/status`])).stdout;
    const field = (k: string) => /^(\w+):\s*(.*)$/m.exec(procStatus.split("\n").find((l) => l.startsWith(`${k}:`)) ?? "")?.[2] ?? "";
    expect(BigInt(`0x${field("CapEff")}`)).toBe(CAP_NET_RAW);
    expect(BigInt(`0x${field("CapBnd")}`)).toBe(CAP_NET_RAW);
    const uid = field("Uid").split(/\s+/)[0];
    expect((await box.exec(["getent", "passwd", uid])).stdout).toStartWith("argus:");
    expect(field("NoNewPrivs")).toBe("1");
  }, 60_000);

  test("a kill -9 of the main process is restarted by systemd", async () => {
    const before = await mainPid();
    const restarts = Number(await prop("NRestarts"));
    expect((await sh(`kill -9 ${before}`)).code).toBe(0);
    await until("a new main process", async () => {
      const pid = await mainPid();
      return pid !== 0 && pid !== before && (await box.exec(["systemctl", "is-active", "argus.service"])).stdout.trim() === "active";
    });
    expect(Number(await prop("NRestarts"))).toBe(restarts + 1);
    expect(status(await health())).toBe(200);
  }, 60_000);

  test("the watchdog is fed: with WatchdogSec=2 (a runtime drop-in) pings keep arriving and nothing is restarted", async () => {
    await sh("mkdir -p /run/systemd/system/argus.service.d && printf '[Service]\\nWatchdogSec=2\\n' > /run/systemd/system/argus.service.d/watchdog.conf && systemctl daemon-reload && systemctl restart argus.service");
    try {
      expect(await prop("WatchdogUSec")).toBe("2s");
      const pid = await mainPid();
      const restarts = await prop("NRestarts");
      const seen = new Set<string>();
      // Six seconds: three watchdog periods, so an unfed watchdog would have killed it twice over.
      for (let i = 0; i < 12; i++) {
        await Bun.sleep(500);
        seen.add(await prop("WatchdogTimestampMonotonic"));
      }
      seen.delete("0");
      expect(seen.size).toBeGreaterThanOrEqual(4);
      expect(await mainPid()).toBe(pid);
      expect(await prop("NRestarts")).toBe(restarts);
      expect((await box.exec(["systemctl", "is-active", "argus.service"])).stdout.trim()).toBe("active");
    } finally {
      await sh("rm -rf /run/systemd/system/argus.service.d && systemctl daemon-reload && systemctl restart argus.service");
    }
    expect(await prop("WatchdogUSec")).toBe("1min");
  }, 60_000);

  test("systemctl stop finishes in under 5 s with a clean exit", async () => {
    const t0 = performance.now();
    const r = await box.exec(["systemctl", "stop", "argus.service"]);
    const ms = performance.now() - t0;
    console.log(`systemctl stop: ${ms.toFixed(0)} ms`);
    expect(r.code).toBe(0);
    expect(ms).toBeLessThan(5000);
    expect(await prop("Result")).toBe("success");
    expect(await prop("ExecMainStatus")).toBe("0");
    expect((await box.exec(["systemctl", "start", "argus.service"])).code).toBe(0);
    expect(status(await health())).toBe(200);
  }, 60_000);

  test("an upgrade (install.sh with a newer build) keeps the database and the session secret", async () => {
    // Data made before: the admin (and its session) through the API, an API key through the CLI.
    expect(status(await api(["-c", jar, "-H", "Content-Type: application/json", "-d", JSON.stringify(ADMIN), "http://127.0.0.1:8080/api/setup"]))).toBe(201);
    const made = await box.exec(["argus", "keys", "create", "upgrade-check"]);
    expect(made.code).toBe(0);
    const key = made.stdout.trim();
    expect(key).toStartWith("argus_");
    const secretBefore = readFileSync(join(box.root, "etc/argus/argus.env"), "utf8").match(/^ARGUS_SESSION_SECRET=.*$/m)?.[0];
    expect(secretBefore).toBeDefined();
    const pidBefore = await mainPid();

    const r = await box.exec(["sh", "/root/install.sh", "/root/argus-new"], { timeoutMs: 60_000 });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).toContain("kept (existing secret)");
    // The new binary is in place and is what runs now.
    const pid = await mainPid();
    expect(pid).not.toBe(pidBefore);
    expect(readFileSync(join(box.root, "usr/local/bin/argus")).equals(readFileSync(bins.x64))).toBe(true);
    // Same file as the running executable (compared by device and inode: a readlink of /proc/PID/exe
    // shows a path relative to the reader's root, which differs when the tests run in a chroot).
    const inode = async (path: string) => (await box.exec(["stat", "-L", "-c", "%d:%i", path])).stdout.trim();
    expect(await inode(`/proc/${pid}/exe`)).toBe(await inode("/usr/local/bin/argus"));
    expect(readFileSync(join(box.root, "etc/argus/argus.env"), "utf8").match(/^ARGUS_SESSION_SECRET=.*$/m)?.[0]).toBe(secretBefore!);
    // The database came through: the key works; the session cookie (signed with the kept secret) too.
    const keys = await api(["-H", `X-API-Key: ${key}`, "http://127.0.0.1:8080/api/keys"]);
    expect(status(keys)).toBe(200);
    expect(body(keys).map((k: { name: string }) => k.name)).toEqual(["upgrade-check"]);
    const me = await api(["-b", jar, "http://127.0.0.1:8080/api/auth/me"]);
    expect(status(me)).toBe(200);
    expect(body(me)).toMatchObject({ username: ADMIN.username });
  }, 90_000);

  test("uninstall, as README describes it, leaves nothing running and nothing behind", async () => {
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const block = /### Uninstall\s+```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const script = block!
      .split("\n")
      .map((l) => l.replace(/\s+#.*$/, "").replace(/^sudo /, "").trim())
      .filter(Boolean);
    expect(script.length).toBeGreaterThanOrEqual(4);
    const r = await sh(`set -e\n${script.join("\n")}`);
    expect(r.code).toBe(0);
    // systemctl disable says what it removed; anything else on stderr would be a complaint.
    expect(r.stderr.split("\n").filter((l) => l && !l.startsWith("Removed "))).toEqual([]);

    expect((await box.exec(["systemctl", "is-active", "argus.service"])).stdout.trim()).toBe("inactive");
    expect((await box.exec(["systemctl", "list-units", "--all", "--plain", "--no-legend", "argus*"])).stdout.trim()).toBe("");
    // No process of the appliance left, whatever it is called now.
    const exes = (await sh("for p in /proc/[0-9]*; do readlink $p/exe; done 2>/dev/null; true")).stdout;
    expect(exes.split("\n").filter((e) => /\/argus( \(deleted\))?$/.test(e))).toEqual([]);
    expect((await box.exec(["getent", "passwd", "argus"])).code).not.toBe(0);
    expect((await health()).code).not.toBe(0);
    for (const path of ["usr/local/bin/argus", "etc/systemd/system/argus.service", "etc/argus", "var/lib/argus"]) expect({ path, exists: existsSync(join(box.root, path)) }).toEqual({ path, exists: false });
  }, 60_000);
});
