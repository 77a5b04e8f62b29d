// The Pi-hole, AdGuard Home, UniFi and OPNsense sources against stand-ins of their APIs: a real HTTP
// server on 127.0.0.1 (fixture-server.ts) answering with answers written by hand from each API's
// published documentation (test/fixtures/sources/<type>/, each noting its address). The stand-in
// checks the credentials like the real service, so a wrong password is a real 401, and misbehaves on
// request: slow, huge, malformed, 500, an HTML login page, a self-signed certificate.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { adguardSource } from "../../src/sources/adguard.ts";
import { opnsenseSource } from "../../src/sources/opnsense.ts";
import { piholeSource } from "../../src/sources/pihole.ts";
import { SourceError, type SourceObservation, type SourceType } from "../../src/sources/types.ts";
import { unifiSource } from "../../src/sources/unifi.ts";
import { Scratch } from "../helpers/scratch.ts";
import { basicAuth, fixture, json, serveFake, type FakeApi, type Handler, type Misbehaviour } from "./fixture-server.ts";

const RIGHT = "right-pass-7Q";
const WRONG = "wrong-pass-3Z";
const iso = (s: number) => new Date(s * 1000).toISOString();

/** A source's read, or its SourceError. */
async function read(source: SourceType<any>, config: Record<string, unknown>, signal = AbortSignal.timeout(20_000)) {
  try {
    return { observations: await source.read(config, { signal, now: new Date() }) };
  } catch (e) {
    if (e instanceof SourceError) return { error: e };
    throw e;
  }
}

const byKey = (list: SourceObservation[]) => [...list].sort((a, b) => `${a.mac}|${a.ip}`.localeCompare(`${b.mac}|${b.ip}`));

// ---- Pi-hole v6: session login, X-FTL-SID, logout ----
const SID = (fixture("pihole", "auth") as any).session.sid as string;
const pihole = { deleted: 0, noPassword: false };
const piholeHandler: Handler = (req, url, body) => {
  if (url.pathname === "/api/auth" && req.method === "POST") {
    return JSON.parse(body || "{}").password === RIGHT ? json(fixture("pihole", "auth")) : json(fixture("pihole", "auth-wrong"), 401);
  }
  // A Pi-hole with no password set answers every request without a session.
  if (!pihole.noPassword && req.headers.get("x-ftl-sid") !== SID) return json({ error: { key: "unauthorized", message: "Unauthorized", hint: null }, took: 0.001 }, 401);
  if (url.pathname === "/api/auth" && req.method === "DELETE") {
    pihole.deleted++;
    return new Response(null, { status: 204 });
  }
  if (url.pathname === "/api/network/devices") {
    // As FTL does: 10 devices unless max_devices says otherwise.
    const answer = fixture("pihole", "network-devices") as { devices: unknown[] };
    answer.devices = answer.devices.slice(0, Number(url.searchParams.get("max_devices") ?? 10));
    return json(answer);
  }
  if (url.pathname === "/api/dhcp/leases") return json(fixture("pihole", "dhcp-leases"));
  return json({ error: { key: "not_found", message: "Not found", hint: url.pathname } }, 404);
};

// ---- AdGuard Home: basic auth ----
const adguardHandler: Handler = (req, url) => {
  const auth = basicAuth(req);
  if (auth?.user !== "argus" || auth.password !== RIGHT) return new Response("Unauthorized\n", { status: 401, headers: { "www-authenticate": 'Basic realm="Restricted"' } });
  if (url.pathname === "/control/clients") return json(fixture("adguard", "clients"));
  if (url.pathname === "/control/dhcp/status") return json(fixture("adguard", "dhcp-status"));
  return new Response("404 page not found\n", { status: 404 });
};

