// DNS rebinding: a page on evil.example re-points its name at the appliance's address, and the
// browser, which sees one origin, lets it read and write. The appliance must answer only under its
// own names (SPEC §7 "Hosts"): its addresses, its host name, localhost and `allowed_hosts`; anything
// else is a 421 before routing. The unix socket, reachable only from this machine, takes any Host.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hostname, networkInterfaces } from "node:os";
import { join } from "node:path";
import { startIsolatedServer } from "../helpers/netserver.ts";
import { rawRequest } from "../helpers/raw-http.ts";
import { Scratch } from "../helpers/scratch.ts";
import { ADMIN, adminWithKey, Client, startTestServer, type TestServer } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";

const UNKNOWN = { detail: "Unknown host name; add it to allowed_hosts" };
const scratch = new Scratch();
afterAll(() => scratch.clear());

describe("a fresh box under a rebound name", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  test("setup with Host and Origin evil.example fails, and the box stays unconfigured", async () => {
    const port = new URL(server.url).port;
    // What the attacker's page sends after the rebinding: to the browser it is a same-origin request.
    const rebound = { Host: `evil.example:${port}`, Origin: `http://evil.example:${port}`, "Sec-Fetch-Site": "same-origin" };
    const setup = await new Client(server.url).post("/api/setup", { ...ADMIN, subnets: ["192.168.77.0/24"] }, rebound);
    expect(setup.status).toBe(421);
    expect(setup.body).toEqual(UNKNOWN);
    expect(setup.headers.get("set-cookie")).toBeNull();
    // Reading is refused too: the setup status discloses the LAN, the pages and /health the version.
    for (const path of ["/api/setup", "/health", "/setup", "/login", "/openapi.json", "/ui/app.js", "/no-such-path"]) {
      const res = await new Client(server.url).get(path, { Host: `evil.example:${port}` });
      expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 421, body: UNKNOWN });
    }
    expect((await new Client(server.url).get("/api/setup")).body.setup_required).toBe(true);
  });

  test("every foreign spelling is refused; the appliance's own names are served", async () => {
    const port = new URL(server.url).port;
    const status = async (host: string) => (await new Client(server.url).get("/health", { Host: host })).status;
    for (const host of ["evil.example", `evil.example:${port}`, "localhost.evil.example", "127.0.0.1.evil.example", "evil", `${hostname()}.evil.example`, "[::2]", "198.51.100.254"]) {
      expect({ host, status: await status(host) }).toEqual({ host, status: 421 });
    }
    const short = hostname().split(".")[0];
    const own = ["localhost", `localhost:${port}`, "LOCALHOST", "localhost.", "127.0.0.1", `127.0.0.1:${port}`, "[::1]", `[::1]:${port}`, "[0:0::1]:80", hostname(), short, `${short}.local`];
    for (const a of Object.values(networkInterfaces()).flat()) {
      if (a && !a.address.includes("%") && !a.address.startsWith("fe80")) own.push(a.family === "IPv6" ? `[${a.address}]:${port}` : `${a.address}:${port}`);
    }
    for (const host of own) expect({ host, status: await status(host) }).toEqual({ host, status: 200 });
  });

  test("a request without a Host (HTTP/1.0) is a 400, as before; HTTP/1.0 with a foreign Host is a 421", async () => {
    const port = server.port;
    const noHost = await rawRequest({ port }, "GET /health HTTP/1.0\r\nConnection: close\r\n\r\n");
    expect(noHost.status).toBe(400);
    expect(JSON.parse(noHost.body)).toEqual({ detail: "Missing or invalid Host header" });
    const foreign = await rawRequest({ port }, "GET /api/setup HTTP/1.0\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    expect(foreign.status).toBe(421);
    expect(JSON.parse(foreign.body)).toEqual(UNKNOWN);
    // An absolute-form target does not stand in for the Host.
    const absolute = await rawRequest({ port }, `GET http://127.0.0.1:${port}/api/setup HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
    expect(absolute.status).toBe(421);
    const own = await rawRequest({ port }, `GET /api/setup HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(own.status).toBe(200);
  });
});

