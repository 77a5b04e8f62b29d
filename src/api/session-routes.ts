// First-run setup and the session lifecycle: /api/setup, /api/auth/login|logout|me.
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import { isCrossSite } from "../auth/csrf.ts";
import { proposeSubnets } from "../net/interfaces.ts";
import { describeFieldProblem } from "../config/config-error.ts";
import { EnvOverrideError } from "../config/app-config.ts";
import { TargetError, validateCidrs } from "../net/targets.ts";
import { scheduleUntilChosen } from "../config/sections/schedule.ts";
import { toIso } from "../time.ts";
import { wizardStep } from "../scans/setup-progress.ts";
import { authentication, principalName, requirePrincipal } from "./guard.ts";
import { clearedSessionCookie, sessionCookie } from "./session-cookie.ts";
import { HttpError, tooManyFailedLogins } from "./errors.ts";
import { LoggedOut, LoginRequest, Me, models, ref, Session, SetupRequest, SetupStatus } from "./models.ts";
import { errors, json, requestExample } from "./openapi.ts";
import { noQuery } from "./schemas.ts";

const SESSION_EXAMPLE = { username: "admin", expires_at: "2024-01-16T10:30:00Z" };

/** The subnets confirmed at setup, validated as any scan target is (SPEC §3). */
function confirmedSubnets(list: string[]): string[] {
  try {
    return validateCidrs(list, {}, "subnets").map((c) => c.text);
  } catch (e) {
    if (e instanceof TargetError) throw new HttpError(422, describeFieldProblem(e));
    throw e;
  }
}

/**
 * With ARGUS_SUBNETS set, the variable decides what is watched: setup proposes its subnets, takes
 * them sent back, and refuses others with a 409 naming the variable (as PUT /api/config does)
 * rather than create the account and drop the owner's choice without a word.
 */
function subnetsFromEnv(ctx: AppContext, chosen: string[] | null): void {
  const variable = ctx.envOverrides().subnets;
  if (!variable || !chosen) return;
  // As subnets, not as text: the variable may say 10.9.1.1/28 or name one twice (red-team finding).
  const inForce = envSubnets(ctx);
  const picked = new Set(chosen);
  if (picked.size !== inForce.length || inForce.some((s) => !picked.has(s))) throw new HttpError(409, new EnvOverrideError("subnets", variable).message);
}

/** The subnets in force, canonical and each once (as setup proposes them). */
const envSubnets = (ctx: AppContext): string[] => [...new Set(ctx.resolved().subnets.map((c) => c.text))];

