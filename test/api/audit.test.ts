// The audit trail records the security events of SPEC §2, with who, from where, and never a secret.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AUDIT_ACTIONS } from "../../src/audit/audit-log.ts";
import { ADMIN, Client, adminWithKey, startTestServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let api: Client;
let session: Client;
let key: string;

beforeAll(async () => {
  server = await startTestServer();
  const made = await adminWithKey(server, "Grafana Dashboard");
  session = made.session;
  key = made.key;
  api = new Client(server.url, { "X-API-Key": key });
  await new Client(server.url).post("/api/auth/login", { username: "admin", password: "not the password" }, { "user-agent": "curl/8.0" });
  const revocable = (await session.post("/api/keys", { name: "Backup Script" })).body;
  await api.delete(`/api/keys/${revocable.id}`);
  await session.post("/api/auth/logout");
});
afterAll(() => server.close());

describe("audit log", () => {
  test("records setup, key creation, failed login, revocation and logout, newest first", async () => {
    const res = await api.get("/api/audit-logs");
    expect(res.status).toBe(200);
    expect(res.body.map((e: any) => e.action)).toEqual(["logout", "api_key_revoked", "api_key_created", "login_failed", "api_key_created", "setup_completed"]);
    expect(res.headers.get("x-total-count")).toBe("6");
  });

  test("each entry has time, username, action, resource, client IP, user agent, success and details", async () => {
    const [logout, revoked, , failed] = (await api.get("/api/audit-logs")).body;
    expect(Object.keys(logout).sort()).toEqual(["action", "details", "id", "ip_address", "resource", "success", "timestamp", "user_agent", "username"]);
    expect(logout).toMatchObject({ username: "admin", ip_address: "127.0.0.1", success: true });
    expect(logout.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(revoked).toMatchObject({ username: "api_key:Grafana Dashboard", resource: expect.stringMatching(/^api_key:\d+$/), details: { name: "Backup Script" } });
    expect(failed).toMatchObject({ action: "login_failed", username: "admin", success: false, user_agent: "curl/8.0" });
  });

  test("never holds a secret: no key, no password, no session token", async () => {
    const all = JSON.stringify(server.ctx.db.query("SELECT * FROM audit_logs").all());
    expect(all).not.toContain(key);
    expect(all).not.toContain(key.slice(8));
    expect(all).not.toContain(ADMIN.password);
    expect(all).not.toContain("not the password");
  });

  test("filters by action and pages with limit/offset; total in X-Total-Count", async () => {
    const created = await api.get("/api/audit-logs?action=api_key_created");
    expect(created.body.map((e: any) => e.details.name)).toEqual(["Backup Script", "Grafana Dashboard"]);
    expect(created.headers.get("x-total-count")).toBe("2");
    const paged = await api.get("/api/audit-logs?limit=2&offset=1");
    expect(paged.body.map((e: any) => e.action)).toEqual(["api_key_revoked", "api_key_created"]);
    expect(paged.headers.get("x-total-count")).toBe("6");
    expect((await api.get("/api/audit-logs?action=login")).body).toEqual([]);
  });

  test("GET /api/audit-logs/actions lists the filterable actions", async () => {
    const res = await api.get("/api/audit-logs/actions");
    expect(res.body).toEqual([...AUDIT_ACTIONS]);
    for (const a of ["setup_completed", "login", "login_failed", "logout", "api_key_created", "api_key_revoked", "scan_started", "device_updated", "config_updated", "backup_created", "restore_completed"]) {
      expect(res.body).toContain(a);
    }
  });

  test("a successful login is recorded with the client's user agent", async () => {
    await new Client(server.url).post("/api/auth/login", ADMIN, { "user-agent": "HomeAssistant/2024.1" });
    const [latest] = (await api.get("/api/audit-logs?limit=1")).body;
    expect(latest).toMatchObject({ action: "login", username: "admin", user_agent: "HomeAssistant/2024.1", success: true });
  });

  test("a failed login's typed user name is recorded without control or bidi-override characters", async () => {
    await new Client(server.url).post("/api/auth/login", { username: "eve\nadmin\u202eli", password: "x".repeat(12) });
    const [entry] = (await api.get("/api/audit-logs?action=login_failed&limit=1")).body;
    expect(entry.username).toBe("eve\ufffdadmin\ufffdli");
  });
});
