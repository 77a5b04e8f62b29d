// Secrets in the configuration (webhook secrets, tokens, passwords) are write-only: a response shows
// `"<key>_set": true` in their place. Generic over the whole tree, so any section that names a field
// `secret`, `token`, `password`, `community` (SNMP v2c) or `key` (an API key: OPNsense), or an SNMP v3
// credential (`auth_*`, `priv_*` except their `*_protocol`), or anything ending in `_password`,
// `_secret`, `_token` or `_key`, is covered without code of its own. In a `url`, the password and the
// query parameters named like secrets (`?auth=`, `?token=`) are shown as `***`.
import { CloneType, Kind, OptionalKind, Type, type TSchema } from "@sinclair/typebox";
import { ConfigError, fieldPath } from "./config-error.ts";

const SECRET_KEYS = new Set(["secret", "token", "password", "community", "key"]);
// SNMP v3's `auth_password`/`priv_password` (or `auth_key`, `priv_key`): every auth_/priv_ field but the
// protocol names (`auth_protocol: "sha"`), which say how, not what.
const SECRET_NAME = /^(auth|priv)_(?!protocol$)[a-z0-9_]+$|_(password|secret|token|key)$/;
export const isSecretKey = (key: string) => SECRET_KEYS.has(key) || SECRET_NAME.test(key);
const MARKER = /^(.*)_set$/;

type Json = unknown;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The value with every secret replaced by `<key>_set` (true when it holds something). */
export function redact(value: Json): Json {
  if (Array.isArray(value)) return value.map(redact);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (isSecretKey(k)) out[`${k}_set`] = v !== null && v !== undefined && v !== "";
    else if (k === "url" && typeof v === "string") out[k] = maskUrlQuerySecrets(maskUrlPassword(v));
    else out[k] = redact(v);
  }
  return out;
}

// The password runs to the last '@' of the authority, as a URL parser reads it (it may hold an '@').
const URL_PASSWORD = /(\/\/[^/@:\s]*):[^/\s]*@/;
export const URL_PASSWORD_MASK = "***";

/** A URL's password (`mqtt://user:pw@broker`) is a secret too: shown as `***`. */
export function maskUrlPassword(url: string): string {
  return url.replace(URL_PASSWORD, `$1:${URL_PASSWORD_MASK}@`);
}

// A query parameter is a secret when its name says so (ntfy `?auth=`, Gotify `?token=`, `api_key`,
// `X-Amz-Signature`, …). Generous on purpose: masking a harmless value costs the owner one retype.
const SECRET_PARAM = /token|auth|key|passw|pwd|secret|credential|signature|^sig$|session/i;
export const isSecretParam = (name: string) => SECRET_PARAM.test(name.replace(/[^A-Za-z0-9]/g, ""));

type QueryParam = { name: string; raw: string; value: string };

/** The URL split around its query, the query as raw `name=value` pieces (decoded name for matching). */
function splitQuery(url: string): { head: string; params: QueryParam[]; tail: string } | null {
  const q = url.indexOf("?");
  if (q < 0) return null;
  const hash = url.indexOf("#", q);
  const query = hash < 0 ? url.slice(q + 1) : url.slice(q + 1, hash);
  const params = query.split("&").map((raw) => {
    const eq = raw.indexOf("=");
    const rawName = eq < 0 ? raw : raw.slice(0, eq);
    let name = rawName;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, " "));
    } catch {}
    return { name, raw, value: eq < 0 ? "" : raw.slice(eq + 1) };
  });
  return { head: url.slice(0, q + 1), params, tail: hash < 0 ? "" : url.slice(hash) };
}

const joinQuery = (parts: { head: string; params: QueryParam[]; tail: string }) => parts.head + parts.params.map((p) => p.raw).join("&") + parts.tail;
const maskedParam = (p: QueryParam) => isSecretParam(p.name) && p.value === URL_PASSWORD_MASK;

/** Query parameters named like secrets (`?auth=…`, `?token=…`) shown as `***`, the rest untouched. */
export function maskUrlQuerySecrets(url: string): string {
  const parts = splitQuery(url);
  if (!parts) return url;
  for (const p of parts.params) {
    if (isSecretParam(p.name) && p.value !== "") p.raw = `${p.raw.slice(0, p.raw.indexOf("="))}=${URL_PASSWORD_MASK}`;
  }
  return joinQuery(parts);
}

/** The values of a URL's secret query parameters (to keep them out of error messages). */
export function urlQuerySecrets(url: string): string[] {
  const out: string[] = [];
  for (const p of splitQuery(url)?.params ?? []) {
    if (!isSecretParam(p.name) || p.value === "") continue;
    out.push(p.value);
    try {
      out.push(decodeURIComponent(p.value.replace(/\+/g, " ")));
    } catch {}
  }
  return out;
}

