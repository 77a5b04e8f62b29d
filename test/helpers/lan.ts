// What the tests make the test LAN's hosts do (test/helpers/testnet.ts builds them): run a command
// that must succeed in a host's namespace, send raw frames from it, serve DHCP with dnsmasq, and join
// with busybox udhcpc like a real client.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SEND_FRAMES } from "./frames.ts";
import type { Testnet } from "./testnet.ts";

/** Runs `cmd` in namespace `ns`; its stdout, or an error naming the command and its stderr. */
export async function mustRun(net: Testnet, ns: string, cmd: string[], stdin?: string): Promise<string> {
  const r = await net.nsExec(ns, cmd, { timeoutMs: 60_000, stdin });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} in ${ns} failed (${r.exitCode}): ${r.stderr}`);
  return r.stdout;
}

/** Sends raw Ethernet frames from the host's eth0 at `rate` a second; the sender's JSON summary. */
export async function sendFrames(net: Testnet, ns: string, frames: Uint8Array[], rate = 1000): Promise<any> {
  const hex = frames.map((f) => Buffer.from(f).toString("hex")).join("\n") + "\n";
  return JSON.parse(await mustRun(net, ns, ["python3", SEND_FRAMES, "--iface", "eth0", "--rate", String(rate)], hex));
}

/** dnsmasq serving the addresses `range` ("first,last") on the host's eth0, in the foreground: kill it when done. */
export function dnsmasqServer(ns: string, range: string): ReturnType<typeof Bun.spawn> {
  return Bun.spawn(
    ["ip", "netns", "exec", ns, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=eth0", "--bind-interfaces", "--user=root", "--group=root",
      `--dhcp-range=${range},255.255.255.0,10m`, "--dhcp-authoritative", "--no-ping", "--leasefile-ro", "--log-facility=-", "--quiet-dhcp"],
    { stdout: "ignore", stderr: "ignore" },
  );
}

/** Writes udhcpc's event script into `dir` (it puts the leased address on the interface); its path. */
export function udhcpcScript(dir: string): string {
  const path = join(dir, "udhcpc.script");
  writeFileSync(path, '#!/bin/sh\ncase "$1" in bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface";; esac\nexit 0\n', { mode: 0o755 });
  return path;
}

/**
 * busybox udhcpc joining from eth0 and announcing `hostname`, one lease and done. `broadcast` (-B) asks
 * for broadcast replies, as many clients do, so the server's answers reach the appliance on a switched LAN.
 */
export function udhcpcJoin(script: string, hostname: string, opts: { broadcast?: boolean } = {}): string[] {
  return ["busybox", "udhcpc", ...(opts.broadcast ? ["-B"] : []), "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-A", "1", "-s", script, "-x", `hostname:${hostname}`];
}

/** A tcpdump on a host's eth0 counting the ARP requests a MAC sends to it; start() waits until it captures. */
export type ArpCapture = { stop(): Promise<{ requests: number; unicast: number; lines: string[] }> };

/**
 * Captures, in namespace `ns`, the ARP requests arriving from `fromMac` (the appliance): all of them,
 * and those sent to the host's own MAC alone (unicast: departure probes), so a test can count what
 * reached the wire.
 */
export async function captureArpFrom(ns: string, fromMac: string): Promise<ArpCapture> {
  const dump = Bun.spawn(["ip", "netns", "exec", ns, "tcpdump", "-i", "eth0", "-n", "-e", "-l", "-Q", "in", "arp", "and", "ether", "src", fromMac], { stdout: "pipe", stderr: "pipe" });
  // tcpdump says "listening on" once its capture is open.
  const reader = dump.stderr.getReader();
  let banner = "";
  while (!banner.includes("listening on")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`tcpdump did not start in ${ns}: ${banner}`);
    banner += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return {
    async stop() {
      await Bun.sleep(200);
      dump.kill("SIGINT");
      const lines = (await new Response(dump.stdout).text()).split("\n").filter((l) => l.includes("Request"));
      await dump.exited;
      // With -e a line reads "<src> > <dst>, ethertype ARP …": the destination says broadcast or not.
      const unicast = lines.filter((l) => !/> ff:ff:ff:ff:ff:ff,/.test(l)).length;
      return { requests: lines.length, unicast, lines };
    },
  };
}
