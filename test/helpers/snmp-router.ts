// A router that forwards between two test LANs and serves its own neighbour table over SNMP with
// Debian's snmpd, on the one test network builder (testnet.ts, scripts/testnet.sh):
//   LAN A  10.231.0.0/24: the scanner namespace (10.231.0.1) and one host; the router's eth0 is .254
//   LAN B  10.232.0.0/24: `routed` hosts (10.232.0.10 …) on the router's bridge P-rlan, default route via it
// The router pings every LAN B host so its ARP table holds them; snmpd listens on 10.231.0.254:161
// only, with its config and persistent state (USM keys) in a temp dir, and dies with the net.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SnmpConfig } from "../../src/sources/snmp.ts";
import { mustRun } from "./lan.ts";
import { tool } from "./require.ts";
import { startTestnet, type Testnet } from "./testnet.ts";

const BUN = process.execPath;
const READER = new URL("../sources/fixtures/read-snmp.ts", import.meta.url).pathname;

export const ROUTER_IP = "10.231.0.254";
/** An address on LAN B nobody holds: the router's ARP for it fails and must not be reported. */
export const ABSENT_IP = "10.232.0.200";

export type ReadResult = {
  observations?: { mac: string | null; ip: string | null; hostname: string | null; attached_to?: string | null }[];
  error?: { name: string; reason: string; detail: string };
  ms: number;
};

export type SnmpRouter = {
  net: Testnet;
  routerNs: string;
  /** The router's interface toward LAN B, as ifName names it. */
  routedIface: string;
  /** LAN B's hosts with the MACs their own namespaces give their eth0. */
  routed: { ip: string; mac: string }[];
  /** Entries that read this router: v2c, v3 authPriv, and v2c limited to ipNetToMediaTable. */
  v2c: SnmpConfig;
  v3: SnmpConfig;
  mediaOnly: SnmpConfig;
  /** What snmpd logged so far. */
  log(): string;
  /** Runs the reader in the scanner namespace on LAN A. */
  read(config: SnmpConfig, opts?: { max_rows?: number; abort_after_ms?: number }): Promise<ReadResult>;
  down(): Promise<void>;
};

export const SECRETS = { community: "argus-test-community", media: "argus-media-only", auth: "argus-auth-pass-1", priv: "argus-priv-pass-1" };

function snmpdConf(): string {
  return [
    `agentaddress udp:${ROUTER_IP}:161`,
    `rocommunity ${SECRETS.community} default`,
    // A view without ipNetToPhysicalTable, as older agents have: the reader must fall back.
    "view noPhysical included .1",
    "view noPhysical excluded .1.3.6.1.2.1.4.35",
    `rocommunity ${SECRETS.media} default -V noPhysical`,
    `createUser argus-v3 SHA-256 "${SECRETS.auth}" AES "${SECRETS.priv}"`,
    "rouser argus-v3 priv",
    "",
  ].join("\n");
}

export async function startSnmpRouter(opts: { routed?: number } = {}): Promise<SnmpRouter> {
  const snmpd = tool("snmpd");
  if (!snmpd) throw new Error("snmpd is not installed (Debian package snmpd)");
  const net = await startTestnet({ hosts: 1, routed: opts.routed ?? 3 });
  const routerNs = `${net.prefix}-rtr`;
  const dir = mkdtempSync(join(tmpdir(), "argus-snmpd-"));
  let daemon: ReturnType<typeof Bun.spawn> | null = null;
  const down = async () => {
    daemon?.kill();
    await daemon?.exited;
    await net.down();
    rmSync(dir, { recursive: true, force: true });
  };
  let routed: { ip: string; mac: string }[] = [];
  try {
    const hosts = net.truth.hosts.filter((h) => h.behaviour === "routed");
    routed = await Promise.all(
      hosts.map(async (h) => {
        const link = JSON.parse(await mustRun(net, h.ns, ["ip", "-j", "link", "show", "eth0"]));
        return { ip: h.ip, mac: String(link[0].address) };
      }),
    );
    // The router resolves every LAN B host (and one that is not there) as forwarding would.
    await Promise.all([...routed.map((h) => h.ip), ABSENT_IP].map((ip) => net.nsExec(routerNs, ["busybox", "ping", "-c", "1", "-W", "1", ip])));

    mkdirSync(join(dir, "persist"));
    writeFileSync(join(dir, "snmpd.conf"), snmpdConf());
    // Logged to a file, not a pipe: snmpd writes a line for some requests, and a pipe nobody reads
    // fills and stops the agent mid-walk.
    const log = join(dir, "snmpd.log");
    daemon = Bun.spawn(["ip", "netns", "exec", routerNs, snmpd, "-f", "-Lf", log, "-C", "-c", join(dir, "snmpd.conf"), "-p", join(dir, "snmpd.pid")], {
      env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, "persist"), MIBS: "" },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    });
    // snmpd logs "NET-SNMP version …" once its sockets are open.
    const deadline = Date.now() + 10_000;
    while (!(existsSync(log) && readFileSync(log, "utf8").includes("NET-SNMP version"))) {
      if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`snmpd did not start: ${existsSync(log) ? readFileSync(log, "utf8") : "no log"}`);
      await Bun.sleep(20);
    }
  } catch (e) {
    await down();
    throw e;
  }

  return {
    net,
    routerNs,
    routedIface: `${net.prefix}-rlan`,
    routed,
    v2c: { host: ROUTER_IP, version: "2c", community: SECRETS.community },
    v3: { host: ROUTER_IP, version: "3", username: "argus-v3", auth_protocol: "sha256", auth_password: SECRETS.auth, priv_protocol: "aes", priv_password: SECRETS.priv },
    mediaOnly: { host: ROUTER_IP, version: "2c", community: SECRETS.media },
    async read(config, o = {}) {
      const r = await net.exec([BUN, READER, JSON.stringify({ config, ...o })], { timeoutMs: 120_000 });
      if (r.exitCode !== 0) throw new Error(`read-snmp failed (${r.exitCode}): ${r.stderr}`);
      return JSON.parse(r.stdout) as ReadResult;
    },
    log: () => readFileSync(join(dir, "snmpd.log"), "utf8"),
    down,
  };
}
