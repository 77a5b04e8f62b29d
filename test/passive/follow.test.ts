// The passive watch follows changes as they happen, not on a poll: a host that announces itself once,
// 0.1 s after its subnet was confirmed (PUT /api/config) or after the appliance's interface got an
// address in its subnet (the kernel's RTM_NEWADDR), is recorded. Real parts: the appliance in the
// scanner namespace of a test network, raw frames sent from a host namespace.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { gratuitousArp, SEND_FRAMES as SEND } from "../helpers/frames.ts";

/** Rounds per case: the old 5 s poll missed a frame this soon nearly always; each round must be recorded. */
const ROUNDS = 3;

const runnable = requireRoot("passive watch following configuration and address changes");

describe.skipIf(!runnable)("passive watch follows changes at once", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    // No subnet confirmed at start: the watch listens on nothing.
    server = await startNetServer(net);
    const { key } = await adminWithKey(server);
    api = server.client({ "X-API-Key": key });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await net?.down();
  });

  const sender = () => net.truth.hosts.filter((h) => h.behaviour === "normal")[0];

  /**
   * A sender already running in a host namespace (its start-up is not part of the delay): `fire`
   * hands it one frame and it goes out at once.
   */
  const armSender = async () => {
    const proc = Bun.spawn(["ip", "netns", "exec", sender().ns, "python3", SEND, "--iface", "eth0"], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    await Bun.sleep(500);
    return {
      fire: async (frame: Uint8Array) => {
        proc.stdin.write(Buffer.from(frame).toString("hex") + "\n");
        await proc.stdin.end();
        expect(await proc.exited).toBe(0);
        expect(JSON.parse(await new Response(proc.stdout).text()).sent).toBe(1);
      },
      kill: () => proc.kill("SIGKILL"),
    };
  };

  const added = async (mac: string, timeoutMs = 3000) => {
    const t0 = Date.now();
    for (;;) {
      const res = await api.get(`/api/changes?change_type=device_added&limit=1000`);
      expect(res.status).toBe(200);
      const hit = (res.body as any[]).find((c) => c.device_mac === mac);
      if (hit || Date.now() - t0 > timeoutMs) return hit ?? null;
      await Bun.sleep(100);
    }
  };

  /** The watched interfaces, once they are `want` (or whatever they are after 6 s: longer than any poll). */
  const watching = async (want: string[]) => {
    const t0 = Date.now();
    for (;;) {
      const got = (await api.get("/api/passive")).body.interfaces as string[];
      if (JSON.stringify(got) === JSON.stringify(want) || Date.now() - t0 > 6000) return got;
      await Bun.sleep(100);
    }
  };

  const putSubnets = async (subnets: string[]) => {
    const res = await api.request("PUT", "/api/config", { json: { subnets } });
    expect(res.status).toBe(200);
  };

  test("a host announcing itself once, 0.1 s after its subnet was confirmed, is recorded", async () => {
    const lan = net.truth.lan_subnet;
    for (let round = 1; round <= ROUNDS; round++) {
      // Another subnet in force: the LAN interface is not watched.
      await putSubnets(["192.168.250.0/24"]);
      expect(await watching([])).toEqual([]);
      const s = await armSender();
      try {
        const mac = `00:1d:0f:00:01:0${round}`;
        const ip = `10.231.0.${60 + round}`;
        await putSubnets([lan]);
        await Bun.sleep(100);
        await s.fire(gratuitousArp(mac, ip));
        const change = await added(mac);
        expect(change, `round ${round}: the announcement 0.1 s after confirming ${lan} was missed`).not.toBeNull();
        expect(change).toMatchObject({ device_ip: ip, scan_id: null });
      } finally {
        s.kill();
      }
    }
  }, 60_000);

  test("a host announcing itself once, 0.1 s after the appliance got an address in its subnet, is recorded", async () => {
    const extra = Array.from({ length: ROUNDS }, (_, i) => `10.232.${i + 1}.0/24`);
    await putSubnets([net.truth.lan_subnet, ...extra]);
    expect(await watching(["eth0"])).toEqual(["eth0"]);
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const s = await armSender();
        try {
          const mac = `00:1d:0f:00:02:0${round}`;
          const ip = `10.232.${round}.50`;
          const add = await net.exec(["ip", "addr", "add", `10.232.${round}.1/24`, "dev", "eth0"]);
          expect(add.exitCode).toBe(0);
          await Bun.sleep(100);
          await s.fire(gratuitousArp(mac, ip));
          const change = await added(mac);
          expect(change, `round ${round}: the announcement 0.1 s after adding 10.232.${round}.1/24 was missed`).not.toBeNull();
          expect(change).toMatchObject({ device_ip: ip, scan_id: null });
        } finally {
          s.kill();
        }
      }
    } finally {
      for (let round = 1; round <= ROUNDS; round++) await net.exec(["ip", "addr", "del", `10.232.${round}.1/24`, "dev", "eth0"]);
    }
  }, 60_000);
});
