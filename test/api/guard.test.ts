// The authentication guard fails closed. Every route the router serves that was not declared public
// on the route itself is walked, from the router's own table, with every kind of missing or bad
// credential, every hostile Host header and every odd spelling of its path, over a raw socket so that
// nothing normalises the request on the way. The server runs in a namespace of its own with only
// loopback: a route that slipped through could not scan anything.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { startIsolatedServer, type NetServer } from "../helpers/netserver.ts";
import { rawRequest, type RawReply } from "../helpers/raw-http.ts";
import { concretePath, routeTable, type RouteInfo } from "../helpers/route-table.ts";
import { adminWithKey, Client } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";
import { sha256Hex } from "../../src/auth/digest.ts";

const root = requireRoot("runs the appliance in an isolated network namespace");
const routes = routeTable();
const guarded = routes.filter((r) => r.access !== "public");
const HOSTILE_HOSTS: (string | null)[] = [null, "", "x/y", "a@b", "x?y", "x#y", "x y", "x\\y", "é"];

function request(method: string, target: string, opts: { host?: string | null; version?: string; headers?: Record<string, string> } = {}): string {
  const host = opts.host === undefined ? "argus" : opts.host;
  const lines = [`${method} ${target} HTTP/${opts.version ?? "1.1"}`];
  if (host !== null) lines.push(`Host: ${host}`);
  for (const [k, v] of Object.entries(opts.headers ?? {})) lines.push(`${k}: ${v}`);
  // Writes carry a small valid JSON body: the guard must answer before anything looks at it.
  const body = ["POST", "PUT", "PATCH", "DELETE"].includes(method) ? "{}" : "";
  if (body) lines.push("Content-Type: application/json", `Content-Length: ${body.length}`);
  lines.push("Connection: close");
  return lines.join("\r\n") + "\r\n\r\n" + body;
}

/** What a refused request must look like: 401 Not authenticated for the API, a login redirect for a page. */
function expectRefused(route: RouteInfo, reply: RawReply, what: string): void {
  if (route.access === "page") {
    expect({ what, status: reply.status, location: reply.headers.location?.startsWith("/login?next=") }).toEqual({ what, status: 303, location: true });
  } else {
    expect({ what, status: reply.status, body: reply.body }).toEqual({ what, status: 401, body: JSON.stringify({ detail: "Not authenticated" }) });
  }
}

