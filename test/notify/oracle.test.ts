// Issue 16: the notification test is no oracle. Whoever may edit the channels (an API key) points one
// at a LAN service and presses "test": the answer (and the delivery record) says only `sent` or
// `failed` with one coarse reason, never the service's reply, a redirect's Location, nor whether the
// connection was refused, timed out, failed TLS or got an HTTP status; a failure takes as long as a
// timeout. Loopback destinations, in any spelling or through a DNS name, are refused unless
// `notifications.allow_loopback_destinations` is true. The appliance runs in a namespace of its own
// with a "LAN" address of its own; the service listens on every address of that namespace.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { startIsolatedServer, type NetServer } from "../helpers/netserver.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";

const root = requireRoot("runs the appliance and a LAN service in a network namespace of their own");
const SERVICE = resolve(import.meta.dir, "fixtures/lan-service.ts");
const LAN = "10.77.0.1";
const NOT_ACCEPTED = "the destination did not accept the message";

describe.skipIf(!root)("the notification test is no oracle", () => {
  let server: NetServer;
  let api: Client;
  let service: ReturnType<typeof Bun.spawn>;
  const hits: { path: string; host: string; from: string }[] = [];
  let port = 0;
  let etcDir = "";

  const sh = (...cmd: string[]) => {
    const r = Bun.spawnSync(cmd, { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr}`);
  };

  beforeAll(async () => {
    server = await startIsolatedServer();
    const ns = server.ns;
    // A veth pair with both ends in the namespace gives it a LAN address of its own (no dummy module here).
    sh("ip", "-n", ns, "link", "add", "lan0", "type", "veth", "peer", "name", "lan1");
    sh("ip", "-n", ns, "addr", "add", `${LAN}/24`, "dev", "lan0");
    sh("ip", "-n", ns, "link", "set", "lan0", "up");
    sh("ip", "-n", ns, "link", "set", "lan1", "up");
    // Names as this namespace resolves them (`ip netns exec` puts this file over /etc/hosts): one for
    // the LAN service, one that leads back to loopback. The appliance restarts to see them.
    etcDir = `/etc/netns/${ns}`;
    mkdirSync(etcDir, { recursive: true });
    writeFileSync(`${etcDir}/hosts`, `127.0.0.1 localhost\n${LAN} printer.lan.test\n127.0.0.1 sneaky.lan.test\n`);
    await server.kill();
    await server.restart();
    service = Bun.spawn(["ip", "netns", "exec", ns, process.execPath, SERVICE, "0.0.0.0"], { stdout: "pipe", stderr: "inherit" });
    void (async () => {
      let buf = "";
      for await (const chunk of service.stdout as ReadableStream<Uint8Array>) {
        buf += new TextDecoder().decode(chunk);
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const m = JSON.parse(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (m.ready) port = m.port;
          else hits.push(m);
        }
      }
    })();
    for (let i = 0; i < 200 && !port; i++) await Bun.sleep(25);
    if (!port) throw new Error("the LAN service did not start");
    const { key } = await adminWithKey(server);
    api = server.client({ "X-API-Key": key });
  }, 60_000);

  afterAll(async () => {
    service?.kill("SIGTERM");
    await server?.close();
    if (etcDir) rmSync(etcDir, { recursive: true, force: true });
  });

  const put = async (channels: unknown[], more: Record<string, unknown> = {}) => {
    const res = await api.request("PUT", "/api/config", { json: { notifications: { channels, ...more } } });
    expect(res.status).toBe(200);
  };
  const hook = (name: string, url: string) => ({ name, type: "webhook", url, timeout_seconds: 1 });
  const testChannel = async (name: string) => {
    const t0 = performance.now();
    const res = await api.request("POST", `/api/notifications/test?channel=${name}`);
    return { res, ms: performance.now() - t0 };
  };

  test("refused, timed out, TLS, 401 with a body, 302 with a Location, a DNS name: all the same `failed`, none sooner than the timeout", async () => {
    const probes = {
      body: `http://${LAN}:${port}/secret`,
      moved: `http://${LAN}:${port}/moved`,
      silent: `http://${LAN}:${port}/hang`,
      closedport: `http://${LAN}:1/closed`,
      secure: `https://${LAN}:${port}/secret`,
      named: `http://printer.lan.test:${port}/secret`,
    };
    await put([...Object.entries(probes).map(([n, url]) => hook(n, url)), hook("fine", `http://${LAN}:${port}/ok`), { name: "gotify", type: "gotify", url: `http://${LAN}:${port}/g`, token: "t", timeout_seconds: 1 }, { name: "mail", type: "email", host: LAN, port: port, starttls: false, from: "a@b.test", to: ["c@d.test"], timeout_seconds: 1 }]);
    const answers: string[] = [];
    for (const name of [...Object.keys(probes), "gotify", "mail"]) {
      const { res, ms } = await testChannel(name);
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
      expect({ name, body: { ...res.body, id: 0 } }).toEqual({ name, body: { id: 0, channel: name, status: "failed", attempts: 1, error: NOT_ACCEPTED } });
      expect({ name, slow: ms >= 990 }).toEqual({ name, slow: true });
      answers.push(res.text);
    }
    // The service was reached (this is what an attacker probes), yet nothing of it came back.
    expect(hits.some((h) => h.path === "/secret")).toBe(true);
    expect(hits.some((h) => h.path === "/moved")).toBe(true);
    const ok = await testChannel("fine");
    expect(ok.res.body).toMatchObject({ channel: "fine", status: "sent", error: null });
    const records = await api.get("/api/notifications?limit=100");
    const text = answers.join("") + records.text;
    for (const leak of ["SECRET-BODY", "hunter2", "LOCATION-LEAK", "10.77.0.9", "302", "401", "HTTP", "timed out", "refused", "ECONNREFUSED", "certificate", "TLS", "SSL", "see there"]) expect({ leak, found: text.includes(leak) }).toEqual({ leak, found: false });
    expect(new Set(records.body.filter((r: any) => r.status === "failed").map((r: any) => r.error))).toEqual(new Set([NOT_ACCEPTED]));
  }, 60_000);

  test("loopback destinations in any spelling, or through a DNS name, are refused before anything is sent", async () => {
    const before = hits.length;
    const spellings = {
      dotted: `http://127.0.0.1:${port}/ok`,
      other127: `http://127.1.2.3:${port}/ok`,
      decimal: `http://2130706433:${port}/ok`,
      hex: `http://0x7f000001:${port}/ok`,
      hexdotted: `http://0x7f.1:${port}/ok`,
      octal: `http://0177.0.0.1:${port}/ok`,
      zero: `http://0.0.0.0:${port}/ok`,
      v6: `http://[::1]:${port}/ok`,
      mapped: `http://[::ffff:127.0.0.1]:${port}/ok`,
      name: `http://localhost:${port}/ok`,
      dotname: `http://localhost.:${port}/ok`,
      resolved: `http://sneaky.lan.test:${port}/ok`,
    };
    await put([
      ...Object.entries(spellings).map(([n, url]) => hook(n, url)),
      { name: "mail", type: "email", host: "2130706433", port, starttls: false, from: "a@b.test", to: ["c@d.test"], timeout_seconds: 1 },
      { name: "mailname", type: "email", host: "sneaky.lan.test", port, starttls: false, from: "a@b.test", to: ["c@d.test"], timeout_seconds: 1 },
      { name: "broker", type: "mqtt", url: `mqtt://localhost:${port}`, timeout_seconds: 1 },
    ]);
    for (const name of [...Object.keys(spellings), "mail", "mailname", "broker"]) {
      const { res } = await testChannel(name);
      expect({ name, status: res.body.status, error: res.body.error }).toEqual({ name, status: "failed", error: expect.stringContaining("loopback") });
      expect(res.body.error).toContain("allow_loopback_destinations");
    }
    await Bun.sleep(200);
    expect(hits.slice(before)).toEqual([]);
  }, 60_000);

  test("allow_loopback_destinations: true lets a channel reach the appliance's own loopback", async () => {
    const before = hits.length;
    await put([hook("local", `http://127.0.0.1:${port}/ok`)], { allow_loopback_destinations: true });
    expect((await api.get("/api/config")).body.notifications.allow_loopback_destinations).toBe(true);
    const { res } = await testChannel("local");
    expect(res.body).toMatchObject({ channel: "local", status: "sent", error: null });
    expect(hits.slice(before).map((h) => [h.path, h.from])).toEqual([["/ok", "127.0.0.1"]]);
  });
});
