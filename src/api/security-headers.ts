// Headers every response carries.
import { Elysia } from "elysia";

export const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "content-security-policy": "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  "cross-origin-opener-policy": "same-origin",
  // API answers carry keys (once), sessions and the inventory: no cache may keep them. Static
  // assets set their own policy.
  "cache-control": "no-store",
};

/** Default headers of the app itself (Elysia seeds every response's headers with them; no per-request hook). */
export function securityHeaders() {
  return new Elysia({ name: "argus.security-headers" }).headers(SECURITY_HEADERS);
}
