/** @jsxImportSource preact */
// Settings → Notifications: channels (create, edit, delete, Send test), the rules with their quiet
// hours and muted devices, recent deliveries; and Settings → Passive watch, its on/off switch. All of
// it is the configuration (PUT /api/config), whose `notifications` section is sent back whole, as GET
// showed it: secrets are write-only there, so a secret field left empty goes back as `<secret>_set`,
// which keeps the stored one (src/config/secrets.ts carrySecrets), and a new value replaces it.
import { useEffect, useState } from "preact/hooks";
import type { FieldProblem } from "../../../config/config-error.ts";
import { CHANGE_TYPES, SEVERITIES } from "../../../inventory/enums.ts";
import { ApiError, get, list, post, put, query } from "../api.ts";
import { changeLabel, humanize } from "../format.ts";
import { FieldError, FormError, markField, problemOf, readableRefusal, Section } from "../forms.tsx";
import { useLiveReload } from "../live.ts";
import { toast } from "../toast.ts";
import { type Column, DataTable, Empty, Loading, Pager, Time, useLoad } from "../ui.tsx";

type Config = Record<string, any>;
type Saver = (patch: Config, what: string) => Promise<void>;

// The channel types of src/notify/config.ts (which the browser bundle cannot import: it carries TypeBox).
const CHANNEL_TYPES = ["webhook", "ntfy", "gotify", "email", "mqtt"] as const;
type ChannelType = (typeof CHANNEL_TYPES)[number];
const TYPE_LABEL: Record<ChannelType, string> = { webhook: "Webhook", ntfy: "ntfy", gotify: "Gotify", email: "E-mail", mqtt: "MQTT (Home Assistant)" };

type Channel = { name: string; type: ChannelType; enabled?: boolean; timeout_seconds?: number } & Record<string, any>;
type Rule = { change_types?: string[]; min_severity?: string; trusted?: boolean | null; zones?: string[]; devices?: (number | string)[]; channels: string[]; digest?: boolean };
type Quiet = { start: string; end: string; min_severity?: string };
type NotificationsConfig = { channels: Channel[]; rules: Rule[]; quiet_hours: Quiet | null; muted_devices: string[]; allow_loopback_destinations?: boolean };

type FieldSpec = { key: string; label: string; kind: "text" | "number" | "secret" | "check" | "list" | "pem"; placeholder?: string; defaultOn?: boolean };

/** Each type's own fields (besides name, enabled and timeout), in the order the form shows them. */
const FIELDS: Record<ChannelType, FieldSpec[]> = {
  webhook: [
    { key: "url", label: "URL", kind: "text", placeholder: "https://example.net/argus" },
    { key: "secret", label: "Signing secret (HMAC-SHA256, sent as X-Argus-Signature)", kind: "secret" },
  ],
  ntfy: [
    { key: "url", label: "Topic URL", kind: "text", placeholder: "https://ntfy.sh/my-argus" },
    { key: "token", label: "Access token", kind: "secret" },
  ],
  gotify: [
    { key: "url", label: "Server URL", kind: "text", placeholder: "https://gotify.example.net" },
    { key: "token", label: "Application token", kind: "secret" },
  ],
  email: [
    { key: "host", label: "SMTP server", kind: "text", placeholder: "smtp.example.net" },
    { key: "port", label: "Port (default 587, 465 with implicit TLS)", kind: "number" },
    { key: "tls", label: "Implicit TLS from the first byte (port 465)", kind: "check" },
    { key: "starttls", label: "Require STARTTLS", kind: "check", defaultOn: true },
    { key: "username", label: "User name", kind: "text" },
    { key: "password", label: "Password", kind: "secret" },
    { key: "from", label: "From", kind: "text", placeholder: "argus@example.net" },
    { key: "to", label: "To (one address per line)", kind: "list", placeholder: "me@example.net" },
    { key: "ca", label: "Trusted certificate (PEM; for a private CA or a self-signed server)", kind: "pem" },
  ],
  mqtt: [
    { key: "url", label: "Broker URL", kind: "text", placeholder: "mqtt://broker.lan:1883" },
    { key: "username", label: "User name", kind: "text" },
    { key: "password", label: "Password", kind: "secret" },
    { key: "discovery_prefix", label: "Home Assistant discovery prefix", kind: "text", placeholder: "homeassistant" },
    { key: "topic_prefix", label: "Topic prefix", kind: "text", placeholder: "argus" },
  ],
};

