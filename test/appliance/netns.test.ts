// The compiled x64 binary scanning for real, inside the namespace test network only
// (test/helpers/testnet.ts): a quick scan through the API, and SIGTERM in the middle of a scan.
// The binary runs in the scanner namespace with the repository hidden; HTTP goes through curl
// in that namespace, since the server's loopback is the namespace's own.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { chownSync, rmSync } from "node:fs";
import { join } from "node:path";
import { lookupVendor } from "../../src/identify/vendor.ts";
import { ADMIN } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { baseEnv, buildBinaries, hideRepo, launch, requireThat, runCmd, tempDir, type Binaries, type Launched } from "./harness.ts";

const root = requireRoot("runs the binary's scans inside network namespaces");
const haveCurl = root && requireThat(Bun.which("curl") !== null, "curl (HTTP from inside the scanner namespace)");

type Reply = { status: number; body: any };

/** One HTTP request made from inside the scanner namespace. */
async function nsHttp(net: Testnet, method: string, url: string, opts: { key?: string; json?: unknown } = {}): Promise<Reply> {
  const args = ["curl", "-sS", "-X", method, "-w", "\n%{http_code}", "--max-time", "20"];
  if (opts.key) args.push("-H", `X-API-Key: ${opts.key}`);
  if (opts.json !== undefined) args.push("-H", "content-type: application/json", "--data-binary", JSON.stringify(opts.json));
  const r = await net.exec([...args, url]);
  if (r.exitCode !== 0) throw new Error(`curl ${method} ${url} failed: ${r.stderr}`);
  const cut = r.stdout.lastIndexOf("\n");
  const text = r.stdout.slice(0, cut);
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: Number(r.stdout.slice(cut + 1)), body };
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

