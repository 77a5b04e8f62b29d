// Throw-away network namespaces for tests that need only a few (a veth pair, one replay host), named
// with a per-run prefix (`<tag><pid>`), always deleted by their test and on process exit so a failed run
// leaves nothing. The many-host LAN with its ground truth is scripts/testnet.sh (./testnet.ts); both
// follow one root rule: requireRoot in ./require.ts.
import { spawnSync } from "node:child_process";

export function run(cmd: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  const r = spawnSync(cmd[0], cmd.slice(1), { input: opts.input, encoding: "utf8" });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  }
  return r.stdout;
}

const live = new Set<string>();
process.on("exit", () => {
  for (const ns of live) spawnSync("ip", ["netns", "del", ns]);
});

export class Netns {
  readonly name: string;
  private constructor(name: string) {
    this.name = name;
  }
  /** Creates `<tag><pid>` (plus a suffix for several per run) with loopback up. */
  static create(tag: string, suffix = ""): Netns {
    const name = `${tag}${process.pid}${suffix}`;
    run(["ip", "netns", "add", name]);
    live.add(name);
    const ns = new Netns(name);
    ns.exec(["ip", "link", "set", "lo", "up"]);
    return ns;
  }
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
  destroy(): void {
    if (!live.has(this.name)) return;
    spawnSync("ip", ["netns", "del", this.name]);
    live.delete(this.name);
  }
}