// ---- OPNsense: key and secret as basic auth ----
const opnsenseHandler: Handler = (req, url) => {
  const auth = basicAuth(req);
  if (auth?.user !== "api-key-1" || auth.password !== RIGHT) return json({ status: 401, message: "Authentication Failed" }, 401);
  if (url.pathname === "/api/dhcpv4/leases/searchLease") return json(fixture("opnsense", "search-lease"));
  if (url.pathname === "/api/diagnostics/interface/getArp") return json(fixture("opnsense", "get-arp"));
  return json({ errorMessage: "Endpoint not found" }, 404);
};

// ---- UniFi: UniFi OS (cookie TOKEN, CSRF header, /proxy/network) or the classic controller ----
const unifi = { classic: false, loggedOut: 0 };
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.test-token";
const CSRF = "9c1a7b52-0000-4000-8000-00000000csrf";
const unifiHandler: Handler = (req, url, body) => {
  const login = JSON.parse(req.method === "POST" && body ? body : "{}");
  const rightLogin = login.username === "argus" && login.password === RIGHT;
  const cookie = req.headers.get("cookie") ?? "";
  if (!unifi.classic) {
    if (url.pathname === "/" && req.method === "GET") return new Response("<!DOCTYPE html><html><title>UniFi OS</title></html>", { headers: { "content-type": "text/html" } });
    if (url.pathname === "/api/auth/login" && req.method === "POST") {
      if (!rightLogin) return json({ code: "AUTHENTICATION_FAILED_INVALID_CREDENTIALS", message: "Invalid username or password" }, 401);
      return json(fixture("unifi", "login"), 200, { "set-cookie": `TOKEN=${TOKEN}; path=/; samesite=none; secure; httponly`, "x-csrf-token": CSRF });
    }
    const session = cookie.includes(`TOKEN=${TOKEN}`) && req.headers.get("x-csrf-token") === CSRF;
    if (!session) return json({ meta: { rc: "error", msg: "api.err.LoginRequired" }, data: [] }, 401);
    if (url.pathname === "/api/auth/logout" && req.method === "POST") {
      unifi.loggedOut++;
      return json({});
    }
    const m = /^\/proxy\/network\/api\/s\/([^/]+)\/stat\/(sta|device)$/.exec(url.pathname);
    if (!m) return new Response("not found", { status: 404 });
    if (m[1] !== "default") return json(fixture("unifi", "no-site"), 400);
    return json(fixture("unifi", m[2] === "sta" ? "stat-sta" : "stat-device"));
  }
  if (url.pathname === "/" && req.method === "GET") return new Response(null, { status: 302, headers: { location: "/manage" } });
  if (url.pathname === "/api/login" && req.method === "POST") {
    if (!rightLogin) return json(fixture("unifi", "login-classic-wrong"), 400);
    return json(fixture("unifi", "login-classic"), 200, { "set-cookie": "unifises=classic-session; Path=/; Secure; HttpOnly" });
  }
  if (!cookie.includes("unifises=classic-session")) return json({ meta: { rc: "error", msg: "api.err.LoginRequired" }, data: [] }, 401);
  if (url.pathname === "/api/logout" && req.method === "POST") {
    unifi.loggedOut++;
    return json({ meta: { rc: "ok" }, data: [] });
  }
  const m = /^\/api\/s\/([^/]+)\/stat\/(sta|device)$/.exec(url.pathname);
  if (!m) return new Response("not found", { status: 404 });
  return json(fixture("unifi", m[2] === "sta" ? "stat-sta" : "stat-device"));
};

type Case = {
  source: SourceType<any>;
  handler: Handler;
  config: (url: string, password: string) => Record<string, unknown>;
  /** The secret the config carries (never in a detail). */
  expected: SourceObservation[];
};

