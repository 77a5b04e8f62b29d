// The 401 matrix, first-run setup, the session lifecycle, CSRF and login rate limiting.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { ADMIN, Client, adminWithKey, sealedEnv, setupAdmin, startTestServer, type TestServer } from "../helpers/server.ts";
import { checkedFetch } from "../helpers/contract.ts";

const NOT_AUTHENTICATED = { detail: "Not authenticated" };

describe("first-run setup", () => {
  let server: TestServer;
  beforeAll(async () => (server = await startTestServer()));
  afterAll(() => server.close());

  test("before setup every /api route answers 401 Setup required, pages lead to /setup", async () => {
    const c = new Client(server.url);
    for (const path of ["/api/keys", "/api/auth/me", "/api/audit-logs"]) {
      const res = await c.get(path);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ detail: "Setup required" });
    }
    const setup = (await c.get("/api/setup")).body;
    expect(setup.setup_required).toBe(true);
    // The wizard's proposals: private subnets of this host's interfaces (none is scanned by asking).
    for (const s of setup.suggested_subnets) expect(s).toMatch(/^(10|172|192|100|169)\.[\d.]+\/\d+$/);
    for (const page of ["/", "/login", "/settings"]) {
      const res = await c.get(page);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/setup");
    }
    expect((await c.get("/setup")).status).toBe(200);
    expect((await c.get("/health")).status).toBe(200);
  });

  test("setup validates the password length and the username", async () => {
    const c = new Client(server.url);
    const short = await c.post("/api/setup", { username: "admin", password: "short" });
    expect(short.status).toBe(422);
    expect(short.body.detail).toContain("password");
    const bad = await c.post("/api/setup", { username: "ad min;rm", password: "a long enough password" });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toContain("username");
    expect((await c.get("/api/setup")).body.setup_required).toBe(true);
  });

  test("setup with an invalid subnet is a 422 and creates nobody", async () => {
    const c = new Client(server.url);
    for (const subnets of [["8.8.8.0/24"], ["10.0.0.0/8"], ["not a subnet"], "10.0.0.0/24"]) {
      const res = await c.post("/api/setup", { ...ADMIN, subnets });
      expect(res.status).toBe(422);
      expect(res.body.detail).toContain("subnets");
    }
    expect((await c.get("/api/setup")).body.setup_required).toBe(true);
  });

  test("setup succeeds once, logs the admin in, then answers 409", async () => {
    const c = new Client(server.url);
    const res = await c.post("/api/setup", ADMIN);
    expect(res.status).toBe(201);
    expect(res.body.username).toBe("admin");
    expect((await c.get("/api/auth/me")).body).toEqual({ username: "admin", auth: "session" });
    const again = await new Client(server.url).post("/api/setup", { username: "mallory", password: "another long password" });
    expect(again.status).toBe(409);
    expect(again.body.detail).toBe("Setup is already complete");
    // Without a session /setup leads to the login and /api/setup discloses nothing; the new admin's
    // session (no network confirmed yet) gets the wizard, resumed at the networks step.
    const anonymous = new Client(server.url);
    expect((await anonymous.get("/setup")).headers.get("location")).toBe("/login");
    expect((await anonymous.get("/api/setup")).body).toEqual({ setup_required: false });
    expect((await c.get("/setup")).status).toBe(200);
    expect((await c.get("/api/setup")).body).toEqual({ setup_required: false, wizard_step: "networks" });
    // Only the first admin exists.
    expect(server.ctx.db.query("SELECT username FROM users").all()).toEqual([{ username: "admin" }]);
  });

  test("subnets confirmed at setup are saved to the config file and become the scan targets", async () => {
    const fresh = await startTestServer();
    try {
      const c = new Client(fresh.url);
      expect((await c.post("/api/setup", { ...ADMIN, subnets: ["192.168.1.7/24", "10.20.0.0/16"] })).status).toBe(201);
      const saved = JSON.parse(await Bun.file(join(fresh.dataDir, "config.json")).text());
      expect(saved.subnets).toEqual(["192.168.1.0/24", "10.20.0.0/16"]);
      expect((await Bun.file(join(fresh.dataDir, "config.json")).stat()).mode & 0o777).toBe(0o600);
      expect((await c.get("/api/network/detect")).body.confirmed_subnets).toEqual(["192.168.1.0/24", "10.20.0.0/16"]);
      const audit = (await c.get("/api/audit-logs?action=config_updated")).body;
      expect(audit[0].details).toEqual({ subnets: ["192.168.1.0/24", "10.20.0.0/16"] });
    } finally {
      await fresh.close();
    }
  });

  test("the password is stored as an argon2id hash", () => {
    const row = server.ctx.db.query("SELECT password_hash FROM users").get() as { password_hash: string };
    expect(row.password_hash.startsWith("$argon2id$")).toBe(true);
    expect(row.password_hash).not.toContain(ADMIN.password);
  });

  test("concurrent setups: exactly one wins", async () => {
    const fresh = await startTestServer();
    try {
      const attempts = await Promise.all(
        ["a1", "a2", "a3", "a4"].map((u) => new Client(fresh.url).post("/api/setup", { username: u, password: "a long enough password" })),
      );
      expect(attempts.map((a) => a.status).sort()).toEqual([201, 409, 409, 409]);
      expect((fresh.ctx.db.query("SELECT count(*) AS n FROM users").get() as { n: number }).n).toBe(1);
    } finally {
      await fresh.close();
    }
  });
});