const lines = (s: string) =>
  s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);

/** The channel the form describes. An empty secret field keeps a stored secret unless "remove" is ticked. */
function channelFrom(f: FormData, type: ChannelType, stored: Channel | null): Channel {
  const c: Channel = { name: String(f.get("name") ?? "").trim(), type };
  if (f.get("enabled") !== "on") c.enabled = false;
  const timeout = String(f.get("timeout_seconds") ?? "").trim();
  if (timeout) c.timeout_seconds = Number(timeout);
  for (const spec of FIELDS[type]) {
    const raw = String(f.get(spec.key) ?? "");
    if (spec.kind === "secret") {
      if (raw) c[spec.key] = raw;
      else if (stored?.[`${spec.key}_set`] && f.get(`${spec.key}_remove`) !== "on") c[`${spec.key}_set`] = true;
    } else if (spec.kind === "check") {
      const on = f.get(spec.key) === "on";
      // Only a departure from the default is written; implicit TLS makes STARTTLS moot.
      if (on !== !!spec.defaultOn && !(spec.key === "starttls" && f.get("tls") === "on")) c[spec.key] = on;
    } else if (spec.kind === "number") {
      if (raw.trim()) c[spec.key] = Number(raw);
    } else if (spec.kind === "list") {
      c[spec.key] = lines(raw);
    } else if (spec.kind === "pem") {
      if (raw.trim()) c[spec.key] = raw.trim();
    } else if (raw.trim()) c[spec.key] = raw.trim();
  }
  return c;
}

function ChannelField({ spec, stored, path, problem }: { spec: FieldSpec; stored: Channel | null; path: string; problem: FieldProblem | null }) {
  const id = `ch-${spec.key}`;
  const value = stored?.[spec.key];
  const error = <FieldError problem={problem} path={path} />;
  if (spec.kind === "check") {
    return (
      <>
        <label class="check">
          <input id={id} name={spec.key} type="checkbox" data-field={path} defaultChecked={value === undefined ? !!spec.defaultOn : value === true} /> {spec.label}
        </label>
        {error}
      </>
    );
  }
  if (spec.kind === "secret") {
    const isSet = stored?.[`${spec.key}_set`] === true;
    return (
      <>
        <label for={id}>{spec.label}</label>
        <input id={id} name={spec.key} type="password" autocomplete="new-password" data-field={path} placeholder={isSet ? "stored: leave empty to keep it" : "not set"} />
        {isSet && (
          <label class="check small">
            <input name={`${spec.key}_remove`} type="checkbox" /> Remove the stored {spec.key}
          </label>
        )}
        {error}
      </>
    );
  }
  const shown = Array.isArray(value) ? value.join("\n") : value === undefined || value === null ? "" : String(value);
  return (
    <>
      <label for={id}>{spec.label}</label>
      {spec.kind === "list" || spec.kind === "pem" ? (
        <textarea id={id} name={spec.key} rows={spec.kind === "pem" ? 4 : 2} class={spec.kind === "pem" ? "mono" : undefined} data-field={path} defaultValue={shown} placeholder={spec.placeholder} spellcheck={false} />
      ) : spec.kind === "number" ? (
        <input id={id} name={spec.key} type="number" data-field={path} defaultValue={shown} placeholder={spec.placeholder} />
      ) : (
        <input id={id} name={spec.key} type="text" data-field={path} defaultValue={shown} placeholder={spec.placeholder} spellcheck={false} />
      )}
      {error}
    </>
  );
}

