// The one HTTP client every API source (Kea, Pi-hole, AdGuard Home, UniFi, OPNsense) reads through.
// A source is another system on the LAN, so nothing it answers is trusted to be small, quick or
// well-formed: every request has a time limit (joined with the run's own signal), the body is read by
// streaming and cut off past a size limit, JSON that does not parse is `malformed`, and each failure
// becomes a SourceError whose one-line detail names the URL without its credentials or query.
// Secrets (passwords, API keys, session ids, cookies) go into headers and bodies only, never into a
// detail. Redirects are not followed: a redirect could carry the Authorization header elsewhere, and
// an owner is better told the URL to use.
import { Type } from "@sinclair/typebox";
import { VERSION } from "../version.ts";
import { SourceError, type ReadContext } from "./types.ts";

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Bigger than any lease list or client table a home or small-office appliance holds. */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

const USER_AGENT = `Argus/${VERSION}`;

export type HttpOptions = {
  /** The run's signal (ReadContext.signal): aborting it stops the request. */
  signal: AbortSignal;
  /** Per request. */
  timeoutMs?: number;
  maxBytes?: number;
  /** false accepts any certificate (a self-signed UniFi controller or OPNsense). */
  verifyTls?: boolean;
  /** Sent as HTTP basic auth on every request. */
  basicAuth?: { username: string; password: string };
};

export type RequestOptions = {
  /** Sent as the JSON body. */
  json?: unknown;
  headers?: Record<string, string>;
};

export type HttpAnswer = { status: number; headers: Headers; body: Uint8Array };

