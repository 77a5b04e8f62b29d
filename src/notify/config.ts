// The `notifications` section of the appliance configuration (SPEC §5): channels, rules, quiet hours,
// muted devices. A TypeBox schema per channel type (the shape), a cross-field check (a rule naming an
// unknown channel, a URL of the wrong scheme, a missing token) that names the offending field, and the
// write-only treatment of secrets: responses say `token_set: true`, and a PUT that sends the config back
// without the secret keeps the stored one.
import { t, type Static, type TSchema } from "elysia";
import { Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { CHANGE_TYPES, SEVERITIES } from "../inventory/enums.ts";
import { normalizeMac } from "../net/ip.ts";
import { fieldPath, type FieldProblem } from "../config/config-error.ts";
import { urlQuerySecrets } from "../config/secrets.ts";

const literals = <T extends readonly string[]>(values: T) => t.Union(values.map((v) => t.Literal(v)) as any) as unknown as ReturnType<typeof t.UnionEnum<T>>;

export const SEVERITY = literals(SEVERITIES);
const CHANGE_TYPE = literals(CHANGE_TYPES as readonly string[]);

const common = {
  name: t.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description: "Unique; rules name channels by it" }),
  enabled: t.Optional(t.Boolean({ description: "Default true; a disabled channel gets nothing queued" })),
  timeout_seconds: t.Optional(t.Number({ minimum: 1, maximum: 120, description: "Per attempt (default 10)" })),
};
const secretSet = (name: string) => ({ [`${name}_set`]: t.Optional(t.Boolean({ description: `Read-only: whether a ${name} is stored` })) });

export const WebhookChannel = t.Object(
  { ...common, type: t.Literal("webhook"), url: t.String({ description: "http(s) URL; redirects are not followed" }), secret: t.Optional(t.String({ minLength: 1, description: "HMAC-SHA256 key for X-Argus-Signature (write-only)" })), ...secretSet("secret") },
  { additionalProperties: false },
);
export const NtfyChannel = t.Object(
  { ...common, type: t.Literal("ntfy"), url: t.String({ description: "Topic URL, e.g. https://ntfy.sh/my-argus" }), token: t.Optional(t.String({ minLength: 1, description: "Access token (write-only)" })), ...secretSet("token") },
  { additionalProperties: false },
);
export const GotifyChannel = t.Object(
  { ...common, type: t.Literal("gotify"), url: t.String({ description: "Gotify server URL" }), token: t.Optional(t.String({ minLength: 1, description: "Application token (write-only; required)" })), ...secretSet("token") },
  { additionalProperties: false },
);
export const EmailChannel = t.Object(
  {
    ...common,
    type: t.Literal("email"),
    host: t.String({ minLength: 1, maxLength: 253 }),
    // Plain TypeBox: Elysia's t.Integer would also take "587", a string the SMTP client never gets as a port.
    port: t.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: "Default 587 (465 with tls)" })),
    starttls: t.Optional(t.Boolean({ description: "Require STARTTLS (default true unless tls)" })),
    tls: t.Optional(t.Boolean({ description: "Implicit TLS from the first byte (port 465)" })),
    ca: t.Optional(t.String({ minLength: 1, maxLength: 65_536, description: "PEM certificate(s) to trust for the server's TLS (a private CA or a self-signed server); the system's CAs otherwise" })),
    username: t.Optional(t.String({ minLength: 1 })),
    password: t.Optional(t.String({ minLength: 1, description: "Write-only" })),
    ...secretSet("password"),
    from: t.String({ minLength: 3, maxLength: 254 }),
    to: t.Array(t.String({ minLength: 3, maxLength: 254 }), { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);
export const MqttChannel = t.Object(
  {
    ...common,
    type: t.Literal("mqtt"),
    url: t.String({ description: "mqtt://, mqtts://, ws:// or wss:// broker URL" }),
    username: t.Optional(t.String({ minLength: 1 })),
    password: t.Optional(t.String({ minLength: 1, description: "Write-only" })),
    ...secretSet("password"),
    discovery_prefix: t.Optional(t.String({ pattern: "^[A-Za-z0-9_/-]{1,64}$", description: "Home Assistant discovery prefix (default homeassistant)" })),
    topic_prefix: t.Optional(t.String({ pattern: "^[A-Za-z0-9_-]{1,64}$", description: "Argus's own topics (default argus)" })),
  },
  { additionalProperties: false },
);

export const CHANNEL_SCHEMAS = { webhook: WebhookChannel, ntfy: NtfyChannel, gotify: GotifyChannel, email: EmailChannel, mqtt: MqttChannel } as const;
export type ChannelType = keyof typeof CHANNEL_SCHEMAS;
export const CHANNEL_TYPES = Object.keys(CHANNEL_SCHEMAS) as ChannelType[];

// Also the reason for an id out of 1..MAX_SAFE_INTEGER (the union's own message would name neither member).
const DEVICE_REF_ERROR = "must be a device id (a whole number) or a MAC (aa:bb:cc:dd:ee:ff or AA-BB-CC-DD-EE-FF)";

export const Rule = t.Object(
  {
    change_types: t.Optional(t.Array(CHANGE_TYPE, { description: "Default: every type" })),
    min_severity: t.Optional(SEVERITY),
    // A union with null, not t.Nullable: that adds OpenAPI 3.0's `nullable`, which a 3.1 document must not carry.
    trusted: t.Optional(t.Union([t.Boolean(), t.Null()], { description: "true: trusted devices only; false: untrusted only; absent/null: both" })),
    zones: t.Optional(t.Array(t.String({ maxLength: 64 }), { description: "Only devices in these zones (default: any zone, or none)" })),
    devices: t.Optional(
      t.Array(t.Union([Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), t.String({ maxLength: 17 })], { error: DEVICE_REF_ERROR }), {
        minItems: 1,
        maxItems: 1000,
        description: "Only these devices: device ids (7) or MACs (aa:bb:cc:dd:ee:ff or AA-BB-CC-DD-EE-FF; kept lower-case with colons); default: every device",
      }),
    ),
    channels: t.Array(t.String(), { minItems: 1 }),
    digest: t.Optional(t.Boolean({ description: "One message per scan listing its matching changes" })),
  },
  { additionalProperties: false },
);

