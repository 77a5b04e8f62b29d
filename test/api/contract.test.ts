// The OpenAPI document is the contract integrations build on. This file checks the document itself:
// valid OpenAPI (by a maintained validator), one named schema per shape referenced by the routes,
// every operation with its success body and its errors, the seed's walk-through as examples (and
// every example valid against its own schema), public routes marked public, integer parameters as
// integers. That every answer the API tests receive keeps the document is checked by the test
// client itself (test/helpers/contract.ts); the last tests here show that check catching drift.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { routeTable } from "../helpers/route-table.ts";
import { closeObjects, Contract } from "../helpers/contract.ts";
import { ADMIN, adminWithKey, Client, startTestServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let doc: any;
let api: Client;

beforeAll(async () => {
  server = await startTestServer();
  const { key } = await adminWithKey(server);
  api = new Client(server.url, { "X-API-Key": key });
  doc = await (await fetch(`${server.url}/openapi.json`)).json();
});
afterAll(() => server.close());

type Op = { method: string; path: string; op: any };
const operations = (): Op[] =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
const name = (o: Op) => `${o.method} ${o.path}`;
const ERROR_REF = "#/components/schemas/Error";

/** Resolves a `$ref` into the document's components. */
const resolve = (schema: any): any => (schema?.$ref ? doc.components.schemas[schema.$ref.split("/").pop()] : schema);

/** An Ajv that knows the document's components, to check examples against their schemas. */
function exampleValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // Closed like the answers are: an example with a field the schema does not name is wrong too.
  ajv.addSchema(closeObjects(doc) as object, "doc.json");
  return (schema: any, value: unknown) => {
    const rebased = JSON.parse(JSON.stringify(closeObjects(schema)).replaceAll('"#/components/', '"doc.json#/components/'));
    const validate = ajv.compile(rebased);
    return validate(value) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`);
  };
}

describe("the OpenAPI document", () => {
  test("is valid OpenAPI 3.1 for a maintained validator", async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  test("names one schema per shape in components.schemas", () => {
    const schemas = Object.keys(doc.components.schemas);
    for (const shape of [
      "Device", "DeviceDetail", "Port", "Threat", "Change", "Scan", "Stats", "ApiKey", "ApiKeyCreated", "AuditEntry", "Error",
      "Health", "Version", "Me", "Session", "SetupStatus", "ScanState", "ScanComparison", "ScanDevice", "TrendPoint", "NetworkDetect",
      "Zones", "RiskLevel", "ChangeType", "ScanStatus", "Severity", "Notification", "NotificationTest", "NotificationStatus", "PassiveStatus",
      "Config", "ConfigUpdate", "ScheduledScan", "RetentionCounts", "DatabaseStats", "RestoreResult",
    ]) {
      expect(schemas).toContain(shape);
    }
    // Enumerations are closed lists of literals.
    expect(doc.components.schemas.RiskLevel.enum).toEqual(["none", "low", "medium", "high", "critical"]);
    expect(doc.components.schemas.ScanStatus.enum).toEqual(["pending", "running", "completed", "failed", "cancelled", "interrupted"]);
    expect(doc.components.schemas.ChangeType.enum).toContain("mac_rotated");
    expect(doc.components.schemas.Severity.enum).toEqual(["info", "low", "warning", "medium", "high", "critical"]);
    // Integers are integers, not "integer or numeric string".
    expect(doc.components.schemas.Device.properties.id).toMatchObject({ type: "integer" });
    expect(doc.components.schemas.Device.properties.risk_level).toEqual({ $ref: "#/components/schemas/RiskLevel" });
    // The configuration as answered names no secret, only whether one is stored.
    const config = JSON.stringify(doc.components.schemas.Config);
    for (const secret of ['"secret":{', '"token":{', '"password":{']) expect(config).not.toContain(secret);
    expect(config).toContain('"token_set":{');
  });

  test("every route that sends or takes a shape references its named schema", () => {
    const byOp = Object.fromEntries(operations().map((o) => [name(o), o.op]));
    const body = (op: string, status: number) => byOp[op].responses[status].content["application/json"].schema;
    expect(body("GET /api/devices", 200)).toEqual({ type: "array", items: { $ref: "#/components/schemas/Device" } });
    expect(body("GET /api/devices/{id}", 200)).toEqual({ $ref: "#/components/schemas/DeviceDetail" });
    expect(body("PUT /api/devices/{id}", 200)).toEqual({ $ref: "#/components/schemas/DeviceDetail" });
    expect(body("GET /api/devices/{id}/ports", 200)).toEqual({ type: "array", items: { $ref: "#/components/schemas/Port" } });
    expect(body("GET /api/changes", 200)).toEqual({ type: "array", items: { $ref: "#/components/schemas/Change" } });
    expect(body("POST /api/changes/{id}/acknowledge", 200)).toEqual({ $ref: "#/components/schemas/Change" });
    expect(body("GET /api/scans", 200)).toEqual({ type: "array", items: { $ref: "#/components/schemas/Scan" } });
    expect(body("GET /api/scans/{id}", 200)).toEqual({ $ref: "#/components/schemas/Scan" });
    expect(body("GET /api/stats", 200)).toEqual({ $ref: "#/components/schemas/Stats" });
    expect(body("GET /api/stats/device-types", 200)).toEqual({ type: "array", items: { $ref: "#/components/schemas/DeviceTypeCount" } });
    expect(body("GET /api/keys", 200)).toEqual({ type: "array", items: { $ref: "#/components/schemas/ApiKey" } });
    expect(body("POST /api/keys", 201)).toEqual({ $ref: "#/components/schemas/ApiKeyCreated" });
    expect(body("GET /api/audit-logs", 200)).toEqual({ type: "array", items: { $ref: "#/components/schemas/AuditEntry" } });
    expect(body("GET /api/notifications", 200)).toEqual({ type: "array", items: { $ref: "#/components/schemas/Notification" } });
    expect(body("POST /api/notifications/test", 200)).toEqual({ $ref: "#/components/schemas/NotificationTest" });
    expect(body("GET /api/passive", 200)).toEqual({ $ref: "#/components/schemas/PassiveStatus" });
    expect(resolve(doc.components.schemas.DeviceDetail).properties.threats.items).toEqual({ $ref: "#/components/schemas/Threat" });
    // Every JSON success body of every operation names its shape.
    for (const o of operations()) {
      for (const [status, r] of Object.entries<any>(o.op.responses)) {
        const schema = r.content?.["application/json"]?.schema;
        if (Number(status) >= 300 || !schema) continue;
        expect({ op: name(o), status, named: JSON.stringify(schema).includes('"$ref":"#/components/schemas/') }).toEqual({ op: name(o), status, named: true });
      }
    }
    // Request bodies are JSON with their named schema; the one upload (a database to restore) is the file itself.
    for (const o of operations().filter((o) => o.op.requestBody)) {
      if (name(o) === "POST /api/restore") {
        expect(o.op.requestBody.content).toEqual({ "application/octet-stream": { schema: { type: "string", format: "binary" } } });
        continue;
      }
      expect({ op: name(o), schema: o.op.requestBody.content["application/json"]?.schema?.$ref?.startsWith("#/components/schemas/") }).toEqual({ op: name(o), schema: true });
    }
    expect(body("GET /api/config", 200)).toEqual({ $ref: "#/components/schemas/Config" });
    expect(byOp["PUT /api/config"].requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/ConfigUpdate" });
    expect(body("GET /api/schedule", 200)).toEqual({ type: "array", items: { $ref: "#/components/schemas/ScheduledScan" } });
    expect(body("POST /api/retention/cleanup", 200)).toEqual({ $ref: "#/components/schemas/RetentionCounts" });
    expect(body("GET /api/stats/db", 200)).toEqual({ $ref: "#/components/schemas/DatabaseStats" });
    expect(body("GET /api/export/devices.json", 200)).toEqual({ type: "array", items: { $ref: "#/components/schemas/Device" } });
    expect(body("POST /api/restore", 200)).toEqual({ $ref: "#/components/schemas/RestoreResult" });
  });

  test("every operation documents its success body and its errors with the error schema", () => {
    for (const o of operations()) {
      const statuses = Object.keys(o.op.responses).map(Number);
      const success = statuses.filter((s) => s >= 200 && s < 300);
      expect({ op: name(o), success: success.length }).toEqual({ op: name(o), success: 1 });
      const publicOp = Array.isArray(o.op.security) && o.op.security.length === 0;
      if (!publicOp) expect({ op: name(o), has401: statuses.includes(401) }).toEqual({ op: name(o), has401: true });
      // Strict query keys: every operation answers 422 for an unknown one.
      expect({ op: name(o), has422: statuses.includes(422) }).toEqual({ op: name(o), has422: true });
      if (o.path.includes("{id}")) expect({ op: name(o), has404: statuses.includes(404) }).toEqual({ op: name(o), has404: true });
      // Errors are the error shape; /health's 503 is its own answer saying what is unhealthy.
      for (const s of statuses.filter((s) => s >= 400 && !(name(o) === "GET /health" && s === 503))) {
        expect({ op: name(o), s, schema: o.op.responses[s].content["application/json"].schema }).toEqual({ op: name(o), s, schema: { $ref: ERROR_REF } });
      }
      if (success[0] === 204) expect(o.op.responses[204].content).toBeUndefined();
    }
    const byOp = Object.fromEntries(operations().map((o) => [name(o), o.op]));
    expect(byOp["GET /health"].responses[503].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Health" });
    expect(Object.keys(byOp["POST /api/scan/trigger"].responses)).toContain("409");
    expect(Object.keys(byOp["POST /api/scan/trigger"].responses)).toContain("202");
    expect(Object.keys(byOp["POST /api/setup"].responses)).toContain("409");
    expect(Object.keys(byOp["POST /api/auth/login"].responses)).toEqual(expect.arrayContaining(["200", "401", "429"]));
    expect(Object.keys(byOp["DELETE /api/keys/{id}"].responses)).toEqual(expect.arrayContaining(["204", "404"]));
    // Lists say where their total is.
    expect(byOp["GET /api/devices"].responses[200].headers["X-Total-Count"].schema).toEqual({ type: "integer", minimum: 0 });
    expect(byOp["GET /api/notifications"].responses[200].headers["X-Total-Count"].schema).toEqual({ type: "integer", minimum: 0 });
    expect(Object.keys(byOp["POST /api/notifications/test"].responses)).toEqual(expect.arrayContaining(["200", "404"]));
    // Downloads say their file name; the backup is the SQLite file itself.
    for (const op of ["GET /api/export/devices.csv", "GET /api/export/devices.json", "GET /api/backup"]) expect(byOp[op].responses[200].headers["Content-Disposition"]).toBeDefined();
    expect(Object.keys(byOp["GET /api/export/devices.csv"].responses[200].content)).toEqual(["text/csv"]);
    expect(byOp["GET /api/backup"].responses[200].content).toEqual({ "application/vnd.sqlite3": { schema: { type: "string", format: "binary" } } });
    expect(Object.keys(byOp["POST /api/restore"].responses)).toEqual(expect.arrayContaining(["200", "400", "409", "413", "415", "422"]));
    // /metrics answers Prometheus text, not JSON; its errors are JSON like every other.
    expect(Object.keys(byOp["GET /metrics"].responses[200].content)).toEqual(["text/plain"]);
    expect(byOp["GET /metrics"].responses[200].content["text/plain"].example).toContain("argus_devices_total");
  });

  test("examples follow the seed document's walk-through, and every example fits its own schema", () => {
    const byOp = Object.fromEntries(operations().map((o) => [name(o), o.op]));
    const json = (op: string, status: number) => byOp[op].responses[status].content["application/json"];
    expect(json("POST /api/keys", 201).example).toEqual({ id: 1, name: "My Integration", key: "argus_abc123xyz...", key_prefix: "argus_ab", created_at: "2024-01-15T10:30:00Z" });
    expect(byOp["POST /api/keys"].requestBody.content["application/json"].example).toEqual({ name: "My Integration" });
    expect(json("GET /api/keys", 200).example).toEqual([
      { id: 1, name: "Home Assistant", key_prefix: "argus_ab", created_at: "2024-01-15T10:30:00Z", last_used_at: "2024-01-16T08:00:00Z" },
    ]);
    expect(json("GET /api/devices", 401).example).toEqual({ detail: "Not authenticated" });

    const check = exampleValidator();
    let examples = 0;
    for (const o of operations()) {
      const media = [
        ...Object.entries<any>(o.op.responses).map(([s, r]) => [`${s}`, r.content?.["application/json"]] as const),
        ["request", o.op.requestBody?.content?.["application/json"]] as const,
      ];
      for (const [where, m] of media) {
        if (!m?.schema || m.example === undefined) continue;
        examples++;
        expect({ op: name(o), where, errors: check(m.schema, m.example) }).toEqual({ op: name(o), where, errors: [] });
      }
      // Every success answer shows an example (a binary file, the database backup, cannot be shown).
      const success = Object.entries<any>(o.op.responses).find(([s]) => Number(s) < 300)![1];
      const shown = Object.values<any>(success.content ?? {})[0];
      if (shown && shown.schema?.format !== "binary") expect({ op: name(o), example: shown.example !== undefined }).toEqual({ op: name(o), example: true });
    }
    expect(examples).toBeGreaterThan(60);
  });

  test("public routes, and only they, carry security: []", () => {
    const publicOps = operations().filter((o) => Array.isArray(o.op.security) && o.op.security.length === 0).map(name).sort();
    expect(publicOps).toEqual(["GET /api/setup", "GET /health", "POST /api/auth/login", "POST /api/setup"]);
    // The guard's table, read from the routes' own declarations, says the same of every documented operation.
    const declaredPublic = new Set(routeTable().filter((r) => r.access === "public").map((r) => `${r.method} ${r.path}`));
    expect(operations().map(name).filter((op) => declaredPublic.has(op.replace(/\{(\w+)\}/g, ":$1"))).sort()).toEqual(publicOps);
    // /metrics takes an API key only (it refuses a session): it names the key schemes, not the cookie.
    // Every other protected operation inherits the document's security (key, bearer or session).
    const keyOnly = ["GET /metrics"];
    for (const o of operations().filter((o) => !publicOps.includes(name(o)))) {
      const expected = keyOnly.includes(name(o)) ? [{ apiKey: [] }, { bearer: [] }] : undefined;
      expect({ op: name(o), security: o.op.security }).toEqual({ op: name(o), security: expected });
    }
    expect(doc.security).toEqual([{ apiKey: [] }, { bearer: [] }, { session: [] }]);
  });

  test("integer parameters are integers with their bounds", () => {
    const params = operations().flatMap((o) => (o.op.parameters ?? []).map((p: any) => ({ op: name(o), ...p })));
    const integers = params.filter((p) => ["id", "other_id", "limit", "offset", "port", "days", "scan_id", "device_id"].includes(p.name));
    expect(integers.length).toBeGreaterThan(20);
    for (const p of integers) {
      expect({ op: p.op, name: p.name, type: p.schema.type, pattern: p.schema.pattern }).toEqual({ op: p.op, name: p.name, type: "integer", pattern: undefined });
    }
    const limit = params.find((p) => p.op === "GET /api/devices" && p.name === "limit");
    expect(limit.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 1000 });
    // Nothing Elysia-private leaks into the document: no `error` keyword (Elysia's custom message) in any
    // schema, no `$id`. Examples are data, not schemas: a delivery's own `error` field stays in them.
    const leaks: string[] = [];
    const walk = (node: unknown, at: string, inProperties = false): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}/${i}`));
      if (!node || typeof node !== "object") return;
      for (const [k, v] of Object.entries(node)) {
        if (!inProperties && (k === "example" || k === "examples")) continue;
        if (!inProperties && k === "error" && typeof v !== "object") leaks.push(`${at}/${k}`);
        walk(v, `${at}/${k}`, k === "properties" && !inProperties);
      }
    };
    walk(doc, "#");
    expect(leaks).toEqual([]);
    expect(JSON.stringify(doc)).not.toContain('"$id"');
    expect(JSON.stringify(doc)).not.toContain('"errorMessage"');
    const deliveries = doc.paths["/api/notifications"].get.responses[200].content["application/json"].example;
    expect(deliveries.find((d: any) => d.status === "failed").error).toEqual(expect.any(String));
  });
});

