// A DHCP flood on the namespace test network (issue 16, item 4), with real parts: a C sender in a LAN
// host's namespace sends DHCP REQUESTs from thousands of random MACs, dnsmasq serves the LAN, a real
// client joins with busybox udhcpc during the flood, and the appliance's webhook and Home Assistant
// (Mosquitto) channels are watched by real receivers in the appliance's namespace.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { JsonLines } from "../helpers/json-lines.ts";
import { requireTools, tool } from "../helpers/require.ts";
import { dnsmasqServer, mustRun, udhcpcJoin, udhcpcScript } from "../helpers/lan.ts";

const SENDER = resolve(import.meta.dir, "flood-sender.c");
const RECEIVERS = resolve(import.meta.dir, "../notify/fixtures/receivers.ts");
const WATCH = resolve(import.meta.dir, "../notify/fixtures/mqtt-watch.ts");

const runnable = requireRoot("a DHCP flood on the namespace test network") &&
  requireTools([
    ["dnsmasq", "dnsmasq-base"],
    ["busybox", "busybox"],
    ["mosquitto", "mosquitto"],
    ["cc", "gcc"],
  ]);

describe.skipIf(!runnable)("a DHCP flood from random MACs", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let dir: string;
  let script: string;
  let rx: JsonLines;
  let watch: JsonLines<{ topic: string; payload: string; retain: boolean; subscribed?: boolean }>;
  const spawned: ReturnType<typeof Bun.spawn>[] = [];
  const host = (n: number) => net.truth.hosts.filter((h) => h.behaviour === "normal")[n - 1];
  const sh = (ns: string, cmd: string[], stdin?: string) => mustRun(net, ns, cmd, stdin);
  const hooks = () => rx.items.filter((r) => r.kind === "http" && r.path === "/hook/argus").map((r) => JSON.parse(r.body));

  beforeAll(async () => {
    net = await startTestnet({ hosts: 3 });
    dir = mkdtempSync(join(tmpdir(), "argus-flood-"));
    const cc = Bun.spawnSync(["cc", "-O2", "-o", join(dir, "flood-sender"), SENDER], { stderr: "pipe" });
    if (cc.exitCode !== 0) throw new Error(`cc: ${cc.stderr}`);
    script = udhcpcScript(dir);
    await sh(host(2).ns, ["ip", "addr", "flush", "dev", "eth0"]);
    spawned.push(
      dnsmasqServer(host(1).ns, "10.231.0.100,10.231.0.199"),
    );
    writeFileSync(join(dir, "mosquitto.conf"), "listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\n");
    spawned.push(net.spawn([tool("mosquitto")!, "-c", join(dir, "mosquitto.conf")], { stdout: "ignore", stderr: "ignore" }));
    rx = new JsonLines(net.spawn([process.execPath, RECEIVERS, "127.0.0.1"], { stdout: "pipe", stderr: "inherit" }));
    const httpPort = (await rx.until("receivers", (l) => l.some((x) => x.ready)))[0].http_port;
    watch = new JsonLines(net.spawn([process.execPath, WATCH], { stdout: "pipe", stderr: "inherit" }));
    await watch.until("the watcher's subscription", (m) => m.some((x) => x.subscribed));
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({
        subnets: [net.truth.lan_subnet],
        notifications: {
          // The receivers and the broker listen on the scanner namespace's own loopback.
          allow_loopback_destinations: true,
          channels: [
            { name: "hooks", type: "webhook", url: `http://127.0.0.1:${httpPort}/hook/argus` },
            { name: "ha", type: "mqtt", url: "mqtt://127.0.0.1:1883", discovery_prefix: "homeassistant", topic_prefix: "argus" },
          ],
          rules: [{ channels: ["hooks"] }],
        },
      }),
    );
    server = await startNetServer(net, { ARGUS_CONFIG: join(dir, "config.json"), ARGUS_NOTIFY_SCHEDULE: "0,200,200,200,200", ARGUS_FLOOD_DIGEST_MS: "8000" });
    const { key } = await adminWithKey(server);
    api = server.client({ "X-API-Key": key });
    await watch.until("the appliance on the broker", (m) => m.some((x) => x.topic === "argus/status" && x.payload === "online"));
  }, 120_000);

  afterAll(async () => {
    for (const p of spawned) p.kill("SIGKILL");
    await server?.close();
    await net?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("yields one digest message and no Home Assistant entity per device; a real udhcpc join during it is recorded and announced", async () => {
    // REQUESTs from random MACs for addresses outside dnsmasq's pool (it refuses them: no starvation).
    const flood = net.nsExec(host(3).ns, [join(dir, "flood-sender"), "--kind", "dhcp", "--rate", "2000", "--seconds", "10", "--lo", "20", "--hi", "90"], { timeoutMs: 60_000 });
    await Bun.sleep(2000);
    const floods = (await api.get("/api/changes?change_type=sighting_flood")).body as any[];
    expect(floods).toHaveLength(1);

    // A real client joins while the flood goes on: its DHCP handshake completes with the LAN's server.
    const mac = "3c:07:54:00:07:01";
    const ns = host(2).ns;
    await sh(ns, ["ip", "link", "set", "eth0", "address", mac]);
    await sh(ns, udhcpcJoin(script, "real-newcomer", { broadcast: true }));
    const joined = Date.now();
    let real: any = null;
    while (!real && Date.now() - joined < 3000) {
      real = ((await api.get(`/api/devices?q=${mac}`)).body as any[]).find((d) => d.mac_address === mac) ?? null;
      if (!real) await Bun.sleep(100);
    }
    expect(real).toMatchObject({ mac_address: mac, hostname: "real-newcomer" });
    expect(real.ip_address).toMatch(/^10\.231\.0\.1\d\d$/);
    const sent = JSON.parse((await flood).stdout);
    expect(sent.sent).toBeGreaterThan(15_000);

    // The flood's devices: every device added apart from the LAN's own hosts and the real newcomer.
    const lan = new Set(net.truth.hosts.map((h) => h.mac));
    const all = (await api.get("/api/devices?limit=500")).body as any[];
    const flooders = all.filter((d) => !lan.has(d.mac_address) && d.mac_address !== mac);
    expect(flooders.length).toBeGreaterThan(0);
    const floodIds = new Set(flooders.map((d) => d.id));

    // One digest lists them all (ARGUS_FLOOD_DIGEST_MS after the first of them); none is a message of its own.
    await rx.until("the flood digest", () => hooks().some((h) => h.event === "digest"), 20_000);
    await Bun.sleep(1500);
    const digests = hooks().filter((h) => h.event === "digest");
    expect(digests).toHaveLength(1);
    expect(digests[0].scan).toBeNull();
    expect(new Set(digests[0].changes.map((c: any) => c.change.device_id))).toEqual(floodIds);
    // device_added, or mac_changed_for_ip where a random MAC claimed an address in use.
    expect(new Set(digests[0].changes.map((c: any) => c.change.change_type)).difference(new Set(["device_added", "mac_changed_for_ip"])).size).toBe(0);
    const singles = hooks().filter((h) => h.event === "change");
    expect(singles.filter((h) => floodIds.has(h.change.device_id))).toEqual([]);
    expect(singles.filter((h) => h.change.change_type === "sighting_flood")).toHaveLength(1);
    // The real newcomer is announced at once, by itself.
    expect(singles.filter((h) => h.change.change_type === "device_added").map((h) => h.change.device_mac)).toEqual([mac]);

    // Home Assistant: an entity for the real newcomer, none for the flood's devices.
    await watch.until("the newcomer's tracker", (m) => m.some((x) => x.topic === `homeassistant/device_tracker/argus/device_${real.id}/config` && x.payload !== ""), 10_000);
    const configs = watch.items.filter((x) => /^homeassistant\/device_tracker\/argus\/device_\d+\/config$/.test(x.topic) && x.payload !== "");
    const entityIds = new Set(configs.map((x) => Number(x.topic.match(/device_(\d+)\/config$/)![1])));
    expect([...entityIds].filter((id) => floodIds.has(id))).toEqual([]);
  }, 120_000);
});
