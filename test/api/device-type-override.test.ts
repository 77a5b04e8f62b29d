// The owner's type and icon on the namespace test network: a real scan guesses the type with its
// evidence, the owner overrides it, and neither a second scan nor a passive mDNS sighting undoes
// that; clearing it returns to the automatic type, which went on learning underneath.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { requireTools } from "../helpers/require.ts";

const RESPONDER = resolve(import.meta.dir, "../passive/mdns-responder.py");

const runnable = requireRoot("type override on the namespace test network") && requireTools([["python3", "python3"]]);

describe.skipIf(!runnable)("the owner's device type", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  const spawned: ReturnType<typeof Bun.spawn>[] = [];
  const hosts = () => net.truth.hosts.filter((h) => h.behaviour === "normal");
  const host = () => hosts()[0];
  let id = 0;

  const device = async () => {
    const res = await api.get(`/api/devices/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  const put = (json: unknown) => api.request("PUT", `/api/devices/${id}`, { json });
  const scanHost = async () => {
    const res = await api.post(`/api/scan/device/${host().ip}?profile=normal`);
    expect(res.status).toBe(202);
    const scan = await waitForScan(api, res.body.scan_id);
    expect(scan.status).toBe("completed");
    return scan;
  };

  beforeAll(async () => {
    net = await startTestnet({ hosts: 3 });
    // The host serves RTSP's port: a camera, as far as a scan can tell.
    const rtsp = Bun.spawn(["ip", "netns", "exec", host().ns, "python3", "-c", "import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('0.0.0.0',554))\ns.listen(16)\nwhile True:\n  c,_=s.accept();c.close()"], {
      stdout: "ignore",
      stderr: "inherit",
    });
    spawned.push(rtsp);
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    const { key } = await adminWithKey(server);
    api = server.client({ "X-API-Key": key });
  }, 120_000);

  afterAll(async () => {
    for (const p of spawned) p.kill("SIGKILL");
    await server?.close();
    await net?.down();
  });

  test("a scan types the host a camera from its open RTSP port, and says so", async () => {
    await scanHost();
    const found = ((await api.get(`/api/devices?q=${host().ip}`)).body as any[]).find((d) => d.ip_address === host().ip);
    expect(found).toBeDefined();
    id = found.id;
    expect(await device()).toMatchObject({
      mac_address: host().mac,
      open_ports: [554],
      device_type: "camera",
      device_type_source: "scan",
      device_type_evidence: "RTSP port 554 open (a video stream)",
      icon: null,
    });
  }, 90_000);

  test("the owner sets type and icon: shown with source owner, counted and found as that type, audited", async () => {
    const res = await put({ device_type: "tv", icon: "speaker" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ device_type: "tv", device_type_source: "owner", device_type_evidence: null, icon: "speaker" });
    expect(await device()).toMatchObject({ device_type: "tv", device_type_source: "owner", icon: "speaker" });
    // Counted as the owner's type, no longer as the guess (other LAN hosts may have been heard meanwhile).
    const byType = (await api.get("/api/stats/device-types")).body as { device_type: string; count: number }[];
    expect(byType).toContainEqual({ device_type: "tv", count: 1 });
    expect(byType.map((t) => t.device_type)).not.toContain("camera");
    expect(((await api.get("/api/devices?q=tv")).body as any[]).map((d) => d.id)).toEqual([id]);
    const audit = (await api.get("/api/audit-logs?action=device_updated&limit=1")).body[0];
    expect(audit).toMatchObject({ resource: `device:${id}`, details: { changes: { device_type: { old: null, new: "tv" }, icon: { old: null, new: "speaker" } } } });
  });

  test("a second scan does not overwrite the owner's type", async () => {
    await scanHost();
    expect(await device()).toMatchObject({ device_type: "tv", device_type_source: "owner", icon: "speaker", open_ports: [554] });
  }, 90_000);

  test("a passive mDNS sighting announcing a printer does not overwrite it either", async () => {
    const h = host();
    const proc = Bun.spawn(["ip", "netns", "exec", h.ns, "python3", RESPONDER, "--ip", h.ip, "--name", "officejet", "--service", "_ipp._tcp", "--duration", "3"], {
      stdout: "ignore",
      stderr: "inherit",
    });
    spawned.push(proc);
    // The sighting is recorded (its services show) while the type stays the owner's.
    const deadline = Date.now() + 5000;
    let d = await device();
    while (!d.mdns_services.includes("_ipp._tcp") && Date.now() < deadline) {
      await Bun.sleep(100);
      d = await device();
    }
    expect(d.mdns_services).toContain("_ipp._tcp");
    expect(d).toMatchObject({ device_type: "tv", device_type_source: "owner", icon: "speaker" });
  }, 30_000);

  test("null returns type and icon to automatic: the guess the sighting made meanwhile, with its evidence", async () => {
    const res = await put({ device_type: null, icon: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ device_type: "printer", device_type_source: "mdns-service", device_type_evidence: "announces _ipp._tcp", icon: null });
    const audit = (await api.get("/api/audit-logs?action=device_updated&limit=1")).body[0];
    expect(audit.details.changes).toEqual({ device_type: { old: "tv", new: null }, icon: { old: "speaker", new: null } });
  });

  test("a type or icon outside the list → 422 naming the field; nothing changes", async () => {
    const before = await device();
    for (const [body, field] of [
      [{ device_type: "toaster" }, "device_type"],
      [{ device_type: "" }, "device_type"],
      [{ device_type: 5 }, "device_type"],
      [{ icon: "rocket" }, "icon"],
      [{ icon: ["tv"] }, "icon"],
    ] as const) {
      const res = await put(body);
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      expect(res.body.detail).toContain(`'${field}'`);
    }
    expect(await device()).toEqual(before);
  });

  test("a scan types the LAN's known gateway and DHCP server as routers, saying which", async () => {
    const [, gateway, dhcp] = hosts();
    const cfg = await api.request("PUT", "/api/config", {
      json: { known_infrastructure: { gateways: [{ ip: gateway.ip, mac: gateway.mac }], dhcp_servers: [{ server_id: dhcp.ip, mac: dhcp.mac }] } },
    });
    expect(cfg.status).toBe(200);
    for (const [h, evidence] of [
      [gateway, "the LAN's default gateway"],
      [dhcp, "the LAN's DHCP server"],
    ] as const) {
      const res = await api.post(`/api/scan/device/${h.ip}?profile=quick`);
      expect(res.status).toBe(202);
      expect((await waitForScan(api, res.body.scan_id)).status).toBe("completed");
      const d = ((await api.get(`/api/devices?q=${h.mac}`)).body as any[]).find((x) => x.mac_address === h.mac);
      expect(d).toMatchObject({ ip_address: h.ip, device_type: "router", device_type_source: "scan", device_type_evidence: evidence });
    }
  }, 60_000);
});
