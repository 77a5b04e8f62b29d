// Test helpers: root detection with an explicit skip reason, and throw-away network namespaces named with a
// per-run prefix (`<tag><pid>`), always deleted in afterAll and on process exit so a failed run leaves nothing.
import { spawnSync } from "node:child_process";
import { isCI, isRoot } from "../helpers/require.ts";

export { isCI, isRoot };

/** True when a root-only test may run. Without root: a skip (false) locally, a hard failure under CI=true. */
export function canRunAsRoot(why: string): boolean {
  if (isRoot) return true;
  const msg = `needs root (${why}): creates a network namespace`;
  if (isCI) throw new Error(`${msg}; CI=true forbids skipping`);
  console.warn(`SKIP: ${msg}; run the tests as root to include it`);
  return false;
}

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
