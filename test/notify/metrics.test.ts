// GET /metrics without a network: who may read it, the format, and that the shipped Grafana dashboard
// only queries metrics the appliance exports.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { adminWithKey, Client, startTestServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let key: string;
let session: Client;
beforeAll(async () => {
  server = await startTestServer();
  ({ key, session } = await adminWithKey(server));
});
afterAll(() => server.close());

describe("GET /metrics", () => {
  test("needs an API key (header or bearer); a session cookie or no credential is 401", async () => {
    expect((await new Client(server.url).get("/metrics")).body).toEqual({ detail: "Not authenticated" });
    expect((await session.get("/metrics")).status).toBe(401);
    expect((await new Client(server.url, { "X-API-Key": "argus_wrong" }).get("/metrics")).status).toBe(401);
    expect((await new Client(server.url, { "X-API-Key": key }).get("/metrics")).status).toBe(200);
    expect((await new Client(server.url, { Authorization: `Bearer ${key}` }).get("/metrics")).status).toBe(200);
    expect((await new Client(server.url, { "X-API-Key": key }).get("/metrics?x=1")).status).toBe(422);
  });

  test("Prometheus text format with the SPEC's names and process metrics; the Grafana dashboard uses only exported names", async () => {
    const res = await new Client(server.url, { "X-API-Key": key }).get("/metrics");
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const families = parsePrometheusTextFormat(res.text) as { name: string; type: string }[];
    const names = new Set(families.map((f) => f.name));
    for (const n of ["argus_devices_total", "argus_devices_online", "argus_devices_at_risk", "argus_scan_duration_seconds", "argus_last_scan_timestamp_seconds", "argus_changes_total", "argus_notifications_total", "process_cpu_seconds_total", "process_resident_memory_bytes"]) {
      expect(names.has(n)).toBe(true);
    }
    // Nothing that only ever reads NaN under Bun.
    expect(res.text).not.toMatch(/ NaN$|Nan$/m);
    // Every change type has its series from the start, the spoofing alerts of the passive watch included.
    for (const type of ["ip_conflict", "gateway_changed", "rogue_dhcp_server", "address_hopping", "identity_conflict"]) expect(res.text).toContain(`argus_changes_total{type="${type}"} 0`);
    const dashboard = JSON.parse(readFileSync(resolve(import.meta.dir, "../../scripts/grafana/argus-dashboard.json"), "utf8"));
    const used = new Set<string>();
    for (const p of dashboard.panels) for (const t of p.targets) for (const m of t.expr.matchAll(/\b((?:argus|process)_[a-z0-9_]+)/g)) used.add(m[1]);
    expect(used.size).toBeGreaterThan(8);
    for (const n of used) expect({ metric: n, exported: names.has(n) }).toEqual({ metric: n, exported: true });
  });
});
