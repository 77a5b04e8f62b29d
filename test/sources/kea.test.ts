// The Kea source against the real Kea: kea-dhcp4 (with the lease_cmds hook) serves the test LAN from
// host 1's namespace, a busybox udhcpc client in host 2's namespace takes a lease announcing its
// host name, and kea-ctrl-agent on host 1's LAN address forwards commands over a unix socket in a
// temp dir. The reader runs in the scanner's namespace (test/sources/read-source.ts), so its
// requests cross the test LAN like an appliance's would; nothing leaves the namespaces.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { mustRun, udhcpcJoin, udhcpcScript } from "../helpers/lan.ts";
import { requireTools } from "../helpers/require.ts";
import { Scratch } from "../helpers/scratch.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";

const ready = requireRoot("runs Kea in network namespaces") && requireTools([["kea-dhcp4", "kea-dhcp4-server"], ["kea-ctrl-agent", "kea-ctrl-agent"], ["busybox", "busybox"]]);
const LEASE_CMDS = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so";
const READER = resolve(import.meta.dir, "read-source.ts");
const KEA = resolve(import.meta.dir, "../../src/sources/kea.ts");
const BUN = process.execPath;

describe.skipIf(!ready)("kea source (real kea-dhcp4 and kea-ctrl-agent)", () => {
  const scratch = new Scratch();
  const daemons: ReturnType<typeof Bun.spawn>[] = [];
  let net: Testnet;
  let dir: string;
  let agentUrl: string;
  let authAgentUrl: string;
  const clientMac = "3c:07:54:00:00:42";

  const host = (i: number) => net.truth.hosts[i - 1];

  /** The reader run in the scanner's namespace with this config. */
  const read = async (config: Record<string, unknown>) => {
    const r = await net.exec([BUN, READER, KEA, "keaSource", JSON.stringify(config)], { timeoutMs: 40_000 });
    if (r.exitCode !== 0) throw new Error(`reader failed (${r.exitCode}): ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  };

  /** Starts a daemon in namespace `ns`; waits until `probe` says it is up. */
  const daemon = async (ns: string, argv: string[], up: () => Promise<boolean>, what: string) => {
    const p = Bun.spawn(["ip", "netns", "exec", ns, ...argv], {
      stdout: "ignore",
      stderr: "pipe",
      env: { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir, KEA_LOGGER_DESTINATION: "stdout" },
    });
    daemons.push(p);
    for (let i = 0; i < 100; i++) {
      if (await up()) return;
      if (p.exitCode !== null) throw new Error(`${what} exited (${p.exitCode}): ${await new Response(p.stderr).text()}`);
      await Bun.sleep(100);
    }
    throw new Error(`${what} did not come up`);
  };

  /** Kea's agent answers on `url` (any HTTP answer will do). */
  const answers = (url: string) => async () => (await net.exec(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "content-type: application/json", "-d", '{"command":"list-commands"}', url])).stdout !== "000";

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    dir = scratch.dir("argus-kea-");
    const server = host(1);
    const socket = join(dir, "kea4.sock");
    const [lanNet] = net.truth.lan_subnet.split("/");
    const base = lanNet.split(".").slice(0, 3).join(".");
    writeFileSync(join(dir, "kea-dhcp4.conf"), JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: ["eth0"], "dhcp-socket-type": "raw" },
        "control-socket": { "socket-type": "unix", "socket-name": socket },
        "lease-database": { type: "memfile", persist: true, name: join(dir, "leases4.csv"), "lfc-interval": 0 },
        "hooks-libraries": [{ library: LEASE_CMDS }],
        "valid-lifetime": 3600,
        subnet4: [{ id: 1, subnet: net.truth.lan_subnet, pools: [{ pool: `${base}.100 - ${base}.199` }] }],
        loggers: [{ name: "kea-dhcp4", output_options: [{ output: join(dir, "kea-dhcp4.log") }], severity: "INFO" }],
      },
    }));
    const agent = (port: number, auth: boolean) => ({
      "Control-agent": {
        "http-host": server.ip,
        "http-port": port,
        "control-sockets": { dhcp4: { "socket-type": "unix", "socket-name": socket } },
        ...(auth ? { authentication: { type: "basic", realm: "kea", clients: [{ user: "argus", password: "right-password" }] } } : {}),
        loggers: [{ name: "kea-ctrl-agent", output_options: [{ output: join(dir, `agent-${port}.log`) }], severity: "INFO" }],
      },
    });
    writeFileSync(join(dir, "agent.conf"), JSON.stringify(agent(8000, false)));
    writeFileSync(join(dir, "agent-auth.conf"), JSON.stringify(agent(8001, true)));
    // Two more kea-dhcp4 that serve no interface (so they never answer DHCP): one with lease_cmds and
    // no leases, one without the hook; and an agent whose dhcp4 socket has no daemon behind it.
    const idle = (name: string, hooks: boolean) => ({
      Dhcp4: {
        "interfaces-config": { interfaces: [] },
        "control-socket": { "socket-type": "unix", "socket-name": join(dir, `${name}.sock`) },
        "lease-database": { type: "memfile", persist: true, name: join(dir, `${name}.csv`), "lfc-interval": 0 },
        "hooks-libraries": hooks ? [{ library: LEASE_CMDS }] : [],
        subnet4: [{ id: 1, subnet: net.truth.lan_subnet, pools: [{ pool: `${base}.100 - ${base}.199` }] }],
        loggers: [{ name: "kea-dhcp4", output_options: [{ output: join(dir, `${name}.log`) }], severity: "INFO" }],
      },
    });
    const agentFor = (port: number, sock: string) => ({
      "Control-agent": {
        "http-host": server.ip,
        "http-port": port,
        "control-sockets": { dhcp4: { "socket-type": "unix", "socket-name": join(dir, sock) } },
        loggers: [{ name: "kea-ctrl-agent", output_options: [{ output: join(dir, `agent-${port}.log`) }], severity: "INFO" }],
      },
    });
    writeFileSync(join(dir, "empty.conf"), JSON.stringify(idle("empty", true)));
    writeFileSync(join(dir, "nohook.conf"), JSON.stringify(idle("nohook", false)));
    writeFileSync(join(dir, "agent-empty.conf"), JSON.stringify(agentFor(8002, "empty.sock")));
    writeFileSync(join(dir, "agent-nohook.conf"), JSON.stringify(agentFor(8003, "nohook.sock")));
    writeFileSync(join(dir, "agent-gone.conf"), JSON.stringify(agentFor(8004, "nobody-here.sock")));
    agentUrl = `http://${server.ip}:8000/`;
    authAgentUrl = `http://${server.ip}:8001/`;

    await daemon(server.ns, ["kea-dhcp4", "-c", join(dir, "kea-dhcp4.conf")], async () => existsSync(socket), "kea-dhcp4");
    await daemon(server.ns, ["kea-ctrl-agent", "-c", join(dir, "agent.conf")], answers(agentUrl), "kea-ctrl-agent");
    await daemon(server.ns, ["kea-ctrl-agent", "-c", join(dir, "agent-auth.conf")], answers(authAgentUrl), "kea-ctrl-agent (basic auth)");
    await daemon(server.ns, ["kea-dhcp4", "-c", join(dir, "empty.conf")], async () => existsSync(join(dir, "empty.sock")), "kea-dhcp4 (no leases)");
    await daemon(server.ns, ["kea-dhcp4", "-c", join(dir, "nohook.conf")], async () => existsSync(join(dir, "nohook.sock")), "kea-dhcp4 (no lease_cmds)");
    for (const [port, conf] of [[8002, "agent-empty.conf"], [8003, "agent-nohook.conf"], [8004, "agent-gone.conf"]] as const) {
      await daemon(server.ns, ["kea-ctrl-agent", "-c", join(dir, conf)], answers(`http://${server.ip}:${port}/`), `kea-ctrl-agent :${port}`);
    }

    // Host 2 joins like a real client: no address, a MAC of its own, a host name in option 12.
    const client = host(2).ns;
    await mustRun(net, client, ["ip", "addr", "flush", "dev", "eth0"]);
    await mustRun(net, client, ["ip", "link", "set", "eth0", "address", clientMac]);
    await mustRun(net, client, udhcpcJoin(udhcpcScript(dir), "kea-client-7"));
  }, 120_000);

  afterAll(async () => {
    for (const p of daemons) p.kill("SIGKILL");
    await Promise.all(daemons.map((p) => p.exited));
    await net?.down();
    scratch.clear();
  });

  test("lease4-get-all through the control agent returns the client's MAC, leased IP and host name", async () => {
    const leased = (await mustRun(net, host(2).ns, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"])).match(/inet (\S+)\//)?.[1];
    expect(leased).toBeDefined();
    const r = await read({ url: agentUrl });
    expect(r.error).toBeUndefined();
    const mine = r.observations.filter((o: any) => o.mac === clientMac);
    expect(mine).toHaveLength(1);
    expect(mine[0].ip).toBe(leased);
    expect(mine[0].hostname).toBe("kea-client-7");
    // Kea's client-last-transaction time and lifetime (3600 s) give the lease's end.
    const seen = Date.parse(mine[0].seen_at);
    expect(Math.abs(seen - Date.now())).toBeLessThan(120_000);
    expect(Date.parse(mine[0].lease_expires_at) - seen).toBe(3600_000);
  });

  test("an agent with basic auth: the right password reads, a wrong one fails as auth without the password in the detail", async () => {
    const ok = await read({ url: authAgentUrl, username: "argus", password: "right-password" });
    expect(ok.observations.map((o: any) => o.mac)).toContain(clientMac);
    const wrong = await read({ url: authAgentUrl, username: "argus", password: "wrong-password" });
    expect(wrong.error.reason).toBe("auth");
    expect(wrong.error.detail).toContain(authAgentUrl);
    expect(wrong.error.detail).not.toContain("wrong-password");
  });

  test("a Kea with no leases (result 3) reads as no observations, not a failure", async () => {
    const r = await read({ url: `http://${host(1).ip}:8002/` });
    expect(r).toEqual({ observations: [] });
  });

  test("a kea-dhcp4 without the lease_cmds hook (result 2) is a config failure that names the hook", async () => {
    const r = await read({ url: `http://${host(1).ip}:8003/` });
    expect(r.error.reason).toBe("config");
    expect(r.error.detail).toContain("lease_cmds");
  });

  test("an agent whose kea-dhcp4 is not running (result 1) is unreachable, with Kea's reason", async () => {
    const r = await read({ url: `http://${host(1).ip}:8004/` });
    expect(r.error.reason).toBe("unreachable");
    expect(r.error.detail).toContain("Kea could not answer lease4-get-all");
  });

  test("a URL where no agent listens is unreachable", async () => {
    const r = await read({ url: `http://${host(1).ip}:8009/` });
    expect(r.error.reason).toBe("unreachable");
    expect(r.error.detail).toContain(`${host(1).ip}:8009`);
  });
});
