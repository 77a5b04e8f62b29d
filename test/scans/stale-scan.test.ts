// A scan left `running` by a process that died must not block the appliance forever: after a restart
// it is `interrupted` whatever its stored pid now points at, the API agrees with the database, and a
// new scan starts. The server runs in a namespace with only loopback, so the scan it starts sends nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { startIsolatedServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";

const root = requireRoot("runs the appliance in an isolated network namespace");

describe.skipIf(!root)("a stale running scan after a crash", () => {
  let server: NetServer;
  let api: Client;

  beforeAll(async () => {
    server = await startIsolatedServer();
    const { key } = await adminWithKey(server);
    api = server.client({ "X-API-Key": key });
  });
  afterAll(() => server?.close());

  test("kill -9, its pid taken by a live process: after a restart the scan is interrupted and a new scan starts", async () => {
    expect(await server.kill("SIGKILL")).not.toBe(0);
    const db = new Database(join(server.dataDir, "argus.db"));
    const stale = Number(
      db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at, pid) VALUES ('network', 'quick', '10.9.0.0/24', 'running', '2026-01-01T00:00:00Z', 1)").run().lastInsertRowid,
    );
    db.close();
    await server.restart();
    expect((await api.get(`/api/scans/${stale}`)).body.status).toBe("interrupted");
    expect((await api.get("/api/scan/status")).body).toEqual({ scanning: false });
    expect((await api.request("POST", "/api/scan/cancel")).body).toEqual({ detail: "No scan is running" });
    const started = await api.request("POST", "/api/scan/trigger?profile=quick&subnet=10.9.0.0%2F24");
    expect(started.status).toBe(202);
    const scan = await waitForScan(api, started.body.scan_id);
    expect(scan.status).toBe("completed");
  });
});
