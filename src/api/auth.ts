// First-run setup and the session lifecycle: /api/setup, /api/auth/login|logout|me.
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { isCrossSite } from "../auth/csrf.ts";
import { MIN_PASSWORD_LENGTH } from "../auth/passwords.ts";
import { proposeSubnets } from "../net/interfaces.ts";
import { TargetError, validateCidrs } from "../net/targets.ts";
import { toIso } from "../time.ts";
import { authentication, principalName, requirePrincipal } from "./authentication.ts";
import { clearedSessionCookie, sessionCookie } from "./session-cookie.ts";
import { HttpError } from "./errors.ts";
import { noQuery } from "./schemas.ts";

const username = t.String({
  minLength: 1,
  maxLength: 64,
  pattern: "^[A-Za-z0-9._@-]+$",
  error: "username: must be 1–64 characters of letters, digits and . _ @ -",
});
const credentials = t.Object({
  username,
  password: t.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1024, error: `password: must be ${MIN_PASSWORD_LENGTH} to 1024 characters` }),
  /** The subnets the admin confirms for watching (consent); optional, can be given later. */
  subnets: t.Optional(t.Array(t.String({ maxLength: 18 }), { maxItems: 16, error: "subnets: must be a list of at most 16 IPv4 CIDRs" })),
});
const loginBody = t.Object({
  username: t.String({ maxLength: 64 }),
  password: t.String({ maxLength: 1024 }),
  remember: t.Optional(t.Boolean()),
});

/** The subnets confirmed at setup, validated as any scan target is (SPEC §3). */
function confirmedSubnets(list: string[]): string[] {
  try {
    return validateCidrs(list, {}, "subnets").map((c) => c.text);
  } catch (e) {
    if (e instanceof TargetError) throw new HttpError(422, `Invalid body field '${e.field}': ${e.reason}`);
    throw e;
  }
}

/** Setup and login are reachable without a session, so they check the origin themselves. */
function rejectCrossSite(request: Request): void {
  if (isCrossSite(request.headers, request.url)) throw new HttpError(403, "Cross-site request rejected");
}

export function authRoutes(ctx: AppContext) {
  const startSession = async (set: { headers: Record<string, unknown> }, userId: number, remember: boolean) => {
    const session = ctx.sessions.create(userId, remember);
    // Without `remember` the cookie lives for the browser session; the server ends it after a day anyway.
    set.headers["set-cookie"] = sessionCookie(session.token, ctx.sessionSecret, {
      expires: remember ? session.expiresAt : undefined,
      secure: ctx.settings.secureCookies,
    });
    return session;
  };

  return new Elysia({ name: "argus.auth-routes" })
    .use(authentication(ctx))
    .get(
      "/api/setup",
      // Before setup the wizard proposes the LAN this host is attached to; afterwards nothing is disclosed.
      () => (ctx.users.hasAnyUser() ? { setup_required: false } : { setup_required: true, suggested_subnets: proposeSubnets() }),
      { query: noQuery, access: "public", detail: { security: [], summary: "Whether first-run setup is still needed, and the proposed subnets (no authentication)", tags: ["auth"] } },
    )
    .post(
      "/api/setup",
      async ({ body, set, actor, request }) => {
        rejectCrossSite(request);
        if (ctx.users.hasAnyUser()) throw new HttpError(409, "Setup is already complete");
        const subnets = body.subnets?.length ? confirmedSubnets(body.subnets) : null;
        const user = await ctx.users.createAdmin(body.username, body.password);
        if (!user) throw new HttpError(409, "Setup is already complete");
        ctx.audit.record({ ...actor, username: user.username }, "setup_completed", { resource: `user:${user.id}` });
        if (subnets) {
          ctx.updateConfig({ subnets });
          ctx.audit.record({ ...actor, username: user.username }, "config_updated", { resource: "config", details: { subnets } });
        }
        const session = await startSession(set, user.id, false);
        set.status = 201;
        return { username: user.username, expires_at: toIso(session.expiresAt) };
      },
      { body: credentials, query: noQuery, access: "public", detail: { security: [], summary: "Create the administrator (once, on first run)", tags: ["auth"] } },
    )
    .post(
      "/api/auth/login",
      async ({ body, set, actor, request }) => {
        rejectCrossSite(request);
        const ip = actor.ip ?? "unknown";
        const wait = ctx.loginLimiter.retryAfter(ip);
        if (wait > 0) throw new HttpError(429, `Too many failed logins; try again in ${wait} seconds`, { "retry-after": String(wait) });
        const attempt = ctx.loginLimiter.attempt(ip);
        const user = await ctx.users.verify(body.username, body.password);
        if (user) ctx.loginLimiter.succeeded(ip, attempt);
        if (!user) {
          ctx.audit.record({ ...actor, username: body.username.slice(0, 64) }, "login_failed", { success: false });
          throw new HttpError(401, "Invalid username or password");
        }
        const session = await startSession(set, user.id, body.remember ?? false);
        ctx.audit.record({ ...actor, username: user.username }, "login", { details: { remember: session.remember } });
        return { username: user.username, expires_at: toIso(session.expiresAt) };
      },
      { body: loginBody, query: noQuery, access: "public", detail: { security: [], summary: "Log in and receive the argus_session cookie", tags: ["auth"] } },
    )
    .post(
      "/api/auth/logout",
      ({ principal, set, actor }) => {
        const p = requirePrincipal(principal);
        if (p.kind !== "session") throw new HttpError(400, "Logout ends a session; an API key is ended by revoking it");
        ctx.sessions.destroy(p.token);
        set.headers["set-cookie"] = clearedSessionCookie(ctx.settings.secureCookies);
        ctx.audit.record(actor, "logout");
        return { status: "logged_out" };
      },
      { query: noQuery, detail: { summary: "End the current session", tags: ["auth"] } },
    )
    .get(
      "/api/auth/me",
      ({ principal }) => {
        const p = requirePrincipal(principal);
        return p.kind === "session" ? { username: principalName(p), auth: "session" } : { username: principalName(p), auth: "api_key", key_id: p.keyId };
      },
      { query: noQuery, detail: { summary: "The current principal", tags: ["auth"] } },
    );
}
