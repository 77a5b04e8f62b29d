/** @jsxImportSource preact */
// Settings → Sources: where names and devices are read from besides the wire (lease files, DHCP and
// DNS servers, routers). The list is GET /api/sources (each source's latest run, Run now); the entries
// are the configuration's `sources` section, sent back whole through PUT /api/config. Secrets are
// write-only: a secret field left empty goes back as `<secret>_set`, which keeps the stored one.
//
// The form of each type is built from the served API document (the configuration's `sources` schema,
// one member per registered type), so a type registered on the server needs nothing here.
import { useState } from "preact/hooks";
import type { FieldProblem } from "../../../config/config-error.ts";
import { ApiError, get, post, put } from "../api.ts";
import { humanize } from "../format.ts";
import { useLiveReload } from "../live.ts";
import { FieldError, FormError, markField, problemOf, readableRefusal, Section } from "../forms.tsx";
import { toast } from "../toast.ts";
import { type Column, DataTable, Empty, Loading, Time, useLoad } from "../ui.tsx";

type Config = Record<string, any>;
type Entry = { name: string; type: string; enabled?: boolean; interval_s?: number } & Record<string, any>;
type State = { name: string; type: string; last_run_at: string | null; last_ok_at: string | null; status: "ok" | "failed" | "disabled"; detail: string | null; devices: number };

type FieldSpec = { key: string; kind: "text" | "number" | "secret" | "check" | "select"; description?: string; options?: string[]; required: boolean };
type TypeSpec = { type: string; fields: FieldSpec[] };

const COMMON = new Set(["name", "type", "enabled", "interval_s"]);

// What an absent yes/no field means. The API document leaves the configuration's defaults out (see
// withoutDefaults in src/api/models.ts), and an unticked box shown for "absent = on" would turn it off.
const CHECK_DEFAULTS: Record<string, boolean> = { verify_tls: true };
const checkDefault = (key: string) => CHECK_DEFAULTS[key] ?? false;

type JsonSchema = { type?: string; title?: string; description?: string; properties?: Record<string, JsonSchema>; required?: string[]; anyOf?: JsonSchema[]; enum?: unknown[]; const?: unknown; items?: JsonSchema };

/** The source types and their fields, as the API document describes the configuration's `sources`. */
async function sourceTypes(): Promise<TypeSpec[]> {
  const doc = await get<{ components?: { schemas?: Record<string, JsonSchema> } }>("/openapi.json");
  const members = doc.components?.schemas?.Config?.properties?.sources?.items?.anyOf ?? [];
  return members.map((m) => {
    const props = m.properties ?? {};
    const type = String(props.type?.const ?? m.title ?? "");
    const fields: FieldSpec[] = [];
    for (const [key, s] of Object.entries(props)) {
      if (COMMON.has(key)) continue;
      // A secret is shown as `<key>_set` (write-only): its field is the secret itself.
      const secret = /^(.*)_set$/.exec(key);
      if (secret && s.type === "boolean") {
        fields.push({ key: secret[1], kind: "secret", description: undefined, required: false });
        continue;
      }
      const options = s.enum?.map(String) ?? s.anyOf?.filter((o) => o.const !== undefined).map((o) => String(o.const));
      const kind = options && options.length > 0 ? "select" : s.type === "integer" || s.type === "number" ? "number" : s.type === "boolean" ? "check" : "text";
      fields.push({ key, kind, description: s.description, options, required: (m.required ?? []).includes(key) });
    }
    return { type, fields };
  });
}

const COLUMNS = (run: (name: string) => void, running: string | null, canRun: boolean, edit: ((name: string) => void) | null, remove: ((name: string) => void) | null): Column<State>[] => [
  { header: "Name", class: "src-name", cell: (s) => <strong>{s.name}</strong> },
  { header: "Type", cell: (s) => <span class="hint">{s.type}</span> },
  { header: "Status", cell: (s) => <span class={`badge st-${s.status}`}>{s.status}</span> },
  { header: "Detail", class: "wrap-anywhere", cell: (s) => s.detail ?? "" },
  { header: "Last run", cell: (s) => <Time iso={s.last_run_at} empty="never" /> },
  { header: "Last success", cell: (s) => <Time iso={s.last_ok_at} empty="never" /> },
  { header: "Devices", cell: (s) => s.devices },
  {
    header: "Actions",
    hideHeader: true,
    cell: (s) => (
      <span class="row-actions">
        {canRun && (
          <button type="button" class="small secondary" aria-label={`${running === s.name ? "Running…" : "Run now"} (${s.name})`} disabled={s.status === "disabled" || running === s.name} onClick={() => run(s.name)}>
            {running === s.name ? "Running…" : "Run now"}
          </button>
        )}
        {edit && (
          <button type="button" class="small secondary" aria-label={`Edit ${s.name}`} onClick={() => edit(s.name)}>
            Edit
          </button>
        )}
        {remove && (
          <button type="button" class="small danger" aria-label={`Delete ${s.name}`} onClick={() => remove(s.name)}>
            Delete
          </button>
        )}
      </span>
    ),
  },
];

