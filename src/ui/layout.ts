// Server-rendered page shells. Dynamic values are escaped; behaviour lives in assets/app.js so the
// pages run under a CSP without inline scripts.
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function layout(opts: { title: string; page: string; body: string; username?: string; script?: string }): string {
  const nav = opts.username
    ? `<header><span class="brand">Argus</span><nav><a href="/">Overview</a><a href="/settings">Settings</a></nav>
       <span class="muted">${escapeHtml(opts.username)}</span><button id="logout" class="link" type="button">Log out</button></header>`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)} · Argus</title><link rel="stylesheet" href="/ui/app.css"><script src="${opts.script ?? "/ui/app.js"}" defer></script></head>
<body data-page="${opts.page}">${nav}${opts.body}</body></html>`;
}

export const setupPage = () =>
  layout({
    title: "Set up",
    page: "setup",
    body: `<div class="card"><h1>Welcome to Argus</h1><p class="muted">Create the administrator account. You will use it to sign in to this appliance.</p>
<form id="setup-form"><label for="username">Username</label><input id="username" name="username" type="text" autocomplete="username" required maxlength="64" value="admin">
<label for="password">Password (at least 12 characters)</label><input id="password" name="password" type="password" autocomplete="new-password" required minlength="12">
<label for="confirm">Repeat password</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="12">
<fieldset id="subnets"><legend>Networks to watch</legend>
<p class="muted">Argus scans nothing until you confirm which networks are yours. Detected on this appliance:</p>
<div id="suggested"><span class="muted">none detected</span></div>
<label for="extra-subnets">Other subnets (CIDR, comma separated)</label><input id="extra-subnets" name="extra" type="text" placeholder="192.168.1.0/24">
</fieldset>
<p class="error" role="alert"></p><button type="submit">Create account</button></form></div>`,
  });

export const loginPage = () =>
  layout({
    title: "Sign in",
    page: "login",
    body: `<div class="card"><h1>Sign in to Argus</h1>
<form id="login-form"><label for="username">Username</label><input id="username" name="username" type="text" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<label><input name="remember" type="checkbox"> Keep me signed in for 7 days</label>
<p class="error" role="alert"></p><button type="submit">Sign in</button></form></div>`,
  });

export const overviewPage = (username: string) =>
  layout({
    title: "Overview",
    page: "overview",
    username,
    body: `<main><h1>Overview</h1><p class="muted">Signed in as ${escapeHtml(username)}. Devices, scans and changes appear here once the first scan has run.</p>
<p>Integrations use the <a href="/docs">REST API</a> with an API key from <a href="/settings">Settings</a>.</p></main>`,
  });

export const settingsPage = (username: string) =>
  layout({
    title: "Settings",
    page: "settings",
    username,
    body: `<main><h1>Settings</h1><section><h2>API Keys</h2>
<p class="muted">Keys let integrations (Home Assistant, Grafana, scripts) call the API with the <code>X-API-Key</code> header. Create one key per integration.</p>
<form id="key-form" class="inline"><div style="flex:1"><label for="key-name">Name</label><input id="key-name" name="name" type="text" required maxlength="100" placeholder="Home Assistant Integration"></div>
<button type="submit">Create API Key</button><p class="error" role="alert"></p></form>
<div id="new-key" hidden><p><strong>Copy this key now.</strong> The full API key is only displayed once.</p><p id="new-key-value" class="secret"></p></div>
<table id="keys"><thead><tr><th>Name</th><th>Key</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody></tbody></table>
<p id="no-keys" class="muted" hidden>No API keys yet.</p></section></main>`,
  });

/** API reference rendered from /openapi.json (public, like the document itself). */
export const docsPage = () =>
  layout({
    title: "API reference",
    page: "docs",
    script: "/ui/docs.js",
    // Public like the document itself: "/" leads back to the app (or to sign-in).
    body: `<header><a class="brand" href="/">Argus</a><nav><a href="/">← Back to Argus</a><a href="/openapi.json">openapi.json</a></nav></header>
<main id="docs"><p class="muted">Loading /openapi.json…</p></main>`,
  });
