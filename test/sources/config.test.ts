// The `sources` configuration section: each entry checked against its own type's fields (the error
// names the field of the member meant), names unique; and the secrets of every source type the SPEC
// names (password, community, key, secret, SNMP v3 auth_*/priv_*) write-only: redacted in views,
// kept when sent back with `<key>_set`, not carried to another destination.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../src/config/config-error.ts";
import { validateConfig, ConfigViewSchema } from "../../src/config/schema.ts";
import { carrySecrets, isSecretKey, redact } from "../../src/config/secrets.ts";
import { SOURCE_TYPE_NAMES } from "../../src/sources/registry.ts";
import { startIsolatedServer, type NetServer } from "../helpers/netserver.ts";
import { Scratch } from "../helpers/scratch.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";

const root = requireRoot("runs the appliance in an isolated network namespace");

const problem = (sources: unknown): string => {
  try {
    validateConfig({ sources });
  } catch (e) {
    if (e instanceof ConfigError) return `${e.field}: ${e.reason}`;
    throw e;
  }
  return "valid";
};

describe("the sources section", () => {
  test("absent is none; a valid entry is kept as given (no defaults written into it)", () => {
    expect(validateConfig({}).sources).toEqual([]);
    expect(validateConfig({ sources: [{ name: "router-leases", type: "dnsmasq_leases", path: "/var/lib/misc/dnsmasq.leases", interval_s: 30 }] }).sources).toEqual([
      { name: "router-leases", type: "dnsmasq_leases", path: "/var/lib/misc/dnsmasq.leases", interval_s: 30 },
    ]);
  });

  test("each wrong entry is named by its field", () => {
    expect(problem({})).toBe("sources: must be a list of sources [{name, type, …}]");
    expect(problem(["x"])).toBe("sources.0: must be an object {name, type, …}");
    expect(problem([{ name: "a", type: "ftp" }])).toBe(`sources.0.type: must be one of ${SOURCE_TYPE_NAMES.join(", ")}`);
    expect(problem([{ name: "a", type: "isc_leases" }])).toBe("sources.0.path: is required");
    expect(problem([{ name: "a", type: "isc_leases", path: "leases" }])).toBe("sources.0.path: must be an absolute path (/var/lib/misc/dnsmasq.leases)");
    expect(problem([{ name: "a", type: "isc_leases", path: "/x", url: "http://x" }])).toBe("sources.0.url: is not a field of this source type");
    expect(problem([{ name: "a b", type: "isc_leases", path: "/x" }])).toMatch(/^sources\.0\.name: must match/);
    expect(problem([{ name: "a", type: "isc_leases", path: "/x", interval_s: 5 }])).toMatch(/^sources\.0\.interval_s: /);
    expect(problem([{ name: "a", type: "isc_leases", path: "/x", enabled: "yes" }])).toMatch(/^sources\.0\.enabled: /);
    expect(problem([{ name: "a", type: "isc_leases", path: "/x" }, { name: "a", type: "dnsmasq_leases", path: "/y" }])).toBe('sources.1.name: duplicates the source name "a"');
    expect(problem(Array.from({ length: 51 }, (_, i) => ({ name: `s${i}`, type: "isc_leases", path: "/x" })))).toBe("sources: must hold at most 50 sources");
  });

  test("the view's schema shows no secret field of any source type", () => {
    const text = JSON.stringify(ConfigViewSchema.properties.sources);
    for (const k of ['"password"', '"community"', '"secret"', '"auth_password"', '"priv_password"']) expect(text).not.toContain(k);
  });
});

describe("secrets of sources are write-only", () => {
  test("password, community, key, secret, token and every SNMP v3 credential are secrets; protocol names and the user are not", () => {
    for (const k of ["password", "community", "key", "secret", "token", "auth_password", "priv_password", "auth_key", "priv_key", "auth_passphrase", "api_key", "client_secret"]) expect([k, isSecretKey(k)]).toEqual([k, true]);
    for (const k of ["auth_protocol", "priv_protocol", "username", "url", "host", "path", "name", "type", "site", "version", "keys", "monkey"]) expect([k, isSecretKey(k)]).toEqual([k, false]);
  });

  const stored = {
    sources: [
      { name: "core", type: "snmp", host: "10.0.0.1", version: "3", username: "argus", auth_protocol: "sha", auth_password: "authpw-stored", priv_protocol: "aes", priv_password: "privpw-stored" },
      { name: "old", type: "snmp", host: "10.0.0.2", version: "2c", community: "comm-stored" },
      { name: "fw", type: "opnsense", url: "https://fw.lan", key: "key-stored", secret: "secret-stored" },
      { name: "dns", type: "pihole", url: "https://pihole.lan", password: "pw-stored" },
    ],
  };

  test("a view shows <key>_set in their place and none of their values", () => {
    const view = redact(stored) as any;
    expect(view.sources[0]).toEqual({ name: "core", type: "snmp", host: "10.0.0.1", version: "3", username: "argus", auth_protocol: "sha", auth_password_set: true, priv_protocol: "aes", priv_password_set: true });
    expect(view.sources[1]).toEqual({ name: "old", type: "snmp", host: "10.0.0.2", version: "2c", community_set: true });
    expect(view.sources[2]).toEqual({ name: "fw", type: "opnsense", url: "https://fw.lan", key_set: true, secret_set: true });
    expect(JSON.stringify(view)).not.toMatch(/stored/);
  });

  test("sent back as shown, every stored secret is kept", () => {
    expect(carrySecrets(redact(stored), stored, "")).toEqual(stored);
  });

  test("moved to another host or URL, none is carried: each must be given again", () => {
    const moved = (i: number, change: Record<string, unknown>) => {
      const back = structuredClone(redact(stored)) as any;
      Object.assign(back.sources[i], change);
      return () => carrySecrets(back, stored, "");
    };
    expect(moved(0, { host: "evil.example" })).toThrow(/sources\.0\.(auth|priv)_password/);
    expect(moved(1, { host: "evil.example" })).toThrow(/sources\.1\.community/);
    expect(moved(2, { url: "https://evil.example" })).toThrow(/sources\.2\.(key|secret)/);
    expect(moved(3, { url: "https://evil.example" })).toThrow(/sources\.3\.password/);
  });
});

