// Behaviour of the server-rendered pages. Same-origin fetches carry the session cookie and the
// browser's Origin header, which is what the API's CSRF check expects.
const $ = (sel) => document.querySelector(sel);

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new Error(data?.detail ?? `Request failed (${res.status})`);
  return data;
}

// Only a page of this appliance: browsers read "/\\evil.example" or "/\t/evil.example" as another host.
function nextPath() {
  const next = new URLSearchParams(location.search).get("next");
  if (!next) return "/";
  const url = new URL(next, location.origin);
  return url.origin === location.origin ? url.pathname + url.search : "/";
}

function bindForm(form, submit) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector(".error");
    error.textContent = "";
    try {
      await submit(new FormData(form));
    } catch (e) {
      error.textContent = e.message;
    }
  });
}

const pages = {
  async setup() {
    const { suggested_subnets: suggested = [] } = await api("GET", "/api/setup");
    if (suggested.length > 0) {
      $("#suggested").replaceChildren(
        ...suggested.map((cidr) => {
          const label = document.createElement("label");
          const box = document.createElement("input");
          box.type = "checkbox";
          box.name = "subnet";
          box.value = cidr;
          box.checked = true;
          label.append(box, ` ${cidr}`);
          return label;
        }),
      );
    }
    bindForm($("#setup-form"), async (f) => {
      if (f.get("password") !== f.get("confirm")) throw new Error("The passwords do not match");
      const extra = String(f.get("extra") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
      const subnets = [...f.getAll("subnet"), ...extra];
      await api("POST", "/api/setup", { username: f.get("username"), password: f.get("password"), ...(subnets.length ? { subnets } : {}) });
      location.assign("/");
    });
  },
  login() {
    bindForm($("#login-form"), async (f) => {
      await api("POST", "/api/auth/login", { username: f.get("username"), password: f.get("password"), remember: f.get("remember") === "on" });
      location.assign(nextPath());
    });
  },
  async settings() {
    const tbody = $("#keys tbody");
    const render = async () => {
      const keys = await api("GET", "/api/keys");
      tbody.replaceChildren(
        ...keys.map((k) => {
          const tr = document.createElement("tr");
          for (const v of [k.name, k.key_prefix + "…", k.created_at, k.last_used_at ?? "never"]) {
            const td = document.createElement("td");
            td.textContent = v;
            tr.append(td);
          }
          const td = document.createElement("td");
          const revoke = document.createElement("button");
          revoke.className = "danger";
          revoke.textContent = "Revoke";
          revoke.dataset.keyId = k.id;
          revoke.addEventListener("click", async () => {
            if (!confirm(`Revoke the key "${k.name}"? Integrations using it stop working at once.`)) return;
            await api("DELETE", `/api/keys/${k.id}`);
            await render();
          });
          td.append(revoke);
          tr.append(td);
          return tr;
        }),
      );
      $("#no-keys").hidden = keys.length > 0;
    };
    bindForm($("#key-form"), async (f) => {
      const created = await api("POST", "/api/keys", { name: f.get("name") });
      $("#new-key").hidden = false;
      $("#new-key-value").textContent = created.key;
      $("#key-form").reset();
      await render();
    });
    await render();
  },
};

document.addEventListener("DOMContentLoaded", () => {
  const logout = $("#logout");
  if (logout) logout.addEventListener("click", async () => {
    await api("POST", "/api/auth/logout");
    location.assign("/login");
  });
  pages[document.body.dataset.page]?.();
});
