// The scan API's contract without a network: validation (422), consent (409), authentication and
// the history endpoints. The server runs in a namespace of its own with only loopback, so even a
// scan started by mistake could not send a packet anywhere.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "../helpers/server.ts";
import { checkedFetch } from "../helpers/contract.ts";
import { ADMIN, adminWithKey, sealedEnv } from "../helpers/server.ts";
import { startIsolatedServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireRoot } from "../helpers/testnet.ts";
import { Scratch } from "../helpers/scratch.ts";

const root = requireRoot("runs the appliance in an isolated network namespace");

describe.skipIf(!root)("scan API contract", () => {
  let server: NetServer;
  let api: Client;

  beforeAll(async () => {
    server = await startIsolatedServer();
    const { key } = await adminWithKey(server);
    api = server.client({ "X-API-Key": key });
  });
  afterAll(() => server?.close());

  const trigger = (qs: string) => api.request("POST", `/api/scan/trigger${qs}`);

  test("without a confirmed subnet, a trigger without `subnet` is 409 No subnet confirmed yet", async () => {
    const res = await trigger("?profile=quick");
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ detail: "No subnet confirmed yet" });
    expect((await api.get("/api/scans")).body).toEqual([]);
  });

  const badSubnets: [string, RegExp][] = [
    ["10.0.0.0/33", /subnet/],
    ["10.0.0.0/8", /wider than \/16/],
    ["8.8.8.0/24", /not a private range/],
    ["192.168.1.0/24;rm -rf /", /subnet/],
    ["router.local", /subnet/],
    ["$(reboot)", /subnet/],
    ["", /subnet/],
    ["127.0.0.0/24", /subnet/],
    ["224.0.0.0/24", /subnet/],
    ["10.0.0.0/24,300.1.1.1", /subnet/],
    // Strict input: padding or a newline is refused, never trimmed into a valid target.
    [" 10.9.0.0/24", /'subnet'.*whitespace/],
    ["10.9.0.0/24 ", /'subnet'.*whitespace/],
    ["10.9.0.0/24\n", /'subnet'.*whitespace/],
    ["10.9.0.0/24,\n10.9.1.0/24", /'subnet'.*whitespace/],
  ];
  for (const [subnet, detail] of badSubnets) {
    test(`subnet=${JSON.stringify(subnet)} → 422 naming the field`, async () => {
      const res = await trigger(`?profile=quick&subnet=${encodeURIComponent(subnet)}`);
      expect(res.status).toBe(422);
      expect(Object.keys(res.body)).toEqual(["detail"]);
      expect(res.body.detail).toMatch(detail);
    });
  }

  test("unknown profiles, unknown query keys, bad device addresses → 422", async () => {
    for (const [qs, detail] of [
      ["?profile=turbo&subnet=10.9.0.0/24", /unknown profile "turbo"/],
      ["?profile=quick&subnet=10.9.0.0/24&force=1", /Unknown query parameter 'force'/],
      ["?profile=" + "x".repeat(40), /profile/],
    ] as const) {
      const res = await trigger(qs);
      expect(res.status).toBe(422);
      expect(res.body.detail).toMatch(detail);
    }
    for (const ip of ["10.0.0.0%2F24", "999.1.1.1", "8.8.8.8", "nas.local"]) {
      const res = await api.request("POST", `/api/scan/device/${ip}`);
      expect(res.status).toBe(422);
      expect(res.body.detail).toMatch(/'ip'/);
    }
    expect((await api.get("/api/scans")).body).toEqual([]);
  });

  test("scan status and history when idle; unknown scans are 404; bad filters 422", async () => {
    expect((await api.get("/api/scan/status")).body).toEqual({ scanning: false });
    expect((await api.get("/api/scans/42")).status).toBe(404);
    expect((await api.get("/api/scans/42/devices")).status).toBe(404);
    expect((await api.get("/api/scans/1/compare/2")).status).toBe(404);
    expect((await api.get("/api/scans?status=done")).status).toBe(422);
    expect((await api.post("/api/scan/cancel")).status).toBe(409);
  });

  test("a scan of a subnet this host is not attached to runs, finds nothing, and is recorded", async () => {
    // The isolated namespace routes 10.0.0.0/8 into its own loopback: probes go nowhere, nothing answers.
    const res = await trigger(`?profile=quick&subnet=${encodeURIComponent("10.9.0.0/28")}`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: "started", scan_id: 1, profile: "quick", subnet: "10.9.0.0/28" });
    const done = await waitForScan(api, 1);
    expect(done.status).toBe("completed");
    expect(done.hosts_found).toBe(0);
    const list = await api.get("/api/scans");
    expect(list.headers.get("x-total-count")).toBe("1");
    const audit = await api.get("/api/audit-logs?action=scan_started");
    expect(audit.body[0].details).toEqual({ profile: "quick", subnet: "10.9.0.0/28", scan_type: "network" });
  });
});