function ChannelForm({ stored, index, save, cancel }: { stored: Channel | null; index: number; save: (c: Channel) => Promise<FieldProblem | null>; cancel: () => void }) {
  const [type, setType] = useState<ChannelType>(stored?.type ?? "webhook");
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const at = (k: string) => `notifications.channels.${index}.${k}`;
  const own = ["name", "type", "enabled", "timeout_seconds", ...FIELDS[type].map((s) => s.key)].map(at);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      setProblem(await save(channelFrom(new FormData(e.currentTarget as HTMLFormElement), type, stored)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form id="channel-form" class="channel-form card-inset" aria-labelledby="channel-form-h" onSubmit={(e) => void submit(e).catch(() => {})}>
      <h3 id="channel-form-h">{stored ? `Edit channel ${stored.name}` : "New channel"}</h3>
      <div class="inline wrap">
        <div class="field grow">
          <label for="ch-name">Name</label>
          {/* Rules and deliveries name a channel by it: an existing channel keeps its name. */}
          <input id="ch-name" name="name" type="text" required maxLength={64} readOnly={!!stored} data-field={at("name")} defaultValue={stored?.name ?? ""} placeholder="phone" />
          <FieldError problem={problem} path={at("name")} />
        </div>
        <div class="field">
          <label for="ch-type">Type</label>
          <select id="ch-type" name="type" disabled={!!stored} data-field={at("type")} value={type} onChange={(e) => setType(e.currentTarget.value as ChannelType)}>
            {CHANNEL_TYPES.map((t) => (
              <option value={t}>{TYPE_LABEL[t]}</option>
            ))}
          </select>
        </div>
      </div>
      {FIELDS[type].map((spec) => (
        <ChannelField key={`${type}-${spec.key}`} spec={spec} stored={stored?.type === type ? stored : null} path={at(spec.key)} problem={problem} />
      ))}
      <div class="inline wrap">
        <div class="field narrow">
          <label for="ch-timeout">Timeout per try (s)</label>
          <input id="ch-timeout" name="timeout_seconds" type="number" min={1} max={120} data-field={at("timeout_seconds")} defaultValue={stored?.timeout_seconds === undefined ? "" : String(stored.timeout_seconds)} placeholder="10" />
        </div>
        <label class="check">
          <input name="enabled" type="checkbox" data-field={at("enabled")} defaultChecked={stored?.enabled !== false} /> Enabled
        </label>
      </div>
      <FieldError problem={problem} path={at("timeout_seconds")} />
      <FormError problem={problem} paths={own} />
      <div class="row-actions">
        <button type="submit" disabled={busy}>
          Save channel
        </button>
        <button type="button" class="secondary" onClick={cancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

type TestResult = { status: "sending" } | { status: "sent" | "failed"; error: string | null };

function TestOutcome({ result }: { result: TestResult | undefined }) {
  if (!result) return null;
  return (
    <span class="test-result small" role="status">
      {result.status === "sending" ? (
        "Sending a test…"
      ) : (
        <>
          Test: <span class={`badge st-${result.status}`}>{result.status}</span>
          {result.error && <span class="muted"> {result.error}</span>}
        </>
      )}
    </span>
  );
}

type Delivery = { id: number; channel: string; kind: string; status: string; attempts: number; created_at: string; error: string | null };

const DELIVERY_COLUMNS: Column<Delivery>[] = [
  { header: "Channel", cell: (n) => n.channel },
  { header: "Kind", cell: (n) => n.kind },
  { header: "Status", cell: (n) => <span class={`badge st-${n.status}`}>{n.status}</span> },
  { header: "Attempts", cell: (n) => n.attempts },
  { header: "Created", cell: (n) => <Time iso={n.created_at} /> },
  { header: "Error", cell: (n) => n.error ?? "" },
];

/** What quiet hours still let through, e.g. "only changes from high up are sent." */
const quietSummary = (min: string): string => (min === "critical" ? "only critical changes are sent." : `only changes from ${min} up are sent.`);

/** The rule as one line, e.g. "device added from info up → hooks, phone". */
function ruleSummary(r: Rule): string {
  const what = (r.change_types ?? ["every change"]).map(humanize).join(", ");
  const who = [r.devices?.length ? `devices ${r.devices.join(", ")}` : "", r.zones?.length ? `zones ${r.zones.join(", ")}` : "", r.trusted === true ? "trusted" : r.trusted === false ? "untrusted" : ""]
    .filter(Boolean)
    .join("; ");
  return `${what} from ${r.min_severity ?? "info"} up${who ? ` (${who})` : ""} → ${r.channels.join(", ")}${r.digest ? " (digest)" : ""}`;
}

export function Notifications({ config, canWrite, reloadConfig, deliveries, test }: { config: Config | null; canWrite: boolean; reloadConfig: () => void; deliveries: boolean; test: boolean }) {
  const [offset, setOffset] = useState(0);
  const [log, reloadLog] = useLoad(() => (deliveries ? list<Delivery>(`/api/notifications?limit=20&offset=${offset}`) : Promise.resolve(null)), [offset]);
  // Committed changes may have queued messages: the list follows them.
  useLiveReload((e) => e.type === "changes", reloadLog);
  const [editing, setEditing] = useState<{ index: number; stored: Channel | null } | null>(null);
  const [tests, setTests] = useState<Record<string, TestResult>>({});
  const current: NotificationsConfig = { channels: [], rules: [], quiet_hours: null, muted_devices: [], ...(config?.notifications ?? {}) };
  const { channels, rules, quiet_hours: quiet } = current;

  /** Saves the whole section; a refusal naming a field comes back to the form that shows it. */
  const saveSection = async (next: NotificationsConfig, what: string, done = `${what} saved`): Promise<FieldProblem | null> => {
    try {
      await put("/api/config", { notifications: next }, { quiet: true });
    } catch (e) {
      if (e instanceof ApiError && e.status !== 401) toast(`${what} not saved: ${readableRefusal(e.message)}`, "error");
      const problem = problemOf(e);
      markField(problem?.field ?? null);
      if (problem) return problem;
      throw e;
    }
    markField(null);
    toast(done);
    reloadConfig();
    return null;
  };
  const saveChannel = async (c: Channel): Promise<FieldProblem | null> => {
    const index = editing!.index;
    const next = channels.slice();
    next[index] = c;
    const problem = await saveSection({ ...current, channels: next }, `Channel ${c.name}`);
    if (!problem) setEditing(null);
    return problem;
  };
  const remove = async (c: Channel) => {
    const used = rules.filter((r) => r.channels.includes(c.name)).length;
    if (!confirm(`Delete the channel ${c.name}?${used ? ` ${used === 1 ? "One rule sends" : `${used} rules send`} to it: it is taken out of them, and a rule left without a channel is deleted.` : ""}`)) return;
    // A rule naming a channel that is gone would be refused: it stops naming it.
    const nextRules = rules.map((r) => ({ ...r, channels: r.channels.filter((n) => n !== c.name) })).filter((r) => r.channels.length > 0);
    await saveSection({ ...current, channels: channels.filter((x) => x !== c), rules: nextRules }, `Deleting ${c.name}`, `Channel ${c.name} deleted`);
    if (editing?.stored === c) setEditing(null);
  };
  const sendTest = async (name: string) => {
    setTests((t) => ({ ...t, [name]: { status: "sending" } }));
    try {
      const r = await post<{ status: "sent" | "failed"; error: string | null }>(`/api/notifications/test${query({ channel: name })}`);
      setTests((t) => ({ ...t, [name]: { status: r.status, error: r.error } }));
    } catch {
      setTests((t) => {
        const { [name]: _, ...rest } = t;
        return rest;
      });
    }
    reloadLog();
  };

  return (
    <Section
      id="notifications"
      title="Notifications"
      intro="Where changes are sent: channels (webhook, ntfy, Gotify, e-mail, MQTT) and the rules that pick changes for them. A device's own alerts (on its page) reach every channel."
    >
      <h3>Channels</h3>
      {channels.length === 0 ? (
        <Empty title="No channels configured" />
      ) : (
        <ul class="plain">
          {channels.map((c, i) => (
            <li class="channel" data-channel={c.name}>
              <strong>{c.name}</strong> <span class="hint">{c.type}</span> <span class="muted wrap-anywhere">{c.url ?? (c.host ? `${c.host}${c.port ? `:${c.port}` : ""}` : "")}</span>
              {c.to && c.to.length > 0 && <span class="muted"> to {c.to.join(", ")}</span>}
              {c.enabled === false && <span class="muted"> (disabled)</span>}
              {Object.keys(c)
                .filter((k) => k.endsWith("_set"))
                .map((k) => (
                  // Secrets are write-only: the API says only whether one is stored.
                  <span class="secret-flag small">
                    {" "}
                    {humanize(k.slice(0, -4))}: {c[k] ? "set" : "not set"}
                  </span>
                ))}
              <span class="row-actions">
                {test && (
                  <button type="button" class="small secondary" aria-label={`Send test to ${c.name}`} disabled={tests[c.name]?.status === "sending"} onClick={() => void sendTest(c.name)}>
                    Send test
                  </button>
                )}
                {canWrite && (
                  <>
                    <button type="button" class="small secondary" aria-label={`Edit ${c.name}`} onClick={() => setEditing({ index: i, stored: c })}>
                      Edit
                    </button>
                    <button type="button" class="small danger" aria-label={`Delete ${c.name}`} onClick={() => void remove(c).catch(() => {})}>
                      Delete
                    </button>
                  </>
                )}
              </span>
              <TestOutcome result={tests[c.name]} />
            </li>
          ))}
        </ul>
      )}
      {canWrite &&
        (editing ? (
          <ChannelForm key={editing.stored?.name ?? "new"} stored={editing.stored} index={editing.index} save={saveChannel} cancel={() => (setEditing(null), markField(null))} />
        ) : (
          <button id="add-channel" type="button" class="secondary" onClick={() => setEditing({ index: channels.length, stored: null })}>
            Add a channel
          </button>
        ))}
      <h3>Rules</h3>
      {rules.length === 0 ? (
        <p class="muted">No rules: only the devices' own alerts are sent.</p>
      ) : (
        <ul class="plain" id="rule-list">
          {rules.map((r) => (
            <li>{ruleSummary(r)}</li>
          ))}
        </ul>
      )}
      {quiet && (
        <p class="muted">
          Quiet hours {quiet.start}–{quiet.end}: {quietSummary(quiet.min_severity ?? "critical")}
        </p>
      )}
      {canWrite && <RulesForm key={JSON.stringify([rules, quiet, current.muted_devices, current.allow_loopback_destinations])} current={current} save={saveSection} />}
      {deliveries && (
        <>
          <h3>Recent deliveries</h3>
          {!log ? (
            <Loading />
          ) : log.items.length === 0 ? (
            <p class="muted">Nothing sent yet.</p>
          ) : (
            <>
              <DataTable id="deliveries" columns={DELIVERY_COLUMNS} rows={log.items} />
              <Pager label="Deliveries" offset={offset} limit={20} total={log.total} onPage={setOffset} />
            </>
          )}
        </>
      )}
    </Section>
  );
}

/** A rule as the form edits it: the lists as the text the owner types. */
type RuleDraft = Rule & { zonesText: string; devicesText: string };

const draftOf = (r: Rule): RuleDraft => ({ ...r, zonesText: (r.zones ?? []).join(", "), devicesText: (r.devices ?? []).join(", ") });

function ruleOf({ zonesText, devicesText, ...r }: RuleDraft): Rule {
  const out: Rule = { channels: r.channels };
  if (r.change_types && r.change_types.length > 0) out.change_types = r.change_types;
  if (r.min_severity && r.min_severity !== "info") out.min_severity = r.min_severity;
  if (r.trusted === true || r.trusted === false) out.trusted = r.trusted;
  const zones = lines(zonesText);
  if (zones.length) out.zones = zones;
  // Device ids are numbers, MACs text: "7, aa:bb:cc:dd:ee:ff".
  const devices = lines(devicesText).map((d) => (/^\d+$/.test(d) ? Number(d) : d));
  if (devices.length) out.devices = devices;
  if (r.digest) out.digest = true;
  return out;
}

function RulesForm({ current, save }: { current: NotificationsConfig; save: (next: NotificationsConfig, what: string) => Promise<FieldProblem | null> }) {
  const [drafts, setDrafts] = useState<RuleDraft[]>(current.rules.map(draftOf));
  const [quietOn, setQuietOn] = useState(current.quiet_hours !== null);
  // Held in state: Preact sets a <select>'s choice from `value`, not `defaultValue` (which left it on
  // the first option, info, so a save quietly lowered the stored severity).
  const [quietMin, setQuietMin] = useState(current.quiet_hours?.min_severity ?? "critical");
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const names = current.channels.map((c) => c.name);
  const edit = (i: number, patch: Partial<RuleDraft>) => setDrafts(drafts.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const toggle = (list: string[] | undefined, v: string, on: boolean) => (on ? [...(list ?? []), v] : (list ?? []).filter((x) => x !== v));
  const at = (...k: (string | number)[]) => ["notifications", ...k].join(".");
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const quiet: Quiet | null = quietOn ? { start: String(f.get("quiet_start")).trim(), end: String(f.get("quiet_end")).trim(), min_severity: quietMin } : null;
    const next: NotificationsConfig = {
      ...current,
      rules: drafts.map(ruleOf),
      quiet_hours: quiet,
      muted_devices: lines(String(f.get("muted_devices"))),
      allow_loopback_destinations: f.get("allow_loopback") === "on",
    };
    setProblem(await save(next, "Rules"));
  };
  const own = [...drafts.flatMap((_, i) => ["channels", "change_types", "min_severity", "zones", "devices", "trusted"].map((k) => at("rules", i, k))), at("quiet_hours"), at("muted_devices")];
  return (
    <form id="rules-form" onSubmit={(e) => void submit(e).catch(() => {})}>
      <h3>Edit rules</h3>
      {drafts.map((r, i) => (
        <fieldset class="rule-row" data-rule={i}>
          <legend>Rule {i + 1}</legend>
          <div class="field" data-field={at("rules", i, "channels")} tabIndex={-1}>
            <span class="label">Send to</span>
            {names.length === 0 && <span class="muted"> no channel yet</span>}
            {names.map((n) => (
              <label class="check inline-check">
                <input type="checkbox" checked={r.channels.includes(n)} onChange={(e) => edit(i, { channels: toggle(r.channels, n, e.currentTarget.checked) })} /> {n}
              </label>
            ))}
            <FieldError problem={problem} path={at("rules", i, "channels")} />
          </div>
          <details data-field={at("rules", i, "change_types")} tabIndex={-1}>
            <summary>Changes: {r.change_types?.length ? r.change_types.map(changeLabel).join(", ") : "every type"}</summary>
            <div class="check-grid">
              {CHANGE_TYPES.map((t) => (
                <label class="check">
                  <input type="checkbox" checked={r.change_types?.includes(t) ?? false} onChange={(e) => edit(i, { change_types: toggle(r.change_types, t, e.currentTarget.checked) })} /> {changeLabel(t)}
                </label>
              ))}
            </div>
          </details>
          <FieldError problem={problem} path={at("rules", i, "change_types")} />
          <div class="inline wrap">
            <div class="field">
              <label for={`rule-sev-${i}`}>From severity</label>
              <select id={`rule-sev-${i}`} data-field={at("rules", i, "min_severity")} value={r.min_severity ?? "info"} onChange={(e) => edit(i, { min_severity: e.currentTarget.value })}>
                {SEVERITIES.map((s) => (
                  <option value={s}>{s}</option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for={`rule-trusted-${i}`}>Trust</label>
              <select
                id={`rule-trusted-${i}`}
                data-field={at("rules", i, "trusted")}
                value={r.trusted === true ? "trusted" : r.trusted === false ? "untrusted" : ""}
                onChange={(e) => edit(i, { trusted: e.currentTarget.value === "" ? null : e.currentTarget.value === "trusted" })}
              >
                <option value="">trusted or not</option>
                <option value="trusted">trusted only</option>
                <option value="untrusted">untrusted only</option>
              </select>
            </div>
            <label class="check">
              <input type="checkbox" checked={r.digest === true} onChange={(e) => edit(i, { digest: e.currentTarget.checked })} /> One digest per scan
            </label>
          </div>
          <div class="inline wrap">
            <div class="field grow">
              <label for={`rule-zones-${i}`}>Only zones (comma separated)</label>
              <input id={`rule-zones-${i}`} type="text" data-field={at("rules", i, "zones")} value={r.zonesText} onInput={(e) => edit(i, { zonesText: e.currentTarget.value })} />
              <FieldError problem={problem} path={at("rules", i, "zones")} />
            </div>
            <div class="field grow">
              <label for={`rule-devices-${i}`}>Only devices (ids or MACs, comma separated)</label>
              <input id={`rule-devices-${i}`} type="text" class="mono" spellcheck={false} data-field={at("rules", i, "devices")} value={r.devicesText} onInput={(e) => edit(i, { devicesText: e.currentTarget.value })} />
              <FieldError problem={problem} path={at("rules", i, "devices")} />
            </div>
          </div>
          <button type="button" class="ghost small" aria-label={`Remove rule ${i + 1}`} onClick={() => setDrafts(drafts.filter((_, j) => j !== i))}>
            Remove
          </button>
        </fieldset>
      ))}
      <p>
        <button type="button" class="secondary" onClick={() => setDrafts([...drafts, draftOf({ channels: names.slice(0, 1) })])}>
          Add a rule
        </button>
      </p>
      <fieldset>
        <legend>Quiet hours</legend>
        <label class="check">
          <input id="quiet-on" type="checkbox" checked={quietOn} onChange={(e) => setQuietOn(e.currentTarget.checked)} /> Hold back messages at night (the appliance's local time)
        </label>
        {quietOn && (
          <div class="inline wrap" data-field={at("quiet_hours")} tabIndex={-1}>
            <div class="field narrow">
              <label for="quiet-start">From (HH:MM)</label>
              <input id="quiet-start" name="quiet_start" type="text" data-field={at("quiet_hours", "start")} defaultValue={current.quiet_hours?.start ?? "23:00"} />
              <FieldError problem={problem} path={at("quiet_hours", "start")} />
            </div>
            <div class="field narrow">
              <label for="quiet-end">Until (HH:MM)</label>
              <input id="quiet-end" name="quiet_end" type="text" data-field={at("quiet_hours", "end")} defaultValue={current.quiet_hours?.end ?? "07:00"} />
              <FieldError problem={problem} path={at("quiet_hours", "end")} />
            </div>
            <div class="field">
              <label for="quiet-min">Still send from</label>
              <select id="quiet-min" name="quiet_min" data-field={at("quiet_hours", "min_severity")} value={quietMin} onChange={(e) => setQuietMin(e.currentTarget.value)}>
                {SEVERITIES.map((s) => (
                  <option value={s}>{s}</option>
                ))}
              </select>
              <FieldError problem={problem} path={at("quiet_hours", "min_severity")} />
            </div>
          </div>
        )}
        <FieldError problem={problem} path={at("quiet_hours")} exact />
      </fieldset>
      <label for="muted-devices">Muted devices (MAC or IPv4 address, one per line; nothing about them is sent)</label>
      <textarea id="muted-devices" name="muted_devices" rows={2} class="mono" spellcheck={false} data-field={at("muted_devices")} defaultValue={current.muted_devices.join("\n")} />
      <FieldError problem={problem} path={at("muted_devices")} />
      <label class="check">
        <input name="allow_loopback" type="checkbox" defaultChecked={current.allow_loopback_destinations === true} /> Let channels reach this appliance itself (a broker or receiver on its loopback)
      </label>
      <FormError problem={problem} paths={own} />
      <button type="submit">Save rules</button>
    </form>
  );
}

type Passive = { listening: boolean; interfaces: string[] };

/** The passive watch: listens (sends nothing) for devices joining; on by default. */
export function PassiveWatch({ config, canWrite, save, status }: { config: Config | null; canWrite: boolean; save: Saver; status: boolean }) {
  const [state, reload] = useLoad(() => (status ? get<Passive>("/api/passive") : Promise.resolve(null)), [config?.passive]);
  // The watch re-reads its interfaces by itself after a change, and says so on the live feed.
  useLiveReload((e) => e.type === "status", reload);
  const on = config?.passive !== false;
  // The switch shows the owner's choice at once, and waits until the configuration read back has it (a
  // refusal puts it back).
  const [want, setWant] = useState(on);
  const [busy, setBusy] = useState(false);
  useEffect(() => setWant(on), [on]);
  const change = async (next: boolean) => {
    setWant(next);
    setBusy(true);
    try {
      await save({ passive: next }, "Passive watch");
      reload();
    } catch {
      setWant(on);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section id="passive" title="Passive watch" intro="Argus listens (and sends nothing) for ARP, DHCP and mDNS on the watched networks' interfaces, so a device joining shows at once, without a scan.">
      {canWrite ? (
        <label class="check">
          <input id="passive-toggle" type="checkbox" data-field="passive" checked={want} disabled={busy || want !== on} onChange={(e) => void change(e.currentTarget.checked)} /> Listen for devices joining (passive
          watch)
        </label>
      ) : (
        <p>The passive watch is {on ? "on" : "off"}.</p>
      )}
      {state && (
        <p id="passive-state" class="muted small" role="status">
          {state.listening && state.interfaces.length > 0 ? `Listening on ${state.interfaces.join(", ")}` : "Not listening"}
        </p>
      )}
    </Section>
  );
}
