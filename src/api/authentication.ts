// Resolves who is calling, for every request, before validation runs (so an anonymous caller learns
// nothing from 422s). Default-deny: every /api route needs a principal unless listed in PUBLIC_ROUTES.
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import type { Actor } from "../audit/audit-log.ts";
import { isCrossSite, isSafeMethod } from "../auth/csrf.ts";
import type { User } from "../auth/users.ts";
import { HttpError, notAuthenticated } from "./errors.ts";

export const SESSION_COOKIE = "argus_session";

/** Routes reachable without credentials (besides /health, which lives outside /api). */
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

/** The session token from the signed cookie; a forged or tampered cookie counts as none. */
function sessionToken(cookie: Record<string, { value: unknown }>): string | null {
  try {
    const value = cookie[SESSION_COOKIE]?.value;
    return typeof value === "string" && value !== "" ? value : null;
  } catch {
    return null;
  }
}

export function resolvePrincipal(ctx: AppContext, headers: Headers, cookie: Record<string, { value: unknown }>): Principal | null {
  const key = presentedKey(headers);
  if (key !== null) {
    const found = ctx.apiKeys.authenticate(key);
    return found ? { kind: "api_key", keyId: found.id, keyName: found.name } : null;
  }
  const token = sessionToken(cookie);
  if (token === null) return null;
  const user = ctx.sessions.lookup(token);
  return user ? { kind: "session", user, token } : null;
}

export function authentication(ctx: AppContext) {
  return new Elysia({ name: "argus.authentication" }).derive({ as: "global" }, ({ request, cookie, route, server }) => {
    const principal = resolvePrincipal(ctx, request.headers, cookie);
    const actor: Actor = {
      username: principalName(principal),
      ip: server?.requestIP(request)?.address ?? null,
      userAgent: request.headers.get("user-agent"),
    };
    if (route.startsWith("/api/") && !PUBLIC_ROUTES.has(`${request.method} ${route}`)) {
      if (!ctx.users.hasAnyUser()) throw new HttpError(401, "Setup required");
      if (!principal) throw notAuthenticated();
      if (principal.kind === "session" && !isSafeMethod(request.method) && isCrossSite(request.headers, request.url)) {
        throw new HttpError(403, "Cross-site request rejected: cookie-authenticated changes must come from the Argus UI's own origin");
      }
    }
    return { principal, actor };
  });
}

/** For handlers that need a principal (behind the guard it is always set). */
export function requirePrincipal(p: Principal | null): Principal {
  if (!p) throw notAuthenticated();
  return p;
}
