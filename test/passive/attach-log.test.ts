// The log says when the passive watch starts listening on an interface after start-up (the owner
// confirmed a subnet in setup, or the appliance got an address in a confirmed subnet), and when it
// stops: one info line each. Real parts: `argus serve` in a test network's scanner namespace, its
// log read from its stdout, the kernel's address events.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sealedEnv } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
const SUBNET = "10.232.77.0/24";
const runnable = requireRoot("runs the appliance in a network namespace and adds an address there");

describe.skipIf(!runnable)("passive watch: a log line when it attaches after start-up", () => {
  let net: Testnet;
  let proc: ReturnType<typeof Bun.spawn>;
  let dataDir: string;
  const lines: string[] = [];

  beforeAll(async () => {
    net = await startTestnet({ hosts: 1 });
    dataDir = mkdtempSync(join(tmpdir(), "argus-attach-log-"));
    // A confirmed subnet that no interface carries yet; no schedule (nothing scans).
    writeFileSync(join(dataDir, "config.json"), JSON.stringify({ subnets: [SUBNET], schedule: [] }));
    proc = net.spawn([process.execPath, MAIN, "serve"], {
      env: { ...sealedEnv(), ARGUS_DATA_DIR: dataDir, ARGUS_SOCKET: join(dataDir, "argus.sock"), ARGUS_HOST: "127.0.0.1", ARGUS_PORT: "8080", ARGUS_LOG_LEVEL: "info" },
      stdout: "pipe",
      stderr: "pipe",
    });
    void (async () => {
      const decoder = new TextDecoder();
      let rest = "";
      for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
        rest += decoder.decode(chunk, { stream: true });
        const parts = rest.split("\n");
        rest = parts.pop()!;
        lines.push(...parts);
      }
    })();
  }, 60_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      proc.kill("SIGTERM");
      await proc.exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await net?.down();
  });

  const line = async (pattern: RegExp, timeoutMs = 5000) => {
    const t0 = Date.now();
    for (;;) {
      const hit = lines.find((l) => pattern.test(l));
      if (hit || Date.now() - t0 > timeoutMs) return hit ?? null;
      await Bun.sleep(50);
    }
  };

  test("'listening' with the interface once an address in the confirmed subnet appears, 'stopped listening' once it goes", async () => {
    const start = await line(/msg="passive watch on"/, 20_000);
    expect(start).toContain('interfaces="none yet');
    expect(lines.filter((l) => l.includes('msg="passive watch listening"'))).toEqual([]);

    expect((await net.exec(["ip", "addr", "add", "10.232.77.1/24", "dev", "eth0"])).exitCode).toBe(0);
    const attached = await line(/msg="passive watch listening"/);
    expect(attached).not.toBeNull();
    expect(attached).toMatch(/level=info msg="passive watch listening" interface="eth0" addresses="[^"]*10\.232\.77\.1\/24/);

    expect((await net.exec(["ip", "addr", "del", "10.232.77.1/24", "dev", "eth0"])).exitCode).toBe(0);
    const left = await line(/msg="passive watch stopped listening"/);
    expect(left).toMatch(/level=info msg="passive watch stopped listening" interface="eth0"/);
    // Once each: no repetition from the periodic re-read.
    await Bun.sleep(6000);
    expect(lines.filter((l) => l.includes('msg="passive watch listening"'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('msg="passive watch stopped listening"'))).toHaveLength(1);
  }, 60_000);
});
