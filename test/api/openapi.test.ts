// Walks every operation of the OpenAPI document without credentials: each /api route must answer
// 401 (so a route added later without protection fails here), and the document must describe the
// API's security schemes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { routeTable } from "../helpers/route-table.ts";
import { adminWithKey, startTestServer, type TestServer } from "../helpers/server.ts";
import { checkedFetch } from "../helpers/contract.ts";

const PUBLIC_ROUTES = new Set(routeTable().filter((r) => r.access === "public").map((r) => `${r.method} ${r.path}`));
let server: TestServer;
let spec: any;

beforeAll(async () => {
  server = await startTestServer();
  await adminWithKey(server);
  spec = await (await fetch(`${server.url}/openapi.json`)).json();
});
afterAll(() => server.close());

function operations(): { method: string; path: string }[] {
  return Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
  );
}

/** Fills `{id}`-style parameters with a plausible value so the route itself is reached. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, "1").replace(/:[A-Za-z_]+/g, "1");

describe("OpenAPI", () => {
  test("documents the API and its security schemes", () => {
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.components.securitySchemes.apiKey).toEqual({ type: "apiKey", in: "header", name: "X-API-Key" });
    const paths = Object.keys(spec.paths);
    for (const p of ["/health", "/api/keys", "/api/auth/login", "/api/audit-logs", "/api/version"]) expect(paths).toContain(p);
    expect(paths.some((p) => p.startsWith("/api/keys/"))).toBe(true);
    // Pages and assets are not API operations.
    expect(paths).not.toContain("/settings");
  });

  test("/docs serves the interactive documentation", async () => {
    const res = await fetch(`${server.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("/openapi.json");
  });

  test("every /api operation without credentials → 401 Not authenticated", async () => {
    const walked: string[] = [];
    for (const op of operations()) {
      if (!op.path.startsWith("/api/") || PUBLIC_ROUTES.has(`${op.method} ${op.path}`)) continue;
      const init: RequestInit = { method: op.method };
      if (!["GET", "HEAD", "DELETE"].includes(op.method)) Object.assign(init, { body: "{}", headers: { "content-type": "application/json" } });
      const res = await checkedFetch(server.url + concrete(op.path), init);
      expect({ op: `${op.method} ${op.path}`, status: res.status }).toEqual({ op: `${op.method} ${op.path}`, status: 401 });
      expect(await res.json()).toEqual({ detail: "Not authenticated" });
      walked.push(`${op.method} ${op.path}`);
    }
    expect(walked.length).toBeGreaterThanOrEqual(7);
  });

  test("the public API routes are exactly the documented exceptions, each with security: []", () => {
    const publicApi = [...PUBLIC_ROUTES].filter((r) => r.includes(" /api/") || r.endsWith(" /health")).sort();
    expect(publicApi).toEqual(["GET /api/setup", "GET /health", "POST /api/auth/login", "POST /api/setup"]);
    for (const route of publicApi) {
      const [method, path] = route.split(" ");
      expect({ route, security: spec.paths[path][method.toLowerCase()].security }).toEqual({ route, security: [] });
    }
  });
});