/** Control and bidi-override characters replaced, so a typed name cannot forge lines or reorder text. */
const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, "\ufffd");

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
    .use(models())
    .get(
      "/api/setup",
      // Before setup the wizard proposes the LAN this host is attached to; afterwards only a signed-in
      // caller learns what is left of the wizard (the UI resumes it from there).
      ({ principal }) => {
        if (!ctx.users.hasAnyUser()) return { setup_required: true as const, suggested_subnets: ctx.envOverrides().subnets ? envSubnets(ctx) : proposeSubnets() };
        return principal ? { setup_required: false as const, wizard_step: wizardStep(ctx.db, ctx.config()) } : { setup_required: false as const };
      },
      {
        query: noQuery,
        access: "public",
        response: { 200: ref(SetupStatus) },
        detail: {
          summary: "Whether first-run setup is still needed, the proposed subnets, and (signed in) what is left of the wizard (no authentication)",
          tags: ["auth"],
          security: [],
          responses: {
            200: json(
              "Before setup: the subnets proposed for watching; afterwards `setup_required: false`, with `wizard_step` for a signed-in caller",
              { setup_required: true, suggested_subnets: ["192.168.1.0/24"] },
            ),
          },
        },
      },
    )
    .post(
      "/api/setup",
      async ({ body, set, actor, request }) => {
        rejectCrossSite(request);
        if (ctx.users.hasAnyUser()) throw new HttpError(409, "Setup is already complete");
        const subnets = body.subnets?.length ? confirmedSubnets(body.subnets) : null;
        subnetsFromEnv(ctx, subnets);
        const user = await ctx.users.createAdmin(body.username, body.password);
        if (!user) throw new HttpError(409, "Setup is already complete");
        ctx.audit.record({ ...actor, username: user.username }, "setup_completed", { resource: `user:${user.id}` });
        if (subnets) {
          // One update: the scheduler never sees the subnets with a schedule the owner is still choosing.
          // Subnets that ARGUS_SUBNETS sets (checked equal above) are not written to the file.
          const schedule = body.schedule_later ? { schedule: scheduleUntilChosen(ctx.config().schedule) } : {};
          const patch = { ...(ctx.envOverrides().subnets ? {} : { subnets }), ...schedule };
          if (Object.keys(patch).length > 0) {
            ctx.updateConfig(patch);
            ctx.audit.record({ ...actor, username: user.username }, "config_updated", { resource: "config", details: patch });
          }
        }
        const session = await startSession(set, user.id, false);
        set.status = 201;
        return { username: user.username, expires_at: toIso(session.expiresAt) };
      },
      {
        body: ref(SetupRequest),
        query: noQuery,
        access: "public",
        response: { 201: ref(Session) },
        detail: {
          summary: "Create the administrator (once, on first run) and log in",
          tags: ["auth"],
          security: [],
          requestBody: requestExample({ username: "admin", password: "correct horse battery staple", subnets: ["192.168.1.0/24"] }),
          responses: {
            201: json("Administrator created; the argus_session cookie is set", SESSION_EXAMPLE),
            ...errors({
              403: ["A cross-site request (login CSRF)", "Cross-site request rejected"],
              409: ["Setup is already complete, or `subnets` differ from those ARGUS_SUBNETS sets (nothing is created)", "Setup is already complete"],
            }),
          },
        },
      },
    )
    .post(
      "/api/auth/login",
      async ({ body, set, actor, request }) => {
        rejectCrossSite(request);
        const ip = actor.ip ?? "unknown";
        // Two limits: per client address, and per account name whatever the address.
        const stamp = ctx.users.credentialStamp(body.username);
        const wait = Math.max(ctx.loginLimiter.retryAfter(ip), ctx.accountDelay.retryAfter(body.username, stamp));
        if (wait > 0) throw tooManyFailedLogins(wait);
        const attempt = ctx.loginLimiter.attempt(ip);
        ctx.accountDelay.attempt(body.username, stamp);
        const user = await ctx.users.verify(body.username, body.password);
        if (user) {
          ctx.loginLimiter.succeeded(ip, attempt);
          ctx.accountDelay.succeeded(body.username);
        }
        if (!user) {
          // The name is whatever the caller typed: kept readable and harmless for the log and the UI.
          ctx.audit.record({ ...actor, username: printable(body.username).slice(0, 64) }, "login_failed", { success: false });
          throw new HttpError(401, "Invalid username or password");
        }
        const session = await startSession(set, user.id, body.remember ?? false);
        ctx.audit.record({ ...actor, username: user.username }, "login", { details: { remember: session.remember } });
        return { username: user.username, expires_at: toIso(session.expiresAt) };
      },
      {
        body: ref(LoginRequest),
        query: noQuery,
        access: "public",
        response: { 200: ref(Session) },
        detail: {
          summary: "Log in and receive the argus_session cookie",
          tags: ["auth"],
          security: [],
          requestBody: requestExample({ username: "admin", password: "correct horse battery staple", remember: true }),
          responses: {
            200: json("Logged in; the argus_session cookie is set (7 days with `remember`, else for the browser session)", SESSION_EXAMPLE),
            ...errors({
              401: "Invalid username or password",
              403: ["A cross-site request (login CSRF)", "Cross-site request rejected"],
              429: [
                "Too many failed logins from this address, or for this user name from any address (the right password too is refused until the wait is over); `Retry-After` says when to try again",
                "Too many failed logins; try again in 42 seconds",
              ],
            }),
          },
        },
      },
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
      {
        query: noQuery,
        response: { 200: ref(LoggedOut) },
        detail: {
          summary: "End the current session (server-side too)",
          tags: ["auth"],
          responses: {
            200: json("The session is ended and its cookie cleared", { status: "logged_out" }),
            ...errors({ 400: ["Called with an API key: revoke the key instead", "Logout ends a session; an API key is ended by revoking it"] }),
          },
        },
      },
    )
    .get(
      "/api/auth/me",
      ({ principal }) => {
        const p = requirePrincipal(principal);
        return p.kind === "session" ? { username: principalName(p)!, auth: "session" as const } : { username: principalName(p)!, auth: "api_key" as const, key_id: p.keyId };
      },
      {
        query: noQuery,
        response: { 200: ref(Me) },
        detail: { summary: "The current principal", tags: ["auth"], responses: { 200: json("Who is calling", { username: "api_key:Home Assistant", auth: "api_key", key_id: 1 }) } },
      },
    );
}
