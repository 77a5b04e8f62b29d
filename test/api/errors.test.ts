// Bad input gets a clear JSON error with the right status, never a 500; every response carries
// the security headers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ADMIN, Client, adminWithKey, startTestServer, type TestServer } from "../helpers/server.ts";
import { checkedFetch } from "../helpers/contract.ts";

let server: TestServer;
let api: Client;
let session: Client;

beforeAll(async () => {
  server = await startTestServer({ ARGUS_MAX_BODY_BYTES: "4096" });
  const made = await adminWithKey(server);
  session = made.session;
  api = new Client(server.url, { "X-API-Key": made.key });
});
afterAll(() => server.close());

function expectDetail(res: { status: number; body: any; headers: Headers }, status: number, detail?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  expect(Object.keys(res.body)).toEqual(["detail"]);
  expect(typeof res.body.detail).toBe("string");
  if (detail) expect(res.body.detail).toMatch(detail);
}

describe("bad input", () => {
  test("malformed JSON → 400", async () => {
    const res = await api.request("POST", "/api/keys", { body: '{"name": ', headers: { "content-type": "application/json" } });
    expectDetail(res, 400, /Malformed request body/);
    const login = await new Client(server.url).request("POST", "/api/auth/login", { body: "{nope", headers: { "content-type": "application/json" } });
    expectDetail(login, 400, /Malformed/);
  });

  test("an empty body where one is required → 422, an unsupported content type → 415", async () => {
    expectDetail(await session.request("POST", "/api/keys", { body: "", headers: { "content-type": "application/json" } }), 422, /body/);
    expectDetail(await session.request("POST", "/api/keys", { body: "name=x", headers: { "content-type": "application/xml" } }), 415, /application\/json/);
  });

  test("a text or form body to a JSON route is 415 'Content-Type must be application/json', before validation; JSON, also with a charset, still works", async () => {
    const want415 = async (res: Awaited<ReturnType<Client["request"]>>, what: string) => {
      expect({ what, status: res.status, body: res.body }).toEqual({ what, status: 415, body: { detail: "Content-Type must be application/json" } });
    };
    const json = '{"name": "Plain text"}';
    await want415(await session.request("POST", "/api/keys", { body: json, headers: { "content-type": "text/plain" } }), "POST /api/keys text/plain");
    await want415(await session.request("POST", "/api/keys", { body: "name=Form", headers: { "content-type": "application/x-www-form-urlencoded" } }), "POST /api/keys form");
    await want415(await session.request("PUT", "/api/devices/1", { body: '{"label": "x"}', headers: { "content-type": "text/plain;charset=UTF-8" } }), "PUT /api/devices/1 text/plain");
    await want415(await session.request("POST", "/api/devices/bulk", { body: '{"ids": [1], "action": "trust"}', headers: { "content-type": "text/plain" } }), "POST /api/devices/bulk text/plain");
    // A body with no type at all is not JSON either.
    await want415(await session.request("POST", "/api/keys", { body: json, headers: { "content-type": "" } }), "POST /api/keys no type");
    // Public routes too: what a browser form or `curl -d` would send to login and setup.
    const anonymous = new Client(server.url);
    await want415(await anonymous.request("POST", "/api/auth/login", { body: "username=admin&password=x", headers: { "content-type": "application/x-www-form-urlencoded" } }), "login form");
    await want415(await anonymous.request("POST", "/api/auth/login", { body: JSON.stringify(ADMIN), headers: { "content-type": "text/plain" } }), "login text/plain");
    await want415(await anonymous.request("POST", "/api/setup", { body: JSON.stringify(ADMIN), headers: { "content-type": "text/plain" } }), "setup text/plain");
    expect((await session.get("/api/keys")).body.map((k: { name: string }) => k.name)).not.toContain("Plain text");
    // What the UI sends: JSON (login and setup included), with or without a charset; a body-less POST needs no type.
    expect((await anonymous.request("POST", "/api/auth/login", { body: JSON.stringify(ADMIN), headers: { "content-type": "application/json;charset=UTF-8" } })).status).toBe(200);
    expect((await session.request("POST", "/api/keys", { body: '{"name": "JSON key"}', headers: { "content-type": "application/json" } })).status).toBe(201);
    expect((await anonymous.request("POST", "/api/auth/logout", { headers: { "content-type": "text/plain" } })).status).toBe(200);
  });

  test("deeply nested JSON is a 400 before anything walks it, and the server stays responsive", async () => {
    const deep = "[".repeat(1500) + "]".repeat(1500); // small enough for the 4 KiB test limit
    const t0 = performance.now();
    const res = await new Client(server.url).request("POST", "/api/auth/login", { body: deep, headers: { "content-type": "application/json" } });
    expectDetail(res, 400, /nested deeper than 32 levels/);
    const nested = `{"username":"a","password":"b","remember":${"[".repeat(40)}${"]".repeat(40)}}`;
    expectDetail(await new Client(server.url).request("POST", "/api/auth/login", { body: nested, headers: { "content-type": "application/json" } }), 400, /nested/);
    expect((await api.get("/health")).status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(2000);
    // Brackets inside strings are text, not nesting.
    const named = await session.post("/api/keys", { name: "[[[[".repeat(20) });
    expect(named.status).toBe(201);
  });

  test("authentication comes before parsing: anonymous malformed or oversized bodies get 401", async () => {
    const anon = new Client(server.url);
    expectDetail(await anon.request("POST", "/api/keys", { body: "{", headers: { "content-type": "application/json" } }), 401, /^Not authenticated$/);
    expectDetail(await anon.request("POST", "/api/keys", { body: "x".repeat(10_000), headers: { "content-type": "application/json" } }), 401, /^Not authenticated$/);
  });

  test("a forged cookie does not get in the way of logging in", async () => {
    const res = await new Client(server.url).post("/api/auth/login", { username: "admin", password: "correct horse battery staple" }, { cookie: "argus_session=forged.value" });
    expect(res.status).toBe(200);
  });

  test("wrong types and missing fields → 422 naming the field", async () => {
    expectDetail(await session.post("/api/keys", { name: 42 }), 422, /'name'/);
    expectDetail(await session.post("/api/keys", {}), 422, /'name'/);
    expectDetail(await session.post("/api/keys", { name: "" }), 422, /'name': must be a string of 1–100 characters/);
    expectDetail(await session.post("/api/keys", { name: "x".repeat(101) }), 422, /name/);
    expectDetail(await session.post("/api/keys", { name: "   " }), 422, /must not be blank/);
    expectDetail(await session.post("/api/keys", ["name"]), 422);
    // A closed list names its values.
    expectDetail(await session.post("/api/keys", { name: "k", scope: "admin" }), 422, /^Invalid body field 'scope': must be one of "full", "read"$/);
    expectDetail(await new Client(server.url).post("/api/auth/login", { username: "admin", password: 5 }), 422, /'password'/);
    expectDetail(await new Client(server.url).post("/api/auth/login", { username: "admin", password: "x".repeat(40), remember: "yes" }), 422, /'remember'/);
  });

  test("key names with control or bidi-override characters → 422", async () => {
    for (const name of ["a\nb", "evil\u0000", "x\u202egnp.exe", "tab\there"]) expectDetail(await session.post("/api/keys", { name }), 422, /control characters/);
  });

  test("names are trimmed", async () => {
    const res = await session.post("/api/keys", { name: "  Home Assistant  " });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe("Home Assistant");
  });

  test("unknown query keys and bad query values → 422", async () => {
    expectDetail(await api.get("/api/keys?foo=1"), 422, /Unknown query parameter 'foo'/);
    expectDetail(await api.get("/api/audit-logs?limit=0"), 422, /limit/);
    expectDetail(await api.get("/api/audit-logs?limit=1001"), 422, /limit/);
    expectDetail(await api.get("/api/audit-logs?limit=abc"), 422, /limit/);
    expectDetail(await api.get("/api/audit-logs?offset=-1"), 422, /offset/);
    expectDetail(await api.get("/api/audit-logs?action=drop_tables"), 422, /action/);
    expectDetail(await api.get("/api/audit-logs?limit=10&sneaky=1"), 422, /sneaky/);
    // Named as sent, not in the validator's JSON-pointer escaping (`/` → `~1`, `~` → `~0`).
    expect((await api.get("/api/keys?a%2Fb=1")).body).toEqual({ detail: "Unknown query parameter 'a/b'" });
    expect((await api.get("/api/keys?~1=1")).body).toEqual({ detail: "Unknown query parameter '~1'" });
    expectDetail(await api.get("/api/audit-logs?limit=1&limit=2"), 422, /Invalid query parameter 'limit': given more than once/);
    expectDetail(await api.get("/api/audit-logs?limit=0"), 422, /^Invalid query parameter 'limit': must be a whole number from 1 to 1000$/);
    for (const odd of ["0x10", "1e2", "1.0", "%205", "-1"]) expectDetail(await api.get(`/api/audit-logs?limit=${odd}`), 422, /^Invalid query parameter 'limit'/);
    expectDetail(await api.get("/api/audit-logs?offset=99999999999999999999"), 422, /offset/);
  });

  test("bad path parameters → 422, and numbers must be written plainly", async () => {
    expectDetail(await api.delete("/api/keys/abc"), 422, /^Invalid path parameter 'id'/);
    expectDetail(await api.delete("/api/keys/0"), 422, /^Invalid path parameter 'id'/);
    // JavaScript would read these as 1; a key must never be revoked by a lookalike id.
    const key1 = ((await api.get("/api/keys")).body as any[])[0];
    for (const odd of ["1.0", "1e0", "0x1", "%201", "01"]) expectDetail(await api.delete(`/api/keys/${odd.replace("1", String(key1.id))}`), 422, /'id'/);
    expect(((await api.get("/api/keys")).body as any[]).map((k) => k.id)).toContain(key1.id);
    expectDetail(await api.delete("/api/keys/999"), 404, /not found/);
  });

  test("oversized bodies → 413 before they are read", async () => {
    const big = JSON.stringify({ name: "x".repeat(10_000) });
    expectDetail(await session.request("POST", "/api/keys", { body: big, headers: { "content-type": "application/json" } }), 413, /too large/);
    // Without Content-Length (chunked), the server's own limit still applies.
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const res = await checkedFetch(`${server.url}/api/keys`, { method: "POST", body: stream, headers: { "content-type": "application/json", "X-API-Key": api.defaultHeaders["X-API-Key"] } });
    expect(res.status).toBe(413);
  });

  test("unknown routes → 404 JSON; known routes with the wrong method → 405 with Allow", async () => {
    expectDetail(await api.get("/api/nope"), 404, /Not found/);
    expectDetail(await api.get("/nope"), 404, /Not found/);
    const res = await api.request("PUT", "/api/keys");
    expectDetail(res, 405, /PUT/);
    expect(res.headers.get("allow")).toBe("GET, POST");
    const del = await api.request("PATCH", "/api/keys/3");
    expectDetail(del, 405);
    expect(del.headers.get("allow")).toBe("DELETE");
  });
});

describe("security headers", () => {
  test("on successes, errors, pages and the public health check", async () => {
    const responses = [
      await api.get("/api/keys"),
      await api.get("/api/nope"),
      await new Client(server.url).get("/api/keys"),
      await api.get("/health"),
      await session.get("/settings"),
      await api.request("POST", "/api/keys", { body: "{", headers: { "content-type": "application/json" } }),
    ];
    for (const res of responses) {
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    }
  });
});

describe("health and version", () => {
  test("GET /health is public and reports status, version, uptime and the database", async () => {
    const res = await new Client(server.url).get("/health");
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["db", "status", "uptime_seconds", "version"]);
    expect(res.body).toMatchObject({ status: "healthy", db: "ok" });
    expect(res.body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(Number.isInteger(res.body.uptime_seconds)).toBe(true);
  });

  test("GET /api/version needs credentials and answers the same version", async () => {
    expect((await new Client(server.url).get("/api/version")).status).toBe(401);
    const res = await api.get("/api/version");
    expect(res.status).toBe(200);
    expect(res.body.version).toBe((await api.get("/health")).body.version);
  });
});
