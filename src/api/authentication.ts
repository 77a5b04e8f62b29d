// Resolves who is calling, for every request, before the body is parsed or validated (so an
// anonymous caller learns nothing from 400s and 422s). Default-deny: every /api route needs a
// principal unless listed in PUBLIC_ROUTES; /health and the UI pages live outside /api.
import { Elysia } from "elysia";
import { timingSafeEqual } from "node:crypto";
import type { AppContext } from "../app-context.ts";
import type { Actor } from "../audit/audit-log.ts";
import { isCrossSite, isSafeMethod } from "../auth/csrf.ts";
import type { User } from "../auth/users.ts";
import { HttpError, notAuthenticated } from "./errors.ts";

import { SESSION_COOKIE } from "./session-cookie.ts";

/** Routes reachable without credentials, as "METHOD /path". */
export const PUBLIC_ROUTES = new Set(["GET /api/setup", "POST /api/setup", "POST /api/auth/login"]);

export type Principal =
  | { kind: "session"; user: User; token: string }
  | { kind: "api_key"; keyId: number; keyName: string };

export function principalName(p: Principal | null): string | null {
  if (!p) return null;
  return p.kind === "session" ? p.user.username : `api_key:${p.keyName}`;
}

function presentedKey(headers: Headers): string | null {
  const header = headers.get("x-api-key");
  if (header !== null) return header.trim();
  const authz = headers.get("authorization");
  if (authz !== null && /^bearer\s+/i.test(authz)) return authz.replace(/^bearer\s+/i, "").trim();
  return null;
}

function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * The session token from the signed cookie (Elysia's `value.base64(HMAC-SHA256)` format, checked
 * synchronously so the per-request path stays free of promises); a forged or tampered cookie counts as none.
 */
function sessionToken(headers: Headers, secret: string): string | null {
  const signed = cookieValue(headers.get("cookie"), SESSION_COOKIE);
  if (!signed) return null;
  const dot = signed.lastIndexOf(".");
  if (dot <= 0) return null;
  const token = signed.slice(0, dot);
  const expected = Buffer.from(new Bun.CryptoHasher("sha256", secret).update(token).digest("base64").replace(/=+$/, ""));
  const given = Buffer.from(signed.slice(dot + 1));
  return expected.length === given.length && timingSafeEqual(expected, given) ? token : null;
}

export function resolvePrincipal(ctx: AppContext, headers: Headers): Principal | null {
  const key = presentedKey(headers);
  if (key !== null) {
    const found = ctx.apiKeys.authenticate(key);
    return found ? { kind: "api_key", keyId: found.id, keyName: found.name } : null;
  }
  const token = sessionToken(headers, ctx.sessionSecret);
  if (token === null) return null;
  const user = ctx.sessions.lookup(token);
  return user ? { kind: "session", user, token } : null;
}

/**
 * The guard, one instance per app: every API plugin `.use()`s it for the `principal`/`actor` types,
 * and handing out the same instance keeps that to one hook and one table of resolved requests.
 */
export function authentication(ctx: AppContext) {
  let plugin = instances.get(ctx);
  if (!plugin) instances.set(ctx, (plugin = createAuthentication(ctx)));
  return plugin;
}

const instances = new WeakMap<AppContext, ReturnType<typeof createAuthentication>>();

function createAuthentication(ctx: AppContext) {
  const resolved = new WeakMap<Request, { principal: Principal | null; actor: Actor }>();
  return new Elysia({ name: "argus.authentication" })
    .onRequest(({ request, server }) => {
      const principal = resolvePrincipal(ctx, request.headers);
      resolved.set(request, {
        principal,
        actor: {
          username: principalName(principal),
          // Only audited actions need the address; look it up then, not on every request.
          get ip() {
            try {
              return server?.requestIP(request)?.address ?? null;
            } catch {
              return null; // a request that came in over the unix socket has no IP
            }
          },
          userAgent: request.headers.get("user-agent"),
        },
      });
      const path = pathOf(request.url);
      if (!path.startsWith("/api/") || PUBLIC_ROUTES.has(`${request.method} ${path}`)) return;
      if (!ctx.users.hasAnyUser()) throw new HttpError(401, "Setup required");
      if (!principal) throw notAuthenticated();
      if (principal.kind === "session" && !isSafeMethod(request.method) && isCrossSite(request.headers, request.url)) {
        throw new HttpError(403, "Cross-site request rejected: cookie-authenticated changes must come from the Argus UI's own origin");
      }
    })
    .derive({ as: "global" }, ({ request }) => resolved.get(request) ?? { principal: null, actor: { username: null, ip: null, userAgent: null } });
}

function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  return query < 0 ? url.slice(start) : url.slice(start, query);
}

/** Whether a principal's credential still stands (long-lived responses re-check it: a key revoked or a
 *  session ended while a live stream is open must stop receiving). */
export function stillAuthenticated(ctx: AppContext, p: Principal): boolean {
  return p.kind === "api_key" ? ctx.apiKeys.get(p.keyId) !== null : ctx.sessions.lookup(p.token) !== null;
}

/** For handlers that need a principal (behind the guard it is always set). */
export function requirePrincipal(p: Principal | null): Principal {
  if (!p) throw notAuthenticated();
  return p;
}