describe.skipIf(!root)("a target this machine has no route to", () => {
  // New-user finding: a mistyped subnet ran as a scan of an empty network ("completed", 0 hosts).
  const reason = (list: string, one = true) =>
    `no route to ${list} from this appliance: ${one ? "it is" : "they are"} on none of its networks and no router leads there, so nothing could be scanned (check the address, or the routing of this machine)`;
  test("is refused before anything starts: 422 naming the parameter, 409 for the confirmed subnets; no scan, no audit", async () => {
    const server = await startIsolatedServer({ ARGUS_SUBNETS: "10.9.1.0/28,10.9.2.0/28" }, { noRoutes: true });
    try {
      const api = server.client();
      await api.post("/api/setup", ADMIN);
      const given = await api.request("POST", `/api/scan/trigger?profile=quick&subnet=${encodeURIComponent("192.168.1.0/24")}`);
      expect(given.status).toBe(422);
      expect(given.body).toEqual({ detail: `Invalid query parameter 'subnet': ${reason("192.168.1.0/24")}` });
      const confirmed = await api.request("POST", "/api/scan/trigger?profile=quick");
      expect(confirmed.status).toBe(409);
      expect(confirmed.body).toEqual({ detail: `The confirmed subnets cannot be scanned: ${reason("10.9.1.0/28, 10.9.2.0/28", false)}` });
      const device = await api.request("POST", "/api/scan/device/10.9.1.5");
      expect(device.status).toBe(422);
      expect(device.body).toEqual({ detail: `Invalid path parameter 'ip': ${reason("10.9.1.5/32")}` });
      expect((await api.get("/api/scans")).body).toEqual([]);
      expect((await api.get("/api/audit-logs?action=scan_started")).body).toEqual([]);
      // Loopback is routed here, but not a subnet Argus scans: that stays the 422 it was.
      expect((await api.request("POST", `/api/scan/trigger?subnet=${encodeURIComponent("127.0.0.0/24")}`)).status).toBe(422);
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!root)("cancelling a scan", () => {
  test("is audited as scan_cancelled with the scan's id and who cancelled it; a cancel with nothing running is not", async () => {
    // A server of its own in an isolated namespace: the /16 it scans is unroutable from there, and
    // large enough that the scan still runs when the cancel arrives.
    const server = await startIsolatedServer();
    try {
      const { key } = await adminWithKey(server);
      const api = server.client({ "X-API-Key": key });
      const started = await api.request("POST", `/api/scan/trigger?profile=quick&subnet=${encodeURIComponent("10.9.0.0/16")}`);
      expect(started.status).toBe(202);
      const cancel = await api.post("/api/scan/cancel");
      expect(cancel.body).toEqual({ status: "cancelling", scan_id: started.body.scan_id });
      expect((await waitForScan(api, started.body.scan_id)).status).toBe("cancelled");
      expect((await api.post("/api/scan/cancel")).status).toBe(409);
      const audit = await api.get("/api/audit-logs?action=scan_cancelled");
      expect(audit.status).toBe(200);
      expect(audit.body).toHaveLength(1);
      expect(audit.body[0]).toMatchObject({
        action: "scan_cancelled",
        username: "api_key:Test Key",
        resource: `scan:${started.body.scan_id}`,
        success: true,
        details: { scan_id: started.body.scan_id },
      });
      expect((await api.get("/api/audit-logs/actions")).body).toContain("scan_cancelled");
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!root)("live scan events (SSE)", () => {
  test("the stream opens with the status, then reports progress and the finished scan", async () => {
    const server = await startIsolatedServer();
    try {
      const { key } = await adminWithKey(server);
      const api = server.client({ "X-API-Key": key });
      const res = await checkedFetch("http://argus/api/scan/events", { headers: { "X-API-Key": key }, unix: server.socket } as RequestInit);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      const reader = res.body!.getReader();
      let text = "";
      const until = async (needle: string) => {
        const deadline = Date.now() + 20_000;
        while (!text.includes(needle) && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
        return text.includes(needle);
      };
      expect(await until("event: status")).toBe(true);
      expect(text).toContain(`data: {"scanning":false}`);
      const started = await api.request("POST", `/api/scan/trigger?profile=quick&subnet=${encodeURIComponent("10.9.2.0/28")}`);
      expect(await until("event: finished")).toBe(true);
      expect(text).toContain("event: progress");
      const finished = text.split("\n\n").find((block) => block.startsWith("event: finished"))!;
      expect(JSON.parse(finished.split("data: ")[1])).toMatchObject({ type: "finished", scan_id: started.body.scan_id });
      await reader.cancel();
    } finally {
      await server.close();
    }
  });

  test("a key revoked while its stream is open receives nothing more: the stream ends", async () => {
    const server = await startIsolatedServer();
    try {
      const { session, key } = await adminWithKey(server);
      const other = (await session.post("/api/keys", { name: "trigger" })).body.key;
      const res = await checkedFetch("http://argus/api/scan/events", { headers: { "X-API-Key": key }, unix: server.socket } as RequestInit);
      const reader = res.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toContain("event: status");
      const keyId = ((await session.get("/api/keys")).body as any[]).find((k) => k.name === "Test Key").id;
      expect((await session.delete(`/api/keys/${keyId}`)).status).toBe(204);
      const started = await server.client({ "X-API-Key": other }).request("POST", `/api/scan/trigger?profile=quick&subnet=${encodeURIComponent("10.9.3.0/28")}`);
      expect(started.status).toBe(202);
      let rest = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        rest += new TextDecoder().decode(value);
      }
      expect(rest).toBe("");
      await waitForScan(server.client({ "X-API-Key": other }), started.body.scan_id);
    } finally {
      await server.close();
    }
  });

  test("without credentials the stream is 401 like every /api route", async () => {
    const server = await startIsolatedServer();
    try {
      await adminWithKey(server);
      const res = await checkedFetch("http://argus/api/scan/events", { unix: server.socket } as RequestInit);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ detail: "Not authenticated" });
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!root)("consent from the config file", () => {
  test("confirmed subnets in config.json are what a trigger without `subnet` scans", async () => {
    const server = await startIsolatedServer({ ARGUS_SUBNETS: "10.9.1.0/28" });
    try {
      const { key } = await adminWithKey(server);
      const api = server.client({ "X-API-Key": key });
      const res = await api.request("POST", "/api/scan/trigger?profile=quick");
      expect(res.status).toBe(202);
      expect(res.body.subnet).toBe("10.9.1.0/28");
      await waitForScan(api, res.body.scan_id);
      const detect = await api.get("/api/network/detect");
      expect(detect.body.confirmed_subnets).toEqual(["10.9.1.0/28"]);
      expect(detect.body.interfaces).toEqual([]);
    } finally {
      await server.close();
    }
  });

  test("an invalid config file stops the server with a clear message", async () => {
    const scratch = new Scratch();
    const dir = scratch.dir("argus-badcfg-");
    writeFileSync(join(dir, "config.json"), JSON.stringify({ subnets: ["8.8.8.0/24"] }));
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../../src/main.ts"), "serve"], {
      env: { ...sealedEnv(), ARGUS_DATA_DIR: dir, ARGUS_PORT: "0", ARGUS_HOST: "127.0.0.1" },
      stderr: "pipe",
      stdout: "pipe",
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    clearTimeout(timer);
    expect(code).not.toBe(0);
    expect(err).toContain("subnets");
    expect(err).toContain("not a private range");
    scratch.clear();
  });
});
