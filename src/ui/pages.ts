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

export function pageRoutes(ctx: AppContext) {
  const gate = (path: string, principal: unknown) => {
    if (!ctx.users.hasAnyUser()) return redirect("/setup");
    if (!principal) return redirect(`/login?next=${encodeURIComponent(path)}`);
    return null;
  };
  return new Elysia({ name: "argus.pages" })
    .use(authentication(ctx))
    .get("/ui/app.css", asset(css, "text/css; charset=utf-8"), { detail: { hide: true } })
    .get("/ui/app.js", asset(js, "text/javascript; charset=utf-8"), { detail: { hide: true } })
    .get("/ui/docs.js", asset(docsJs, "text/javascript; charset=utf-8"), { detail: { hide: true } })
    .get("/docs", () => html(docsPage()), { detail: { hide: true } })
    .get("/setup", () => (ctx.users.hasAnyUser() ? redirect("/login") : html(setupPage())), { detail: { hide: true } })
    .get("/login", () => (ctx.users.hasAnyUser() ? html(loginPage()) : redirect("/setup")), { detail: { hide: true } })
    .get("/", ({ principal }) => gate("/", principal) ?? html(overviewPage(userName(principal))), { detail: { hide: true } })
    .get("/settings", ({ principal }) => gate("/settings", principal) ?? html(settingsPage(userName(principal))), { detail: { hide: true } });
}

const userName = (p: Principal | null): string => principalName(p) ?? "";