// What each fixture must become, worked out by hand from the fixture files (junk rows left out).
const CASES: Record<string, Case> = {
  pihole: {
    source: piholeSource,
    handler: piholeHandler,
    config: (url, password) => ({ url, password }),
    expected: [
      { mac: "3c:07:54:00:00:21", ip: "192.168.1.51", hostname: "annas-laptop", lease_expires_at: iso(1733400000) },
      { mac: "00:1b:a9:01:02:03", ip: "192.168.1.5", hostname: "printer", lease_expires_at: null },
      { mac: null, ip: "192.168.1.66", hostname: "two lines", lease_expires_at: iso(1733400000) },
      { mac: "00:11:32:aa:bb:01", ip: "192.168.1.10", hostname: "nas.lan", seen_at: iso(1733390000) },
      { mac: "00:11:32:aa:bb:01", ip: "fd00::10", hostname: "nas.lan", seen_at: iso(1733389000) },
      { mac: "b8:27:eb:12:34:56", ip: "192.168.1.23", hostname: null, seen_at: iso(1733391000) },
      { mac: null, ip: "192.168.1.77", hostname: "guest-tablet", seen_at: iso(1733392000) },
    ],
  },
  adguard: {
    source: adguardSource,
    handler: adguardHandler,
    config: (url, password) => ({ url, username: "argus", password }),
    expected: [
      { mac: "3c:07:54:00:00:31", ip: "192.168.1.31", hostname: "annas-iphone", lease_expires_at: "2024-12-06T09:00:00.000Z" },
      { mac: "aa:bb:cc:00:11:22", ip: "192.168.1.120", hostname: "thermostat", lease_expires_at: "2024-12-06T12:30:00.000Z" },
      { mac: "00:1b:a9:01:02:03", ip: "192.168.1.5", hostname: "printer", lease_expires_at: null },
      { mac: "00:1a:2b:3c:4d:5e", ip: null, hostname: "Kids' room" },
      { mac: null, ip: "192.168.1.40", hostname: "tv.lan" },
      { mac: null, ip: "fe80::1234:5678:9abc:def0", hostname: "workstation" },
    ],
  },
  opnsense: {
    source: opnsenseSource,
    handler: opnsenseHandler,
    config: (url, password) => ({ url, key: "api-key-1", secret: password }),
    expected: [
      { mac: "3c:07:54:00:00:51", ip: "192.168.1.101", hostname: "livingroom-tv", seen_at: "2024-12-05T08:00:00.000Z", lease_expires_at: "2024-12-05T10:00:00.000Z", attached_to: "interface LAN" },
      { mac: "00:1b:a9:01:02:03", ip: "192.168.1.6", hostname: "printer", seen_at: null, lease_expires_at: null },
      { mac: "70:ee:50:aa:bb:cc", ip: "192.168.20.14", hostname: null, attached_to: "interface IoT" },
    ],
  },
  unifi: {
    source: unifiSource,
    handler: unifiHandler,
    config: (url, password) => ({ url, username: "argus", password }),
    expected: [
      { mac: "3c:07:54:00:00:61", ip: "192.168.1.61", hostname: "Anna's laptop", seen_at: iso(1733390000), attached_to: "AP Living room AP" },
      { mac: "00:11:32:aa:bb:01", ip: "192.168.1.10", hostname: "nas", seen_at: iso(1733390100), attached_to: "switch Office switch port 5" },
      { mac: "e0:63:da:77:88:99", ip: "192.168.1.62", hostname: "doorbell", seen_at: iso(1733390200), attached_to: "AP f4:e2:c6:ff:ff:ff" },
    ],
  },
};

const scratch = new Scratch();
let cert = "";
let key = "";

