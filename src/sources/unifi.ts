// UniFi Network through the controller's API (community-documented: ubntwiki.com/products/software/
// unifi-controller/api and the Art-of-WiFi client): its clients with MAC, address, host name or the
// owner's alias, last-seen time and where each is attached, the access point or the switch port,
// named by the devices' own names from stat/device.
//
// Two kinds of controller answer. UniFi OS consoles (UDM, UCG, Cloud Key Gen2+, UniFi OS Server;
// Network 8 and 9) log in at /api/auth/login, keep the session in a cookie, want the CSRF token the
// login answer carries on later requests, and put the Network API under /proxy/network. The classic
// self-hosted controller logs in at /api/login and serves the API at the root. UniFi OS answers 200
// at "/", the classic controller redirects; that decides which is which.
import { Type } from "@sinclair/typebox";
import { httpFields, parseJson, safeUrl, sessionFor, statusFailure, type HttpConfig, type HttpSession } from "./http.ts";
import { field, macOf, nameOf, observation, Observations } from "./rows.ts";
import { SourceError, type SourceType } from "./types.ts";

const fields = Type.Object({
  url: Type.String({ description: "The controller or console, e.g. https://192.168.1.1/ (UniFi OS) or https://unifi.lan:8443/", examples: ["https://192.168.1.1/"] }),
  username: Type.String({ description: "A local (not UI.com cloud) user; read-only access is enough" }),
  password: Type.String({ description: "Its password (write-only)" }),
  site: Type.Optional(Type.String({ default: "default", pattern: "^[A-Za-z0-9_-]{1,64}$", description: "The site's short name (in the Network URL, /manage/site/<site>/…)" })),
  ...httpFields,
});

export type UnifiConfig = HttpConfig & { username: string; password: string; site?: string };

type Controller = { prefix: string; logout: string };

/** Logs in and says where the Network API lives. */
async function login(http: HttpSession, config: UnifiConfig): Promise<Controller> {
  const root = await http.send("GET", "");
  const unifiOs = root.status === 200;
  const path = unifiOs ? "api/auth/login" : "api/login";
  const res = await http.send("POST", path, { json: { username: config.username, password: config.password, remember: false } });
  const shown = safeUrl(http.url(path));
  // The classic controller refuses a wrong password with 400 and meta.msg "api.err.Invalid".
  if (res.status === 400 && new TextDecoder().decode(res.body).includes("api.err.Invalid")) throw new SourceError("auth", `${shown}: user name or password not accepted`);
  if (res.status < 200 || res.status > 299) throw statusFailure(res.status, shown);
  const csrf = res.headers.get("x-csrf-token") ?? res.headers.get("x-updated-csrf-token");
  if (csrf) http.headers["x-csrf-token"] = csrf;
  return unifiOs ? { prefix: "proxy/network/", logout: "api/auth/logout" } : { prefix: "", logout: "api/logout" };
}

/** The `data` list of an API answer, with its `meta.rc` checked. */
async function data(http: HttpSession, path: string): Promise<unknown[]> {
  const res = await http.send("GET", path);
  const shown = safeUrl(http.url(path));
  // UniFi answers its own errors (no such site, session gone) as 400 or 401 with a meta envelope.
  if (res.status === 401 || res.status === 403) throw statusFailure(res.status, shown);
  const answer = res.status === 400 || (res.status >= 200 && res.status < 300) ? parseJson(res.body, shown) : null;
  if (answer === null) throw statusFailure(res.status, shown);
  const meta = field(answer, "meta");
  if (field(meta, "rc") !== "ok") {
    const msg = nameOf(field(meta, "msg"))?.slice(0, 80) ?? "no message";
    if (msg === "api.err.NoSiteContext") throw new SourceError("not_found", `UniFi has no site by this name (${msg})`);
    if (msg === "api.err.LoginRequired") throw new SourceError("auth", `UniFi did not keep the session (${msg})`);
    throw new SourceError("malformed", `UniFi answered ${path} with an error (${msg})`);
  }
  const list = field(answer, "data");
  if (!Array.isArray(list)) throw new SourceError("malformed", `UniFi's ${path} answer has no data list`);
  return list;
}

/** Where a client is attached: "AP <name>" or "switch <name> port <n>", by the device's name when it has one. */
function attachment(c: unknown, names: Map<string, string>): string | null {
  const named = (mac: string) => names.get(mac) ?? mac;
  const ap = macOf(field(c, "ap_mac"));
  const sw = macOf(field(c, "sw_mac"));
  const port = field(c, "sw_port");
  if (field(c, "is_wired") !== true && ap) return `AP ${named(ap)}`;
  if (sw) return Number.isInteger(port) && (port as number) > 0 && (port as number) < 1000 ? `switch ${named(sw)} port ${port}` : `switch ${named(sw)}`;
  return ap ? `AP ${named(ap)}` : null;
}

export const unifiSource: SourceType<UnifiConfig> = {
  type: "unifi",
  fields,
  defaultIntervalS: 300,
  async read(config, ctx) {
    const site = config.site ?? "default";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(site)) throw new SourceError("config", "site must be the site's short name (letters, digits, - and _)");
    const http = sessionFor(config, ctx);
    const controller = await login(http, config);
    try {
      const base = `${controller.prefix}api/s/${site}/`;
      // The device list only names APs and switches; a controller that refuses it still has clients.
      const names = new Map<string, string>();
      const devices = await data(http, `${base}stat/device`).catch((e) => {
        if (e instanceof SourceError && (e.reason === "auth" || e.reason === "not_found" || e.reason === "timeout")) throw e;
        return [];
      });
      for (const d of devices.slice(0, 10_000)) {
        const mac = macOf(field(d, "mac"));
        const name = nameOf(field(d, "name"));
        if (mac && name) names.set(mac, name);
      }
      const out = new Observations();
      for (const c of await data(http, `${base}stat/sta`)) {
        if (out.full) break;
        out.add(observation({ mac: field(c, "mac"), ip: field(c, "ip") ?? null, hostname: field(c, "name") || field(c, "hostname"), seen_at: field(c, "last_seen") ?? null, attached_to: attachment(c, names) }));
      }
      return out.list;
    } finally {
      await http.send("POST", controller.logout).catch(() => undefined);
    }
  },
};
