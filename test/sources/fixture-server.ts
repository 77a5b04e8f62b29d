// A stand-in for a source's API on 127.0.0.1 (loopback HTTP only: nothing here scans or leaves the
// machine): a real Bun.serve that answers with the hand-written fixtures in test/fixtures/sources/,
// checks the credentials the client sends like the real service would, and on request misbehaves the
// ways a real one can: too slow, too big, broken JSON, a 500, an HTML login page instead of JSON.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const FIXTURES = join(import.meta.dir, "../fixtures/sources");

export type Misbehaviour = "none" | "slow" | "huge" | "malformed" | "error500" | "html";

/** A fixture's JSON as the service would send it: the `_source` note is ours, not the service's. */
export function fixture(type: string, name: string): unknown {
  const v = JSON.parse(readFileSync(join(FIXTURES, type, `${name}.json`), "utf8"));
  if (v && typeof v === "object" && !Array.isArray(v)) delete v._source;
  return v;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

export type Seen = { method: string; path: string; headers: Headers; body: string };
export type Handler = (req: Request, url: URL, body: string) => Response | Promise<Response>;

export type FakeApi = {
  url: string;
  misbehave: Misbehaviour;
  /** Every request in order. */
  seen: Seen[];
  /** Bytes of the "huge" body actually sent before the client stopped reading. */
  hugeSent: number;
  stop(): void;
};

const SLOW_MS = 3000;
/** 64 MiB on offer; a client that respects its limit stops far sooner. */
const HUGE_TOTAL = 64 * 1024 * 1024;

export function serveFake(handler: Handler, opts: { tls?: { cert: string; key: string } } = {}): FakeApi {
  const api: FakeApi = { url: "", misbehave: "none", seen: [], hugeSent: 0, stop: () => server.stop(true) };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: opts.tls,
    idleTimeout: 30,
    async fetch(req) {
      const url = new URL(req.url);
      const body = await req.text();
      api.seen.push({ method: req.method, path: url.pathname + url.search, headers: req.headers, body });
      switch (api.misbehave) {
        case "slow":
          await Bun.sleep(SLOW_MS);
          break;
        case "huge": {
          const chunk = new Uint8Array(1024 * 1024).fill(0x20);
          let sent = 0;
          return new Response(
            new ReadableStream({
              pull(c) {
                if (sent >= HUGE_TOTAL) return c.close();
                c.enqueue(chunk);
                sent += chunk.byteLength;
                api.hugeSent = sent;
              },
            }),
            { headers: { "content-type": "application/json" } },
          );
        }
        case "malformed":
          return new Response('{"data": [{"mac": "aa:bb', { headers: { "content-type": "application/json" } });
        case "error500":
          return json({ error: "internal" }, 500);
        case "html":
          return new Response("<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>…</form></body></html>", { headers: { "content-type": "text/html" } });
      }
      return handler(req, url, body);
    },
  });
  api.url = `${opts.tls ? "https" : "http"}://127.0.0.1:${server.port}/`;
  return api;
}

/** The user and password of a request's basic auth, or null. */
export function basicAuth(req: Request): { user: string; password: string } | null {
  const h = req.headers.get("authorization") ?? "";
  if (!h.startsWith("Basic ")) return null;
  const text = Buffer.from(h.slice(6), "base64").toString();
  const i = text.indexOf(":");
  return i < 0 ? null : { user: text.slice(0, i), password: text.slice(i + 1) };
}