describe("the 401 matrix", () => {
  let server: TestServer;
  let key: string;
  let keyId: number;
  let session: Client;

  beforeAll(async () => {
    server = await startTestServer();
    ({ session, key, keyId } = await adminWithKey(server));
  });
  afterAll(() => server.close());

  const cases: [string, () => Record<string, string>][] = [
    ["no credentials", () => ({})],
    ["an empty X-API-Key", () => ({ "X-API-Key": "" })],
    ["a key of the wrong format", () => ({ "X-API-Key": "argus_xxxxx" })],
    ["a well-formed key that was never issued", () => ({ "X-API-Key": "argus_" + "A".repeat(43) })],
    ["a valid key with one character changed", () => ({ "X-API-Key": key.slice(0, -1) + (key.endsWith("A") ? "B" : "A") })],
    ["a valid key with a suffix", () => ({ "X-API-Key": key + "x" })],
    ["a wrong Bearer token", () => ({ Authorization: "Bearer argus_" + "B".repeat(43) })],
    ["a Basic authorization header", () => ({ Authorization: `Basic ${btoa("admin:" + ADMIN.password)}` })],
    ["a forged session cookie (unsigned)", () => ({ cookie: "argus_session=abc" })],
    ["a session cookie with a forged signature", () => ({ cookie: `argus_session=${"x".repeat(43)}.${"y".repeat(43)}` })],
    ["a tampered session cookie", () => ({ cookie: tamper(session.cookies.get("argus_session")!) })],
    ["a garbage cookie header", () => ({ cookie: "argus_session=%ZZ%%; ;;=" })],
  ];

  for (const [name, headers] of cases) {
    test(`${name} → 401 {"detail": "Not authenticated"}`, async () => {
      for (const path of ["/api/keys", "/api/auth/me", "/api/audit-logs"]) {
        const res = await checkedFetch(server.url + path, { headers: headers() });
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual(NOT_AUTHENTICATED);
        expect(res.headers.get("content-type")).toContain("application/json");
      }
    });
  }

  test("X-API-Key is checked first: a bad X-API-Key is not rescued by a good Bearer token", async () => {
    const res = await checkedFetch(`${server.url}/api/keys`, { headers: { "X-API-Key": "argus_nope", Authorization: `Bearer ${key}` } });
    expect(res.status).toBe(401);
  });

  test("writes without credentials are 401 before any validation (nothing learned from a 422)", async () => {
    const res = await new Client(server.url).post("/api/keys", { name: 42 });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(NOT_AUTHENTICATED);
  });

  test("a revoked key → 401", async () => {
    const extra = (await session.post("/api/keys", { name: "to revoke" })).body;
    expect((await session.delete(`/api/keys/${extra.id}`)).status).toBe(204);
    const res = await new Client(server.url).get("/api/keys", { "X-API-Key": extra.key });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(NOT_AUTHENTICATED);
    expect((await session.delete(`/api/keys/${extra.id}`)).status).toBe(404);
  });

  test("a key revoked from the shell (argus keys revoke, another process) → 401 on the very next request", async () => {
    const extra = (await session.post("/api/keys", { name: "shell-revoked" })).body;
    const client = new Client(server.url, { "X-API-Key": extra.key });
    expect((await client.get("/api/keys")).status).toBe(200);
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../../src/main.ts"), "keys", "revoke", String(extra.id)], {
      env: { ...sealedEnv(), ARGUS_DATA_DIR: server.dataDir },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(0);
    const res = await client.get("/api/keys");
    expect(res.status).toBe(401);
    expect(res.body).toEqual(NOT_AUTHENTICATED);
  });

  test("/me tells which credential was used", async () => {
    expect((await new Client(server.url).get("/api/auth/me", { "X-API-Key": key })).body).toEqual({ username: "api_key:Test Key", auth: "api_key", key_id: keyId });
  });

  test("API keys cannot create API keys (403); a session can", async () => {
    const res = await new Client(server.url).post("/api/keys", { name: "minted" }, { "X-API-Key": key });
    expect(res.status).toBe(403);
  });
});