/** The entry the form describes. An empty secret field keeps a stored secret unless "remove" is ticked. */
function entryFrom(f: FormData, spec: TypeSpec, stored: Entry | null): Entry {
  const e: Entry = { name: String(f.get("name") ?? "").trim(), type: spec.type };
  if (f.get("enabled") !== "on") e.enabled = false;
  const interval = String(f.get("interval_s") ?? "").trim();
  if (interval) e.interval_s = Number(interval);
  for (const field of spec.fields) {
    const raw = String(f.get(field.key) ?? "");
    if (field.kind === "secret") {
      if (raw) e[field.key] = raw;
      else if (stored?.[`${field.key}_set`] && f.get(`${field.key}_remove`) !== "on") e[`${field.key}_set`] = true;
    } else if (field.kind === "check") {
      // Written only when it differs from the default: `verify_tls` (default true) left ticked stays absent,
      // and one the owner turned off stays false (a stored secret is kept only while it does not change).
      const checked = f.get(field.key) === "on";
      if (checked !== checkDefault(field.key)) e[field.key] = checked;
    } else if (field.kind === "number") {
      if (raw.trim()) e[field.key] = Number(raw);
    } else if (raw.trim()) e[field.key] = raw.trim();
  }
  return e;
}

function SourceField({ field, stored, path, problem }: { field: FieldSpec; stored: Entry | null; path: string; problem: FieldProblem | null }) {
  const id = `src-${field.key}`;
  const value = stored?.[field.key];
  const words = humanize(field.key);
  const label = words.charAt(0).toUpperCase() + words.slice(1);
  const error = <FieldError problem={problem} path={path} />;
  if (field.kind === "check") {
    return (
      <>
        <label class="check">
          <input id={id} name={field.key} type="checkbox" data-field={path} defaultChecked={value === undefined ? checkDefault(field.key) : value === true} /> {label}
        </label>
        {error}
      </>
    );
  }
  if (field.kind === "secret") {
    const isSet = stored?.[`${field.key}_set`] === true;
    return (
      <>
        <label for={id}>{label}</label>
        <input id={id} name={field.key} type="password" autocomplete="new-password" data-field={path} placeholder={isSet ? "stored: leave empty to keep it" : "not set"} />
        {isSet && (
          <label class="check small">
            <input name={`${field.key}_remove`} type="checkbox" /> Remove the stored {label.toLowerCase()}
          </label>
        )}
        {error}
      </>
    );
  }
  const shown = value === undefined || value === null ? "" : String(value);
  return (
    <>
      <label for={id}>{label}</label>
      {field.kind === "select" ? (
        <select id={id} name={field.key} data-field={path} defaultValue={shown}>
          {!field.required && <option value="">(default)</option>}
          {field.options!.map((o) => (
            <option value={o}>{o}</option>
          ))}
        </select>
      ) : (
        <input id={id} name={field.key} type={field.kind === "number" ? "number" : "text"} required={field.required} data-field={path} defaultValue={shown} spellcheck={false} />
      )}
      {field.description && <p class="muted small">{field.description}</p>}
      {error}
    </>
  );
}

