// Several segments, one inventory (issue 21), end to end with real parts: a Debian Mosquitto with a
// password file and an ACL, one hub and two sensors as real appliance processes, each sensor on its
// own test LAN. Three test networks (testnet.ts): LAN1 and LAN2 (a sensor in each scanner namespace,
// scanning and listening to its own LAN only) and a management LAN whose host runs the broker and
// whose scanner namespace runs the hub; each sensor's namespace gets one more interface (mq0) on the
// management LAN's bridge. Nothing runs in this machine's own namespace.
//
// Checks: each LAN's devices listed once on the hub with their segment; the broker stopped and
// started mid-run (sensors buffer on disk, replay, nothing lost or repeated); a sensor killed with -9
// (offline warning and metric while it is down, then no loss or repeat after its restart); a device
// moving from LAN1 to LAN2 (one device, one device_moved); a sensor with a wrong password refused;
// the sensors' scan records, port banners and forgets on the hub.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { gratuitousArp } from "../helpers/frames.ts";
import { mustRun, sendFrames } from "../helpers/lan.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireTools, tool } from "../helpers/require.ts";
import { Scratch } from "../helpers/scratch.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { axeViolations, consoleErrors, overflow, screenshot, signedIn } from "../helpers/ui.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";

const root = requireRoot("builds three test networks and runs a broker, a hub and sensors in their namespaces");
const mosquitto = root && requireTools([["mosquitto", "mosquitto"], ["mosquitto_passwd", "mosquitto"]]) ? tool("mosquitto") : null;

const SITE = "home";
const PASSWORDS = { hub: "hub-secret-1", "sensor-lan1": "lan1-secret-2", "sensor-lan2": "lan2-secret-3" };
const BROKER_IP = "10.77.9.10";
const OFFLINE_AFTER_S = 30;
/** TCP services that speak the first words of real protocols (an SSH banner, an HTTP server), run in a LAN host's namespace. */
const SERVICES = join(import.meta.dir, "../scans/fixtures/services.ts");

