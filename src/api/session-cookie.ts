// The `argus_session` cookie: the session token signed with HMAC-SHA256 (Elysia's cookie-signing
// format, so `unsignCookie` verifies it). Written by hand rather than through Elysia's cookie jar,
// which rejects a whole request when any incoming signed cookie is forged — a forged cookie must not
// stop a user from logging in again.
import { signCookie } from "elysia/utils";

export const SESSION_COOKIE = "argus_session";

export async function sessionCookie(token: string, secret: string, opts: { expires?: number; secure: boolean }): Promise<string> {
  const value = encodeURIComponent(await signCookie(token, secret));
  const parts = [`${SESSION_COOKIE}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  if (opts.expires !== undefined) parts.push(`Expires=${new Date(opts.expires).toUTCString()}`);
  if (opts.secure) parts.push("Secure");
  return parts.join("; ");
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT${secure ? "; Secure" : ""}`;
}
