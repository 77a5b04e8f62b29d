// Cross-site request check for writes authenticated by cookie. Browsers label every request with
// Sec-Fetch-Site and/or Origin; a request that carries neither did not come from a browser page
// (curl with a cookie jar, as the API document shows), so it cannot be a forged cross-site request.
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method);
}

/** True when a browser sent this request from another site. */
export function isCrossSite(headers: Headers, requestUrl: string): boolean {
  const site = headers.get("sec-fetch-site");
  if (site !== null) return site !== "same-origin" && site !== "none";
  const origin = headers.get("origin");
  if (origin === null) return false;
  if (origin === "null") return true;
  const host = headers.get("host") ?? new URL(requestUrl).host;
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}