/** Polls `probe` until it returns a value that is not undefined; the failure names what was awaited. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await Bun.sleep(250);
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last})` : ""}`);
}

type Appliance = { server: NetServer; api: Client; key: string; session: Client };

describe.skipIf(!root || !mosquitto)("segments: one hub and two sensors over a real Mosquitto", () => {
  const scratch = new Scratch();
  let lan1: Testnet;
  let lan2: Testnet;
  let mgmt: Testnet;
  let dir: string;
  let broker: ReturnType<typeof Bun.spawn> | null = null;
  let hub: Appliance;
  let s1: Appliance;
  let s2: Appliance;
  let intruder: Appliance | null = null;
  /** LAN2's hosts get MACs of their own (every test network numbers its hosts' MACs alike). */
  const lan2Mac = (i: number) => `02:b7:01:00:00:0${i}`;
  /** The LAN1 device that moves to LAN2: LAN1's sensor still lists it (offline), the hub under LAN2. */
  let moverMac = "";

  const startBroker = () => {
    broker = Bun.spawn(["ip", "netns", "exec", mgmt.truth.hosts[0].ns, mosquitto!, "-c", join(dir, "mosquitto.conf")], { stdout: "ignore", stderr: "ignore" });
  };
  const stopBroker = async () => {
    broker?.kill("SIGTERM");
    await broker?.exited;
    broker = null;
  };

  /** Joins a sensor's namespace to the management LAN's bridge as `ip` (interface mq0). */
  const joinManagement = async (net: Testnet, port: string, ip: string) => {
    const br = `${mgmt.prefix}-br`;
    const run = async (cmd: string[]) => {
      const r = Bun.spawnSync(cmd, { stderr: "pipe" });
      if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
    };
    await run(["ip", "-n", br, "link", "add", port, "type", "veth", "peer", "name", "mq0", "netns", net.truth.scanner_ns]);
    await run(["ip", "-n", br, "link", "set", port, "master", `${mgmt.prefix}-lan`, "up"]);
    await mustRun(net, net.truth.scanner_ns, ["ip", "addr", "add", `${ip}/24`, "dev", "mq0"]);
    await mustRun(net, net.truth.scanner_ns, ["ip", "link", "set", "mq0", "up"]);
  };

  const configFile = (name: string, config: Record<string, unknown>) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify({ schedule: [], ...config }), { mode: 0o600 });
    return path;
  };
  const sensorConfig = (net: Testnet, segment: string, user: string, password: string) => ({
    subnets: [net.truth.lan_subnet],
    role: "sensor",
    site: SITE,
    segment,
    hub: { url: `mqtt://${BROKER_IP}:1883`, username: user, password },
  });
  const start = async (net: Testnet, name: string, config: Record<string, unknown>, env: Record<string, string> = {}): Promise<Appliance> => {
    const server = await startNetServer(net, { ARGUS_CONFIG: configFile(name, config), ARGUS_SEGMENT_HEARTBEAT_MS: "1000", ARGUS_SEGMENT_CHECK_MS: "1000", ...env });
    const { key, session } = await adminWithKey(server);
    return { server, api: server.client({ "X-API-Key": key }), key, session };
  };
  const scan = async (a: Appliance) => {
    const res = await a.api.request("POST", "/api/scan/trigger?profile=quick");
    expect(res.status).toBe(202);
    const done = await waitForScan(a.api, res.body.scan_id);
    expect(done.status).toBe("completed");
  };

  const devicesOf = async (a: Appliance, query = ""): Promise<any[]> => (await a.api.get(`/api/devices?limit=1000${query}`)).body;
  const changesOf = async (a: Appliance, type: string): Promise<any[]> => (await a.api.get(`/api/changes?change_type=${type}&limit=1000`)).body;
  /** The sensor's devices (its own inventory) by MAC. */
  const macsOf = async (a: Appliance, query = "") => (await devicesOf(a, query)).map((d) => d.mac_address).sort();
  const status = async (a: Appliance) => (await a.api.get("/api/segment")).body;

  /** Waits until the sensor's outbox is empty and the hub holds exactly the sensor's devices for `segment`. */
  const inSync = (sensor: Appliance, segment: string, except: string[] = []) =>
    until(`the hub to hold ${segment}'s devices`, async () => {
      const st = await status(sensor);
      if (!st.connected || st.buffered !== 0) return undefined;
      const want = (await macsOf(sensor)).filter((m) => !except.includes(m));
      const have = await macsOf(hub, `&segment=${segment}`);
      return JSON.stringify(want) === JSON.stringify(have) ? want : undefined;
    });

  /** Every device on the hub was announced once (no repeats), and is listed once. */
  const expectNoRepeats = async () => {
    const devices = await devicesOf(hub);
    const macs = devices.map((d) => d.mac_address);
    expect(new Set(macs).size).toBe(macs.length);
    const added = (await changesOf(hub, "device_added")).map((c) => c.device_mac);
    expect(added.filter((m, i) => added.indexOf(m) !== i)).toEqual([]);
  };

  beforeAll(async () => {
    dir = scratch.dir("argus-segments-");
    [mgmt, lan1, lan2] = await Promise.all([
      startTestnet({ hosts: 1, lan: "10.77.9.0/24" }),
      startTestnet({ hosts: 3, lan: "10.77.1.0/24" }),
      startTestnet({ hosts: 4, lan: "10.77.2.0/24" }),
    ]);
    // LAN2's fourth host is where a LAN1 device will move to: down until then.
    for (const [i, h] of lan2.truth.hosts.entries()) {
      await mustRun(lan2, h.ns, ["ip", "link", "set", "eth0", "down"]);
      await mustRun(lan2, h.ns, ["ip", "link", "set", "eth0", "address", lan2Mac(i + 1)]);
      if (i < 3) await mustRun(lan2, h.ns, ["ip", "link", "set", "eth0", "up"]);
    }
    await joinManagement(lan1, `${mgmt.prefix}-m1`, "10.77.9.21");
    await joinManagement(lan2, `${mgmt.prefix}-m2`, "10.77.9.22");

    // The broker: passwords and an ACL that confines each sensor to its own topics.
    const passwd = join(dir, "passwd");
    for (const [user, password] of Object.entries(PASSWORDS)) Bun.spawnSync(["mosquitto_passwd", "-b", ...(user === "hub" ? ["-c"] : []), passwd, user, password]);
    writeFileSync(
      join(dir, "acl"),
      [
        "user hub",
        "topic read argus/+/+/events",
        "topic write argus/+/+/commands",
        ...["lan1", "lan2"].flatMap((seg) => ["", `user sensor-${seg}`, `topic write argus/${SITE}/${seg}/events`, `topic read argus/${SITE}/${seg}/commands`]),
        "",
      ].join("\n"),
    );
    mkdirP(join(dir, "mq"));
    writeFileSync(
      join(dir, "mosquitto.conf"),
      [
        `listener 1883 ${BROKER_IP}`,
        "allow_anonymous false",
        `password_file ${passwd}`,
        `acl_file ${join(dir, "acl")}`,
        // The hub's session (its subscription and the messages queued for it) survives a restart.
        "persistence true",
        `persistence_location ${join(dir, "mq")}/`,
        "max_queued_messages 100000",
        "user root",
        "",
      ].join("\n"),
    );
    startBroker();

    hub = await start(mgmt, "hub", { role: "hub", passive: false, hub: { url: `mqtt://${BROKER_IP}:1883`, username: "hub", password: PASSWORDS.hub, offline_after_s: OFFLINE_AFTER_S } });
    await until("the hub's connection", async () => ((await status(hub)).connected ? true : undefined));
    [s1, s2] = await Promise.all([
      start(lan1, "s1", sensorConfig(lan1, "lan1", "sensor-lan1", PASSWORDS["sensor-lan1"])),
      start(lan2, "s2", sensorConfig(lan2, "lan2", "sensor-lan2", PASSWORDS["sensor-lan2"])),
    ]);
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled([intruder?.server.close(), s1?.server.close(), s2?.server.close(), hub?.server.close()]);
    await stopBroker();
    await Promise.allSettled([lan1?.down(), lan2?.down(), mgmt?.down()]);
    scratch.clear();
  });

  test("two LANs with distinct hosts: the hub lists each device exactly once, with its segment", async () => {
    await Promise.all([scan(s1), scan(s2)]);
    const one = await inSync(s1, "lan1");
    const two = await inSync(s2, "lan2");
    for (const h of lan1.truth.hosts) expect(one).toContain(h.mac!);
    for (let i = 1; i <= 3; i++) expect(two).toContain(lan2Mac(i));
    const all = await devicesOf(hub);
    expect(all.length).toBe(one.length + two.length);
    for (const d of all) expect(d.segment).toBe(one.includes(d.mac_address) ? "lan1" : "lan2");
    // The sensors' changes arrive with their segment; each new device announced once.
    const added = await changesOf(hub, "device_added");
    expect(added.map((c) => c.device_mac).sort()).toEqual([...one, ...two].sort());
    for (const c of added) expect(c.segment).toBe(one.includes(c.device_mac) ? "lan1" : "lan2");
    await expectNoRepeats();
    const sensors = (await hub.api.get("/api/sensors")).body;
    expect(sensors.map((s: any) => [s.site, s.segment, s.status, s.buffered])).toEqual([
      [SITE, "lan1", "online", 0],
      [SITE, "lan2", "online", 0],
    ]);
    for (const s of sensors) expect(s.lag_seconds).toBeLessThan(5);
    // A sensor's own records carry its segment; the hub ran no scan of its own.
    for (const d of await devicesOf(s1)) expect(d.segment).toBe("lan1");
    for (const c of await changesOf(s2, "device_added")) expect(c.segment).toBe("lan2");
    expect((await s1.api.get("/api/scans")).body.map((x: any) => x.segment)).toEqual(["lan1"]);
    // The hub ran no scan of its own; it lists each sensor's, under ids of its own, with its segment.
    const own = [(await s1.api.get("/api/scans")).body[0], (await s2.api.get("/api/scans")).body[0]];
    expect(own.map((x) => x.id)).toEqual([1, 1]);
    const mirrored = await until("the hub to list both sensors' scans", async () => {
      const list = (await hub.api.get("/api/scans")).body;
      return list.length === 2 ? list : undefined;
    });
    expect(mirrored.map((x: any) => x.id).sort()).toEqual([1, 2]);
    const strip = ({ id: _id, ...rest }: any) => rest;
    for (const x of own) {
      const copy = (await hub.api.get(`/api/scans?segment=${x.segment}`)).body;
      expect(copy.map(strip)).toEqual([strip(x)]);
      expect(strip((await hub.api.get(`/api/scans/${copy[0].id}`)).body)).toEqual(strip(x));
    }
    expect((await hub.api.get("/api/scans?segment=nowhere")).body).toEqual([]);
    const badFilter = await hub.api.request("GET", `/api/scans?segment=${"x".repeat(65)}`);
    expect(badFilter.status).toBe(422);
    expect(typeof badFilter.body.detail).toBe("string");
  }, 120_000);

  test("a device's IPv6 addresses and its names by source reach the hub's device page as on its sensor", async () => {
    const [a] = lan1.truth.hosts;
    // IPv6 on LAN1 (the sensor's eth0 and one host, fixed addresses, no DAD: the network is ours); the sensor's sweep learns them.
    const enable6 = async (ns: string, addresses: string[]) => {
      await mustRun(lan1, ns, ["sysctl", "-q", "-w", "net.ipv6.conf.eth0.addr_gen_mode=1"]);
      await mustRun(lan1, ns, ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.eth0.disable_ipv6=0"]);
      for (const x of addresses) await mustRun(lan1, ns, ["ip", "-6", "addr", "add", `${x}/64`, "dev", "eth0", "nodad"]);
    };
    await enable6(lan1.truth.scanner_ns, ["fe80::1", "fd00:77:1::1"]);
    await enable6(a.ns, ["fe80::a1", "fd00:77:1::a1"]);
    // And a name only the sensor's lease-file source knows.
    const leases = join(dir, "s1.leases");
    writeFileSync(leases, `0 ${a.mac} ${a.ip} lan1-nas *\n`);
    const put = await s1.api.request("PUT", "/api/config", { json: { sources: [{ name: "leases", type: "dnsmasq_leases", path: leases, interval_s: 10 }] } });
    expect(put.status).toBe(200);
    await scan(s1);
    const idOf = async (x: Appliance) => (await devicesOf(x)).find((d) => d.mac_address === a.mac)!.id;
    const detail = async (x: Appliance) => (await x.api.get(`/api/devices/${await idOf(x)}`)).body;
    const onSensor = await until("the sensor to know the host's IPv6 addresses and its lease name", async () => {
      const d = await detail(s1);
      const v6 = d.addresses.filter((x: any) => x.family === 6).map((x: any) => x.address).sort();
      return JSON.stringify(v6) === JSON.stringify(["fd00:77:1::a1", "fe80::a1"]) && d.names.some((n: any) => n.source === "dnsmasq_leases") ? d : undefined;
    });
    const want = {
      addresses: onSensor.addresses.filter((x: any) => x.family === 6),
      names: onSensor.names.filter((n: any) => n.source === "dnsmasq_leases"),
    };
    expect(want.names.map((n: any) => n.name)).toEqual(["lan1-nas"]);
    const onHub = await until("the hub to show them", async () => {
      const d = await detail(hub);
      const got = { addresses: d.addresses.filter((x: any) => x.family === 6), names: d.names.filter((n: any) => n.source === "dnsmasq_leases") };
      return JSON.stringify(got) === JSON.stringify(want) ? got : undefined;
    });
    expect(onHub.addresses.map((x: any) => [x.address, x.scope, x.mac, x.source])).toEqual(
      want.addresses.map((x: any) => [x.address, x.address.startsWith("fe80") ? "link" : "ula", a.mac, "sweep"]),
    );
    await expectNoRepeats();
  }, 120_000);

  test("a device's port banners and TLS flags reach the hub's device page as on its sensor", async () => {
    const host = lan1.truth.hosts[1];
    const proc = Bun.spawn(["ip", "netns", "exec", host.ns, process.execPath, SERVICES, JSON.stringify({ host: host.ip, services: { "22": "ssh", "80": "http" } })], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    try {
      const { value } = await proc.stdout.getReader().read();
      expect(new TextDecoder().decode(value)).toContain("READY");
      // A port scan with service detection of that one host (a quick scan is discovery only).
      const res = await s1.api.request("POST", `/api/scan/device/${host.ip}?profile=normal`);
      expect(res.status).toBe(202);
      expect((await waitForScan(s1.api, res.body.scan_id)).status).toBe("completed");
      const portsOf = async (x: Appliance) => {
        const id = (await devicesOf(x)).find((d) => d.mac_address === host.mac)!.id;
        return ((await x.api.get(`/api/devices/${id}`)).body.ports as any[]).map((p) => [p.port, p.protocol, p.service, p.product, p.version, p.tls, p.banner]);
      };
      const onSensor = await portsOf(s1);
      expect(onSensor.find((p) => p[0] === 22)?.[6]).toStartWith("SSH-2.0-OpenSSH_9.2p1");
      await until("the hub to show the same ports, banners and TLS flags", async () => (JSON.stringify(await portsOf(hub)) === JSON.stringify(onSensor) ? true : undefined));
    } finally {
      proc.kill();
      await proc.exited;
    }
  }, 120_000);

  test.skipIf(browserMissing() !== null)("the hub's device list and scan history show each row's segment and filter by it, clean at 360 px in light and dark", async () => {
    const browser = await launchBrowserIn(hub.server.ns);
    try {
      const context = await signedIn(browser, hub.session, hub.server.inside, { viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const errors = consoleErrors(page);
      await page.goto(`${hub.server.inside}/devices`);
      const rows = page.locator("table.devices tbody tr");
      await rows.first().waitFor();
      const header = await page.locator("table.devices thead th").allTextContents();
      const col = header.indexOf("Segment");
      expect(col).toBeGreaterThan(0);
      const shown = await rows.evaluateAll((trs, i) => trs.map((tr) => [tr.children[i as number].textContent]), col);
      expect(shown.flat().sort()).toEqual(["lan1", "lan1", "lan1", "lan2", "lan2", "lan2"]);
      await page.selectOption("#f-segment", "lan2");
      await page.waitForURL(/segment=lan2/);
      await page.waitForFunction(() => document.querySelectorAll("table.devices tbody tr").length === 3);
      for (const ip of (await devicesOf(hub, "&segment=lan2")).map((d) => d.ip_address)) await page.locator("table.devices tbody tr", { hasText: ip }).waitFor();
      // A device's page names its segment; the changes list says where each happened.
      const one = (await devicesOf(hub, "&segment=lan1"))[0];
      await page.goto(`${hub.server.inside}/devices/${one.id}`);
      await expect(page.locator("dl.details dt", { hasText: "Segment" }).locator("xpath=following-sibling::dd[1]").textContent()).resolves.toBe("lan1");
      await page.goto(`${hub.server.inside}/changes`);
      await page.locator(".tl-segment").first().waitFor();
      expect((await page.locator(".tl-segment").allTextContents()).sort()).toEqual(["lan1", "lan1", "lan1", "lan2", "lan2", "lan2"]);
      // The Scans page lists the sensors' scans with their segment, and filters by it.
      await page.goto(`${hub.server.inside}/scans`);
      const scanRows = page.locator("table.scans tbody tr");
      await scanRows.first().waitFor();
      const scanHeader = await page.locator("table.scans thead th").allTextContents();
      const segCol = scanHeader.indexOf("Segment");
      expect(segCol).toBeGreaterThan(0);
      const segmentsShown = async () => (await scanRows.evaluateAll((trs, i) => trs.map((tr) => tr.children[i as number].textContent), segCol)).sort();
      expect(new Set(await segmentsShown())).toEqual(new Set(["lan1", "lan2"]));
      await page.selectOption("#f-scan-segment", "lan2");
      await page.waitForFunction((i) => [...document.querySelectorAll("table.scans tbody tr")].every((tr) => tr.children[i].textContent === "lan2"), segCol);
      expect(await segmentsShown()).toEqual((await hub.api.get("/api/scans?segment=lan2")).body.map(() => "lan2"));
      // The dashboard lists the sensors, each online.
      await page.goto(`${hub.server.inside}/`);
      const sensorRows = page.locator("table.sensors tbody tr");
      await sensorRows.nth(1).waitFor();
      expect(await sensorRows.evaluateAll((trs) => trs.map((tr) => tr.children[1].textContent))).toEqual([`${SITE}/lan1`, `${SITE}/lan2`]);
      await page.locator("table.sensors button", { hasText: "Scan" }).first().waitFor();
      for (const scheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.setViewportSize({ width: 360, height: 780 });
        for (const path of ["/devices", "/", "/scans"]) {
          await page.goto(`${hub.server.inside}${path}`);
          await page.locator(path === "/" ? "table.sensors tbody tr" : `table.${path.slice(1)} tbody tr`).first().waitFor();
          expect({ path, overflow: await overflow(page) }).toEqual({ path, overflow: 0 });
          expect(await axeViolations(page)).toEqual([]);
          await screenshot(page, `segments-hub-${path === "/" ? "dashboard" : path.slice(1)}-360-${scheme}`);
        }
      }
      await context.close();
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
    // A sensor's dashboard says where it sends and what waits.
    const near = await launchBrowserIn(s1.server.ns);
    try {
      const page = await (await signedIn(near, s1.session, s1.server.inside, { viewport: { width: 1280, height: 900 } })).newPage();
      await page.goto(`${s1.server.inside}/`);
      await expect(page.locator("[data-testid=sensor-status]").textContent()).resolves.toContain(`${SITE}/lan1: connected to the broker · 0 waiting to be sent`);
    } finally {
      await near.close();
    }
  }, 120_000);

  test("a device moving from LAN1 to LAN2 is one device with one device_moved", async () => {
    const mover = lan1.truth.hosts[2];
    moverMac = mover.mac!;
    const before = (await devicesOf(hub)).find((d) => d.mac_address === mover.mac);
    expect(before.segment).toBe("lan1");
    // It leaves LAN1, whose sensor reports it gone (two scans missing it), and turns up on LAN2 (the
    // fourth host takes its MAC). A device LAN1 still reports online would not move: the hub takes a
    // sensor's claim to another segment's live device for a conflict (merge.test.ts).
    await mustRun(lan1, mover.ns, ["ip", "link", "set", "eth0", "down"]);
    await scan(s1);
    await scan(s1);
    await until("LAN1 to report it offline", async () => ((await devicesOf(hub)).find((x) => x.mac_address === mover.mac)?.status === "offline" ? true : undefined));
    const arrival = lan2.truth.hosts[3];
    await mustRun(lan2, arrival.ns, ["ip", "link", "set", "eth0", "address", mover.mac!]);
    await mustRun(lan2, arrival.ns, ["ip", "link", "set", "eth0", "up"]);
    await scan(s2);
    const moved = await until("the move", async () => {
      const d = (await devicesOf(hub)).find((x) => x.mac_address === mover.mac);
      return d?.segment === "lan2" ? d : undefined;
    });
    expect(moved.id).toBe(before.id);
    expect(moved.ip_address).toBe(arrival.ip);
    // LAN1's sensor then misses it: what it says about it is not the hub's news any more.
    await scan(s1);
    await scan(s1);
    await inSync(s2, "lan2");
    await until("LAN1's outbox to empty", async () => ((await status(s1)).buffered === 0 ? true : undefined));
    await Bun.sleep(500);
    const after = (await devicesOf(hub)).filter((d) => d.mac_address === mover.mac);
    expect(after.map((d) => [d.id, d.segment, d.status])).toEqual([[before.id, "lan2", "online"]]);
    const movedChanges = (await changesOf(hub, "device_moved")).filter((c) => c.device_mac === mover.mac);
    expect(movedChanges.map((c) => [c.device_id, c.old_value, c.new_value, c.segment])).toEqual([[before.id, "lan1", "lan2", "lan2"]]);
    await expectNoRepeats();
  }, 180_000);

  test("a device forgotten on its sensor is forgotten on the hub; one that moved on to another segment stays", async () => {
    // A device only LAN1's sensor heard (one gratuitous ARP), on the hub under lan1.
    const ghost = { mac: "02:e7:00:00:00:01", ip: "10.77.1.90" };
    await sendFrames(lan1, lan1.truth.hosts[0].ns, [gratuitousArp(ghost.mac, ghost.ip)], 50);
    await until("the hub to list it under lan1", async () => ((await devicesOf(hub, "&segment=lan1")).some((d) => d.mac_address === ghost.mac) ? true : undefined));
    // The owner forgets it and the device that moved to LAN2 (LAN1's sensor still lists that one, offline): one commit, one message.
    const ids = (await devicesOf(s1)).filter((d) => d.mac_address === ghost.mac || d.mac_address === moverMac).map((d) => d.id);
    expect(ids.length).toBe(2);
    const res = await s1.api.request("POST", "/api/devices/bulk", { json: { ids, action: "forget" } });
    expect(res.status).toBe(200);
    await until("the hub to forget it", async () => ((await devicesOf(hub)).some((d) => d.mac_address === ghost.mac) ? undefined : true));
    expect((await devicesOf(hub)).filter((d) => d.mac_address === moverMac).map((d) => d.segment)).toEqual(["lan2"]);
    // A single forget (DELETE) goes the same way.
    const other = { mac: "02:e7:00:00:00:02", ip: "10.77.1.91" };
    await sendFrames(lan1, lan1.truth.hosts[0].ns, [gratuitousArp(other.mac, other.ip)], 50);
    await until("the hub to list the second one", async () => ((await devicesOf(hub)).some((d) => d.mac_address === other.mac) ? true : undefined));
    const id = (await devicesOf(s1)).find((d) => d.mac_address === other.mac)!.id;
    expect((await s1.api.request("DELETE", `/api/devices/${id}`)).status).toBe(204);
    await until("the hub to forget the second one", async () => ((await devicesOf(hub)).some((d) => d.mac_address === other.mac) ? undefined : true));
    await inSync(s1, "lan1", [moverMac]);
    await expectNoRepeats();
  }, 120_000);

  test("the broker stopped and started mid-run: sensors buffer on disk and replay; nothing lost, nothing repeated", async () => {
    await stopBroker();
    await until("the sensors to notice", async () => (!(await status(s1)).connected && !(await status(s2)).connected ? true : undefined));
    // New devices on LAN1 while the broker is away, heard by the sensor's passive watch.
    const newcomers = [1, 2, 3].map((i) => ({ mac: `02:c7:00:00:00:0${i}`, ip: `10.77.1.${60 + i}` }));
    await sendFrames(lan1, lan1.truth.hosts[0].ns, newcomers.map((n) => gratuitousArp(n.mac, n.ip)), 50);
    await until("LAN1's sensor to record and buffer them", async () => {
      const macs = await macsOf(s1);
      const st = await status(s1);
      return newcomers.every((n) => macs.includes(n.mac)) && st.buffered > 0 ? true : undefined;
    });
    expect((await status(s1)).connected).toBe(false);
    startBroker();
    const synced = await inSync(s1, "lan1", [moverMac]);
    for (const n of newcomers) expect(synced).toContain(n.mac);
    const added = (await changesOf(hub, "device_added")).filter((c) => newcomers.some((n) => n.mac === c.device_mac));
    expect(added.length).toBe(newcomers.length);
    await inSync(s2, "lan2");
    await expectNoRepeats();
  }, 180_000);

  test("a sensor killed with -9 while publishing: offline warning and metric while it is down, no loss or repeat after its restart", async () => {
    const newcomers = [1, 2, 3, 4, 5].map((i) => ({ mac: `02:d7:00:00:00:0${i}`, ip: `10.77.2.${70 + i}` }));
    await sendFrames(lan2, lan2.truth.hosts[0].ns, newcomers.map((n) => gratuitousArp(n.mac, n.ip)), 200);
    await until("LAN2's sensor to record the first", async () => ((await macsOf(s2)).some((m) => newcomers.some((n) => n.mac === m)) ? true : undefined), 20_000);
    expect(await s2.server.kill("SIGKILL")).not.toBe(0);

    const offline = await until("the silent sensor's warning", async () => (await changesOf(hub, "sensor_offline")).find((c) => c.new_value === `${SITE}/lan2`), (OFFLINE_AFTER_S + 20) * 1000);
    expect(offline.severity).toBe("warning");
    expect(offline.segment).toBe("lan2");
    expect((await hub.api.get("/api/sensors")).body.find((s: any) => s.segment === "lan2").status).toBe("offline");
    const metrics = parsePrometheusTextFormat((await hub.api.get("/metrics")).text) as any[];
    const up = metrics.find((m) => m.name === "argus_sensor_up").metrics.map((m: any) => [m.labels.segment, m.value]);
    expect(up.sort()).toEqual([
      ["lan1", "1"],
      ["lan2", "0"],
    ]);

    await s2.server.restart({ ARGUS_CONFIG: join(dir, "s2.json"), ARGUS_SEGMENT_HEARTBEAT_MS: "1000", ARGUS_SEGMENT_CHECK_MS: "1000" });
    // Whatever the kill interrupted, the rest of the newcomers are heard again.
    await sendFrames(lan2, lan2.truth.hosts[0].ns, newcomers.map((n) => gratuitousArp(n.mac, n.ip)), 200);
    const synced = await until("all newcomers on the hub", async () => {
      const have = await inSync(s2, "lan2");
      return newcomers.every((n) => have.includes(n.mac)) ? have : undefined;
    });
    expect(synced.length).toBe((await macsOf(s2)).length);
    expect((await hub.api.get("/api/sensors")).body.find((s: any) => s.segment === "lan2").status).toBe("online");
    await expectNoRepeats();
    // The sensor's own record of new devices and the hub's agree: nothing lost on the way.
    const sensorAdded = (await changesOf(s2, "device_added")).map((c) => c.device_mac).filter((m) => newcomers.some((n) => n.mac === m)).sort();
    const hubAdded = (await changesOf(hub, "device_added")).map((c) => c.device_mac).filter((m) => newcomers.some((n) => n.mac === m)).sort();
    expect(hubAdded).toEqual(sensorAdded);
  }, 240_000);

  test("the hub starts a scan on a segment over MQTT, audited on the sensor; another sensor's credentials cannot", async () => {
    const scansBefore = (await s1.api.get("/api/scans?limit=1000")).body.length;
    const nowhere = await hub.api.request("POST", "/api/sensors/home/nowhere/scan");
    expect(nowhere.status).toBe(404);
    expect(nowhere.body).toEqual({ detail: "Sensor home/nowhere not found" });
    // A profile neither built in nor custom on the hub: refused at once, nothing sent.
    const bogus = await hub.api.request("POST", "/api/sensors/home/lan1/scan?profile=bogus");
    expect(bogus.status).toBe(422);
    expect(bogus.body.detail).toStartWith("Invalid query parameter 'profile': unknown profile \"bogus\"");
    const res = await hub.api.request("POST", "/api/sensors/home/lan1/scan?profile=quick");
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ site: SITE, segment: "lan1", profile: "quick" });
    const scan = await until("the sensor's scan", async () => {
      const list = (await s1.api.get("/api/scans?limit=1000")).body;
      return list.length === scansBefore + 1 && list[0].status === "completed" ? list[0] : undefined;
    });
    expect(scan).toMatchObject({ profile: "quick", segment: "lan1", scan_type: "network" });
    // Its record reaches the hub's scan history, under the hub's own id.
    await until("the hub to list it", async () => ((await hub.api.get("/api/scans?segment=lan1&limit=1000")).body.some((x: any) => x.started_at === scan.started_at && x.status === "completed") ? true : undefined));
    const audit = (await s1.api.get("/api/audit-logs?action=scan_started&limit=1000")).body.filter((e: any) => e.username === "hub");
    expect(audit.map((e: any) => [e.resource, e.success, e.details.command_id, e.details.trigger])).toEqual([[`scan:${scan.id}`, true, res.body.command_id, "hub"]]);
    expect((await hub.api.get("/api/audit-logs?action=sensor_scan_requested")).body.map((e: any) => e.resource)).toEqual([`sensor:${SITE}/lan1`]);

    // LAN2's sensor forges a command for LAN1: the broker's ACL drops it, nothing runs.
    const forged = { v: 1, command_id: "forged1", kind: "scan", profile: "quick", sent_at: new Date().toISOString() };
    await publishAs(lan2, "sensor-lan2", PASSWORDS["sensor-lan2"], `argus/${SITE}/lan1/commands`, JSON.stringify(forged));
    await Bun.sleep(3000);
    expect((await s1.api.get("/api/scans?limit=1000")).body.length).toBe(scansBefore + 1);
    expect((await s1.api.get("/api/audit-logs?action=scan_started&limit=1000")).body.filter((e: any) => e.username === "hub").length).toBe(1);
  }, 120_000);

  test("a sensor with a wrong password is refused: its status says so and the hub never sees its events", async () => {
    intruder = await start(lan1, "intruder", sensorConfig(lan1, "lan3", "sensor-lan1", "not-the-password"), { ARGUS_PORT: "8081" });
    await scan(intruder);
    const st = await until("the refusal", async () => {
      const s = await status(intruder!);
      return s.last_error && s.buffered > 0 ? s : undefined;
    });
    expect(st).toMatchObject({ role: "sensor", segment: "lan3", connected: false, last_error: "the broker refused the credentials (not authorized)" });
    await Bun.sleep(2000);
    expect((await hub.api.get("/api/sensors")).body.map((s: any) => s.segment)).toEqual(["lan1", "lan2"]);
    expect(await devicesOf(hub, "&segment=lan3")).toEqual([]);
  }, 120_000);
});

/** Publishes one message with a sensor's credentials, as a hostile sensor would (mqtt.js, in the namespace). */
async function publishAs(net: Testnet, user: string, password: string, topic: string, payload: string): Promise<void> {
  const code = `const m = require("mqtt"); const c = m.connect({ host: "${BROKER_IP}", port: 1883, username: ${JSON.stringify(user)}, password: ${JSON.stringify(password)}, clientId: "forger" });
    c.on("connect", () => c.publish(${JSON.stringify(topic)}, ${JSON.stringify(payload)}, { qos: 1 }, (e) => { c.end(); process.exit(e ? 1 : 0); }));
    c.on("error", () => process.exit(2));`;
  const proc = Bun.spawn(["ip", "netns", "exec", net.truth.scanner_ns, process.execPath, "-e", code], { cwd: join(import.meta.dir, "../.."), stdout: "inherit", stderr: "inherit" });
  expect(await proc.exited).toBe(0);
}

function mkdirP(path: string) {
  Bun.spawnSync(["mkdir", "-p", path]);
}