describe("the answers every operation can give, as the test client receives them", () => {
  // /api/scan/* is left to scans.test.ts, which runs the appliance inside its own network namespace.
  const reachable = () => operations().filter((o) => !o.path.startsWith("/api/scan/") && !name(o).startsWith("POST /api/setup"));
  const concrete = (path: string) => path.replace(/\{[^}]+\}/g, "1");

  test("an unknown query key is a documented 422 everywhere", async () => {
    for (const o of reachable()) {
      const res = await api.request(o.method, `${concrete(o.path)}?bogus=1`); // the client checks it against the document
      expect({ op: name(o), status: res.status }).toEqual({ op: name(o), status: 422 });
    }
  });

  test("a malformed, oversized or non-JSON body is a documented 400, 413 or 415 on every write", async () => {
    const writes = reachable().filter((o) => ["POST", "PUT", "DELETE"].includes(o.method) && name(o) !== "POST /api/auth/login");
    expect(writes.length).toBeGreaterThanOrEqual(5);
    for (const o of writes) {
      const path = concrete(o.path);
      // Malformed or oversized JSON is a 400 or 413 where JSON is taken (or nothing); where the document
      // names another body type only (POST /api/restore: the file as octet-stream), JSON is the wrong
      // type: a 415 before anything is read.
      const takesJson = !o.op.requestBody || "application/json" in o.op.requestBody.content;
      const malformed = await api.request(o.method, path, { body: "{bad", headers: { "content-type": "application/json" } });
      expect({ op: name(o), status: malformed.status }).toEqual({ op: name(o), status: takesJson ? 400 : 415 });
      const xml = await api.request(o.method, path, { body: "<a/>", headers: { "content-type": "text/xml" } });
      expect({ op: name(o), status: xml.status }).toEqual({ op: name(o), status: 415 });
      const huge = await api.request(o.method, path, { body: "x".repeat(1_100_000), headers: { "content-type": "application/json" } });
      expect({ op: name(o), status: huge.status }).toEqual({ op: name(o), status: takesJson ? 413 : 415 });
    }
  });

  test("a cross-site write with the session cookie is a documented 403", async () => {
    const session = new Client(server.url);
    const login = await session.post("/api/auth/login", ADMIN);
    expect(login.status).toBe(200);
    const res = await session.request("DELETE", "/api/keys/1", { headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" } });
    expect(res.status).toBe(403);
  });
});

describe("the contract check the test client applies to every answer", () => {
  test("passes real answers, and catches an extra field, a wrong type, an undocumented status, route or header", async () => {
    const contract = new Contract(doc);
    const res = await api.get("/api/keys"); // checked by the client itself
    expect(res.status).toBe(200);
    const headers = new Headers({ "content-type": "application/json", "x-total-count": "1" });
    expect(contract.check("GET", "/api/keys", 200, headers, res.text)).toEqual([]);
    const key = res.body[0];
    expect(contract.check("GET", "/api/keys", 200, headers, JSON.stringify([{ ...key, key: "argus_secret" }]))[0]).toContain("additional properties");
    expect(contract.check("GET", "/api/keys", 200, headers, JSON.stringify([{ ...key, id: "1" }]))[0]).toContain("must be integer");
    expect(contract.check("GET", "/api/keys", 200, new Headers({ "content-type": "application/json" }), res.text)[0]).toContain("X-Total-Count is missing");
    expect(contract.check("GET", "/api/keys", 409, headers, '{"detail":"x"}')[0]).toContain("not documented");
    expect(contract.check("GET", "/api/undocumented", 200, headers, "{}")[0]).toContain("no documented operation");
    expect(contract.check("DELETE", "/api/keys/1", 204, headers, '{"x":1}')[0]).toContain("a body where the document says there is none");
    expect(contract.check("GET", "/api/devices", 401, headers, '{"error":"Not authenticated"}')[0]).toContain("does not match");
    // The router's own answers to unknown paths and methods are errors in the documented shape.
    expect(contract.check("GET", "/api/nothing-here", 404, headers, '{"detail":"Not found"}')).toEqual([]);
    expect(contract.check("PATCH", "/api/keys", 405, headers, '{"detail":"Method PATCH is not allowed here; use GET, POST"}')).toEqual([]);
  });

  test("a route that answers but is missing from the document is reported as undocumented", async () => {
    // A route merged without documentation: the same answer, checked against a document that lacks it.
    const trimmed = structuredClone(doc);
    delete trimmed.paths["/api/zones"];
    const contract = new Contract(trimmed);
    const res = await api.get("/api/zones");
    expect(contract.check("GET", "/api/zones", res.status, res.headers, res.text)[0]).toContain("undocumented route");
  });
});
