// A logged-in user typing their password again before a drastic action (a restore). Wrong passwords
// count like failed logins: against the per-client limiter and against the account's own delay, so
// confirming is no second door to guess passwords through (a session left open, used from a hundred
// addresses, waits exactly as a login would).
import type { AccountLoginDelay } from "./account-delay.ts";
import type { LoginRateLimiter } from "./rate-limit.ts";
import type { User, UserStore } from "./users.ts";

export type Confirmation = { ok: true } | { ok: false; retryAfter: number };

export type LoginLimits = { limiter: LoginRateLimiter; accountDelay: AccountLoginDelay };

/** `retryAfter` > 0: the client must wait (nothing was checked); 0: the password was wrong. */
export async function confirmPassword(users: UserStore, limits: LoginLimits, user: User, password: string, client: string): Promise<Confirmation> {
  const stamp = users.credentialStamp(user.username);
  const wait = Math.max(limits.limiter.retryAfter(client), limits.accountDelay.retryAfter(user.username, stamp));
  if (wait > 0) return { ok: false, retryAfter: wait };
  const attempt = limits.limiter.attempt(client);
  limits.accountDelay.attempt(user.username, stamp);
  if (!(await users.confirm(user.id, password))) return { ok: false, retryAfter: 0 };
  limits.limiter.succeeded(client, attempt);
  limits.accountDelay.succeeded(user.username);
  return { ok: true };
}
