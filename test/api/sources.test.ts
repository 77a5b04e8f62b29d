// /api/sources on a running appliance: the configured sources with their state, a run on demand
// (200 ok or failed with the reason, 404 unknown, 409 disabled), audited, full scope only; the
// sources themselves configured through PUT /api/config like any section.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { adminWithKey, Client, startTestServer, type TestServer } from "../helpers/server.ts";
import { Scratch } from "../helpers/scratch.ts";

const scratch = new Scratch();
let server: TestServer;
let api: Client;
let reader: Client;
let leases: string;
/** When the on-demand run of the second test succeeded (the timer's next run is 60 s away). */
let okAt = "";

beforeAll(async () => {
  server = await startTestServer();
  const admin = await adminWithKey(server);
  api = new Client(server.url, { "X-API-Key": admin.key });
  reader = new Client(server.url, { "X-API-Key": (await admin.session.post("/api/keys", { name: "reader", scope: "read" })).body.key });
  leases = join(scratch.dir("argus-api-sources-"), "dnsmasq.leases");
  writeFileSync(leases, `${Math.floor(Date.now() / 1000) + 3600} 3c:07:54:00:00:01 10.99.0.21 nas *\n`);
});
afterAll(async () => {
  await server?.close();
  scratch.clear();
});

const put = (body: unknown) => api.request("PUT", "/api/config", { json: body });

describe("/api/sources", () => {
  test("none configured: an empty list", async () => {
    const res = await api.get("/api/sources");
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(res.headers.get("x-total-count")).toBe("0");
  });

  test("a source added through PUT /api/config is listed, runs on demand and says what it read; the run is audited", async () => {
    const saved = await put({ sources: [{ name: "router", type: "dnsmasq_leases", path: leases }, { name: "off", type: "isc_leases", path: "/nonexistent/dhcpd.leases", enabled: false }] });
    expect(saved.status).toBe(200);
    expect(saved.body.sources).toEqual([{ name: "router", type: "dnsmasq_leases", path: leases }, { name: "off", type: "isc_leases", path: "/nonexistent/dhcpd.leases", enabled: false }]);
    const run = await api.post("/api/sources/router/run");
    expect(run.status).toBe(200);
    // No confirmed subnet: the lease's host is not added (a source adds devices only on confirmed subnets).
    expect(run.body).toMatchObject({ name: "router", type: "dnsmasq_leases", status: "ok", devices: 0 });
    expect(run.body.detail).toMatch(/^1 host read, 0 devices matched or added in \d+ ms$/);
    expect(run.body.last_run_at).toBe(run.body.last_ok_at);
    okAt = run.body.last_ok_at;
    const list = await api.get("/api/sources");
    expect(list.body).toEqual([run.body, { name: "off", type: "isc_leases", last_run_at: null, last_ok_at: null, status: "disabled", detail: "Disabled in the configuration", devices: 0 }]);
    const audit = await api.get("/api/audit-logs?action=source_run");
    expect(audit.body[0]).toMatchObject({ action: "source_run", resource: "source:router", success: true, details: { type: "dnsmasq_leases", status: "ok" } });
  });

  test("a missing file: 200 with status failed and the reason; the audit records the failure", async () => {
    rmSync(leases);
    const run = await api.post("/api/sources/router/run");
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ status: "failed", detail: `not_found: ${leases} does not exist` });
    // The last good run is kept.
    expect(run.body.last_ok_at).toBe(okAt);
    expect((await api.get("/api/audit-logs?action=source_run")).body[0]).toMatchObject({ success: false, details: { status: "failed" } });
    // The rest of the appliance does not notice.
    expect((await api.get("/health")).body.status).toBe("healthy");
  });

  test("unknown is 404, disabled is 409, a malformed name 422, a read-only key 403", async () => {
    expect(await api.post("/api/sources/nope/run")).toMatchObject({ status: 404, body: { detail: 'No source named "nope" in the configuration' } });
    expect(await api.post("/api/sources/off/run")).toMatchObject({ status: 409, body: { detail: 'The source "off" is disabled' } });
    expect((await api.post("/api/sources/bad%20name/run")).status).toBe(422);
    expect(await reader.post("/api/sources/router/run")).toMatchObject({ status: 403 });
    expect((await reader.get("/api/sources")).status).toBe(200);
  });

  test("a source entry that does not fit its type is a 422 naming its field; removing a source forgets its state", async () => {
    expect(await put({ sources: [{ name: "x", type: "isc_leases" }] })).toMatchObject({ status: 422, body: { detail: "Invalid body field 'sources.0.path': is required" } });
    expect(await put({ sources: [{ name: "x", type: "kea-ish", path: "/x" }] })).toMatchObject({ status: 422 });
    expect((await put({ sources: [] })).status).toBe(200);
    expect((await api.get("/api/sources")).body).toEqual([]);
    // Back under the same name (disabled, so that the timer leaves it alone): its old runs are gone.
    expect((await put({ sources: [{ name: "router", type: "dnsmasq_leases", path: leases, enabled: false }] })).status).toBe(200);
    expect((await api.get("/api/sources")).body).toEqual([{ name: "router", type: "dnsmasq_leases", last_run_at: null, last_ok_at: null, status: "disabled", detail: "Disabled in the configuration", devices: 0 }]);
  });
});