/** Scheme, host, port and path: a query secret is only carried to the very same endpoint. */
function endpoint(url: string): string {
  try {
    const u = new URL(url.replace(`:${URL_PASSWORD_MASK}@`, "@"));
    // The parser lowercases scheme and host; a path is case-sensitive and stays as it is.
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return `unparsable ${url}`;
  }
}

/**
 * A URL sent back with `***` for a secret query parameter keeps the stored value, but only while the
 * endpoint (scheme, host, port, path) is unchanged; the n-th masked `auth` takes the n-th stored `auth`.
 */
function carryQuerySecrets(next: string, prev: unknown, field: string, why: string | null): string {
  const parts = splitQuery(next);
  if (!parts || !parts.params.some(maskedParam)) return next;
  const old = typeof prev === "string" ? splitQuery(prev) : null;
  if (typeof prev !== "string" || !old) throw new ConfigError(field, "give the URL's query secrets: none is stored for this channel");
  if (endpoint(next) !== endpoint(prev)) throw new ConfigError(field, "give the URL's query secrets again: the stored ones are not sent to a new destination");
  if (why) throw new ConfigError(field, `give the URL's query secrets again: ${why}`);
  const seen = new Map<string, number>();
  for (const p of parts.params) {
    if (!maskedParam(p)) continue;
    const n = seen.get(p.name) ?? 0;
    seen.set(p.name, n + 1);
    const stored = old.params.filter((o) => o.name === p.name && o.value !== "")[n];
    if (!stored) throw new ConfigError(field, `give the query parameter '${p.name}': none is stored for it`);
    p.raw = `${p.raw.slice(0, p.raw.indexOf("="))}=${stored.value}`;
  }
  return joinQuery(parts);
}

/**
 * Secrets the appliance hands to the destination itself (a bearer token, a login, an SNMP community, an
 * API key and secret): never to another host. All but a lone `secret` (a webhook's HMAC key, which only
 * signs); a `secret` beside a `key` is one half of a login (OPNsense's key and secret) and is sent.
 */
const sentToDestination = (key: string, o: Record<string, unknown>) => key !== "secret" || "key" in o || "key_set" in o;

// Sections whose URLs are a base the secret's API lives under (a source's `https://pi.hole/admin/`): there
// the path is part of where a secret goes. A notification URL's path is a topic or a hook on the same
// server (another ntfy topic keeps the token).
const BASE_PATH_SECTIONS = new Set(["sources"]);

type Route = Record<string, string | number | boolean | null>;

/**
 * Every setting that decides where a credential goes and how safely: the URL's scheme, host and port
 * (and, for sources, its base path) and whether the TLS certificate is checked; an SNMP agent's host,
 * port and version (2c sends the community in clear, v3 does not); an e-mail server's host, port and
 * TLS settings (with STARTTLS turned off or another CA trusted, the same host could read the password
 * on the way). Absent and default spell the same way: sending back what GET showed changes nothing.
 */
function route(o: Record<string, unknown>, basePath: boolean): Route | undefined {
  if (typeof o.url === "string") {
    let destination: string;
    try {
      const u = new URL(o.url.replace(`:${URL_PASSWORD_MASK}@`, "@"));
      // As a source reads it (sources/http.ts parseBaseUrl): `/admin` and `/admin/` are the same base.
      const path = basePath ? (u.pathname.endsWith("/") ? u.pathname : `${u.pathname}/`) : "";
      destination = `${u.protocol}//${u.host}`.toLowerCase() + path;
    } catch {
      destination = `unparsable ${o.url}`;
    }
    return { destination, verify_tls: o.verify_tls !== false };
  }
  if (typeof o.host !== "string") return undefined;
  if (o.version !== undefined) return { destination: JSON.stringify([o.host.toLowerCase(), o.port ?? 161]), version: String(o.version) };
  const tls = o.tls === true;
  return {
    destination: JSON.stringify([o.host.toLowerCase(), o.port ?? (tls ? 465 : 587)]),
    tls,
    starttls: typeof o.starttls === "boolean" ? o.starttls : !tls,
    ca: typeof o.ca === "string" ? o.ca : null,
  };
}

/** Why a stored credential may not be carried from `old` to `next` (null: it may). */
function notCarried(next: Record<string, unknown>, old: Record<string, unknown>, basePath: boolean): string | null {
  const a = route(next, basePath);
  const b = route(old, basePath);
  if (a === undefined && b === undefined) return null;
  if (a === undefined || b === undefined || a.destination !== b.destination) return "the stored one is not sent to a new destination";
  for (const k of Object.keys(a)) if (a[k] !== b[k]) return `${k} changed`;
  return null;
}