function tamper(cookie: string): string {
  const [value, sig] = cookie.split(".");
  const flipped = value.slice(0, -1) + (value.endsWith("a") ? "b" : "a");
  return `argus_session=${flipped}.${sig}`;
}

describe("sessions", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await setupAdmin(server);
  });
  afterAll(() => server.close());

  test("login sets a signed, HttpOnly, SameSite=Lax session cookie without an expiry unless remembered", async () => {
    const c = new Client(server.url);
    const res = await c.post("/api/auth/login", { username: "admin", password: ADMIN.password });
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().find((s) => s.startsWith("argus_session="))!;
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).not.toContain("Secure");
    expect(cookie.toLowerCase()).not.toContain("expires=");
    expect(c.cookies.get("argus_session")).toMatch(/^[^.]+\.[^.]+$/);
    expect((await c.get("/api/auth/me")).body).toEqual({ username: "admin", auth: "session" });
  });

  test("without remember the server still ends the session after a day", async () => {
    const before = Date.now();
    await new Client(server.url).post("/api/auth/login", { username: "admin", password: ADMIN.password });
    const row = server.ctx.db.query("SELECT expires_at, remember FROM sessions WHERE remember = 0 ORDER BY expires_at DESC LIMIT 1").get() as { expires_at: number; remember: number };
    expect(row.remember).toBe(0);
    expect(Math.abs(row.expires_at - (before + 24 * 3600_000))).toBeLessThan(60_000);
  });

  test("ARGUS_SESSION_SECRET signs the cookies when set; no secret file is generated then", async () => {
    const secret = "s".repeat(20) + "-configured-secret-value";
    const withEnv = await startTestServer({ ARGUS_SESSION_SECRET: secret });
    try {
      const c = new Client(withEnv.url);
      await c.post("/api/setup", ADMIN);
      const [token, signature] = c.cookies.get("argus_session")!.split(".");
      const expected = new Bun.CryptoHasher("sha256", secret).update(token).digest("base64").replace(/=+$/, "");
      expect(decodeURIComponent(signature)).toBe(expected);
      expect(await Bun.file(join(withEnv.dataDir, "session.secret")).exists()).toBe(false);
    } finally {
      await withEnv.close();
    }
  });

  test("remember → a cookie that lasts 7 days", async () => {
    const res = await new Client(server.url).post("/api/auth/login", { username: "admin", password: ADMIN.password, remember: true });
    const cookie = res.headers.getSetCookie().find((s) => s.startsWith("argus_session="))!;
    const expires = Date.parse(/Expires=([^;]+)/i.exec(cookie)![1]);
    expect(Math.abs(expires - (Date.now() + 7 * 86400_000))).toBeLessThan(60_000);
  });

  test("ARGUS_SECURE_COOKIES=1 marks the cookie Secure", async () => {
    const secure = await startTestServer({ ARGUS_SECURE_COOKIES: "1" });
    try {
      const res = await new Client(secure.url).post("/api/setup", ADMIN);
      expect(res.headers.getSetCookie().find((s) => s.startsWith("argus_session="))).toContain("Secure");
    } finally {
      await secure.close();
    }
  });

  test("a wrong password or unknown user → 401 with a clear detail, and no cookie", async () => {
    for (const body of [{ username: "admin", password: "wrong password!" }, { username: "nobody", password: ADMIN.password }]) {
      const c = new Client(server.url);
      const res = await c.post("/api/auth/login", body, { "x-forwarded-for": "ignored" });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ detail: "Invalid username or password" });
      expect(c.cookies.size).toBe(0);
    }
  });

  test("logout ends the session on the server: the old cookie no longer works", async () => {
    const c = new Client(server.url);
    await c.post("/api/auth/login", { username: "admin", password: ADMIN.password });
    const stolen = c.cookies.get("argus_session")!;
    const out = await c.post("/api/auth/logout");
    expect(out.status).toBe(200);
    expect(c.cookies.has("argus_session")).toBe(false);
    const replay = await checkedFetch(`${server.url}/api/auth/me`, { headers: { cookie: `argus_session=${stolen}` } });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual(NOT_AUTHENTICATED);
  });

  test("an expired session → 401, checked against the stored expiry", async () => {
    const c = new Client(server.url);
    await c.post("/api/auth/login", { username: "admin", password: ADMIN.password });
    expect((await c.get("/api/auth/me")).status).toBe(200);
    // Age every session past its expiry in the real database file, as time would.
    const db = new Database(join(server.dataDir, "argus.db"));
    db.run("UPDATE sessions SET expires_at = ?", [Date.now() - 1000]);
    db.close();
    const res = await c.get("/api/auth/me");
    expect(res.status).toBe(401);
    expect(res.body).toEqual(NOT_AUTHENTICATED);
    expect((await c.get("/settings")).headers.get("location")).toBe("/login?next=%2Fsettings");
  });

  test("the session secret is generated once into the data dir with mode 0600", async () => {
    const stat = await Bun.file(join(server.dataDir, "session.secret")).stat();
    expect(stat.mode & 0o777).toBe(0o600);
  });
});

