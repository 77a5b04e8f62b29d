// The UI's pages and static assets. Every page is the same shell (layout.ts) around the Preact
// bundle (bundle.ts). While no user exists every page leads to /setup; without a session, to
// /login?next=<the page> (SPEC §2). /setup, /login, /docs, the 404 page and the assets are public.
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import { authentication, principalName, resolvePrincipal, type Principal } from "../api/guard.ts";
import favicon from "./assets/favicon.svg" with { type: "text" };
import { wizardStep } from "../scans/setup-progress.ts";
import { uiBundle } from "./bundle.ts";
import { preloadsFor } from "./preload.ts";
import { PAGE_CSP, shell, THEME_COOKIE, type PageName } from "./layout.ts";

const HTML_HEADERS = { "content-type": "text/html; charset=utf-8", "content-security-policy": PAGE_CSP, "cache-control": "no-store" };
const redirect = (to: string) => new Response(null, { status: 303, headers: { location: to } });

function themeOf(request: Request): string | null {
  const m = new RegExp(`(?:^|;\\s*)${THEME_COOKIE}=(light|dark)(?:;|$)`).exec(request.headers.get("cookie") ?? "");
  return m?.[1] ?? null;
}

function shellResponse(request: Request, name: PageName, principal: Principal | null, status: number, preload: string[] = []): Response {
  return new Response(shell({ page: name, username: principalName(principal), theme: themeOf(request), preload }), { status, headers: HTML_HEADERS });
}

async function page(request: Request, name: PageName, principal: Principal | null, status = 200): Promise<Response> {
  return shellResponse(request, name, principal, status, preloadsFor(await uiBundle(), name));
}

const gzipped = new Map<string, Uint8Array>();

/**
 * Bundle files: revalidated on every load (no-cache) but answered 304 while unchanged, and gzipped
 * (once, then kept) for browsers that take it: an appliance on Wi-Fi serves them to phones.
 */
async function assetResponse(request: Request, name: string): Promise<Response> {
  const bundle = await uiBundle();
  const file = Object.hasOwn(bundle.files, name) ? bundle.files[name] : undefined;
  if (!file) return new Response(JSON.stringify({ detail: "Not found" }), { status: 404, headers: { "content-type": "application/json" } });
  const headers: Record<string, string> = { "content-type": file.type, "cache-control": "no-cache", etag: bundle.etag, vary: "accept-encoding" };
  if (request.headers.get("if-none-match") === bundle.etag) return new Response(null, { status: 304, headers });
  if (!/\bgzip\b/.test(request.headers.get("accept-encoding") ?? "")) return new Response(file.body, { headers });
  const key = `${bundle.etag}:${name}`;
  let body = gzipped.get(key);
  if (!body) gzipped.set(key, (body = Bun.gzipSync(file.body, { level: 9 })));
  return new Response(body, { headers: { ...headers, "content-encoding": "gzip" } });
}

/**
 * For errorHandling: a browser asking for a page that does not exist gets the app's HTML 404 page
 * (with its header and navigation); API clients and everything under /api keep the JSON 404.
 */
/** Only a page of this appliance: browsers read "/\\evil.example" or "/\t/evil.example" as another host. */
export function safeNext(next: string | null): string {
  if (!next) return "/";
  try {
    const base = new URL("http://argus.invalid/");
    const url = new URL(next, base);
    return url.origin === base.origin ? url.pathname + url.search : "/";
  } catch {
    return "/";
  }
}

export function notFoundPage(ctx: AppContext) {
  return (request: Request): Response | null => {
    if (request.method !== "GET" && request.method !== "HEAD") return null;
    const path = new URL(request.url).pathname;
    if (path.startsWith("/api/") || path === "/api") return null;
    if (!(request.headers.get("accept") ?? "").includes("text/html")) return null;
    // Synchronous (error handlers are): the 404 page is in the entry chunk and needs no preloads.
    return shellResponse(request, "notfound", resolvePrincipal(ctx, request.headers), 404);
  };
}

// Assets, the favicon, /docs, /setup and /login are public; the other pages are `access: "page"`: the
// guard sends a caller without a session to /login?next=… (or /setup before the first user) before the
// handler runs.
export function pageRoutes(ctx: AppContext) {
  // Start bundling at once, so the first visitor does not wait for it.
  void uiBundle().catch(() => {});
  const open = { access: "public" as const, detail: { hide: true } };
  const guarded = { access: "page" as const, detail: { hide: true } };
  const show = (name: PageName) => ({ request, principal }: { request: Request; principal: Principal | null }) => page(request, name, principal);
  return new Elysia({ name: "argus.pages" })
    .use(authentication(ctx))
    .get("/ui/:file", ({ request, params }) => assetResponse(request, params.file), open)
    .get("/favicon.svg", () => new Response(favicon, { headers: { "content-type": "image/svg+xml", "cache-control": "max-age=86400" } }), open)
    // Browsers and bookmarks still ask for /favicon.ico; every current browser draws the SVG.
    .get("/favicon.ico", () => new Response(favicon, { headers: { "content-type": "image/svg+xml", "cache-control": "max-age=86400" } }), open)
    .get("/docs", ({ request, principal }) => page(request, "docs", principal), open)
    // After the account exists the wizard resumes for a signed-in owner until it is done (an owner who
    // closed the tab after the account step still confirms a network and runs the first scan).
    .get(
      "/setup",
      ({ request, principal }) => {
        if (!ctx.users.hasAnyUser()) return page(request, "setup", null);
        if (principal?.kind !== "session") return redirect("/login");
        return wizardStep(ctx.db, ctx.config()) === "done" ? redirect("/") : page(request, "setup", principal);
      },
      open,
    )
    // Someone already signed in (a bookmark, the back button) goes on to where the form would send them.
    .get(
      "/login",
      ({ request, principal }) => {
        if (!ctx.users.hasAnyUser()) return redirect("/setup");
        if (principal?.kind === "session") return redirect(safeNext(new URL(request.url).searchParams.get("next")));
        return page(request, "login", null);
      },
      open,
    )
    .get("/", show("dashboard"), guarded)
    .get("/devices", show("devices"), guarded)
    .get("/devices/:id", (c) => (/^[1-9][0-9]{0,15}$/.test(c.params.id) ? show("device")(c) : page(c.request, "notfound", c.principal, 404)), guarded)
    .get("/scans", show("scans"), guarded)
    .get("/changes", show("changes"), guarded)
    .get("/settings", show("settings"), guarded);
}
