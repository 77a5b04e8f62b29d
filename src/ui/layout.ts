// The one HTML shell every page is: the Preact bundle (src/ui/app/) renders the page named by
// <body data-page>. No inline script or style anywhere, so the pages run under a strict CSP.
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

export const THEME_COOKIE = "argus_theme";

export type PageName = "setup" | "login" | "dashboard" | "devices" | "device" | "scans" | "changes" | "settings" | "docs" | "notfound";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const TITLES: Record<PageName, string> = {
  setup: "Set up",
  login: "Sign in",
  dashboard: "Dashboard",
  devices: "Devices",
  device: "Device",
  scans: "Scans",
  changes: "Changes",
  settings: "Settings",
  docs: "API reference",
  notfound: "Page not found",
};

/**
 * The page shell. `theme` is the owner's choice from the theme cookie ("light" | "dark"), set on
 * <html> here so a page never flashes the other scheme before the script runs; without it the
 * system's preference applies (CSS media query).
 */
export function shell(opts: { page: PageName; username?: string | null; theme?: string | null; preload?: string[] }): string {
  const theme = opts.theme === "light" || opts.theme === "dark" ? ` data-theme="${opts.theme}"` : "";
  const user = opts.username ? ` data-user="${escapeHtml(opts.username)}"` : "";
  return `<!doctype html>
<html lang="en"${theme}><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${TITLES[opts.page]} · Argus</title><link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/ui/app.css"><script type="module" src="/ui/app.js"></script>${(opts.preload ?? []).map((f) => `<link rel="modulepreload" href="/ui/${escapeHtml(f)}">`).join("")}</head>
<body data-page="${opts.page}"${user}><div id="app"></div><noscript><p class="noscript">Argus needs JavaScript enabled to show this page.${
    opts.page === "docs" ? ` The API document itself is at <a href="/openapi.json">/openapi.json</a>.` : ""
  }</p></noscript></body></html>`;
}
