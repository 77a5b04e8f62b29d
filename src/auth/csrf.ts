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
    // Only a page of this very host, served over HTTP(S), is same-origin: `ftp://argus` or
    // `http://evil@argus` share the host name but are not the appliance's pages.
    const o = new URL(origin);
    return !(o.protocol === "http:" || o.protocol === "https:") || o.username !== "" || o.password !== "" || o.host !== host;
  } catch {
    return true;
  }
}
