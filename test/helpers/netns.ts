// Synchronous commands in one namespace of a test network built by testnet.ts (scripts/testnet.sh),
// for tests that script a namespace step by step (nftables rules, nmap, arp-scan). Namespaces are
// made and torn down only by testnet.ts: one builder, one cleanup.
import { spawnSync } from "node:child_process";

export function run(cmd: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  const r = spawnSync(cmd[0], cmd.slice(1), { input: opts.input, encoding: "utf8" });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  }
  return r.stdout;
}

export class Netns {
  constructor(readonly name: string) {}
  exec(cmd: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
    return run(["ip", "netns", "exec", this.name, ...cmd], opts);
  }
  /** The argv prefix to run something asynchronously inside the namespace. */
  argv(cmd: string[]): string[] {
    return ["ip", "netns", "exec", this.name, ...cmd];
  }
  nft(ruleset: string): void {
    this.exec(["nft", "-f", "-"], { input: ruleset });
  }
}
