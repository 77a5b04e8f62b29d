// The `argus_session` cookie: the session token signed with HMAC-SHA256 in Elysia's cookie-signing
// format (`token.base64(HMAC)` without padding). Signed and verified here, in one place, synchronously:
// the guard verifies it on every request and must not wait on a promise for it. Written by hand rather
// than through Elysia's cookie jar, which rejects a whole request when any incoming signed cookie is
// forged — a forged cookie must not stop a user from logging in again.
import { timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "argus_session";

function signature(token: string, secret: string): string {
  return new Bun.CryptoHasher("sha256", secret).update(token).digest("base64").replace(/=+$/, "");
}

/** `token.signature`, the cookie's value before URL encoding. */
export function signSessionToken(token: string, secret: string): string {
  return `${token}.${signature(token, secret)}`;
}

/** The token of a signed value, or null when the signature does not match (forged or tampered). */
export function verifySessionToken(signed: string, secret: string): string | null {
  const dot = signed.lastIndexOf(".");
  if (dot <= 0) return null;
  const token = signed.slice(0, dot);
  const expected = Buffer.from(signature(token, secret));
  const given = Buffer.from(signed.slice(dot + 1));
  return expected.length === given.length && timingSafeEqual(expected, given) ? token : null;
}

export function sessionCookie(token: string, secret: string, opts: { expires?: number; secure: boolean }): string {
  const value = encodeURIComponent(signSessionToken(token, secret));
  const parts = [`${SESSION_COOKIE}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  if (opts.expires !== undefined) parts.push(`Expires=${new Date(opts.expires).toUTCString()}`);
  if (opts.secure) parts.push("Secure");
  return parts.join("; ");
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT${secure ? "; Secure" : ""}`;
}
