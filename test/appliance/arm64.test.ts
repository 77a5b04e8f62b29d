// The cross-built arm64 binary (Raspberry Pi) run under qemu-aarch64 user emulation: it is an
// aarch64 executable, it starts and answers /health, and its embedded native core (cross-compiled
// with gcc-aarch64-linux-gnu) sweeps the namespace test network.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openSync, readSync, closeSync, rmSync } from "node:fs";
import { join } from "node:path";
import { requireRoot, withTestnet } from "../helpers/testnet.ts";
import { ARM64_SYSROOT, baseEnv, buildBinaries, canCrossCompile, canRunArm64, launch, requireThat, runCmd, tempDir, type Binaries } from "./harness.ts";
import pkg from "../../package.json" with { type: "json" };

const ready =
  requireThat(canCrossCompile, "gcc-aarch64-linux-gnu (Debian) to cross-compile the arm64 native core") &&
  requireThat(canRunArm64, "qemu-aarch64 (Debian qemu-user) and the arm64 C library (libc6-arm64-cross)");

const qemu = (bin: string) => ["qemu-aarch64", "-L", ARM64_SYSROOT, bin];

describe.skipIf(!ready)("arm64 binary under qemu", () => {
  let bins: Binaries;
  const dirs: string[] = [];
  beforeAll(async () => {
    bins = await buildBinaries();
  }, 180_000);
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("is a 64-bit little-endian ELF executable for aarch64", () => {
    const fd = openSync(bins.arm64!, "r");
    const head = Buffer.alloc(20);
    readSync(fd, head, 0, 20, 0);
    closeSync(fd);
    expect(head.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    expect(head[4]).toBe(2); // ELFCLASS64
    expect(head[5]).toBe(1); // little-endian
    expect(head.readUInt16LE(18)).toBe(183); // EM_AARCH64
  });

  test("prints its version and answers /health", async () => {
    const cwd = tempDir("argus-arm64-");
    dirs.push(cwd);
    const v = await runCmd([...qemu(bins.arm64!), "--version"], { cwd, env: { PATH: "/usr/bin:/bin" } });
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(`argus ${pkg.version}`);
    // Emulated start-up is slow; the budget is generous on purpose.
    const s = await launch([...qemu(bins.arm64!), "serve"], { env: baseEnv(join(cwd, "data")), cwd, timeoutMs: 60_000 });
    try {
      const res = await fetch(`${s.url}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: "healthy", version: pkg.version, db: "ok" });
      expect((await s.signal("SIGTERM", 20_000)).code).toBe(0);
    } finally {
      s.proc.kill("SIGKILL");
    }
  }, 120_000);

  test("talks sd_notify (libc over bun:ffi) on arm64 too: READY, WATCHDOG, STOPPING", async () => {
    if (!requireThat(Bun.which("python3") !== null, "python3 (a unix datagram listener standing in for systemd)")) return;
    const cwd = tempDir("argus-arm64-");
    dirs.push(cwd);
    const listener = String.raw`
import socket, subprocess, sys, json
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(60)
env = {"PATH": "/usr/bin:/bin", "ARGUS_DATA_DIR": sys.argv[2], "ARGUS_HOST": "127.0.0.1", "ARGUS_PORT": "0",
       "NOTIFY_SOCKET": sys.argv[1], "WATCHDOG_USEC": "2000000"}
p = subprocess.Popen(sys.argv[3:] + ["serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
got = [s.recv(4096).decode(), s.recv(4096).decode()]
p.terminate()
got.append(s.recv(4096).decode())
print(json.dumps({"messages": got, "code": p.wait(timeout=20)}))
`;
    const r = await runCmd(["python3", "-c", listener, join(cwd, "notify.sock"), join(cwd, "data"), ...qemu(bins.arm64!)], { timeoutMs: 90_000 });
    const out = JSON.parse(r.stdout) as { messages: string[]; code: number };
    expect(out.messages[0]).toStartWith("READY=1\nSTATUS=serving on http://127.0.0.1:");
    expect(out.messages[1]).toBe("WATCHDOG=1");
    expect(out.messages[2]).toBe("STOPPING=1");
    expect(out.code).toBe(0);
  }, 120_000);

  test("its embedded arm64 native core sweeps the namespace test network", async () => {
    if (!requireRoot("sweeps with raw sockets inside network namespaces")) return;
    await withTestnet({ hosts: 3 }, async (net) => {
      const r = await net.exec([...qemu(bins.arm64!), "sweep", net.truth.lan_subnet, "--json", "--strict", "--quiet"], { timeoutMs: 120_000 });
      expect(r.exitCode).toBe(0);
      const found = (JSON.parse(r.stdout) as { ip: string; mac: string; method: string }[]).map((h) => `${h.ip} ${h.mac} ${h.method}`).sort();
      expect(found).toEqual(net.truth.hosts.map((h) => `${h.ip} ${h.mac} arp`).sort());
    });
  }, 180_000);
});