describe("CSRF protection for cookie-authenticated writes", () => {
  let server: TestServer;
  let session: Client;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer();
    ({ session, key } = await adminWithKey(server));
  });
  afterAll(() => server.close());

  const origin = () => server.url;

  test("rejected: a cross-site Origin", async () => {
    const res = await session.post("/api/keys", { name: "evil" }, { Origin: "http://evil.example" });
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain("Cross-site request rejected");
  });

  test("rejected: an Origin with this host but another scheme or with user info", async () => {
    const host = new URL(server.url).host;
    for (const origin of [`ftp://${host}`, `http://evil@${host}`, `http://u:p@${host}`]) {
      const res = await session.post("/api/keys", { name: "evil" }, { Origin: origin });
      expect({ origin, status: res.status }).toEqual({ origin, status: 403 });
    }
  });

  test("rejected: Sec-Fetch-Site cross-site or same-site, and Origin null", async () => {
    for (const headers of [{ "Sec-Fetch-Site": "cross-site" }, { "Sec-Fetch-Site": "same-site", Origin: origin() }, { Origin: "null" }]) {
      expect((await session.post("/api/keys", { name: "evil" }, headers)).status).toBe(403);
    }
    expect((await session.request("DELETE", "/api/keys/1", { headers: { Origin: "http://evil.example" } })).status).toBe(403);
    expect((await session.post("/api/auth/logout", undefined, { Origin: "http://evil.example" })).status).toBe(403);
    // The rejected requests changed nothing.
    expect((await session.get("/api/keys")).body.map((k: any) => k.name)).toEqual(["Test Key"]);
  });

  test("accepted: same-origin browser requests and non-browser clients", async () => {
    expect((await session.post("/api/keys", { name: "ui" }, { Origin: origin(), "Sec-Fetch-Site": "same-origin" })).status).toBe(201);
    expect((await session.post("/api/keys", { name: "origin only" }, { Origin: origin() })).status).toBe(201);
    expect((await session.post("/api/keys", { name: "curl" })).status).toBe(201);
  });

  test("accepted: reads from anywhere, and API-key writes (exempt)", async () => {
    expect((await session.get("/api/keys", { Origin: "http://evil.example", "Sec-Fetch-Site": "cross-site" })).status).toBe(200);
    const own = (await session.post("/api/keys", { name: "victim" })).body;
    const res = await new Client(server.url).delete(`/api/keys/${own.id}`, { "X-API-Key": key, Origin: "http://elsewhere.example" });
    expect(res.status).toBe(204);
  });

  test("login and setup from another site are rejected too (login CSRF)", async () => {
    const res = await new Client(server.url).post("/api/auth/login", { username: "admin", password: ADMIN.password }, { Origin: "http://evil.example" });
    expect(res.status).toBe(403);
    const fresh = await startTestServer();
    try {
      for (const headers of [{ Origin: "http://evil.example" }, { "Sec-Fetch-Site": "cross-site" }]) {
        expect((await new Client(fresh.url).post("/api/setup", ADMIN, headers)).status).toBe(403);
      }
      expect((await new Client(fresh.url).get("/api/setup")).body.setup_required).toBe(true);
    } finally {
      await fresh.close();
    }
  });
});

