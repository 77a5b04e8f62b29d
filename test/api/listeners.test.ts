// The appliance's doors: the TCP port and the optional unix socket. A second appliance must not quietly
// share the port (the kernel would hand it part of the clients), a start that fails half-way must not
// leave a server behind, and a live event stream must outlast the idle timeout on either door.
// Nothing here scans: the servers in this process are never set up (no user, no scan), and the event
// stream test runs the appliance in a namespace of its own with only loopback.
import { afterAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { loadSettings } from "../../src/config/settings.ts";
import { startServer } from "../../src/server.ts";
import { startIsolatedServer } from "../helpers/netserver.ts";
import { Scratch } from "../helpers/scratch.ts";
import { adminWithKey, sealedEnv, startTestServer } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
const scratch = new Scratch();
afterAll(() => scratch.clear());

describe("listening", () => {
  test("a second appliance on a port in use fails to start; every client still reaches the first", async () => {
    const first = await startTestServer();
    try {
      const second = startServer(loadSettings({ ARGUS_HOST: "127.0.0.1", ARGUS_PORT: String(first.port), ARGUS_LOG_LEVEL: "error", ARGUS_DATA_DIR: scratch.dir("argus-second-") }));
      const outcome = await second.then(
        async (s) => {
          await s.stop();
          return "started";
        },
        (e: Error) => e.message,
      );
      expect(outcome).toMatch(/EADDRINUSE|in use/);
      // The first one was set up; an appliance sharing the port would answer "setup required" to some.
      await fetch(`${first.url}/api/setup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: "correct horse battery staple" }) });
      const answers = new Set<string>();
      for (let i = 0; i < 20; i++) answers.add(await (await fetch(`${first.url}/api/setup`, { headers: { connection: "close" } })).text());
      expect([...answers]).toEqual([JSON.stringify({ setup_required: false })]);
    } finally {
      await first.close();
    }
  });

  test("`argus serve` whose unix socket is taken exits 1 instead of serving on TCP half-started", async () => {
    const dir = scratch.dir("argus-sock-");
    const socket = join(dir, "argus.sock");
    const first = await startTestServer({ ARGUS_SOCKET: socket });
    try {
      const proc = Bun.spawn([process.execPath, MAIN, "serve"], {
        env: { ...sealedEnv(), ARGUS_DATA_DIR: scratch.dir("argus-half-"), ARGUS_HOST: "127.0.0.1", ARGUS_PORT: "0", ARGUS_SOCKET: socket, ARGUS_LOG_LEVEL: "error" },
        stdout: "pipe",
        stderr: "pipe",
      });
      const code = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => "still running")]);
      if (code === "still running") proc.kill("SIGKILL");
      expect(code).toBe(1);
      expect(await new Response(proc.stderr).text()).toContain("cannot start");
      // The socket still belongs to the first appliance.
      expect((await fetch("http://argus/health", { unix: socket } as RequestInit)).status).toBe(200);
    } finally {
      await first.close();
    }
  }, 30_000);
});

const root = requireRoot("runs the appliance in an isolated network namespace");

describe.skipIf(!root)("live event stream over the unix socket", () => {
  test("stays open while no scan runs, past the server's idle timeout, and gets its keepalive", async () => {
    const server = await startIsolatedServer();
    try {
      const { key } = await adminWithKey(server);
      const res = await fetch("http://argus/api/scan/events", { unix: server.unix, headers: { "X-API-Key": key } } as RequestInit);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      const first = await reader.read();
      expect(decoder.decode(first.value)).toContain("event: status");
      // Nothing is sent for 15 s (the keepalive interval): the stream must neither end nor fail meanwhile.
      const next = await reader.read().then(
        (r) => (r.done ? "ended" : decoder.decode(r.value)),
        (e: Error) => `failed: ${e.message}`,
      );
      expect(next).toBe(": keepalive\n\n");
      await reader.cancel();
    } finally {
      await server.close();
    }
  }, 60_000);
});