describe.skipIf(!root)("a lease file's path is no file oracle (PUT /api/config, POST /api/sources/{name}/run)", () => {
  const scratch = new Scratch();
  let server: NetServer;
  let api: Client;
  let reader: Client;
  const put = (sources: unknown) => api.request("PUT", "/api/config", { json: { sources } });
  const leases = (path: string) => [{ name: "leases", type: "dnsmasq_leases", enabled: false, path }];
  const configText = () => readFileSync(join(server.dataDir, "config.json"), "utf8");

  beforeAll(async () => {
    server = await startIsolatedServer();
    const { session, key } = await adminWithKey(server);
    api = server.client({ "X-API-Key": key });
    const made = await session.post("/api/keys", { name: "Viewer", scope: "read" });
    reader = server.client({ "X-API-Key": made.body.key });
  });
  afterAll(async () => {
    await server?.close();
    scratch.clear();
  });

  test("/proc, /sys, /dev, /run, the data dir (also through a link) and what is not a regular file: 422 naming the path; nothing saved", async () => {
    const dir = scratch.dir("argus-paths-");
    symlinkSync(join(server.dataDir, "argus.db"), join(dir, "db.leases"));
    symlinkSync("/proc/self", join(dir, "self"));
    mkdirSync(join(dir, "sub"));
    expect((await put(leases(join(dir, "fine.leases")))).status).toBe(200);
    const before = configText();
    const cases: [string, string][] = [
      ["/proc/self/environ", "is under /proc"],
      [join(dir, "self", "environ"), "is under /proc"],
      ["/sys/kernel/mm/transparent_hugepage/enabled", "is under /sys"],
      ["/dev/zero", "is under /dev"],
      ["/run/dnsmasq.leases", "is under /run"],
      [join(server.dataDir, "argus.db"), "is the appliance's own data"],
      [join(server.dataDir, "session.secret"), "is the appliance's own data"],
      [join(server.dataDir, "config.json"), "is the appliance's own data"],
      [join(dir, "db.leases"), "is the appliance's own data"],
      [join(dir, "sub"), "is not a regular file"],
    ];
    for (const [path, why] of cases) {
      const res = await put(leases(path));
      expect({ path, status: res.status }).toEqual({ path, status: 422 });
      expect(res.body.detail).toContain("'sources.0.path'");
      expect(res.body.detail).toContain(why);
      expect(configText()).toBe(before);
    }
  });

  test("a file that is not a lease file: the run says so without its line count or size, to read keys as well", async () => {
    const dir = scratch.dir("argus-paths-");
    const text = join(dir, "shadow");
    writeFileSync(text, Array.from({ length: 30 }, (_, i) => `user${i}:$6$salt$hash:19000:0:99999:7:::`).join("\n"));
    const big = join(dir, "big");
    writeFileSync(big, "");
    truncateSync(big, 1024 * 1024 * 1024);
    expect((await put([{ name: "text", type: "dnsmasq_leases", path: text, interval_s: 86400 }, { name: "big", type: "isc_leases", path: big, interval_s: 86400 }])).status).toBe(200);
    const ran = await api.post("/api/sources/text/run", {});
    expect(ran.body).toMatchObject({ status: "failed", detail: "malformed: not a dnsmasq lease file" });
    expect((await api.post("/api/sources/big/run", {})).body).toMatchObject({ status: "failed", detail: `too_large: ${big} is larger than 32 MiB, the limit for a lease file` });
    const shown = await reader.get("/api/sources");
    expect(shown.body.map((s: any) => s.detail)).toEqual(["malformed: not a dnsmasq lease file", `too_large: ${big} is larger than 32 MiB, the limit for a lease file`]);
    expect(shown.text).not.toMatch(/line\(s\)|statement\(s\)|\d+\.\d MiB/);
  });

  test("a link pointed at the appliance's data after it was saved: the run refuses it, nothing is read", async () => {
    const dir = scratch.dir("argus-paths-");
    writeFileSync(join(dir, "real.leases"), `0 02:00:00:00:00:01 10.0.0.5 host-a *\n`);
    const link = join(dir, "dnsmasq.leases");
    symlinkSync(join(dir, "real.leases"), link);
    expect((await put([{ name: "linked", type: "dnsmasq_leases", path: link, interval_s: 86400 }])).status).toBe(200);
    rmSync(link);
    symlinkSync(join(server.dataDir, "config.json"), link);
    const ran = await api.post("/api/sources/linked/run", {});
    expect(ran.body).toMatchObject({ status: "failed", detail: `config: ${link} is the appliance's own data: no lease file lives there` });
  });
});
