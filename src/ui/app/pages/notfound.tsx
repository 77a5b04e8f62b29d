/** @jsxImportSource preact */
import { username } from "../ui.tsx";

export function NotFound() {
  return (
    <main id="main" class="narrow-page">
      <div class="card">
        <h1>Page not found</h1>
        <p class="muted">
          There is no page at <code>{location.pathname}</code>.
        </p>
        <p>{username ? <a href="/">Go to the dashboard</a> : <a href="/login">Sign in</a>} or read the <a href="/docs">API reference</a>.</p>
      </div>
    </main>
  );
}
