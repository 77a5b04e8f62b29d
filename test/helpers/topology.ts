// Test topology for the port scanner and service probes, on the one test network builder (testnet.ts,
// scripts/testnet.sh, with its LAN at 10.241.0.0/24 and one host):
//   its host      "server": 10.241.0.2 and 10.241.0.3, runs test/portscan/fixtures/listeners.ts, nftables rules
//   its scanner   "client": 10.241.0.1, runs the scanner (test/portscan/fixtures/run-scan.ts) or nmap
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Netns, run } from "./netns.ts";
import { startTestnet } from "./testnet.ts";

const BUN = process.execPath;
const FIXTURES = new URL("../portscan/fixtures/", import.meta.url).pathname;

export type Topology = {
  srv: Netns;
  cli: Netns;
  hosts: [string, string];
  startListeners(extra?: { extra_open?: number[] }): Promise<void>;
  /** Starts a fixture script in the server namespace and waits for its READY line. */
  startFixture(script: string, arg: unknown): Promise<void>;
  scan(arg: Record<string, unknown>): Promise<any>;
  /** Runs a fixture script in the client namespace and parses its JSON output. */
  runClient(script: string, arg: unknown): Promise<any>;
  destroy(): Promise<void>;
};

/** extra_addrs: more server addresses (10.241.0.x); resolver: a nameserver for the client's resolv.conf. */
export async function createTopology(tag: string, opts: { extra_addrs?: string[]; resolver?: string } = {}): Promise<Topology> {
  const net = await startTestnet({ hosts: 1, lan: "10.241.0.0/24" });
  const srv = new Netns(net.truth.hosts[0].ns);
  const cli = new Netns(net.truth.scanner_ns);
  // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf: the client then asks only
  // our own resolver inside the namespace.
  const etcDir = `/etc/netns/${cli.name}`;
  const children: ReturnType<typeof Bun.spawn>[] = [];
  const tlsDir = mkdtempSync(join(tmpdir(), `${tag}${process.pid}-tls-`));
  const destroy = async () => {
    for (const c of children) c.kill();
    rmSync(tlsDir, { recursive: true, force: true });
    rmSync(etcDir, { recursive: true, force: true });
    await net.down();
  };
  try {
    if (net.truth.scanner_ip !== "10.241.0.1") throw new Error(`the client is ${net.truth.scanner_ip}, expected 10.241.0.1`);
    for (const x of ["10.241.0.2", "10.241.0.3", ...(opts.extra_addrs ?? [])]) srv.exec(["ip", "addr", "add", `${x}/24`, "dev", "eth0"]);
    mkdirSync(etcDir, { recursive: true });
    writeFileSync(`${etcDir}/resolv.conf`, `nameserver ${opts.resolver ?? "10.241.0.2"}\noptions timeout:1 attempts:1\n`);
    cli.exec(["ip", "route", "replace", "224.0.0.0/4", "dev", "eth0"]); // mDNS group queries leave by the LAN
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${tlsDir}/key.pem`, "-out", `${tlsDir}/cert.pem`,
      "-days", "1", "-subj", "/CN=nas.example.test"]);
  } catch (e) {
    await destroy();
    throw e;
  }

  async function startOn(host: string, extra: { extra_open?: number[] }) {
    await startFixture(`${FIXTURES}listeners.ts`, { host, tls_dir: tlsDir, ...extra });
  }

  async function startFixture(script: string, arg: unknown) {
    const child = Bun.spawn(srv.argv([BUN, script, JSON.stringify(arg)]),
      { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    children.push(child);
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("READY")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${script} exited before READY: ${text}`);
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
  }

  async function runClient(script: string, arg: unknown) {
    const child = Bun.spawn(cli.argv([BUN, script, JSON.stringify(arg)]), { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    if (code !== 0) throw new Error(`${script} failed (${code}): ${err}`);
    return JSON.parse(out);
  }

  return {
    srv,
    cli,
    hosts: ["10.241.0.2", "10.241.0.3"],
    async startListeners(extra = {}) {
      await startOn("10.241.0.2", extra);
    },
    startFixture,
    scan(arg) {
      return runClient(`${FIXTURES}run-scan.ts`, arg);
    },
    runClient,
    destroy,
  };
}
