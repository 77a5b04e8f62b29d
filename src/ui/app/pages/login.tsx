/** @jsxImportSource preact */
// /login: sign in, then back to the page that asked (?next=, only a page of this appliance).
import { useState } from "preact/hooks";
import { post } from "../api.ts";

/** Only a page of this appliance: browsers read "/\\evil.example" or "/\t/evil.example" as another host. */
export function nextPath(): string {
  const next = new URLSearchParams(location.search).get("next");
  if (!next) return "/";
  const url = new URL(next, location.origin);
  return url.origin === location.origin ? url.pathname + url.search : "/";
}

export function Login() {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    setError("");
    setBusy(true);
    try {
      await post("/api/auth/login", { username: f.get("username"), password: f.get("password"), remember: f.get("remember") === "on" }, { quiet: true, noLoginRedirect: true });
      location.assign(nextPath());
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <main id="main" class="narrow-page">
      <div class="card">
        <h1>Sign in to Argus</h1>
        {new URLSearchParams(location.search).has("next") && <p class="muted">Please sign in to continue.</p>}
        <form id="login-form" onSubmit={(e) => void submit(e)}>
          <label for="username">Username</label>
          <input id="username" name="username" type="text" autoComplete="username" required />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autoComplete="current-password" required />
          <label class="check">
            <input name="remember" type="checkbox" /> Keep me signed in for 7 days
          </label>
          <p class="error" role="alert">
            {error}
          </p>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      </div>
    </main>
  );
}
