// The whole scan pipeline on a real test network: the appliance runs inside the scanner namespace,
// hosts run real TCP services, and the test changes the network between scans. Every scan is
// started over HTTP, as an integration would.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join, resolve } from "node:path";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, startTestnet, type Testnet, type TruthHost } from "../helpers/testnet.ts";

const root = requireRoot("runs scans on a namespace test network");
const SERVICES = resolve(import.meta.dir, "fixtures/services.ts");
const SUBNET = "10.231.0.0/24,10.232.0.0/24";

describe.skipIf(!root)("scan pipeline on a test network", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let hosts: TruthHost[];
  const services = new Map<string, ReturnType<Testnet["spawn"]>>();

  /** Starts services on a host; the key lets the test stop exactly this set later. */
  async function serve(key: string, host: TruthHost, ip: string, ports: Record<string, string>) {
    const proc = Bun.spawn(["ip", "netns", "exec", host.ns, process.execPath, SERVICES, JSON.stringify({ host: ip, services: ports })], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    const reader = proc.stdout.getReader();
    const { value } = await reader.read();
    if (!new TextDecoder().decode(value).includes("READY")) throw new Error(`services on ${ip} did not start`);
    services.set(key, proc);
  }
  const stop = async (key: string) => {
    const p = services.get(key)!;
    p.kill();
    await p.exited;
    services.delete(key);
  };

  async function scan(profile = "normal") {
    const res = await api.request("POST", `/api/scan/trigger?profile=${profile}&subnet=${encodeURIComponent(SUBNET)}`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "started", profile, subnet: SUBNET });
    const done = await waitForScan(api, res.body.scan_id);
    expect(done.status).toBe("completed");
    return done;
  }

  const db = () => new Database(join(server.dataDir, "argus.db"), { readonly: true });

  beforeAll(async () => {
    net = await startTestnet({ hosts: 5, routed: 1, vendorMacs: true });
    hosts = net.hostsWith("normal").filter((h) => h.role !== "router");
    const [h1, h2, h3, , h5] = hosts;
    await serve("h1-web", h1, h1.ip, { "80": "http" });
    await serve("h1-ssh", h1, h1.ip, { "22": "ssh" });
    await serve("h2", h2, h2.ip, { "22": "ssh" });
    await serve("h3", h3, h3.ip, { "23": "telnet" });
    await serve("h5", h5, h5.ip, { "80": "http" });
    // h4 stays dark in the first scan, to appear as a new device in the second.
    await net.nsExec(hosts[3].ns, ["ip", "link", "set", "eth0", "down"]);
    server = await startNetServer(net);
    ({ key: apiKey } = await adminWithKey(server));
    api = server.client({ "X-API-Key": apiKey });
  }, 60_000);
  let apiKey = "";

  afterAll(async () => {
    for (const p of services.values()) p.kill();
    await server?.close();
    await net?.down();
  });

  let first: any;

  test("the first scan finds every live host with its MAC, vendor, ports, services and risk", async () => {
    first = await scan();
    const seen = (await api.get(`/api/scans/${first.id}/devices?limit=100`)).body as any[];
    const router = net.truth.hosts.find((h) => h.role === "router")!;
    const routed = net.truth.hosts.find((h) => h.behaviour === "routed")!;
    // The router also answers on its routed-side address (…254 of the routed subnet, per the test
    // network's layout); beyond a router no MAC is knowable, so it is an IP-only device.
    const routerFar = { ip: net.truth.routed_subnet!.replace(/\.0\/24$/, ".254"), mac: null };
    const live = [...hosts.filter((_, i) => i !== 3), router, routed, routerFar];
    expect(seen.map((d) => d.ip_address).sort()).toEqual(live.map((h) => h.ip).sort());
    for (const h of live) expect(seen.find((d) => d.ip_address === h.ip).mac_address).toBe(h.mac);
    expect(first.hosts_found).toBe(live.length);

    const all = (await api.get("/api/devices?limit=100")).body as any[];
    const device = async (ip: string) => (await api.get(`/api/devices/${all.find((x) => x.ip_address === ip).id}`)).body;
    const ports = async (ip: string) => (await device(ip)).ports.map((p: any) => ({ port: p.port, service: p.service, product: p.product, version: p.version }));
    // Vendors from the IEEE registry for the OUIs the test network hands out, in its documented order.
    expect((await device(hosts[0].ip)).vendor).toContain("Raspberry Pi");
    expect((await device(hosts[1].ip)).vendor).toContain("Synology");
    expect((await device(hosts[2].ip)).vendor).toContain("Apple");
    expect((await device(hosts[4].ip)).vendor).toContain("Brother");
    expect(await ports(hosts[0].ip)).toEqual([
      { port: 22, service: "ssh", product: "OpenSSH", version: "9.2p1" },
      { port: 80, service: "http", product: "lighttpd", version: "1.4.59" },
    ]);
    expect(await ports(hosts[2].ip)).toEqual([{ port: 23, service: "telnet", product: null, version: null }]);
    // Telnet is critical; plain HTTP is medium; SSH alone is no finding.
    const camera = await device(hosts[2].ip);
    expect(camera).toMatchObject({ risk_level: "critical", status: "online", mac_address: hosts[2].mac });
    expect(camera.threats[0].level).toBe("critical");
    expect(camera.threats[0].recommendation.length).toBeGreaterThan(10);
    expect((await device(hosts[4].ip)).risk_level).toBe("medium");
    // The routed host is known by IP only.
    expect((await device(routed.ip)).mac_address).toBeNull();
    // The first scan reports every device as added, and nothing else.
    const changes = (await api.get(`/api/changes?scan_id=${first.id}&limit=100`)).body as any[];
    expect(changes.every((c) => c.change_type === "device_added")).toBe(true);
    expect(changes.length).toBe(live.length);
    const stats = (await api.get("/api/stats")).body;
    expect(stats).toMatchObject({ total_devices: live.length, online_devices: live.length, critical: 1 });
  }, 120_000);

  test("after the network changes, the second scan reports exactly those changes", async () => {
    const [h1, h2, h3, h4, h5] = hosts;
    // A host appears; a service stops; a new port opens; a MAC moves to a new IP; an IP gets a new MAC.
    await net.nsExec(h4.ns, ["ip", "link", "set", "eth0", "up"]);
    await stop("h1-web");
    await serve("h2-ftp", h2, h2.ip, { "21": "ftp" });
    await stop("h3");
    await net.nsExec(h3.ns, ["ip", "addr", "flush", "dev", "eth0"]);
    await net.nsExec(h3.ns, ["ip", "addr", "add", "10.231.0.77/24", "dev", "eth0"]);
    await serve("h3", h3, "10.231.0.77", { "23": "telnet" });
    const newMac = "3c:2a:f4:00:99:01";
    await net.nsExec(h5.ns, ["ip", "link", "set", "eth0", "address", newMac]);
    // The scanner's neighbour cache would otherwise still hold the old MAC for h5 for a while.
    await net.exec(["ip", "neigh", "flush", "all"]);

    const second = await scan();
    const cmp = await api.get(`/api/scans/${second.id}/compare/${first.id}`);
    expect(cmp.status).toBe(200);
    const got = (cmp.body.changes as any[]).map((c) => `${c.change_type} ${c.device_ip} ${c.old_value ?? "-"} ${c.new_value ?? "-"}`).sort();
    expect(got).toEqual(
      [
        `device_added ${h4.ip} - ${h4.ip}`,
        `ip_changed 10.231.0.77 ${h3.ip} 10.231.0.77`,
        `mac_changed_for_ip ${h5.ip} ${h5.mac} ${newMac}`,
        `port_closed ${h1.ip} 80 -`,
        `port_opened ${h2.ip} - 21`,
      ].sort(),
    );
    const bySeverity = Object.fromEntries((cmp.body.changes as any[]).map((c) => [c.change_type, c.severity]));
    expect(bySeverity).toMatchObject({ device_added: "warning", mac_changed_for_ip: "warning", port_closed: "info", ip_changed: "info" });
    // FTP is a high-risk service, and ProFTPD 1.3.5 has a critical CVE (mod_copy): the opened port is critical.
    expect(bySeverity.port_opened).toBe("critical");
    expect(cmp.body.summary.total_changes).toBe(5);
    expect(second.changes_count).toBe(5);
    // The trend chart's points, recorded as each scan finished. At risk in the first scan: h1 and h5
    // (plain HTTP, medium), h2 (OpenSSH 9.2p1, CVE-2024-6387, high) and h3 (Telnet, critical). In the
    // second: h1 (its OpenSSH is still vulnerable), h2 (+FTP), h3 (moved) and the new MAC at h5's IP
    // (plain HTTP); h4 serves nothing.
    const trends = (await api.get("/api/trends?days=1")).body as any[];
    expect(trends.map((p) => p.scan_id)).toEqual([first.id, second.id]);
    expect(trends[0]).toMatchObject({ devices: first.hosts_found, at_risk: 4, changes: first.changes_count });
    expect(trends[1]).toMatchObject({ devices: second.hosts_found, at_risk: 4, changes: 5 });
    // History stays history: trusting the camera today lowers today's stats, not past points.
    const camera = ((await api.get("/api/devices?limit=100")).body as any[]).find((d) => d.mac_address === h3.mac);
    expect((await api.request("PUT", `/api/devices/${camera.id}`, { json: { is_trusted: true } })).status).toBe(200);
    expect(((await api.get("/api/trends?days=1")).body as any[]).map((p) => p.at_risk)).toEqual([4, 4]);
    const statsNow = (await api.get("/api/stats")).body;
    // Now at risk: h1, h2, the new MAC at h5's IP, and h5's old MAC (missed once, still on record with
    // plain HTTP); the camera is trusted.
    expect(statsNow.devices_at_risk).toBe(4);
    expect((await api.get(`/api/devices/${camera.id}`)).body.threat_summary).toMatch(/^Critical: Telnet on port 23.* trusted device, not counted as at risk\.$/);
    expect((await api.request("PUT", `/api/devices/${camera.id}`, { json: { is_trusted: false } })).status).toBe(200);
    expect((await api.get(`/api/devices/${camera.id}`)).body.threat_summary).not.toContain("trusted");
  }, 120_000);

  test("a quick scan touches no ports; h5's old MAC, missing a second scan in a row, now goes offline", async () => {
    const before = db();
    const portCount = (before.query("SELECT count(*) AS n FROM ports").get() as any).n;
    before.close();
    const quick = await scan("quick");
    expect(quick.ports_scanned).toBe(0);
    const changes = (await api.get(`/api/scans/${quick.id}/compare/${quick.id - 1}`)).body.changes as any[];
    expect(changes.map((c) => `${c.change_type} ${c.device_mac}`)).toEqual([`device_removed ${hosts[4].mac}`]);
    const after = db();
    expect((after.query("SELECT count(*) AS n FROM ports").get() as any).n).toBe(portCount);
    after.close();
  }, 120_000);

  test("a second trigger while a scan runs gets 409 with the running scan's id; cancel keeps what was found", async () => {
    const started = await api.request("POST", `/api/scan/trigger?profile=intensive&subnet=${encodeURIComponent(SUBNET)}`);
    expect(started.status).toBe(202);
    const again = await api.request("POST", `/api/scan/trigger?profile=quick&subnet=${encodeURIComponent(SUBNET)}`);
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(`scan_id ${started.body.scan_id}`);
    const status = await api.get("/api/scan/status");
    expect(status.body).toMatchObject({ scanning: true, scan_id: started.body.scan_id, profile: "intensive", subnet: SUBNET });
    expect(Object.keys(status.body.progress).sort()).toEqual(["elapsed_seconds", "eta_seconds", "hosts_found", "hosts_processed", "hosts_total", "phase", "ports_scanned"]);
    // Let it find the hosts and get into the 65,535-port phase, then cancel.
    const deadline = Date.now() + 20_000;
    while ((await api.get("/api/scan/status")).body.progress?.phase !== "ports" && Date.now() < deadline) await Bun.sleep(50);
    await Bun.sleep(300);
    const t0 = Date.now();
    const cancel = await api.post("/api/scan/cancel");
    expect(cancel.status).toBe(200);
    expect(cancel.body).toEqual({ status: "cancelling", scan_id: started.body.scan_id });
    const done = await waitForScan(api, started.body.scan_id);
    expect(done.status).toBe("cancelled");
    expect(Date.now() - t0).toBeLessThan(5_000);
    // What discovery found is kept…
    const kept = (await api.get(`/api/scans/${done.id}/devices?limit=100`)).body as any[];
    expect(kept.length).toBe(done.hosts_found);
    expect(kept.length).toBeGreaterThan(0);
    // …but a half-done scan changes nothing: no port "closes" for lack of being reached, nobody goes missing.
    expect((await api.get(`/api/changes?scan_id=${done.id}`)).body).toEqual([]);
    expect((await api.post("/api/scan/cancel")).status).toBe(409);
  }, 120_000);

  test("a single-device scan updates that device and marks no other device offline", async () => {
    const target = hosts[1];
    // Both the offline count and every device's run of missed scans: one missed scan does not yet
    // take a device offline, so the count alone would not show a device scan counting as absence.
    const offline = () => {
      const d = db();
      const row = d.query("SELECT sum(status = 'offline') AS offline, sum(missed_scans) AS missed FROM devices").get();
      d.close();
      return row;
    };
    const offlineBefore = offline();
    const res = await api.request("POST", `/api/scan/device/${target.ip}?profile=normal`);
    expect(res.status).toBe(202);
    const done = await waitForScan(api, res.body.scan_id);
    expect(done).toMatchObject({ status: "completed", scan_type: "device", hosts_found: 1 });
    const seen = (await api.get(`/api/scans/${done.id}/devices`)).body;
    expect(seen.map((d: any) => d.ip_address)).toEqual([target.ip]);
    expect(seen[0].open_ports).toEqual([21, 22]);
    expect(offline()).toEqual(offlineBefore);
  }, 60_000);

  test("killed mid-scan: the database is intact and the scan is marked interrupted on restart", async () => {
    const started = await api.request("POST", `/api/scan/trigger?profile=intensive&subnet=${encodeURIComponent(SUBNET)}`);
    expect(started.status).toBe(202);
    await Bun.sleep(1500);
    await server.kill("SIGKILL");
    const d = db();
    expect(d.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    d.close();
    await server.restart();
    const scanRecord = await api.get(`/api/scans/${started.body.scan_id}`);
    expect(scanRecord.body.status).toBe("interrupted");
    expect((await api.get("/api/scan/status")).body).toEqual({ scanning: false });
    // Everything recorded before the kill is still there.
    const after = db();
    // h1–h5, h5's old MAC, the router's two addresses and the routed host.
    expect((after.query("SELECT count(*) AS n FROM devices").get() as any).n).toBe(hosts.length + 4);
    after.close();
  }, 60_000);
});
