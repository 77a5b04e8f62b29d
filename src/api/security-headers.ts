// Headers every response carries, plus the request-body size limit (413 before the body is read).
import { Elysia } from "elysia";
import { HttpError } from "./errors.ts";

export const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "content-security-policy": "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  "cross-origin-opener-policy": "same-origin",
};

export function securityHeaders(maxBodyBytes: number) {
  return new Elysia({ name: "argus.security-headers" }).onRequest(({ set, request }) => {
    Object.assign(set.headers, SECURITY_HEADERS);
    const length = request.headers.get("content-length");
    if (length !== null && Number(length) > maxBodyBytes) {
      throw new HttpError(413, `Request body too large: the limit is ${maxBodyBytes} bytes`);
    }
  });
}