describe.skipIf(!haveCurl)("compiled binary on the namespace test network", () => {
  let bins: Binaries;
  let net: Testnet;
  const dirs: string[] = [];
  const servers: Launched[] = [];

  beforeAll(async () => {
    bins = await buildBinaries();
    net = await startTestnet({ hosts: 4, vendorMacs: true });
  }, 240_000);

  afterAll(async () => {
    for (const s of servers) s.proc.kill("SIGKILL");
    await net?.down();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  /** Starts the binary in the scanner namespace with the repo hidden, on a fixed loopback port there. */
  async function serveInNamespace(dataDir: string, port: number): Promise<Launched> {
    const s = await launch(["ip", "netns", "exec", net.truth.scanner_ns, ...hideRepo(), bins.x64, "serve"], {
      env: baseEnv(dataDir, { ARGUS_PORT: String(port) }),
      cwd: dataDir,
    });
    servers.push(s);
    return s;
  }

  async function adminKey(s: Launched, dataDir: string): Promise<string> {
    expect((await nsHttp(net, "POST", `${s.url}/api/setup`, { json: ADMIN })).status).toBe(201);
    // The CLI only touches the database, so it runs here, outside the namespace.
    const made = await runCmd([bins.x64, "keys", "create", "netns test"], { env: { PATH: "/usr/bin:/bin", ARGUS_DATA_DIR: dataDir } });
    expect(made.code).toBe(0);
    return made.stdout.trim();
  }

  test("a quick scan through the API finds every LAN host, with vendors from the embedded OUI data", async () => {
    const dataDir = tempDir("argus-netns-");
    dirs.push(dataDir);
    const s = await serveInNamespace(dataDir, 18_080);
    const key = await adminKey(s, dataDir);
    const trig = await nsHttp(net, "POST", `${s.url}/api/scan/trigger?profile=quick&subnet=${encodeURIComponent(net.truth.lan_subnet)}`, { key });
    expect(trig.status).toBe(202);
    expect(trig.body).toMatchObject({ status: "started", profile: "quick", subnet: net.truth.lan_subnet });
    await waitFor("the scan to finish", async () => (await nsHttp(net, "GET", `${s.url}/api/scan/status`, { key })).body.scanning === false, 60_000);
    const scan = await nsHttp(net, "GET", `${s.url}/api/scans/${trig.body.scan_id}`, { key });
    expect(scan.body.status).toBe("completed");
    const devices = await nsHttp(net, "GET", `${s.url}/api/devices?limit=1000`, { key });
    expect(devices.status).toBe(200);
    const lan = net.truth.hosts.filter((h) => h.via === "arp");
    const byMac = new Map((devices.body as any[]).map((d) => [d.mac_address, d]));
    expect([...byMac.keys()].sort()).toEqual(lan.map((h) => h.mac!).sort());
    for (const h of lan) {
      const d = byMac.get(h.mac!);
      expect(d.ip_address).toBe(h.ip);
      // The same registry as the source tree's, so a missing or stale embedded table shows here.
      expect(d.vendor).toBe(lookupVendor(h.mac!));
      expect(d.vendor).not.toBeNull();
    }
    const stopped = await s.signal("SIGTERM");
    expect(stopped.code).toBe(0);

    // `argus scan` from the shell records a scan in the same inventory.
    const cli = await net.exec([...hideRepo(), bins.x64, "scan", net.truth.lan_subnet, "--json", "--data-dir", dataDir], { timeoutMs: 60_000 });
    expect(cli.exitCode).toBe(0);
    const out = JSON.parse(cli.stdout) as { scan: { id: number; status: string; profile: string }; devices: { mac_address: string; vendor: string }[] };
    expect(out.scan).toMatchObject({ id: trig.body.scan_id + 1, status: "completed", profile: "quick" });
    expect(out.devices.map((d) => d.mac_address).sort()).toEqual(lan.map((h) => h.mac!).sort());
  }, 120_000);

  test("without CAP_NET_RAW (as nobody) a quick scan still completes, marked degraded, finding the LAN hosts", async () => {
    if (!requireThat(Bun.which("setpriv") !== null, "setpriv (Debian util-linux)")) return;
    const dataDir = tempDir("argus-netns-");
    dirs.push(dataDir);
    chownSync(dataDir, 65534, 65534);
    const s = await launch(["ip", "netns", "exec", net.truth.scanner_ns, ...hideRepo(), "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bins.x64, "serve"], {
      env: baseEnv(dataDir, { ARGUS_PORT: "18083" }),
      cwd: dataDir,
    });
    servers.push(s);
    expect(s.output()).toContain("Discovery is degraded");
    expect((await nsHttp(net, "POST", `${s.url}/api/setup`, { json: ADMIN })).status).toBe(201);
    // Earlier tests filled the scanner's neighbour table; degraded discovery must find the hosts itself.
    expect((await net.exec(["ip", "neigh", "flush", "all"])).exitCode).toBe(0);
    const made = await runCmd(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bins.x64, "keys", "create", "degraded"], { env: { PATH: "/usr/bin:/bin", ARGUS_DATA_DIR: dataDir } });
    const key = made.stdout.trim();
    const trig = await nsHttp(net, "POST", `${s.url}/api/scan/trigger?profile=quick&subnet=${encodeURIComponent(net.truth.lan_subnet)}`, { key });
    expect(trig.status).toBe(202);
    await waitFor("the scan to finish", async () => (await nsHttp(net, "GET", `${s.url}/api/scan/status`, { key })).body.scanning === false, 60_000);
    const scan = (await nsHttp(net, "GET", `${s.url}/api/scans/${trig.body.scan_id}`, { key })).body;
    expect(scan).toMatchObject({ status: "completed", degraded: true });
    const devices = (await nsHttp(net, "GET", `${s.url}/api/devices?limit=1000`, { key })).body as any[];
    expect(devices.map((d) => d.mac_address).sort()).toEqual(net.truth.hosts.filter((h) => h.via === "arp").map((h) => h.mac!).sort());
    expect((await s.signal("SIGTERM")).code).toBe(0);
  }, 120_000);

  test("SIGTERM mid-scan: exit 0 within 5 s, scan marked cancelled, consistent database, findings kept", async () => {
    const dataDir = tempDir("argus-netns-");
    dirs.push(dataDir);
    const s = await serveInNamespace(dataDir, 18_081);
    const key = await adminKey(s, dataDir);
    // intensive = all 65,535 ports on each host: far longer than the moment we wait.
    const trig = await nsHttp(net, "POST", `${s.url}/api/scan/trigger?profile=intensive&subnet=${encodeURIComponent(net.truth.lan_subnet)}`, { key });
    expect(trig.status).toBe(202);
    const scanId = trig.body.scan_id as number;
    await waitFor(
      "the port phase",
      async () => {
        const st = (await nsHttp(net, "GET", `${s.url}/api/scan/status`, { key })).body;
        return st.scanning && st.progress.phase === "ports" && st.progress.ports_scanned > 0;
      },
      60_000,
    );
    const stopped = await s.signal("SIGTERM");
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5000);
    expect(s.output()).toContain('msg="stopped"');

    const db = new Database(join(dataDir, "argus.db"), { readonly: true });
    try {
      expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      expect(db.query("PRAGMA foreign_key_check").all()).toEqual([]);
      const row = db.query("SELECT status, finished_at FROM scans WHERE id = ?").get(scanId) as { status: string; finished_at: string | null };
      expect(row.status).toBe("cancelled");
      expect(row.finished_at).not.toBeNull();
      expect(db.query("SELECT count(*) AS n FROM scans WHERE status IN ('pending', 'running')").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }

    // After a restart the scan is still `cancelled` (not `interrupted`) and what it found is there.
    const again = await serveInNamespace(dataDir, 18_082);
    expect((await nsHttp(net, "GET", `${again.url}/api/scans/${scanId}`, { key })).body.status).toBe("cancelled");
    const devices = (await nsHttp(net, "GET", `${again.url}/api/devices?limit=1000`, { key })).body as any[];
    expect(devices.map((d) => d.mac_address).sort()).toEqual(net.truth.hosts.filter((h) => h.via === "arp").map((h) => h.mac!).sort());
    expect((await again.signal("SIGTERM")).code).toBe(0);
  }, 180_000);
});