describe("login rate limiting", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await setupAdmin(server);
  });
  afterAll(() => server.close());

  test("five failures per minute per IP, then 429 with Retry-After — even for the right password", async () => {
    const c = new Client(server.url);
    for (let i = 0; i < 5; i++) expect((await c.post("/api/auth/login", { username: "admin", password: `wrong-${i}-password` })).status).toBe(401);
    const limited = await c.post("/api/auth/login", { username: "admin", password: `wrong-again-password` });
    expect(limited.status).toBe(429);
    const retry = Number(limited.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(limited.body.detail).toContain("Too many failed logins");
    const right = await c.post("/api/auth/login", { username: "admin", password: ADMIN.password });
    expect(right.status).toBe(429);
  });

  test("parallel attempts cannot slip past the limit while passwords are being checked", async () => {
    const fresh = await startTestServer();
    try {
      await setupAdmin(fresh);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => new Client(fresh.url).post("/api/auth/login", { username: "admin", password: `parallel-wrong-${i}` })),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 401).length).toBe(5);
      expect(statuses.filter((s) => s === 429).length).toBe(15);
    } finally {
      await fresh.close();
    }
  });

  test("a successful login does not count against the limit", async () => {
    const fresh = await startTestServer();
    try {
      await setupAdmin(fresh);
      for (let i = 0; i < 8; i++) expect((await new Client(fresh.url).post("/api/auth/login", ADMIN)).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  test("failed logins do not reveal whether the user exists by their timing", async () => {
    const fresh = await startTestServer();
    try {
      await setupAdmin(fresh);
      const time = async (username: string) => {
        const t0 = performance.now();
        await new Client(fresh.url).post("/api/auth/login", { username, password: "definitely wrong pw" });
        return performance.now() - t0;
      };
      // Both paths run one argon2id verification; an unknown user must not answer in a fraction of the time.
      await time("nobody");
      const known = Math.min(await time("admin"), await time("admin"));
      const unknown = Math.min(await time("nobody"), await time("nobody"));
      expect(unknown / known).toBeGreaterThan(0.5);
    } finally {
      await fresh.close();
    }
  });
});
