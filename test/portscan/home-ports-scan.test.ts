// Issue 19: hosts that listen on 8123 (Home Assistant) and 32400 (Plex), found by `normal`. The appliance
// runs inside the scanner namespace of a test network; hosts run real TCP services; scans are started
// over HTTP. A port outside the home-1000 set is not scanned by default, and is once the configured
// port range names it beside the set.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, startTestnet, type Testnet, type TruthHost } from "../helpers/testnet.ts";

const root = requireRoot("runs scans on a namespace test network");
const SERVICES = resolve(import.meta.dir, "../scans/fixtures/services.ts");
// Ports above 1000 that the old default (1-1000) missed, and one below it.
const HOME_HUB = { "22": "ssh", "8123": "http", "1883": "ftp", "8443": "http" } as const;
const MEDIA_NAS = { "32400": "http", "5001": "http", "62078": "ssh", "445": "ftp" } as const;
const OUTSIDE = 65500; // not in home-1000 (its highest port is 65389)

describe.skipIf(!root)("the normal profile's home-1000 port set on a test network", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let hub: TruthHost;
  let nas: TruthHost;
  const procs: ReturnType<typeof Bun.spawn>[] = [];

  async function serve(host: TruthHost, services: Record<string, string>) {
    const proc = Bun.spawn(["ip", "netns", "exec", host.ns, process.execPath, SERVICES, JSON.stringify({ host: host.ip, services })], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    procs.push(proc);
    const { value } = await proc.stdout.getReader().read();
    if (!new TextDecoder().decode(value).includes("READY")) throw new Error(`services on ${host.ip} did not start`);
  }

  async function normalScan(): Promise<Map<string, number[]>> {
    const subnet = net.truth.lan_subnet;
    const res = await api.request("POST", `/api/scan/trigger?profile=normal&subnet=${encodeURIComponent(subnet)}`);
    expect(res.status).toBe(202);
    const done = await waitForScan(api, res.body.scan_id);
    expect(done.status).toBe("completed");
    const seen = (await api.get(`/api/scans/${done.id}/devices?limit=100`)).body as { ip_address: string; open_ports: number[] }[];
    return new Map(seen.map((d) => [d.ip_address, [...d.open_ports].sort((a, b) => a - b)]));
  }

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    [hub, nas] = net.hostsWith("normal");
    await serve(hub, { ...HOME_HUB, [OUTSIDE]: "http" });
    await serve(nas, MEDIA_NAS);
    server = await startNetServer(net);
    const { key } = await adminWithKey(server);
    api = server.client({ "X-API-Key": key });
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) p.kill();
    await server?.close();
    await net?.down();
  });

  test("finds Home Assistant on 8123 and Plex on 32400, and the other home ports, with the default configuration", async () => {
    expect((await api.get("/api/config")).body.port_range).toBe("home-1000");
    const found = await normalScan();
    expect(found.get(hub.ip)).toEqual([22, 1883, 8123, 8443]);
    expect(found.get(nas.ip)).toEqual([445, 5001, 32400, 62078]);
    const devices = (await api.get("/api/devices?limit=100")).body as any[];
    const ha = (await api.get(`/api/devices/${devices.find((d) => d.ip_address === hub.ip).id}`)).body;
    expect(ha.ports.map((p: any) => p.port)).toEqual([22, 1883, 8123, 8443]);
    expect(ha.ports.find((p: any) => p.port === 8123).service).toBe("http");
    const plex = (await api.get(`/api/devices/${devices.find((d) => d.ip_address === nas.ip).id}`)).body;
    expect(plex.ports.find((p: any) => p.port === 32400).service).toBe("http");
  }, 120_000);

  test("a configured port range that names the set and one more port scans both", async () => {
    const put = await api.request("PUT", "/api/config", { json: { port_range: `home-1000,${OUTSIDE}` } });
    expect(put.status).toBe(200);
    expect(put.body.port_range).toBe(`home-1000,${OUTSIDE}`);
    const found = await normalScan();
    expect(found.get(hub.ip)).toEqual([22, 1883, 8123, 8443, OUTSIDE]);
    expect(found.get(nas.ip)).toEqual([445, 5001, 32400, 62078]);
  }, 120_000);

  test("a port range naming an unknown set is refused with 422 naming the field", async () => {
    const put = await api.request("PUT", "/api/config", { json: { port_range: "home-2000" } });
    expect(put.status).toBe(422);
    expect(put.body.detail).toContain("port_range");
    expect(put.body.detail).toContain("home-1000");
  });
});