/**
 * A client that sends back what it read (`"token_set": true`, no `token`) keeps the stored secret.
 * Removes every `<secret>_set` marker from `next`; where it is true and the secret itself is absent,
 * the secret is taken from `prev` at the same place (list items are matched by `name`, else by position).
 * A token, password or URL password is only carried while every setting that decides where and how
 * safely it is sent (`route`: URL, `verify_tls`, SNMP version, e-mail TLS) stays the same: otherwise
 * anyone allowed to edit the configuration could have the appliance send the stored credential to a
 * host of their own, or let one in the middle read it. It must then be given again (ConfigError naming
 * the field and what changed).
 */
export function carrySecrets(next: Json, prev: Json, path = ""): Json {
  if (Array.isArray(next)) {
    const before = Array.isArray(prev) ? prev : [];
    return next.map((item, i) => {
      const name = isPlainObject(item) ? item.name : undefined;
      const match = name !== undefined ? before.find((p) => isPlainObject(p) && p.name === name) : before[i];
      return carrySecrets(item, match, fieldPath(path, i));
    });
  }
  if (!isPlainObject(next)) return next;
  const old = isPlainObject(prev) ? prev : {};
  const why = notCarried(next, old, BASE_PATH_SECTIONS.has(path.split(".")[0]));
  const field = (k: string) => fieldPath(path, k);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next)) {
    const m = MARKER.exec(k);
    if (m && isSecretKey(m[1]) && typeof v === "boolean") {
      if (v && !(m[1] in next) && old[m[1]] !== undefined) {
        if (why && sentToDestination(m[1], next)) throw new ConfigError(field(m[1]), `give the ${m[1]} again: ${why}`);
        out[m[1]] = old[m[1]];
      }
      continue;
    }
    if (k === "url" && typeof v === "string") {
      // A URL sent back with its password masked keeps the stored password.
      let url = v;
      if (url.includes(`:${URL_PASSWORD_MASK}@`) && typeof old[k] === "string") {
        const stored = URL_PASSWORD.exec(old[k] as string);
        if (stored && why) throw new ConfigError(field(k), `give the URL's password again: ${why}`);
        if (stored) url = url.replace(`:${URL_PASSWORD_MASK}@`, stored[0].slice(stored[1].length));
      }
      out[k] = carryQuerySecrets(url, old[k], field(k), why);
      continue;
    }
    // Defined, not assigned: `out["__proto__"] = v` would set out's prototype and drop the key unseen,
    // where the validator must see it (and refuse it as an unknown field).
    Object.defineProperty(out, k, { value: carrySecrets(v, Object.hasOwn(old, k) ? old[k] : undefined, field(k)), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Rebuilds a schema tree bottom-up, letting `objectHook` rewrite each object's properties. */
export function mapObjects(schema: TSchema, objectHook: (props: Record<string, TSchema>) => Record<string, TSchema>): TSchema {
  const optional = (schema as any)[OptionalKind] === "Optional";
  let out: TSchema;
  const kind = (schema as any)[Kind];
  const { properties, required, items, anyOf, type, ...options } = schema as any;
  if (kind === "Object") {
    const props: Record<string, TSchema> = {};
    for (const [k, v] of Object.entries(properties as Record<string, TSchema>)) props[k] = mapObjects(v, objectHook);
    out = Type.Object(objectHook(props), options);
  } else if (kind === "Array") out = Type.Array(mapObjects(items, objectHook), options);
  else if (kind === "Union") out = Type.Union((anyOf as TSchema[]).map((s) => mapObjects(s, objectHook)), options);
  else out = CloneType(schema);
  return optional ? Type.Optional(out) : out;
}

/** The schema of a redacted value (for the OpenAPI response): secrets become `<key>_set` booleans. */
export function redactedSchema(schema: TSchema): TSchema {
  return mapObjects(schema, (props) => {
    const out: Record<string, TSchema> = {};
    for (const [k, v] of Object.entries(props)) {
      if (isSecretKey(k)) out[`${k}_set`] = Type.Optional(Type.Boolean({ description: `Whether a ${k} is stored (it is never shown)` }));
      else out[k] = v;
    }
    return out;
  });
}

/** The schema a client may send: secrets become optional, and `<key>_set: true` keeps the stored one. */
export function secretMarkersAccepted(schema: TSchema): TSchema {
  return mapObjects(schema, (props) => {
    const out: Record<string, TSchema> = {};
    for (const [k, v] of Object.entries(props)) {
      if (!isSecretKey(k)) {
        out[k] = v;
        continue;
      }
      out[k] = (v as any)[OptionalKind] === "Optional" ? v : Type.Optional(v);
      out[`${k}_set`] = Type.Optional(Type.Boolean({ description: `true without \`${k}\`: keep the stored ${k}` }));
    }
    return out;
  });
}