beforeAll(() => {
  // A self-signed certificate for 127.0.0.1, made with openssl for this run.
  const dir = scratch.dir("argus-src-tls-");
  const r = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl: ${r.stderr.toString()}`);
  cert = readFileSync(join(dir, "cert.pem"), "utf8");
  key = readFileSync(join(dir, "key.pem"), "utf8");
});
afterAll(() => scratch.clear());

for (const [type, c] of Object.entries(CASES)) {
  describe(`${type} source against its documented answers`, () => {
    let api: FakeApi;
    beforeAll(() => {
      api = serveFake(c.handler);
    });
    afterAll(() => api.stop());

    const expectError = (r: { error?: SourceError }, reason: string) => {
      expect(r.error?.reason).toBe(reason as any);
      // Whatever failed, the detail names where, and no secret.
      expect(r.error!.detail).toContain("127.0.0.1");
      expect(r.error!.detail).not.toContain(RIGHT);
      expect(r.error!.detail).not.toContain(WRONG);
    };

    test(`type is "${type}", with TypeBox fields and an interval`, () => {
      expect(c.source.type).toBe(type);
      expect(c.source.fields.type).toBe("object");
      expect(Object.keys(c.source.fields.properties)).toContain("url");
      expect(c.source.defaultIntervalS).toBeGreaterThan(0);
    });

    test("the right credentials read every documented host, with junk rows left out", async () => {
      api.misbehave = "none";
      const r = await read(c.source, c.config(api.url, RIGHT));
      expect(r.error).toBeUndefined();
      expect(byKey(r.observations!)).toEqual(byKey(c.expected));
    });

    test("a wrong password is auth, and the detail does not carry it", async () => {
      api.misbehave = "none";
      expectError(await read(c.source, c.config(api.url, WRONG)), "auth");
    });

    const misbehaviours: [Misbehaviour, string][] = [
      ["slow", "timeout"],
      ["huge", "too_large"],
      ["malformed", "malformed"],
      ["error500", "unreachable"],
      ["html", "malformed"],
    ];
    for (const [m, reason] of misbehaviours) {
      test(`a service that answers ${m} fails as ${reason}`, async () => {
        api.misbehave = m;
        api.hugeSent = 0;
        try {
          const started = Date.now();
          const r = await read(c.source, { ...c.config(api.url, RIGHT), timeout_s: 1 });
          expectError(r, reason);
          if (m === "slow") expect(Date.now() - started).toBeLessThan(2900);
          // The client stopped reading soon after its 16 MiB limit, not at the 64 MiB on offer.
          if (m === "huge") expect(api.hugeSent).toBeLessThan(40 * 1024 * 1024);
          if (m === "html") expect(r.error!.detail).toContain("HTML");
        } finally {
          api.misbehave = "none";
        }
      });
    }

    test("a self-signed certificate fails as tls, and reads with verify_tls false", async () => {
      const tls = serveFake(c.handler, { tls: { cert, key } });
      try {
        expectError(await read(c.source, c.config(tls.url, RIGHT)), "tls");
        const r = await read(c.source, { ...c.config(tls.url, RIGHT), verify_tls: false });
        expect(r.error).toBeUndefined();
        expect(byKey(r.observations!)).toEqual(byKey(c.expected));
      } finally {
        tls.stop();
      }
    });

    test("a URL where nothing listens is unreachable", async () => {
      const gone = serveFake(c.handler);
      const url = gone.url;
      gone.stop();
      expectError(await read(c.source, c.config(url, RIGHT)), "unreachable");
    });

    test("a URL that is not http(s) is a config error", async () => {
      const r = await read(c.source, c.config("ftp://127.0.0.1/", RIGHT));
      expect(r.error?.reason).toBe("config");
    });

    test("a run stopped by its own signal ends at once as timeout", async () => {
      api.misbehave = "slow";
      try {
        const stop = new AbortController();
        setTimeout(() => stop.abort(), 200);
        const started = Date.now();
        const r = await read(c.source, c.config(api.url, RIGHT), stop.signal);
        expectError(r, "timeout");
        expect(Date.now() - started).toBeLessThan(2000);
      } finally {
        api.misbehave = "none";
      }
    });
  });
}

describe("what each API's session needs", () => {
  test("pihole sends the session id as X-FTL-SID, never in the URL, and deletes the session at the end", async () => {
    const api = serveFake(piholeHandler);
    try {
      pihole.deleted = 0;
      const r = await read(piholeSource, { url: api.url, password: RIGHT });
      expect(r.error).toBeUndefined();
      const reads = api.seen.filter((s) => s.method === "GET");
      expect(reads.map((s) => s.path).sort()).toEqual(["/api/dhcp/leases", "/api/network/devices?max_devices=100000&max_addresses=64"]);
      for (const s of api.seen) expect(s.path).not.toContain(encodeURIComponent(SID));
      expect(pihole.deleted).toBe(1);
      expect(api.seen.at(-1)!.method).toBe("DELETE");
    } finally {
      api.stop();
    }
  });

  test("pihole without a password reads without logging in", async () => {
    const api = serveFake(piholeHandler);
    try {
      pihole.noPassword = true;
      const r = await read(piholeSource, { url: api.url });
      expect(byKey(r.observations!)).toEqual(byKey(CASES.pihole.expected));
      expect(api.seen.map((s) => s.method)).toEqual(["GET", "GET"]);
    } finally {
      pihole.noPassword = false;
      api.stop();
    }
  });

  test("unifi on UniFi OS carries the TOKEN cookie and the CSRF header from login, and logs out", async () => {
    const api = serveFake(unifiHandler);
    try {
      unifi.classic = false;
      unifi.loggedOut = 0;
      const r = await read(unifiSource, { url: api.url, username: "argus", password: RIGHT });
      expect(r.error).toBeUndefined();
      const sta = api.seen.find((s) => s.path.endsWith("/stat/sta"))!;
      expect(sta.path).toBe("/proxy/network/api/s/default/stat/sta");
      expect(sta.headers.get("cookie")).toContain(`TOKEN=${TOKEN}`);
      expect(sta.headers.get("x-csrf-token")).toBe(CSRF);
      expect(unifi.loggedOut).toBe(1);
    } finally {
      api.stop();
    }
  });

  test("unifi on a classic controller logs in at /api/login, reads at the root, and a wrong password (400 api.err.Invalid) is auth", async () => {
    const api = serveFake(unifiHandler);
    try {
      unifi.classic = true;
      unifi.loggedOut = 0;
      const r = await read(unifiSource, { url: api.url, username: "argus", password: RIGHT });
      expect(r.error).toBeUndefined();
      expect(byKey(r.observations!)).toEqual(byKey(CASES.unifi.expected));
      expect(api.seen.some((s) => s.path === "/api/s/default/stat/sta")).toBe(true);
      expect(unifi.loggedOut).toBe(1);
      const wrong = await read(unifiSource, { url: api.url, username: "argus", password: WRONG });
      expect(wrong.error?.reason).toBe("auth");
    } finally {
      unifi.classic = false;
      api.stop();
    }
  });

  test("unifi with a site the controller does not have is not_found", async () => {
    const api = serveFake(unifiHandler);
    try {
      const r = await read(unifiSource, { url: api.url, username: "argus", password: RIGHT, site: "branch" });
      expect(r.error?.reason).toBe("not_found");
      expect(r.error?.detail).toContain("api.err.NoSiteContext");
    } finally {
      api.stop();
    }
  });

  test("credentials written into the URL are sent as basic auth and never shown", async () => {
    const api = serveFake(adguardHandler);
    try {
      const withCreds = api.url.replace("http://", `http://argus:${RIGHT}@`);
      const ok = await read(adguardSource, { url: withCreds, username: "argus", password: RIGHT });
      expect(ok.error).toBeUndefined();
      api.misbehave = "error500";
      const failed = await read(adguardSource, { url: `${withCreds}?token=${RIGHT}`, username: "argus", password: RIGHT });
      expect(failed.error?.reason).toBe("unreachable");
      expect(failed.error!.detail).toContain("HTTP 500");
      expect(failed.error!.detail).not.toContain(RIGHT);
      expect(failed.error!.detail).not.toContain("argus@");
    } finally {
      api.stop();
    }
  });
});
