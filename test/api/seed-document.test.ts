// Every request and response of the API Authentication document, run the way the document shows it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, setupAdmin, startTestServer, type TestServer } from "../helpers/server.ts";
import { checkedFetch } from "../helpers/contract.ts";

let server: TestServer;
let session: Client;

beforeAll(async () => {
  server = await startTestServer();
  session = await setupAdmin(server);
});
afterAll(() => server.close());

/** Runs curl without blocking the event loop (the server under test lives in this process). */
async function curl(...args: string[]): Promise<string> {
  const proc = Bun.spawn(["curl", ...args], { stdout: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return out;
}

describe("API Authentication document", () => {
  let created: any;

  test("POST /api/keys with a session cookie (curl -b cookies.txt, no Origin) returns the key once", async () => {
    const res = await session.request("POST", "/api/keys", { body: '{"name": "My Integration"}', headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(201);
    created = res.body;
    expect(Object.keys(created).sort()).toEqual(["created_at", "id", "key", "key_prefix", "name"]);
    expect(created.id).toBe(1);
    expect(created.name).toBe("My Integration");
    // argus_ + 43 URL-safe base64 characters = 49 characters
    expect(created.key).toMatch(/^argus_[A-Za-z0-9_-]{43}$/);
    expect(created.key.length).toBe(49);
    expect(created.key_prefix).toBe(created.key.slice(0, 8));
    expect(created.key_prefix.startsWith("argus_")).toBe(true);
    expect(created.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test("the full key is stored nowhere: only its SHA-256 digest is in the database", () => {
    const row = server.ctx.db.query("SELECT * FROM api_keys WHERE id = ?").get(created.id) as Record<string, unknown>;
    const digest = new Bun.CryptoHasher("sha256").update(created.key).digest();
    expect(Buffer.from(row.key_digest as Uint8Array).equals(Buffer.from(digest))).toBe(true);
    expect(JSON.stringify(row)).not.toContain(created.key);
    expect(JSON.stringify(row)).not.toContain(created.key.slice(6));
  });

  test("the X-API-Key header (recommended) authenticates", async () => {
    const api = new Client(server.url);
    const res = await api.get("/api/keys", { "X-API-Key": created.key });
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
  });

  test("Authorization: Bearer authenticates too", async () => {
    const res = await new Client(server.url).get("/api/keys", { Authorization: `Bearer ${created.key}` });
    expect(res.status).toBe(200);
  });

  test("List Keys shows id, name, key_prefix, created_at, last_used_at (and the scope, SPEC §7) and never the key", async () => {
    const res = await new Client(server.url).get("/api/keys", { "X-API-Key": created.key });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
    const [entry] = res.body;
    // SPEC §7 adds the key's scope to each row; a key made as the document shows is "full".
    expect(Object.keys(entry).sort()).toEqual(["created_at", "id", "key_prefix", "last_used_at", "name", "scope"]);
    expect(entry).toMatchObject({ id: created.id, name: "My Integration", key_prefix: created.key_prefix, scope: "full", created_at: created.created_at });
    // The key was just used, so last_used_at is set, as an ISO UTC timestamp.
    expect(entry.last_used_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(res.text).not.toContain(created.key);
    expect(res.text).not.toContain("digest");
  });

  test("the key list pages like every list: limit/offset, total in X-Total-Count", async () => {
    const api = new Client(server.url, { "X-API-Key": created.key });
    const all = await api.get("/api/keys");
    const first = await api.get("/api/keys?limit=1");
    expect(first.body).toEqual([all.body[0]]);
    expect(first.headers.get("x-total-count")).toBe(String(all.body.length));
    expect((await api.get(`/api/keys?offset=${all.body.length}`)).body).toEqual([]);
  });

  test("Revoke a Key with curl -X DELETE, then the very next request with it is 401 Not authenticated", async () => {
    const other = (await session.post("/api/keys", { name: "Backup Script" })).body;
    const api = new Client(server.url);
    expect((await api.get("/api/keys", { "X-API-Key": other.key })).status).toBe(200);
    const del = await api.delete(`/api/keys/${other.id}`, { "X-API-Key": created.key });
    expect(del.status).toBe(204);
    const after = await api.get("/api/keys", { "X-API-Key": other.key });
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ detail: "Not authenticated" });
    expect((await api.get("/api/keys", { Authorization: `Bearer ${other.key}` })).status).toBe(401);
    // The revoked key is gone from the list; the one used to revoke it still works.
    const list = await api.get("/api/keys", { "X-API-Key": created.key });
    expect(list.body.map((k: any) => k.id)).toEqual([created.id]);
  });

  test("a key can revoke itself, and is dead from the next request", async () => {
    const self = (await session.post("/api/keys", { name: "Grafana Dashboard" })).body;
    const api = new Client(server.url, { "X-API-Key": self.key });
    expect((await api.delete(`/api/keys/${self.id}`)).status).toBe(204);
    expect((await api.get("/api/keys")).body).toEqual({ detail: "Not authenticated" });
  });

  test("the Python error-handling example: 401 for a bad key, 200 and a JSON body for a good one", async () => {
    const bad = await checkedFetch(`${server.url}/api/keys`, { headers: { "X-API-Key": "argus_xxxxx" } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ detail: "Not authenticated" });
    const good = await checkedFetch(`${server.url}/api/keys`, { headers: { "X-API-Key": created.key } });
    expect(good.status).toBe(200);
    expect(Array.isArray(await good.json())).toBe(true);
  });

  test("the same key sent by curl itself, as the document's shell examples do", async () => {
    const [body, code] = (await curl("-s", "-w", "\n%{http_code}", "-H", `X-API-Key: ${created.key}`, `${server.url}/api/keys`)).trim().split("\n");
    expect(code).toBe("200");
    expect(JSON.parse(body)[0].key_prefix).toBe(created.key_prefix);
    const revoked = await curl("-s", "-H", "X-API-Key: argus_xxxxx", `${server.url}/api/keys`);
    expect(JSON.parse(revoked)).toEqual({ detail: "Not authenticated" });
  });
});