describe.skipIf(!root)("the guard, walked from the router's own route table", () => {
  let server: NetServer;
  let api: Client;
  const credentials: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    server = await startIsolatedServer();
    const { session, key } = await adminWithKey(server);
    api = server.client({ "X-API-Key": key });
    // A revoked key, a forged and an expired session.
    const revoked = (await session.post("/api/keys", { name: "to revoke" })).body;
    expect((await session.delete(`/api/keys/${revoked.id}`)).status).toBe(204);
    const login = new Client(server.url, {}, server.unix);
    expect((await login.post("/api/auth/login", { username: "admin", password: "correct horse battery staple" })).status).toBe(200);
    const expiring = login.cookies.get("argus_session")!;
    const signed = decodeURIComponent(expiring);
    const token = signed.slice(0, signed.lastIndexOf("."));
    const db = new Database(join(server.dataDir, "argus.db"));
    expect(db.query("UPDATE sessions SET expires_at = ? WHERE token_hash = ?").run(Date.now() - 1000, sha256Hex(token)).changes).toBe(1);
    db.close();
    const good = session.cookies.get("argus_session")!;
    Object.assign(credentials, {
      none: {},
      "a bogus key": { "X-API-Key": "argus_" + "A".repeat(43) },
      "a bogus bearer token": { Authorization: "Bearer argus_" + "B".repeat(43) },
      "a revoked key": { "X-API-Key": revoked.key },
      "a forged session cookie": { Cookie: `argus_session=${good.slice(0, good.lastIndexOf(".") + 1)}${"A".repeat(43)}` },
      "an expired session cookie": { Cookie: `argus_session=${expiring}` },
    });
  });
  afterAll(() => server?.close());

  const target = () => ({ unix: server.unix });

  test("the table is the router's: it holds the API, the pages and exactly the declared public routes", () => {
    const publicRoutes = routes.filter((r) => r.access === "public").map((r) => `${r.method} ${r.path}`).sort();
    expect(publicRoutes).toEqual(
      ["GET /api/setup", "POST /api/setup", "POST /api/auth/login", "GET /health", "GET /openapi.json", "GET /docs", "GET /login", "GET /setup", "GET /ui/:file", "GET /favicon.svg", "GET /favicon.ico"].sort(),
    );
    expect(guarded.filter((r) => r.path.startsWith("/api/")).length).toBeGreaterThanOrEqual(25);
    expect(guarded.some((r) => r.access === "page")).toBe(true);
  });

  test("sanity: a valid key passes the guard on every API route (so the refusals below are the guard's)", async () => {
    for (const r of guarded.filter((g) => g.access === "protected" && g.method === "GET" && !g.path.includes("events"))) {
      const reply = await rawRequest(target(), request("GET", concretePath(r.path), { headers: { "X-API-Key": api.defaultHeaders["X-API-Key"] } }));
      expect({ route: r.path, refused: reply.status === 401 }).toEqual({ route: r.path, refused: false });
    }
  });

  for (const version of ["1.1", "1.0"]) {
    test(`HTTP/${version}: every guarded route and method refuses every bad credential`, async () => {
      for (const r of guarded) {
        for (const [name, headers] of Object.entries(credentials)) {
          const reply = await rawRequest(target(), request(r.method, concretePath(r.path), { version, headers }));
          expectRefused(r, reply, `${r.method} ${r.path} with ${name}`);
        }
      }
    });
  }

  test("a missing, empty or invalid Host is 400 before routing, on every route, never served", async () => {
    for (const r of routes) {
      for (const host of HOSTILE_HOSTS) {
        for (const version of ["1.1", "1.0"]) {
          const reply = await rawRequest(target(), request(r.method, concretePath(r.path), { host, version }));
          expect({ what: `${r.method} ${r.path} Host=${JSON.stringify(host)} HTTP/${version}`, status: reply.status }).toEqual({
            what: `${r.method} ${r.path} Host=${JSON.stringify(host)} HTTP/${version}`,
            status: 400,
          });
          // Bun's parser answers a Host-less HTTP/1.1 request itself; every answer of ours is JSON.
          if (reply.body) expect(JSON.parse(reply.body)).toEqual({ detail: "Missing or invalid Host header" });
        }
      }
    }
  });

  test("odd spellings of a guarded path are refused or unknown (401/303/404), never served", async () => {
    for (const r of guarded) {
      const path = concretePath(r.path);
      const spellings = [
        `http://other${path}`,
        `/${path}`,
        path.replace(/^\/([^/]+)\//, "/$1/./"),
        path.replace(/[a-z](?=[^/]*$)/, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
        path.toUpperCase(),
        path === "/" ? "//" : `${path}/`,
        `${path};x`,
        path.replace(/^\/([^/]+)\//, "/$1/../$1/"),
      ];
      for (const spelling of spellings) {
        for (const [name, headers] of Object.entries(credentials)) {
          const reply = await rawRequest(target(), request(r.method, spelling, { headers }));
          const what = `${r.method} ${spelling} with ${name}`;
          expect({ what, served: reply.status < 300 || (reply.status >= 300 && reply.status < 400 && !reply.headers.location?.startsWith("/login")) }).toEqual({ what, served: false });
          expect({ what, status: [303, 401, 404, 405].includes(reply.status) }).toEqual({ what, status: true });
        }
      }
    }
  });

  test("nothing the walk did left an audit entry without a user, and nothing changed", async () => {
    const entries = (await api.get("/api/audit-logs?limit=1000")).body as { username: string | null; action: string }[];
    expect(entries.filter((e) => e.username === null)).toEqual([]);
    expect((await api.get("/api/keys")).body.length).toBe(1);
    expect((await api.get("/api/scans")).body).toEqual([]);
  });
});
