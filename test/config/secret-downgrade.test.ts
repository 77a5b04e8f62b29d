// A stored secret sent back as `<key>_set: true` is carried over only while every setting that decides
// where and how safely it is sent stays the same (red-team finding: a full-scope key turned verify_tls
// off on a Pi-hole source and had its stored password sent to whoever answers with a self-signed
// certificate). Over HTTP, against the real server with its config file; and what read-scope keys see.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startIsolatedServer, type NetServer } from "../helpers/netserver.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";

const root = requireRoot("runs the appliance in an isolated network namespace");

describe.skipIf(!root)("a stored secret is not carried over a weaker or other route", () => {
  let server: NetServer;
  let api: Client;
  let reader: Client;
  const put = (body: unknown) => api.request("PUT", "/api/config", { json: body });
  const file = () => JSON.parse(readFileSync(join(server.dataDir, "config.json"), "utf8"));
  const fileText = () => readFileSync(join(server.dataDir, "config.json"), "utf8");

  beforeAll(async () => {
    server = await startIsolatedServer();
    const { session, key } = await adminWithKey(server);
    api = server.client({ "X-API-Key": key });
    const made = await session.post("/api/keys", { name: "Viewer", scope: "read" });
    expect(made.status).toBe(201);
    reader = server.client({ "X-API-Key": made.body.key });
  });
  afterAll(() => server?.close());

  const PIHOLE = { name: "dns", type: "pihole", enabled: false, url: "https://127.0.0.1:9443/admin/", verify_tls: true };
  const SNMP = { name: "core", type: "snmp", enabled: false, host: "10.0.0.1", version: "3", username: "argus", auth_password: "AUTHSECRET", priv_password: "PRIVSECRET", community: "COMMSECRET" };
  const sources = () => [{ ...PIHOLE, password: "PIHOLESECRET" }, SNMP];

  /** PUTs the sources with entry `i` as GET showed it, changed by `change`; the status and detail. */
  async function sendBack(i: number, change: Record<string, unknown>): Promise<{ status: number; detail?: string }> {
    const shown = (await api.get("/api/config")).body.sources;
    Object.assign(shown[i], change);
    const res = await put({ sources: shown });
    return { status: res.status, detail: res.body.detail };
  }

  test("the red-team case: verify_tls turned off with password_set is refused (422 naming the password); the file is unchanged", async () => {
    expect((await put({ sources: sources() })).status).toBe(200);
    const before = fileText();
    const res = await sendBack(0, { verify_tls: false });
    expect(res.status).toBe(422);
    expect(res.detail).toContain("'sources.0.password'");
    expect(res.detail).toContain("give the password again: verify_tls changed");
    expect(fileText()).toBe(before);
    // Left out (the default, true) spells the same as true: sending back what GET showed keeps it.
    expect((await sendBack(0, { verify_tls: undefined })).status).toBe(200);
    expect(file().sources[0].password).toBe("PIHOLESECRET");
  });

  test("with the password given again, verify_tls false is taken", async () => {
    expect((await put({ sources: sources() })).status).toBe(200);
    const res = await sendBack(0, { verify_tls: false, password: "NEWSECRET", password_set: undefined });
    expect(res.status).toBe(200);
    expect(file().sources[0]).toMatchObject({ verify_tls: false, password: "NEWSECRET" });
    // And turning checking back on is a change of how it travels too: the password is asked again.
    const back = await sendBack(0, { verify_tls: true });
    expect(back).toEqual({ status: 422, detail: expect.stringContaining("give the password again: verify_tls changed") });
  });

  test("another scheme, host, port or base path needs the password again; the same base spelled without '/' keeps it", async () => {
    expect((await put({ sources: sources() })).status).toBe(200);
    const before = fileText();
    for (const url of ["http://127.0.0.1:9443/admin/", "https://127.0.0.2:9443/admin/", "https://127.0.0.1:9444/admin/", "https://127.0.0.1:9443/other/", "https://127.0.0.1:9443/", "https://127.0.0.1:9443/admin/x/"]) {
      const res = await sendBack(0, { url });
      expect({ url, status: res.status }).toEqual({ url, status: 422 });
      expect(res.detail).toContain("'sources.0.password'");
      expect(fileText()).toBe(before);
    }
    expect((await sendBack(0, { url: "https://127.0.0.1:9443/admin" })).status).toBe(200);
    expect(file().sources[0]).toMatchObject({ url: "https://127.0.0.1:9443/admin", password: "PIHOLESECRET" });
  });

  test("SNMP: another host, port or version needs the community and v3 passwords again", async () => {
    expect((await put({ sources: sources() })).status).toBe(200);
    const before = fileText();
    // Version 3 to 2c would send the stored community in clear.
    for (const change of [{ version: "2c" }, { host: "10.0.0.9" }, { port: 1161 }]) {
      const res = await sendBack(1, change);
      expect({ change, status: res.status }).toEqual({ change, status: 422 });
      expect(res.detail).toMatch(/'sources\.1\.(auth_password|priv_password|community)'/);
      expect(fileText()).toBe(before);
    }
    expect((await sendBack(1, { version: "2c" })).detail).toContain("version changed");
    // The default port written out is the same route.
    expect((await sendBack(1, { port: 161 })).status).toBe(200);
    expect(file().sources[1]).toMatchObject({ port: 161, auth_password: "AUTHSECRET", priv_password: "PRIVSECRET", community: "COMMSECRET" });
  });

  test("notification channels: mqtts→mqtt, wss→ws, https→http and e-mail without TLS need the secret again", async () => {
    const channels = [
      { name: "ha", type: "mqtt", enabled: false, url: "mqtts://broker.example:8883", username: "argus", password: "MQTTSECRET" },
      { name: "ha-url", type: "mqtt", enabled: false, url: "wss://argus:URLSECRET@broker.example/mqtt" },
      { name: "phone", type: "ntfy", enabled: false, url: "https://ntfy.example/alerts", token: "NTFYSECRET" },
      { name: "push", type: "gotify", enabled: false, url: "https://gotify.example/", token: "GOTIFYSECRET" },
      { name: "mail", type: "email", enabled: false, host: "smtp.example", tls: true, username: "argus", password: "MAILSECRET", from: "argus@example.org", to: ["me@example.org"] },
    ];
    expect((await put({ notifications: { channels } })).status).toBe(200);
    const before = fileText();
    const cases: [number, Record<string, unknown>, string][] = [
      [0, { url: "mqtt://broker.example:8883" }, "notifications.channels.0.password"],
      [1, { url: "ws://argus:***@broker.example/mqtt" }, "notifications.channels.1.url"],
      [2, { url: "http://ntfy.example/alerts" }, "notifications.channels.2.token"],
      [3, { url: "http://gotify.example/" }, "notifications.channels.3.token"],
      [4, { tls: false, starttls: false }, "notifications.channels.4.password"],
      [4, { tls: false }, "notifications.channels.4.password"],
    ];
    for (const [i, change, field] of cases) {
      const shown = (await api.get("/api/config")).body.notifications;
      Object.assign(shown.channels[i], change);
      const res = await put({ notifications: shown });
      expect({ change, status: res.status }).toEqual({ change, status: 422 });
      expect(res.body.detail).toContain(`'${field}'`);
      expect(fileText()).toBe(before);
    }
    // Sent back unchanged, every one is kept.
    const shown = (await api.get("/api/config")).body.notifications;
    expect((await put({ notifications: { ...shown, muted_devices: ["aa:bb:cc:dd:ee:01"] } })).status).toBe(200);
    expect(file().notifications.channels).toEqual(channels);
  });

  test("read-scope keys: GET /api/config and /api/sources show urls, hosts and paths, never a secret", async () => {
    expect((await put({ sources: [...sources(), { name: "leases", type: "dnsmasq_leases", enabled: false, path: "/var/lib/misc/dnsmasq.leases" }] })).status).toBe(200);
    const config = await reader.get("/api/config");
    expect(config.status).toBe(200);
    expect(config.body.sources[0]).toMatchObject({ ...PIHOLE, password_set: true });
    expect("password" in config.body.sources[0]).toBe(false);
    expect(config.body.sources[1]).toMatchObject({ host: "10.0.0.1", auth_password_set: true, priv_password_set: true, community_set: true });
    expect(config.body.sources[2].path).toBe("/var/lib/misc/dnsmasq.leases");
    const list = await reader.get("/api/sources");
    expect(list.status).toBe(200);
    expect(list.body.map((s: any) => s.name)).toEqual(["dns", "core", "leases"]);
    const text = config.text + list.text;
    for (const secret of ["PIHOLESECRET", "AUTHSECRET", "PRIVSECRET", "COMMSECRET", "MQTTSECRET", "URLSECRET", "NTFYSECRET", "GOTIFYSECRET", "MAILSECRET"]) expect(text).not.toContain(secret);
    // And they cannot change anything.
    expect((await reader.request("PUT", "/api/config", { json: { sources: [] } })).status).toBe(403);
  });
});
