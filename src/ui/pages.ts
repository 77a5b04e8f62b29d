// The UI's pages and static assets. While no user exists every page leads to /setup; without a
// session, to /login (SPEC §2).
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import { authentication, principalName, type Principal } from "../api/authentication.ts";
import css from "./assets/app.css" with { type: "text" };
import js from "./assets/app.js" with { type: "text" };
import docsJs from "./assets/docs.js" with { type: "text" };
import { docsPage, loginPage, overviewPage, PAGE_CSP, settingsPage, setupPage } from "./layout.ts";

const html = (body: string) => new Response(body, { headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": PAGE_CSP, "cache-control": "no-store" } });
const asset = (body: string, type: string) => () => new Response(body, { headers: { "content-type": type, "cache-control": "no-cache" } });
const redirect = (to: string) => new Response(null, { status: 303, headers: { location: to } });

// Assets, /docs, /setup and /login are public; the other pages are `access: "page"`: the guard sends a
// caller without a session to /login (or /setup before the first user) before the handler runs.
export function pageRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.pages" })
    .use(authentication(ctx))
    .get("/ui/app.css", asset(css, "text/css; charset=utf-8"), { access: "public", detail: { hide: true } })
    .get("/ui/app.js", asset(js, "text/javascript; charset=utf-8"), { access: "public", detail: { hide: true } })
    .get("/ui/docs.js", asset(docsJs, "text/javascript; charset=utf-8"), { access: "public", detail: { hide: true } })
    .get("/docs", () => html(docsPage()), { access: "public", detail: { hide: true } })
    .get("/setup", () => (ctx.users.hasAnyUser() ? redirect("/login") : html(setupPage())), { access: "public", detail: { hide: true } })
    .get("/login", () => (ctx.users.hasAnyUser() ? html(loginPage()) : redirect("/setup")), { access: "public", detail: { hide: true } })
    .get("/", ({ principal }) => html(overviewPage(userName(principal))), { access: "page", detail: { hide: true } })
    .get("/settings", ({ principal }) => html(settingsPage(userName(principal))), { access: "page", detail: { hide: true } });
}

const userName = (p: Principal | null): string => principalName(p) ?? "";
