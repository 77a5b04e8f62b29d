// Issue 16: running out of file descriptors. The passive watch re-reads the interface list every 5 s
// (getifaddrs, which needs a netlink socket); under descriptor exhaustion that threw out of the timer
// with a stack trace. Here the real appliance runs in the test network's scanner namespace, its
// RLIMIT_NOFILE is lowered under its open descriptors with prlimit, then restored: it must say so in one
// log line, keep watching with what it knew, and recover without a restart.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { adminWithKey, Client, sealedEnv } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { gratuitousArp, SEND_FRAMES } from "../helpers/frames.ts";

const root = requireRoot("runs the appliance in a test network namespace and changes its descriptor limit");
const MAIN = resolve(import.meta.dir, "../../src/main.ts");

describe.skipIf(!root)("descriptor exhaustion", () => {
  let net: Testnet;
  let dir: string;
  let proc: ReturnType<typeof Bun.spawn>;
  let api: Client;
  const lines: string[] = [];

  const read = (stream: ReadableStream<Uint8Array>) =>
    void (async () => {
      let buf = "";
      for await (const chunk of stream) {
        buf += new TextDecoder().decode(chunk);
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          lines.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      }
      if (buf) lines.push(buf);
    })();

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    dir = mkdtempSync(join(tmpdir(), "argus-fds-"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ subnets: [net.truth.lan_subnet], schedule: [] }));
    const socket = join(dir, "argus.sock");
    proc = net.spawn([process.execPath, MAIN, "serve"], {
      env: { ...sealedEnv(), ARGUS_SOCKET: socket, ARGUS_DATA_DIR: dir, ARGUS_HOST: "127.0.0.1", ARGUS_PORT: "8080", ARGUS_LOG_LEVEL: "info" },
      stdout: "pipe",
      stderr: "pipe",
    } as any);
    read(proc.stdout as ReadableStream<Uint8Array>);
    read(proc.stderr as ReadableStream<Uint8Array>);
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch("http://argus/health", { unix: socket } as RequestInit)).ok) break;
      } catch {}
      await Bun.sleep(50);
    }
    const { key } = await adminWithKey({ url: "http://argus", unix: socket });
    api = new Client("http://argus", { "X-API-Key": key }, socket);
  }, 90_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      proc.kill("SIGTERM");
      await proc.exited;
    }
    await net?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("getifaddrs failing with EMFILE is one log line, no stack trace; the watch keeps its interface and recovers", async () => {
    const status = await api.get("/api/passive");
    expect(status.body.interfaces).toEqual(["eth0"]);
    const pid = proc.pid;
    const hard = (await Bun.$`prlimit --pid ${pid} --nofile --noheadings --output HARD`.text()).trim();
    const open = readdirSync(`/proc/${pid}/fd`).length;
    const before = lines.length;
    // Below what is open: the next interface re-read cannot open its netlink socket, even when a few
    // descriptors (a finished HTTP connection) are closed meanwhile.
    await Bun.$`prlimit --pid ${pid} --nofile=${Math.max(open - 8, 3)}:${hard}`;
    try {
      await Bun.sleep(12_000); // two re-reads at least
    } finally {
      await Bun.$`prlimit --pid ${pid} --nofile=${hard}:${hard}`;
    }
    expect(proc.exitCode).toBeNull();
    const during = lines.slice(before);
    const told = during.filter((l) => l.includes("passive watch keeps its interfaces"));
    expect(told.length).toBe(1);
    expect(told[0]).toContain("EMFILE");
    expect(told[0]).toContain("level=warn");
    // No stack trace, no uncaught error: every line is one of the appliance's own log lines.
    const foreign = during.filter((l) => !/^time=\S+ level=(debug|info|warn|error) msg=/.test(l));
    expect(foreign).toEqual([]);
    expect(during.join("\n")).not.toMatch(/\n\s+at |uncaught|getifaddrs returned/i);

    // Recovery: the next re-read works, the interface was never dropped, and a new host is seen.
    const deadline = Date.now() + 10_000;
    while (!lines.some((l) => l.includes("passive watch reads the interface list again")) && Date.now() < deadline) await Bun.sleep(200);
    expect(lines.some((l) => l.includes("passive watch reads the interface list again"))).toBe(true);
    expect((await api.get("/api/passive")).body.interfaces).toEqual(["eth0"]);
    const h = net.truth.hosts.filter((x) => x.behaviour === "normal")[0];
    const r = await net.nsExec(h.ns, ["python3", SEND_FRAMES, "--iface", "eth0", "--rate", "100"], { stdin: Buffer.from(gratuitousArp(h.mac!, h.ip)).toString("hex") + "\n", timeoutMs: 20_000 });
    expect(r.exitCode).toBe(0);
    let seen = false;
    for (let i = 0; i < 50 && !seen; i++) {
      seen = ((await api.get(`/api/devices?q=${h.mac}`)).body as any[]).some((d) => d.mac_address === h.mac);
      if (!seen) await Bun.sleep(100);
    }
    expect(seen).toBe(true);
  }, 60_000);
});
