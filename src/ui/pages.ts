// The UI's pages and static assets. Every page is the same shell (layout.ts) around the Preact
// bundle (bundle.ts). While no user exists every page leads to /setup; without a session, to
// /login?next=<the page> (SPEC §2). /setup, /login, /docs, the 404 page and the assets are public.
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import { authentication, principalName, resolvePrincipal, type Principal } from "../api/authentication.ts";
import favicon from "./assets/favicon.svg" with { type: "text" };
import { uiBundle } from "./bundle.ts";
import { PAGE_CSP, shell, THEME_COOKIE, type PageName } from "./layout.ts";

const HTML_HEADERS = { "content-type": "text/html; charset=utf-8", "content-security-policy": PAGE_CSP, "cache-control": "no-store" };
const redirect = (to: string) => new Response(null, { status: 303, headers: { location: to } });

function themeOf(request: Request): string | null {
  const m = new RegExp(`(?:^|;\\s*)${THEME_COOKIE}=(light|dark)(?:;|$)`).exec(request.headers.get("cookie") ?? "");
  return m?.[1] ?? null;
}

function page(request: Request, name: PageName, principal: Principal | null, status = 200): Response {
  return new Response(shell({ page: name, username: principalName(principal), theme: themeOf(request) }), { status, headers: HTML_HEADERS });
}

/** Static files: revalidated on every load (no-cache) but answered 304 while unchanged. */
async function assetResponse(request: Request, kind: "js" | "css"): Promise<Response> {
  const bundle = await uiBundle();
  const headers = { "content-type": kind === "js" ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8", "cache-control": "no-cache", etag: bundle.etag };
  if (request.headers.get("if-none-match") === bundle.etag) return new Response(null, { status: 304, headers });
  return new Response(bundle[kind], { headers });
}

/**
 * For errorHandling: a browser asking for a page that does not exist gets the app's HTML 404 page
 * (with its header and navigation); API clients and everything under /api keep the JSON 404.
 */
export function notFoundPage(ctx: AppContext) {
  return (request: Request): Response | null => {
    if (request.method !== "GET" && request.method !== "HEAD") return null;
    const path = new URL(request.url).pathname;
    if (path.startsWith("/api/") || path === "/api") return null;
    if (!(request.headers.get("accept") ?? "").includes("text/html")) return null;
    return page(request, "notfound", resolvePrincipal(ctx, request.headers), 404);
  };
}

export function pageRoutes(ctx: AppContext) {
  // Start bundling at once, so the first visitor does not wait for it.
  void uiBundle().catch(() => {});
  const gate = (path: string, principal: unknown) => {
    if (!ctx.users.hasAnyUser()) return redirect("/setup");
    if (!principal) return redirect(`/login?next=${encodeURIComponent(path)}`);
    return null;
  };
  const hide = { detail: { hide: true } };
  const guarded = (name: PageName) => ({ request, principal }: { request: Request; principal: Principal | null }) => {
    const url = new URL(request.url);
    return gate(url.pathname + url.search, principal) ?? page(request, name, principal);
  };
  return new Elysia({ name: "argus.pages" })
    .use(authentication(ctx))
    .get("/ui/app.js", ({ request }) => assetResponse(request, "js"), hide)
    .get("/ui/app.css", ({ request }) => assetResponse(request, "css"), hide)
    .get("/favicon.svg", () => new Response(favicon, { headers: { "content-type": "image/svg+xml", "cache-control": "max-age=86400" } }), hide)
    // Browsers and bookmarks still ask for /favicon.ico; every current browser draws the SVG.
    .get("/favicon.ico", () => new Response(favicon, { headers: { "content-type": "image/svg+xml", "cache-control": "max-age=86400" } }), hide)
    .get("/docs", ({ request, principal }) => page(request, "docs", principal), hide)
    .get("/setup", ({ request }) => (ctx.users.hasAnyUser() ? redirect("/login") : page(request, "setup", null)), hide)
    .get("/login", ({ request }) => (ctx.users.hasAnyUser() ? page(request, "login", null) : redirect("/setup")), hide)
    .get("/", guarded("dashboard"), hide)
    .get("/devices", guarded("devices"), hide)
    .get("/devices/:id", (c) => (/^[1-9][0-9]{0,15}$/.test(c.params.id) ? guarded("device")(c) : page(c.request, "notfound", c.principal, 404)), hide)
    .get("/scans", guarded("scans"), hide)
    .get("/changes", guarded("changes"), hide)
    .get("/settings", guarded("settings"), hide);
}