export const QuietHours = t.Object(
  {
    start: t.String({ pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$", description: "HH:MM, the appliance's local time" }),
    end: t.String({ pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$" }),
    min_severity: t.Optional(SEVERITY),
  },
  { additionalProperties: false },
);

/** The schema of the section as stored and as PUT (a channel is one of CHANNEL_SCHEMAS by `type`). */
export const NotificationsSchema = t.Object(
  {
    channels: t.Optional(t.Array(t.Union([WebhookChannel, NtfyChannel, GotifyChannel, EmailChannel, MqttChannel]), { maxItems: 50 })),
    rules: t.Optional(t.Array(Rule, { maxItems: 200 })),
    quiet_hours: t.Optional(t.Union([QuietHours, t.Null()], { description: "Hold back everything below min_severity (default critical) until they end; null: none" })),
    muted_devices: t.Optional(t.Array(t.String(), { maxItems: 10_000, description: "MACs or IPv4 addresses whose changes are never sent" })),
    allow_loopback_destinations: t.Optional(
      t.Boolean({ description: "Let channels reach the appliance's own loopback (127.0.0.0/8, ::1, localhost, names resolving there), e.g. a broker on the same box; default false" }),
    ),
  },
  { additionalProperties: false },
);

export type WebhookChannel = Static<typeof WebhookChannel>;
export type NtfyChannel = Static<typeof NtfyChannel>;
export type GotifyChannel = Static<typeof GotifyChannel>;
export type EmailChannel = Static<typeof EmailChannel>;
export type MqttChannel = Static<typeof MqttChannel>;
export type Channel = WebhookChannel | NtfyChannel | GotifyChannel | EmailChannel | MqttChannel;
export type Rule = Static<typeof Rule>;
export type QuietHours = Static<typeof QuietHours>;
export type NotificationsConfig = { channels: Channel[]; rules: Rule[]; quiet_hours: QuietHours | null; muted_devices: string[]; allow_loopback_destinations?: boolean };

export const DEFAULT_NOTIFICATIONS: NotificationsConfig = { channels: [], rules: [], quiet_hours: null, muted_devices: [] };

export type Checked<T> = { ok: true; value: T } | ({ ok: false } & FieldProblem);

const URL_SCHEMES: Record<string, string[]> = { webhook: ["http:", "https:"], ntfy: ["http:", "https:"], gotify: ["http:", "https:"], mqtt: ["mqtt:", "mqtts:", "ws:", "wss:"] };
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

/** The first schema error as (field, reason), the field in the configuration's one path notation. */
function schemaError(schema: TSchema, value: unknown, field: string): FieldProblem | null {
  const first = Value.Errors(schema, value).First();
  if (!first) return null;
  const options = (first.schema as { anyOf?: { const?: unknown }[] }).anyOf?.map((s) => s.const);
  const own = (first.schema as { error?: unknown }).error;
  const reason =
    typeof own === "string"
      ? own
      : first.message === "Unexpected property"
        ? "is not a known field"
        : options && options.every((o) => typeof o === "string")
          ? `must be one of ${options.join(", ")}`
          : typeof (first.schema as { pattern?: string }).pattern === "string"
            ? `must match ${(first.schema as { pattern: string }).pattern}`
            : first.message.charAt(0).toLowerCase() + first.message.slice(1);
  return { field: fieldPath(field, ...first.path.split("/").filter(Boolean)), reason };
}

/**
 * Validates the section (absent → defaults). `field` prefixes every reported field, so a 422 names
 * e.g. `notifications.rules.0.channels`. Secrets are not required when `<secret>_set` says one is
 * stored (a PUT first carries the stored one over: `carrySecrets` in src/config/secrets.ts).
 */
export function validateNotifications(input: unknown, field = "notifications"): Checked<NotificationsConfig> {
  if (input === undefined || input === null) return { ok: true, value: structuredClone(DEFAULT_NOTIFICATIONS) };
  const fail = (f: string, reason: string): Checked<NotificationsConfig> => ({ ok: false, field: f, reason });
  if (typeof input !== "object" || Array.isArray(input)) return fail(field, "must be an object {channels, rules, quiet_hours, muted_devices}");
  const o = input as Record<string, unknown>;
  // The channels one by one first: a union's error message would not say which member was meant.
  if (o.channels !== undefined) {
    if (!Array.isArray(o.channels)) return fail(`${field}.channels`, "must be a list of channels");
    for (const [i, c] of o.channels.entries()) {
      const at = fieldPath(field, "channels", i);
      if (typeof c !== "object" || c === null || Array.isArray(c)) return fail(at, "must be an object");
      const type = (c as { type?: unknown }).type;
      if (typeof type !== "string" || !Object.hasOwn(CHANNEL_SCHEMAS, type)) return fail(`${at}.type`, `must be one of ${CHANNEL_TYPES.join(", ")}`);
      const err = schemaError(CHANNEL_SCHEMAS[type as ChannelType], c, at);
      if (err) return fail(err.field, err.reason);
    }
  }
  // Likewise quiet hours: the nullable wrapper would hide which of its fields is wrong.
  if (o.quiet_hours !== undefined && o.quiet_hours !== null) {
    const qe = schemaError(QuietHours, o.quiet_hours, `${field}.quiet_hours`);
    if (qe) return fail(qe.field, qe.reason);
  }
  const err = schemaError(NotificationsSchema, o, field);
  if (err) return fail(err.field, err.reason);
  const value: NotificationsConfig = { ...structuredClone(DEFAULT_NOTIFICATIONS), ...(structuredClone(o) as Partial<NotificationsConfig>) };
  if (value.quiet_hours === undefined) value.quiet_hours = null;

  const names = new Set<string>();
  for (const [i, c] of value.channels.entries()) {
    const at = fieldPath(field, "channels", i);
    if (names.has(c.name)) return fail(`${at}.name`, `duplicates the channel name "${c.name}"`);
    names.add(c.name);
    if ("url" in c) {
      let url: URL;
      try {
        url = new URL(c.url);
      } catch {
        return fail(`${at}.url`, "must be an absolute URL");
      }
      if (!URL_SCHEMES[c.type].includes(url.protocol)) return fail(`${at}.url`, `must start with ${URL_SCHEMES[c.type].map((s) => `${s}//`).join(" or ")}`);
      if (url.hash) return fail(`${at}.url`, "must not have a #fragment");
      if (c.type === "ntfy" && url.pathname.replace(/\/+$/, "").split("/").pop() === "") return fail(`${at}.url`, "must name the topic (https://ntfy.example/TOPIC)");
    }
    if (c.type === "gotify" && c.token === undefined && !c.token_set) return fail(`${at}.token`, "is required (the Gotify application token)");
    if (c.type === "email") {
      if (c.tls && c.starttls) return fail(`${at}.starttls`, "cannot be combined with tls (implicit TLS already encrypts)");
      if (c.password !== undefined && c.username === undefined) return fail(`${at}.username`, "is required with a password");
      if (c.username !== undefined && c.password === undefined && !c.password_set) return fail(`${at}.password`, "is required with a username");
      if (!EMAIL.test(c.from)) return fail(`${at}.from`, "must be an e-mail address");
      const bad = c.to.findIndex((a) => !EMAIL.test(a));
      if (bad >= 0) return fail(fieldPath(at, "to", bad), "must be an e-mail address");
    }
  }
  for (const [i, r] of value.rules.entries()) {
    const unknown = r.channels.findIndex((name) => !names.has(name));
    if (unknown >= 0) return fail(fieldPath(field, "rules", i, "channels"), `names "${r.channels[unknown]}", which is not a configured channel`);
    if (r.devices) {
      const bad = r.devices.findIndex((d) => typeof d === "string" && normalizeMac(d) === null);
      if (bad >= 0) return fail(fieldPath(field, "rules", i, "devices", bad), DEVICE_REF_ERROR);
      r.devices = r.devices.map((d) => (typeof d === "string" ? normalizeMac(d)! : d));
    }
  }
  // MACs are read by the one MAC parser (as `exclude` reads them) and kept in the inventory's form, which rules.ts compares.
  const badMute = value.muted_devices.findIndex((d) => normalizeMac(d) === null && !IPV4.test(d));
  if (badMute >= 0) return fail(fieldPath(field, "muted_devices", badMute), "must be a MAC (aa:bb:cc:dd:ee:ff or AA-BB-CC-DD-EE-FF) or an IPv4 address");
  value.muted_devices = value.muted_devices.map((d) => normalizeMac(d) ?? d);
  // `*_set` flags are answers, not settings: they are not stored.
  for (const c of value.channels) for (const k of Object.keys(c)) if (k.endsWith("_set")) delete (c as Record<string, unknown>)[k];
  return { ok: true, value };
}

/** Where each channel type keeps its secret (besides a password in the URL). */
const SECRET_FIELD: Record<ChannelType, "secret" | "token" | "password"> = { webhook: "secret", ntfy: "token", gotify: "token", email: "password", mqtt: "password" };
const MASK = "***";




/** Every secret of a channel as it could appear in an error message: token, password, URL password, query secrets. */
export function secretsOf(c: Channel): string[] {
  const out: string[] = [];
  const v = (c as Record<string, unknown>)[SECRET_FIELD[c.type]];
  if (typeof v === "string" && v) out.push(v);
  if ("url" in c) {
    try {
      const url = new URL(c.url);
      if (url.password) out.push(url.password, decodeURIComponent(url.password));
    } catch {}
    out.push(...urlQuerySecrets(c.url));
  }
  return out.filter((s) => s.length > 0);
}

/** An error message safe to store, show and log: no secret of the channel, no URL userinfo. */
export function redactError(message: string, c: Channel | null): string {
  let out = message.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, `$1${MASK}@`);
  for (const s of c ? secretsOf(c) : []) out = out.split(s).join(MASK);
  return out.length > 500 ? `${out.slice(0, 497)}...` : out;
}