function SourceForm({ types, stored, index, save, cancel }: { types: TypeSpec[]; stored: Entry | null; index: number; save: (e: Entry) => Promise<FieldProblem | null>; cancel: () => void }) {
  const [type, setType] = useState<string>(stored?.type ?? types[0]?.type ?? "");
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const spec = types.find((t) => t.type === type) ?? { type, fields: [] };
  const at = (k: string) => `sources.${index}.${k}`;
  const own = ["name", "type", "enabled", "interval_s", ...spec.fields.map((s) => s.key)].map(at);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      setProblem(await save(entryFrom(new FormData(e.currentTarget as HTMLFormElement), spec, stored)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form id="source-form" class="channel-form card-inset" aria-labelledby="source-form-h" onSubmit={(e) => void submit(e).catch(() => {})}>
      <h3 id="source-form-h">{stored ? `Edit source ${stored.name}` : "New source"}</h3>
      <div class="inline wrap">
        <div class="field grow">
          <label for="src-name">Name</label>
          {/* GET /api/sources and Run now name a source by it: an existing source keeps its name. */}
          <input id="src-name" name="name" type="text" required maxLength={64} readOnly={!!stored} data-field={at("name")} defaultValue={stored?.name ?? ""} placeholder="router-leases" />
          <FieldError problem={problem} path={at("name")} />
        </div>
        <div class="field">
          <label for="src-type">Type</label>
          <select id="src-type" name="type" disabled={!!stored} data-field={at("type")} value={type} onChange={(e) => setType(e.currentTarget.value)}>
            {types.map((t) => (
              <option value={t.type}>{t.type}</option>
            ))}
          </select>
        </div>
      </div>
      {spec.fields.map((field) => (
        <SourceField key={`${type}-${field.key}`} field={field} stored={stored?.type === type ? stored : null} path={at(field.key)} problem={problem} />
      ))}
      <div class="inline wrap">
        <div class="field narrow">
          <label for="src-interval">Every (s)</label>
          <input id="src-interval" name="interval_s" type="number" min={10} max={86400} data-field={at("interval_s")} defaultValue={stored?.interval_s === undefined ? "" : String(stored.interval_s)} placeholder="60" />
        </div>
        <label class="check">
          <input name="enabled" type="checkbox" data-field={at("enabled")} defaultChecked={stored?.enabled !== false} /> Enabled
        </label>
      </div>
      <FieldError problem={problem} path={at("interval_s")} />
      <FormError problem={problem} paths={own} />
      <div class="row-actions">
        <button type="submit" disabled={busy}>
          Save source
        </button>
        <button type="button" class="secondary" onClick={cancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function Sources({ config, canWrite, reloadConfig, canRun }: { config: Config | null; canWrite: boolean; reloadConfig: () => void; canRun: boolean }) {
  const [states, reload] = useLoad(() => get<State[]>("/api/sources?limit=1000"), [config]);
  const [types] = useLoad(() => (canWrite ? sourceTypes() : Promise.resolve([])), [canWrite]);
  const [editing, setEditing] = useState<{ index: number; stored: Entry | null } | null>(null);
  const [running, setRunning] = useState<string | null>(null);
  // Runs happen on their own intervals: each ends with a `status` event carrying the sources' state.
  useLiveReload((e) => e.type === "status" && Array.isArray((e.data as { sources?: unknown }).sources), reload, 300);
  const entries: Entry[] = config?.sources ?? [];

  const saveSection = async (next: Entry[], what: string, done = `${what} saved`): Promise<FieldProblem | null> => {
    try {
      await put("/api/config", { sources: next }, { quiet: true });
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
  const saveEntry = async (e: Entry): Promise<FieldProblem | null> => {
    const next = entries.slice();
    next[editing!.index] = e;
    const problem = await saveSection(next, `Source ${e.name}`);
    if (!problem) setEditing(null);
    return problem;
  };
  const remove = async (name: string) => {
    if (!confirm(`Delete the source ${name}? The names it gave devices stay on their pages.`)) return;
    await saveSection(entries.filter((x) => x.name !== name), `Deleting ${name}`, `Source ${name} deleted`);
    if (editing?.stored?.name === name) setEditing(null);
  };
  const run = async (name: string) => {
    setRunning(name);
    try {
      const s = await post<State>(`/api/sources/${encodeURIComponent(name)}/run`, undefined, { quiet: true });
      toast(s.status === "ok" ? `${name}: ${s.detail ?? "ok"}` : `${name} failed: ${s.detail ?? ""}`, s.status === "ok" ? "ok" : "error");
    } catch (e) {
      if (e instanceof ApiError && e.status !== 401) toast(`${name} not run: ${readableRefusal(e.message)}`, "error");
    } finally {
      setRunning(null);
      reload();
    }
  };
  const byName = (name: string) => entries.findIndex((e) => e.name === name);
  return (
    <Section
      id="sources"
      title="Sources"
      intro="Names and devices read from where they live: a DHCP server's lease file, a DNS server, a router. A name from a source ranks below the DHCP name a device says on the wire and above its mDNS, reverse-DNS and NetBIOS names; the owner's label always wins."
    >
      {states === undefined ? (
        <Loading />
      ) : (
        <DataTable
          id="sources-table"
          class="sources"
          columns={COLUMNS(
            (n) => void run(n),
            running,
            canRun,
            canWrite ? (n) => setEditing({ index: byName(n), stored: entries[byName(n)] ?? null }) : null,
            canWrite ? (n) => void remove(n).catch(() => {}) : null,
          )}
          rows={states ?? []}
          rowClass={(s) => (s.status === "disabled" ? "muted" : undefined)}
          empty={<Empty title="No sources configured">Devices and names come from the wire and the scans only.</Empty>}
        />
      )}
      {canWrite &&
        types &&
        (editing ? (
          <SourceForm key={editing.stored?.name ?? "new"} types={types} stored={editing.stored} index={editing.index} save={saveEntry} cancel={() => (setEditing(null), markField(null))} />
        ) : (
          <button id="add-source" type="button" class="secondary" onClick={() => setEditing({ index: entries.length, stored: null })}>
            Add a source
          </button>
        ))}
    </Section>
  );
}
