// A quiet first run (issue 18), on a test network: the first complete network scan into an empty
// inventory is the baseline. Its devices are recorded as `device_added` with severity info, and the
// channels that would have had a warning per device get ONE digest listing them. A device that
// appears after that is news again: a warning, in a message of its own. The appliance and the
// receivers run inside the test's scanner namespace; the scans sweep only the test's LAN.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { JsonLines } from "../helpers/json-lines.ts";

const root = requireRoot("runs the appliance and receivers inside a test network namespace");
const RECEIVERS = resolve(import.meta.dir, "../notify/fixtures/receivers.ts");

describe.skipIf(!root)("a quiet first run on a test network", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let dir: string;
  let rx: JsonLines;

  const hooks = () => rx.items.filter((r) => r.kind === "http" && r.path === "/hook/argus").map((h) => JSON.parse(h.body));
  const ntfy = () => rx.items.filter((r) => r.kind === "http" && r.path === "/ntfy").map((h) => JSON.parse(h.body));
  const scan = async () => {
    const res = await api.request("POST", "/api/scan/trigger?profile=quick");
    expect(res.status).toBe(202);
    return waitForScan(api, res.body.scan_id);
  };
  /** Waits until every queued delivery has gone out, so that "exactly one message" means it. */
  const settled = async () => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const pending = (await api.get("/api/notifications?status=pending")).headers.get("x-total-count");
      if (pending === "0") return;
      await Bun.sleep(100);
    }
    throw new Error("deliveries still pending");
  };

  beforeAll(async () => {
    net = await startTestnet({ hosts: 3 });
    dir = mkdtempSync(join(tmpdir(), "argus-first-run-"));
    rx = new JsonLines(net.spawn([process.execPath, RECEIVERS, "127.0.0.1"], { stdout: "pipe", stderr: "inherit" }));
    const httpPort = (await rx.until("receivers", (l) => l.some((x) => x.ready)))[0].http_port;
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({
        subnets: [net.truth.lan_subnet],
        notifications: {
          channels: [
            { name: "hooks", type: "webhook", url: `http://127.0.0.1:${httpPort}/hook/argus` },
            { name: "phone", type: "ntfy", url: `http://127.0.0.1:${httpPort}/ntfy/argus` },
          ],
          // What an owner asks for: new devices, as warnings and above. The baseline still reaches them.
          rules: [{ change_types: ["device_added"], min_severity: "warning", channels: ["hooks", "phone"] }],
          allow_loopback_destinations: true,
        },
      }),
    );
    server = await startNetServer(net, { ARGUS_CONFIG: join(dir, "config.json"), ARGUS_NOTIFY_SCHEDULE: "0,200,200,200,200" });
    api = server.client({ "X-API-Key": (await adminWithKey(server)).key });
  }, 90_000);

  afterAll(async () => {
    rx?.stop();
    await server?.close();
    await net?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the first scan's devices are info and announced in one digest per channel; a later newcomer is a warning of its own", async () => {
    const [late, ...present] = net.truth.hosts;
    // The late host is not on the LAN yet when the first scan runs.
    expect((await net.nsExec(late.ns, ["ip", "link", "set", "eth0", "down"])).exitCode).toBe(0);

    const first = await scan();
    expect(first.status).toBe("completed");
    const added = (await api.get("/api/changes?change_type=device_added&limit=100")).body as any[];
    expect(added.map((c) => c.device_ip).sort()).toEqual(present.map((h) => h.ip).sort());
    expect(added.map((c) => c.severity)).toEqual(present.map(() => "info"));
    await rx.until("the baseline digest on both channels", () => hooks().length === 1 && ntfy().length === 1);
    await settled();
    // One message per channel, not one per device.
    const [digest] = hooks();
    expect(hooks().length).toBe(1);
    expect(digest).toMatchObject({ event: "digest", baseline: true, scan: { id: first.id } });
    expect(digest.changes.map((c: any) => [c.change.change_type, c.change.severity, c.device.ip_address]).sort()).toEqual(
      present.map((h) => ["device_added", "info", h.ip]).sort(),
    );
    expect(ntfy().length).toBe(1);
    expect(ntfy()[0]).toMatchObject({ title: `Argus: first scan found ${present.length} devices in scan ${first.id} (${net.truth.lan_subnet})`, priority: 2 });
    const deliveries = (await api.get("/api/notifications")).body as any[];
    expect(deliveries.map((d) => [d.channel, d.kind, d.severity]).sort()).toEqual([["hooks", "digest", "info"], ["phone", "digest", "info"]]);

    // Later: the host joins. A new device after the baseline is news again.
    expect((await net.nsExec(late.ns, ["ip", "link", "set", "eth0", "up"])).exitCode).toBe(0);
    const second = await scan();
    expect(second.status).toBe("completed");
    const newer = (await api.get(`/api/changes?change_type=device_added&scan_id=${second.id}`)).body as any[];
    expect(newer.map((c) => [c.device_ip, c.severity])).toEqual([[late.ip, "warning"]]);
    await rx.until("the newcomer's own message", () => hooks().some((b) => b.event === "change"));
    await settled();
    const own = hooks().filter((b) => b.event === "change");
    expect(own.map((b) => [b.change.change_type, b.change.severity, b.change.device_ip])).toEqual([["device_added", "warning", late.ip]]);
    expect(hooks().length).toBe(2);
    expect(ntfy().map((m) => m.priority)).toEqual([2, 4]);
  }, 120_000);
});
