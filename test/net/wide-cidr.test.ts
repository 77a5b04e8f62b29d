// A CIDR wider than the attached subnet reaches the kernel's broadcast address of a neighbouring
// interface; sending an echo there is refused (EACCES without SO_BROADCAST). That one address must
// be given up, not the whole sweep.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { requireRoot } from "../helpers/testnet.ts";

const root = requireRoot("builds a namespace with two veth interfaces and sweeps in it");
const MAIN = join(import.meta.dir, "../../src/main.ts");

describe.skipIf(!root)("sweep across a neighbouring interface's broadcast address", () => {
  const ns = `argus-wide-${process.pid}`;
  const sh = (cmd: string[]) => {
    const r = Bun.spawnSync(cmd, { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr}`);
  };
  beforeAll(() => {
    sh(["ip", "netns", "add", ns]);
    for (const [dev, addr] of [["d0", "10.9.1.1/24"], ["d1", "10.9.2.1/24"]]) {
      // veth pairs (this kernel has no dummy driver); the peers have no address, so nothing answers.
      sh(["ip", "-n", ns, "link", "add", dev, "type", "veth", "peer", "name", `${dev}p`]);
      sh(["ip", "-n", ns, "addr", "add", addr, "dev", dev]);
      sh(["ip", "-n", ns, "link", "set", dev, "up"]);
      sh(["ip", "-n", ns, "link", "set", `${dev}p`, "up"]); // carrier, so the interface counts as up
    }
  });
  afterAll(() => void Bun.spawnSync(["ip", "netns", "del", ns]));

  test("argus sweep 10.9.2.0/23 --iface d0 finishes (the .2.255 echo is refused, nothing answers on the bare peers)", async () => {
    const proc = Bun.spawn(["ip", "netns", "exec", ns, process.execPath, MAIN, "sweep", "10.9.2.0/23", "--iface", "d0", "--json"], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(err).not.toContain("EACCES");
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([]);
  }, 30_000);
});