/** The URL as a detail may show it: scheme, host, port and path; no user, password, query or fragment. */
export function safeUrl(url: URL | string): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return "(invalid URL)";
  }
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** The base URL of a source's config entry, checked: http or https only, credentials lifted out. */
export function parseBaseUrl(text: unknown): { base: URL; userinfo: { username: string; password: string } | null } {
  let u: URL;
  try {
    u = new URL(String(text));
  } catch {
    throw new SourceError("config", "url is not a valid URL");
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new SourceError("config", `url must be http:// or https://, not ${u.protocol}//`);
  const userinfo = u.username || u.password ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : null;
  u.username = "";
  u.password = "";
  u.search = "";
  u.hash = "";
  if (!u.pathname.endsWith("/")) u.pathname += "/";
  return { base: u, userinfo };
}

// Bun (BoringSSL) reports certificate problems by OpenSSL's verify-error names.
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|TLS|SSL|HANDSHAKE/i;

/** A fetch failure (not an HTTP status) as the owner reads it. */
function networkFailure(e: unknown, url: string, timedOut: boolean, runStopped: boolean, timeoutMs: number): SourceError {
  if (runStopped) return new SourceError("timeout", `the run was stopped before ${url} answered`);
  if (timedOut) return new SourceError("timeout", `no answer from ${url} within ${timeoutMs / 1000} s`);
  const code = String((e as { code?: unknown })?.code ?? "");
  if (TLS_CODE.test(code)) {
    return new SourceError("tls", `TLS certificate of ${url} not accepted (${code}); set verify_tls to false for a self-signed certificate`);
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new SourceError("unreachable", `host of ${url} not found (DNS)`);
  if (code === "ECONNREFUSED") return new SourceError("unreachable", `connection to ${url} refused`);
  if (code === "ECONNRESET") return new SourceError("unreachable", `connection to ${url} closed before an answer (http:// to an https:// port?)`);
  // Any other code names a socket condition (EHOSTUNREACH, ENETUNREACH …); the message may be long.
  return new SourceError("unreachable", `cannot reach ${url}${/^[A-Z_]{3,40}$/.test(code) ? ` (${code})` : ""}`);
}

/** Reads a body up to `max` bytes; past it the request is cancelled and the answer is `too_large`. */
async function readBounded(res: Response, max: number, url: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length"));
  const tooLarge = () => new SourceError("too_large", `answer from ${url} is larger than ${Math.round(max / 1024 / 1024)} MiB`);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/** An HTTP status that is not success, as a SourceError. */
export function statusFailure(status: number, url: string): SourceError {
  if (status === 401 || status === 403) return new SourceError("auth", `${status} from ${url}: credentials not accepted`);
  if (status === 404) return new SourceError("not_found", `404 from ${url}: no such API (wrong URL or version?)`);
  if (status >= 300 && status < 400) return new SourceError("unreachable", `${status} redirect from ${url} not followed: use the URL it points to`);
  return new SourceError("unreachable", `HTTP ${status} from ${url}`);
}

/** JSON of a body, or `malformed` with a short reason (never the body itself). */
export function parseJson(body: Uint8Array, url: string): unknown {
  const text = new TextDecoder().decode(body);
  const head = text.slice(0, 512).trimStart().toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html") || head.startsWith("<")) {
    throw new SourceError("malformed", `${url} answered with an HTML page, not JSON (a login page or a proxy in between?)`);
  }
  if (text.trim() === "") throw new SourceError("malformed", `${url} answered with an empty body, not JSON`);
  try {
    return JSON.parse(text);
  } catch {
    throw new SourceError("malformed", `${url} answered with invalid JSON (${body.byteLength} bytes)`);
  }
}

/**
 * One conversation with a source: a base URL, the options above, and the cookies its answers set
 * (a login session), sent back on the following requests to the same origin.
 */
export class HttpSession {
  readonly base: URL;
  /** Headers sent on every following request (a session id, a CSRF token). */
  readonly headers: Record<string, string> = {};
  private readonly cookies = new Map<string, string>();
  private readonly basic: string | null;

  constructor(
    url: unknown,
    private readonly opts: HttpOptions,
  ) {
    const { base, userinfo } = parseBaseUrl(url);
    this.base = base;
    const auth = opts.basicAuth ?? userinfo;
    this.basic = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}` : null;
  }

  /** `path` relative to the base URL ("api/auth", no leading slash, so a base path prefix stays). */
  url(path: string): URL {
    return new URL(path.replace(/^\/+/, ""), this.base);
  }

  /** One request; any status comes back (the caller decides), network and size failures throw. */
  async send(method: string, path: string, req: RequestOptions = {}): Promise<HttpAnswer> {
    const url = this.url(path);
    const shown = safeUrl(url);
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([this.opts.signal, timeout]);
    const headers: Record<string, string> = { accept: "application/json", "user-agent": USER_AGENT, ...this.headers, ...req.headers };
    if (this.basic) headers.authorization = this.basic;
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers["content-type"] = "application/json";
    }
    const init = { method, headers, body, redirect: "manual", signal, tls: { rejectUnauthorized: this.opts.verifyTls !== false } } as RequestInit;
    try {
      const res = await fetch(url, init);
      this.keepCookies(res.headers);
      const bytes = await readBounded(res, this.opts.maxBytes ?? DEFAULT_MAX_BYTES, shown);
      return { status: res.status, headers: res.headers, body: bytes };
    } catch (e) {
      if (e instanceof SourceError) throw e;
      throw networkFailure(e, shown, timeout.aborted, this.opts.signal.aborted, timeoutMs);
    }
  }

  /** A request whose answer must be 2xx JSON. */
  async json(method: string, path: string, req: RequestOptions = {}): Promise<unknown> {
    const res = await this.send(method, path, req);
    const shown = safeUrl(this.url(path));
    if (res.status < 200 || res.status > 299) throw statusFailure(res.status, shown);
    return parseJson(res.body, shown);
  }

  private keepCookies(h: Headers): void {
    for (const line of h.getSetCookie()) {
      const pair = line.split(";", 1)[0];
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      // A server ends a session with an empty value or a past expiry; either way the cookie goes.
      if (value === "" || /;\s*max-age=0|;\s*expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else if (this.cookies.size < 32 || this.cookies.has(name)) this.cookies.set(name, value);
    }
  }
}

/** The fields every HTTP source's config entry has besides its credentials. */
export const httpFields = {
  verify_tls: Type.Optional(Type.Boolean({ default: true, description: "false accepts a self-signed certificate (many routers and controllers have one)" })),
  timeout_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 120, default: 10, description: "Seconds each request may take" })),
};

export type HttpConfig = { url: string; verify_tls?: boolean; timeout_s?: number };

/** A session for a source's config entry and run. */
export function sessionFor(config: HttpConfig, ctx: ReadContext, basicAuth?: { username: string; password: string }): HttpSession {
  return new HttpSession(config.url, {
    signal: ctx.signal,
    verifyTls: config.verify_tls,
    timeoutMs: (config.timeout_s ?? DEFAULT_TIMEOUT_MS / 1000) * 1000,
    basicAuth,
  });
}