describe("allowed_hosts", () => {
  test("a reverse proxy's name is served once it is allowed, and not after it is removed", async () => {
    const server = await startTestServer();
    try {
      const { key } = await adminWithKey(server);
      const api = new Client(server.url, { "X-API-Key": key });
      const viaProxy = (host: string) => new Client(server.url, { "X-API-Key": key }).get("/api/auth/me", { Host: host });
      expect((await viaProxy("argus.example.net")).status).toBe(421);
      const put = await api.request("PUT", "/api/config", { json: { allowed_hosts: ["argus.example.net", "2001:db8::10", "[2001:db8::11]", "192.0.2.10"] } });
      expect(put.status).toBe(200);
      expect(put.body.allowed_hosts).toEqual(["argus.example.net", "2001:db8::10", "[2001:db8::11]", "192.0.2.10"]);
      for (const host of ["argus.example.net", "ARGUS.example.net:443", "argus.example.net.", "[2001:db8::10]:8443", "[2001:DB8:0::11]", "192.0.2.10:80"]) {
        expect({ host, status: (await viaProxy(host)).status }).toEqual({ host, status: 200 });
      }
      for (const host of ["x.argus.example.net", "argus.example.net.evil.example", "example.net"]) {
        expect({ host, status: (await viaProxy(host)).status }).toEqual({ host, status: 421 });
      }
      expect((await api.request("PUT", "/api/config", { json: { allowed_hosts: [] } })).status).toBe(200);
      expect((await viaProxy("argus.example.net")).status).toBe(421);
    } finally {
      await server.close();
    }
  });

  test("an entry that is not a bare host name or address is refused, naming it", async () => {
    const server = await startTestServer();
    try {
      const { key } = await adminWithKey(server);
      const api = new Client(server.url, { "X-API-Key": key });
      for (const bad of ["http://argus.example.net", "argus.example.net:8443", "argus.example.net/ui", "*", "", "a b", "user@host", "-bad.example", "2001:db8::1:8080]"]) {
        const res = await api.request("PUT", "/api/config", { json: { allowed_hosts: ["fine.example", bad] } });
        expect({ bad, status: res.status }).toEqual({ bad, status: 422 });
        expect(res.body.detail).toContain("allowed_hosts.1");
      }
      expect((await api.get("/api/config")).body.allowed_hosts).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe("the unix socket", () => {
  test("takes any Host (only local processes reach it); TCP on the same server does not", async () => {
    const socket = join(scratch.dir("argus-host-sock-"), "argus.sock");
    const server = await startTestServer({ ARGUS_SOCKET: socket });
    try {
      const local = await fetch("http://evil.example/health", { unix: socket } as RequestInit);
      expect(local.status).toBe(200);
      const setupStatus = await new Client("http://evil.example", {}, socket).get("/api/setup");
      expect(setupStatus.status).toBe(200);
      expect((await new Client(server.url).get("/health", { Host: "evil.example" })).status).toBe(421);
    } finally {
      await server.close();
    }
  });
});

const root = requireRoot("adds addresses inside a network namespace of its own");

describe.skipIf(!root)("addresses that appear later", () => {
  test("an address added to an interface is one of the appliance's names within a second", async () => {
    const server = await startIsolatedServer();
    const inNs = (...cmd: string[]) => {
      const r = Bun.spawnSync(["ip", "netns", "exec", server.ns, ...cmd], { stdout: "pipe", stderr: "pipe" });
      return { code: r.exitCode, out: r.stdout.toString().trim(), err: r.stderr.toString() };
    };
    const status = (host: string) => inNs("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", `Host: ${host}`, "http://127.0.0.1:8080/health").out;
    try {
      expect(status("10.77.0.1:8080")).toBe("421");
      expect(status("[fd00:77::1]:8080")).toBe("421");
      expect(inNs("ip", "addr", "add", "10.77.0.1/32", "dev", "lo").code).toBe(0);
      expect(inNs("ip", "-6", "addr", "add", "fd00:77::1/128", "dev", "lo").code).toBe(0);
      // Re-read at most once a second, on a miss.
      await Bun.sleep(1100);
      expect(status("10.77.0.1:8080")).toBe("200");
      expect(status("[fd00:77::1]:8080")).toBe("200");
      expect(status("10.77.0.2:8080")).toBe("421");
    } finally {
      await server.close();
    }
  });
});
