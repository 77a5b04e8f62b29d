// The real appliance as a separate process inside a test network's scanner namespace, reached from
// the test over a unix socket (the namespace's addresses are not reachable from here, and nothing
// of the test network leaks into this machine's own namespace).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client, sealedEnv, withoutSchedule } from "./server.ts";
import type { Testnet } from "./testnet.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");

export type NetServer = {
  /** The network namespace the appliance runs in. */
  ns: string;
  /** Its address from inside that namespace (a browser started there with launchBrowserIn). */
  inside: string;
  socket: string;
  dataDir: string;
  url: string;
  unix: string;
  proc: ReturnType<typeof Bun.spawn>;
  client(headers?: Record<string, string>): Client;
  /** Stops the process with a signal and waits for it to exit; returns its exit code. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts the server again on the same data dir (after a kill), optionally with other settings. */
  restart(env?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
};

type Spawner = (cmd: string[], opts: { env: Record<string, string | undefined>; stdout: "inherit"; stderr: "inherit" }) => ReturnType<typeof Bun.spawn>;

export function startNetServer(net: Testnet, env: Record<string, string> = {}): Promise<NetServer> {
  return startInNamespace(net.truth.scanner_ns, (cmd, opts) => net.spawn(cmd, opts), env, async () => {});
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/**
 * The appliance in a namespace of its own with nothing but loopback: for API tests that could start a
 * scan (validation, 409s) but must not be able to send a packet anywhere. `noRoutes`: without the
 * routes to the private ranges (below), so that no scan target is reachable.
 */
export async function startIsolatedServer(env: Record<string, string> = {}, opts: { noRoutes?: boolean } = {}): Promise<NetServer> {
  const ns = `argus-iso-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const run = (cmd: string[]) => {
    const r = Bun.spawnSync(cmd, { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
  };
  run(["ip", "netns", "add", ns]);
  const removeNs = () => Bun.spawnSync(["ip", "netns", "del", ns]);
  process.once("exit", removeNs);
  try {
    run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    // Routes to the private ranges that lead nowhere (into this namespace's own loopback, which
    // delivers nothing to an address it does not have): scans of made-up subnets run, as on an
    // appliance with a default route, and find nothing; without any route the API refuses them.
    if (!opts.noRoutes) for (const range of PRIVATE_RANGES) run(["ip", "-n", ns, "route", "add", range, "dev", "lo"]);
    return await startInNamespace(ns, (cmd, opts) => Bun.spawn(["ip", "netns", "exec", ns, ...cmd], opts), env, async () => void removeNs());
  } catch (e) {
    removeNs();
    throw e;
  }
}

async function startInNamespace(ns: string, spawn: Spawner, env: Record<string, string>, cleanup: () => Promise<void>): Promise<NetServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "argus-netsrv-"));
  const socket = join(dataDir, "argus.sock");
  if (!env.ARGUS_CONFIG) withoutSchedule(dataDir);
  const launch = async (more: Record<string, string> = {}) => {
    rmSync(socket, { force: true });
    const proc = spawn([process.execPath, MAIN, "serve"], {
      // TCP on the namespace's own loopback (so commands run inside it can use http://localhost:8080),
      // and a unix socket for this test process, which lives outside the namespace.
      env: { ...sealedEnv(), ARGUS_SOCKET: socket, ARGUS_DATA_DIR: dataDir, ARGUS_HOST: "127.0.0.1", ARGUS_PORT: "8080", ARGUS_LOG_LEVEL: "warn", ...env, ...more },
      stdout: "inherit",
      stderr: "inherit",
    });
    for (let i = 0; i < 200; i++) {
      try {
        const res = await fetch("http://argus/health", { unix: socket } as RequestInit);
        if (res.ok) return proc;
      } catch {}
      if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode} before answering`);
      await Bun.sleep(50);
    }
    proc.kill("SIGKILL");
    throw new Error("server in the namespace did not answer /health");
  };
  const handle: NetServer = {
    ns,
    inside: "http://127.0.0.1:8080",
    socket,
    dataDir,
    url: "http://argus",
    unix: socket,
    proc: await launch(),
    client: (headers = {}) => new Client("http://argus", headers, socket),
    async kill(signal = "SIGTERM") {
      handle.proc.kill(signal);
      return handle.proc.exited;
    },
    async restart(more) {
      handle.proc = await launch(more);
    },
    async close() {
      if (handle.proc.exitCode === null) {
        handle.proc.kill("SIGTERM");
        await handle.proc.exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
      await cleanup();
    },
  };
  return handle;
}

/** Polls /api/scan/status until no scan runs; returns the scan record of `scanId`. */
export async function waitForScan(api: Client, scanId: number, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await api.get("/api/scan/status");
    if (!status.body.scanning || status.body.scan_id !== scanId) {
      const scan = await api.get(`/api/scans/${scanId}`);
      if (!["pending", "running"].includes(scan.body.status)) return scan.body;
    }
    await Bun.sleep(200);
  }
  throw new Error(`scan ${scanId} did not finish within ${timeoutMs} ms`);
}
