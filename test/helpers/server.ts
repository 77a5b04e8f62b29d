// Starts the real appliance on an ephemeral loopback port with a temporary data dir, and a small
// HTTP client with a cookie jar (like `curl -b cookies.txt`) to talk to it.
import { expect } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSettings } from "../../src/config/settings.ts";
import { startServer, type RunningServer } from "../../src/server.ts";
import { assertContract } from "./contract.ts";

export const ADMIN = { username: "admin", password: "correct horse battery staple" };

export type TestServer = RunningServer & { dataDir: string; close: () => Promise<void> };

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  // A caller that brings its own data dir (an old database to migrate) keeps and cleans it itself.
  const dataDir = env.ARGUS_DATA_DIR ?? mkdtempSync(join(tmpdir(), "argus-test-"));
  if (!env.ARGUS_CONFIG) withoutSchedule(dataDir);
  const settings = loadSettings({ ARGUS_PORT: "0", ARGUS_HOST: "127.0.0.1", ARGUS_LOG_LEVEL: "error", ...env, ARGUS_DATA_DIR: dataDir });
  const server = await startServer(settings);
  return {
    ...server,
    dataDir,
    close: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Test appliances start with an empty schedule: the default one scans the confirmed subnets every 15
 * minutes, and a test that confirms a subnet (setup wizard) must never scan it from this machine.
 * Tests of the schedule set one through PUT /api/config, in a namespace of their own.
 */
export function withoutSchedule(dataDir: string): void {
  const file = join(dataDir, "config.json");
  if (!existsSync(file)) writeFileSync(file, JSON.stringify({ schedule: [] }) + "\n", { mode: 0o600 });
}

export type Reply = { status: number; headers: Headers; body: any; text: string };

/** A client for the running appliance; every answer it receives is checked against /openapi.json (see contract.ts). */
export class Client {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly base: string,
    readonly defaultHeaders: Record<string, string> = {},
    /** Talk to a server listening on this unix socket (one running inside a test network namespace). */
    readonly unix?: string,
  ) {}

  async request(method: string, path: string, opts: { json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...this.defaultHeaders, ...opts.headers };
    if (this.cookies.size > 0 && !("cookie" in headers)) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    let body = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(this.base + path, { method, headers, body, redirect: "manual", ...(this.unix ? { unix: this.unix } : {}) } as RequestInit);
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    // Every answer an API test receives is held to the server's own OpenAPI document.
    await assertContract(this.base, this.unix, method, path, res.status, res.headers, text);
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  get = (path: string, headers?: Record<string, string>) => this.request("GET", path, { headers });
  post = (path: string, json?: unknown, headers?: Record<string, string>) => this.request("POST", path, { json, headers });
  delete = (path: string, headers?: Record<string, string>) => this.request("DELETE", path, { headers });
}

/** Completes first-run setup and returns a client logged in by cookie. */
export async function setupAdmin(server: { url: string; unix?: string }): Promise<Client> {
  const client = new Client(server.url, {}, server.unix);
  const res = await client.post("/api/setup", ADMIN);
  if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${res.text}`);
  return client;
}

/** A logged-in client plus a fresh API key. */
export async function adminWithKey(server: { url: string; unix?: string }, name = "Test Key"): Promise<{ session: Client; key: string; keyId: number }> {
  const session = await setupAdmin(server);
  const res = await session.post("/api/keys", { name });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${res.text}`);
  return { session, key: res.body.key, keyId: res.body.id };
}

/** This process's environment without any ARGUS_* setting: a child appliance sees only what its test gives it. */
export function sealedEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ARGUS_")));
}

/** Asserts that GET `path` is a 422 whose detail names `field` (the path is in the failure message). */
export async function expect422(api: Client, path: string, field: string): Promise<void> {
  const res = await api.get(path);
  expect({ path, status: res.status }).toEqual({ path, status: 422 });
  expect(res.body.detail).toContain(`'${field}'`);
}
