/** @jsxImportSource preact */
// /settings. Each section appears when the appliance documents the API behind it (see apiRoutes):
// networks, schedule, retention, backup and restore, notifications, API keys, the audit log.
import { useEffect, useState } from "preact/hooks";
import { readFieldProblem } from "../../../config/config-error.ts";
import { api, ApiError, apiRoutes, del, get, list, post, put, query } from "../api.ts";
import { bytes, humanize, plural } from "../format.ts";
import { markField, readableRefusal, Section } from "../forms.tsx";
import { SCHEDULE_PRESETS, type ScheduleEntry as Entry } from "../schedule-presets.ts";
import { toast } from "../toast.ts";
import { type Column, copyText, DataTable, Empty, Loading, Page, Pager, Time, useLoad } from "../ui.tsx";
import { Notifications, PassiveWatch } from "./notifications.tsx";
import { Sources } from "./sources.tsx";

type Config = Record<string, any>;

export function Settings() {
  const [routes] = useLoad(apiRoutes, []);
  const [config, reloadConfig] = useLoad(async () => ((await apiRoutes()).has("GET /api/config") ? get<Config>("/api/config") : null), []);
  if (routes === undefined || config === undefined) return <Page title="Settings"><Loading /></Page>;
  const has = (r: string) => routes?.has(r) ?? false;
  const canWrite = has("PUT /api/config") && !!config;
  const save = async (patch: Config, what: string) => {
    try {
      await put("/api/config", patch, { quiet: true });
    } catch (e) {
      // The API's 422 names the field ("Invalid body field 'schedule.0.cron': …"): say what was not saved
      // and why, and mark the control of that field.
      if (e instanceof ApiError && e.status !== 401) toast(`${what} not saved: ${readableRefusal(e.message)}`, "error");
      if (e instanceof ApiError && e.status === 422) markField(readFieldProblem(e.message)?.field ?? null);
      throw e;
    }
    markField(null);
    toast(`${what} saved`);
    reloadConfig();
  };
  const sections: [string, string, boolean][] = [
    ["networks", "Networks", true],
    ["schedule", "Schedule", has("GET /api/schedule")],
    ["retention", "Retention", !!config || has("POST /api/retention/cleanup") || has("GET /api/stats/db")],
    ["backup", "Backup", has("GET /api/backup") || has("POST /api/restore")],
    ["notifications", "Notifications", has("GET /api/notifications") || !!config?.notifications],
    ["passive", "Passive watch", has("GET /api/passive") || config?.passive !== undefined],
    ["sources", "Sources", has("GET /api/sources")],
    ["api-keys", "API Keys", true],
    ["audit", "Audit log", true],
  ];
  return (
    <Page title="Settings">
      <nav class="toc" aria-label="Settings sections">
        {sections
          .filter(([, , shown]) => shown)
          .map(([id, label]) => (
            <a href={`#${id}`}>{label}</a>
          ))}
      </nav>
      <Networks config={config} canWrite={canWrite} save={save} />
      {has("GET /api/schedule") && <Schedule config={config} canWrite={canWrite} save={save} />}
      {sections[2][2] && <Retention config={config} canWrite={canWrite} save={save} cleanup={has("POST /api/retention/cleanup")} dbStats={has("GET /api/stats/db")} />}
      {sections[3][2] && <Backup download={has("GET /api/backup")} restore={has("POST /api/restore")} />}
      {sections[4][2] && <Notifications config={config} canWrite={canWrite} reloadConfig={reloadConfig} deliveries={has("GET /api/notifications")} test={has("POST /api/notifications/test")} />}
      {sections[5][2] && <PassiveWatch config={config} canWrite={canWrite} save={save} status={has("GET /api/passive")} />}
      {sections[6][2] && <Sources config={config} canWrite={canWrite} reloadConfig={reloadConfig} canRun={has("POST /api/sources/:name/run")} />}
      <ApiKeys />
      <AuditLog />
    </Page>
  );
}

const lines = (s: string) =>
  s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);

type Saver = (patch: Config, what: string) => Promise<void>;

function Networks({ config, canWrite, save }: { config: Config | null; canWrite: boolean; save: Saver }) {
  const [detect] = useLoad(
    () =>
      get<{
        interfaces: { name: string; ip_address: string; prefix: number; subnet: string }[];
        suggested_subnets: string[];
        confirmed_subnets: string[];
        source_suggestions?: { subnet: string; sources: { name: string; type: string }[] }[];
      }>("/api/network/detect"),
    [config],
  );
  if (!detect) return <Section id="networks" title="Networks">{detect === undefined ? <Loading /> : <Empty title="Could not read the network settings" />}</Section>;
  const subnets: string[] = config?.subnets ?? detect.confirmed_subnets;
  const exclude: string[] = config?.exclude ?? [];
  const fromEnv = Object.keys(config?.env_overrides ?? {}).filter((k) => k === "subnets" || k === "exclude");
  return (
    <Section id="networks" title="Networks" intro="Argus scans only the networks you confirmed, and never the excluded addresses.">
      {fromEnv.length > 0 && (
        <p class="muted small">
          Set by the environment ({fromEnv.join(", ")}): the appliance's service settings win over what is saved here.
        </p>
      )}
      {canWrite ? (
        <form
          id="networks-form"
          key={`${subnets.join()}|${exclude.join()}`}
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget as HTMLFormElement);
            void save({ subnets: lines(String(f.get("subnets"))), exclude: lines(String(f.get("exclude"))) }, "Networks").catch(() => {});
          }}
        >
          <label for="s-subnets">Subnets to watch (CIDR, one per line)</label>
          <textarea id="s-subnets" name="subnets" data-field="subnets" rows={3} defaultValue={subnets.join("\n")} placeholder="192.168.1.0/24" />
          <label for="s-exclude">Never scan (IP addresses, CIDRs or MAC addresses, one per line)</label>
          <textarea id="s-exclude" name="exclude" data-field="exclude" rows={3} defaultValue={exclude.join("\n")} placeholder="192.168.1.1" />
          <button type="submit">Save networks</button>
        </form>
      ) : (
        <>
          <p>
            Watching: {subnets.length ? subnets.map((s) => <code class="chip">{s}</code>) : <span class="muted">no network confirmed yet: nothing is scanned</span>}
          </p>
          <p class="muted small">Change them in the configuration file (subnets, exclude); editing here arrives with the configuration API.</p>
        </>
      )}
      {(detect.source_suggestions?.length ?? 0) > 0 && (
        <>
          {/* Proposed only: a subnet is watched once the owner adds it above and saves. */}
          <h3>Seen by sources, not confirmed</h3>
          <ul class="plain" id="source-suggestions">
            {detect.source_suggestions!.map((s) => (
              <li>
                <code class="chip">{s.subnet}</code> <span class="muted small">suggested by {s.sources.map((x) => `${x.name} (${x.type})`).join(", ")}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Interfaces of this appliance</h3>
      {detect.interfaces.length === 0 ? (
        <p class="muted">none with an IPv4 address</p>
      ) : (
        <ul class="plain">
          {detect.interfaces.map((i) => (
            <li>
              <code>{i.name}</code> {i.ip_address}/{i.prefix} <span class="muted">({i.subnet})</span>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

type Planned = Entry & { state?: string; next_run_at: string | null; last_run_at: string | null; last_skipped_at?: string | null };

const STATE: Record<string, string> = { scheduled: "scheduled", disabled: "disabled", waiting_for_subnet: "waiting for a confirmed network", paused: "paused (restore)" };

const SCHEDULE_COLUMNS: Column<Planned>[] = [
  { header: "Profile", cell: (e) => e.profile },
  { header: "When (cron)", label: "When", class: "mono", cell: (e) => e.cron },
  {
    header: "State",
    cell: (e) => (
      <>
        {STATE[e.state ?? (e.enabled ? "scheduled" : "disabled")] ?? humanize(e.state ?? "")}
        {e.last_skipped_at && (
          <span class="muted small">
            {" "}
            (last skipped <Time iso={e.last_skipped_at} />)
          </span>
        )}
      </>
    ),
  },
  { header: "Next run", cell: (e) => <Time iso={e.next_run_at} empty="—" /> },
  { header: "Last run", cell: (e) => <Time iso={e.last_run_at} /> },
];

function Schedule({ config, canWrite, save }: { config: Config | null; canWrite: boolean; save: Saver }) {
  const [planned, reload] = useLoad(() => get<Planned[]>("/api/schedule"), [config]);
  const [rows, setRows] = useState<Entry[] | null>(null);
  const current: Entry[] = rows ?? config?.schedule ?? [];
  const profiles = [...new Set(["quick", "normal", "intensive", ...Object.keys(config?.profiles ?? {}), ...current.map((r) => r.profile)])];
  const edit = (i: number, patch: Partial<Entry>) => setRows(current.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const submit = (e: Event) => {
    e.preventDefault();
    void save({ schedule: current }, "Schedule").then(() => (setRows(null), reload()), () => {});
  };
  return (
    <Section id="schedule" title="Schedule" intro="Scheduled scans run by themselves, in the appliance's local time; one that finds a scan running is skipped.">
      {planned === undefined ? (
        <Loading />
      ) : (
        <DataTable
          id="schedule-table"
          columns={SCHEDULE_COLUMNS}
          rows={planned ?? []}
          rowClass={(e) => (e.enabled ? undefined : "muted")}
          empty={<Empty title="No scheduled scans">Scans run only when you start one.</Empty>}
        />
      )}
      {canWrite && (
        <form id="schedule-form" onSubmit={submit}>
          <h3>Edit</h3>
          <p class="muted small">
            Cron: 5 fields (minute hour day month weekday), or 6 with seconds first; <code>*/15 * * * *</code> is every 15 minutes. An intensive scan may run at most hourly.
          </p>
          {current.length === 0 && <p class="muted">No entries: scans run only when you start one.</p>}
          {current.map((r, i) => (
            <fieldset class="sched-row">
              <legend class="sr-only">Scheduled scan {i + 1}</legend>
              <div class="field">
                <label for={`sched-profile-${i}`}>Profile</label>
                <select id={`sched-profile-${i}`} data-field={`schedule.${i}.profile`} value={r.profile} onChange={(e) => edit(i, { profile: e.currentTarget.value })}>
                  {profiles.map((p) => (
                    <option value={p}>{p}</option>
                  ))}
                </select>
              </div>
              <div class="field grow">
                <label for={`sched-cron-${i}`}>Cron</label>
                <input id={`sched-cron-${i}`} data-field={`schedule.${i}.cron`} class="mono" type="text" value={r.cron} spellcheck={false} onInput={(e) => edit(i, { cron: e.currentTarget.value })} />
              </div>
              <label class="check">
                <input type="checkbox" checked={r.enabled} onChange={(e) => edit(i, { enabled: e.currentTarget.checked })} /> Enabled
              </label>
              <button type="button" class="ghost small" aria-label={`Remove scheduled scan ${i + 1}`} onClick={() => setRows(current.filter((_, j) => j !== i))}>
                Remove
              </button>
            </fieldset>
          ))}
          <div class="inline wrap">
            <button type="button" class="secondary" onClick={() => setRows([...current, { profile: "quick", cron: "0 * * * *", enabled: true }])}>
              Add a scheduled scan
            </button>
            <div class="field">
              <label for="s-preset">Or start from</label>
              <select
                id="s-preset"
                value=""
                onChange={(e) => {
                  const preset = SCHEDULE_PRESETS.find((p) => p.id === e.currentTarget.value);
                  if (preset) setRows(preset.schedule.map((x) => ({ ...x })));
                }}
              >
                <option value="">a preset…</option>
                {SCHEDULE_PRESETS.map((p) => (
                  <option value={p.id}>{p.label}</option>
                ))}
              </select>
            </div>
            <button type="submit">Save schedule</button>
          </div>
        </form>
      )}
    </Section>
  );
}

function Retention({ config, canWrite, save, cleanup, dbStats }: { config: Config | null; canWrite: boolean; save: Saver; cleanup: boolean; dbStats: boolean }) {
  const [stats, reload] = useLoad(() => (dbStats ? get<Record<string, any>>("/api/stats/db") : Promise.resolve(null)), []);
  const [result, setResult] = useState<Record<string, number> | null>(null);
  const run = async () => {
    setResult(await post("/api/retention/cleanup"));
    reload();
  };
  return (
    <Section id="retention" title="Retention" intro="Old scans and changes are pruned daily; devices are never pruned silently.">
      {config && canWrite ? (
        <form
          id="retention-form"
          key={config.retention_days}
          class="inline wrap"
          onSubmit={(e) => {
            e.preventDefault();
            void save({ retention_days: Number(new FormData(e.currentTarget as HTMLFormElement).get("days")) }, "Retention").catch(() => {});
          }}
        >
          <div class="field">
            <label for="s-days">Keep history for (days)</label>
            <input id="s-days" name="days" data-field="retention_days" type="number" min={1} max={3650} defaultValue={String(config.retention_days ?? 90)} />
          </div>
          <button type="submit">Save</button>
        </form>
      ) : config ? (
        <p>History is kept for {config.retention_days ?? 90} days.</p>
      ) : null}
      {cleanup && (
        <p>
          <button type="button" class="secondary" onClick={() => void run().catch(() => {})}>
            Clean up now
          </button>{" "}
          {result && (
            <span id="cleanup-result" role="status">
              Removed {plural(result.scans ?? 0, "scan")}, {plural(result.changes ?? 0, "change")}, {plural(result.audit ?? 0, "audit entry", "audit entries")} and {plural(result.notifications ?? 0, "notification record")}.
            </span>
          )}
        </p>
      )}
      {stats && <DbStats stats={stats} />}
    </Section>
  );
}

function DbStats({ stats }: { stats: Record<string, any> }) {
  const rows = Object.entries<number>(stats.rows ?? {});
  return (
    <div id="db-stats">
      <h3>Database</h3>
      <dl class="details">
        <dt>File size</dt>
        <dd>{bytes(stats.file_bytes ?? 0)}</dd>
        <dt>Write-ahead log</dt>
        <dd>{bytes(stats.wal_bytes ?? 0)}</dd>
        {/* SQLite's free list, not the disk: pages the file holds for reuse before it grows. */}
        <dt>Unused pages in the file</dt>
        <dd>{bytes((stats.free_pages ?? 0) * (stats.page_size ?? 0))}</dd>
      </dl>
      {rows.length > 0 && (
        <DataTable
          class="compact"
          responsive={false}
          caption="Rows per table"
          columns={[
            { header: "Table", class: "mono", cell: ([t]) => t },
            { header: "Rows", class: "num", headClass: "num", cell: ([, n]) => n.toLocaleString() },
          ]}
          rows={rows}
        />
      )}
    </div>
  );
}

function Backup({ download, restore }: { download: boolean; restore: boolean }) {
  const [busy, setBusy] = useState(false);
  const upload = async (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const file = (data.get("file") as File | null) ?? null;
    const password = String(data.get("password") ?? "");
    if (!file || file.size === 0) return toast("Choose a backup file first", "error");
    if (password === "") return toast("Confirm your password to restore", "error");
    if (
      !confirm(
        `Restore ${file.name}? Devices, scans and changes are replaced by the backup's (the configuration file is not in a backup); the current database is kept as a dated copy. Users, API keys and the audit log stay as they are. Your session may end: log in again if it does.`,
      )
    )
      return;
    setBusy(true);
    try {
      const r = await api<{ devices: number }>("POST", "/api/restore", { raw: file, contentType: "application/octet-stream", headers: { "X-Argus-Password": password } });
      toast(`Restored: ${plural(r.devices, "device")}`);
      (e.target as HTMLFormElement).reset();
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section
      id="backup"
      title="Backup and restore"
      intro="A backup is a consistent copy of the database (devices, scans, changes, the audit log; no password hashes or API keys): keep it private. A restore from here never replaces users, API keys or the audit log."
    >
      {download && (
        <p>
          <a class="button" href="/api/backup" download>
            Download backup
          </a>
        </p>
      )}
      {restore && (
        <form class="inline wrap" onSubmit={(e) => void upload(e).catch(() => {})}>
          <div class="field grow">
            <label for="s-restore">Restore from a backup file</label>
            <input id="s-restore" name="file" type="file" accept=".db,application/octet-stream" />
          </div>
          <div class="field">
            <label for="s-restore-password">Your password</label>
            <input id="s-restore-password" name="password" type="password" autocomplete="current-password" required />
          </div>
          <button type="submit" class="danger" disabled={busy}>
            Restore
          </button>
        </form>
      )}
    </Section>
  );
}

type Key = { id: number; name: string; key_prefix: string; scope?: "full" | "read"; created_at: string; last_used_at: string | null };

const KEY_COLUMNS: Column<Key>[] = [
  { header: "Name", cell: (k) => k.name },
  { header: "Key", class: "mono", cell: (k) => `${k.key_prefix}…` },
  { header: "Access", cell: (k) => (k.scope === "read" ? "read only" : "full") },
  { header: "Created", cell: (k) => <Time iso={k.created_at} /> },
  { header: "Last used", cell: (k) => <Time iso={k.last_used_at} /> },
];

/** Exactly the seed's walk-through: Settings → API Keys → "Create API Key" → a name → copy the key, shown once. */
function ApiKeys() {
  const [keys, reload] = useLoad(() => list<Key>("/api/keys?limit=1000"), []);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    if (creating) document.getElementById("key-name")?.focus();
  }, [creating]);
  const create = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setError("");
    try {
      const data = new FormData(form);
      const r = await post<{ name: string; key: string }>("/api/keys", { name: String(data.get("name")), scope: data.get("scope") === "read" ? "read" : "full" }, { quiet: true });
      setCreated(r);
      setCreating(false);
      reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const revoke = async (k: Key) => {
    if (!confirm(`Revoke the key "${k.name}"? Integrations using it stop working at once.`)) return;
    await del(`/api/keys/${k.id}`);
    // The one-time key box is about a key that may be gone now: never leave it on screen.
    setCreated(null);
    toast(`Key "${k.name}" revoked`);
    reload();
  };
  return (
    <Section
      id="api-keys"
      title="API Keys"
      intro={
        <>
          Keys let integrations (Home Assistant, Grafana, scripts) call the <a href="/docs">API</a> with the <code>X-API-Key</code> header. Create one key per integration, named after its purpose. A
          dashboard that only reads (Grafana, Home Assistant) should get a read-only key: it cannot change anything.
        </>
      }
    >
      {!creating && (
        <button id="create-key" type="button" onClick={() => (setCreating(true), setCreated(null))}>
          Create API Key
        </button>
      )}
      {creating && (
        <form id="key-form" class="inline wrap" onSubmit={(e) => void create(e)}>
          <div class="field grow">
            <label for="key-name">Name</label>
            <input id="key-name" name="name" type="text" required maxLength={100} placeholder="Home Assistant Integration" />
          </div>
          <div class="field">
            <label for="key-scope">Access</label>
            <select id="key-scope" name="scope">
              <option value="full">Full (read and change)</option>
              <option value="read">Read only</option>
            </select>
          </div>
          <button type="submit">Create</button>
          <button type="button" class="secondary" onClick={() => setCreating(false)}>
            Cancel
          </button>
          <p class="error" role="alert">
            {error}
          </p>
        </form>
      )}
      {created && (
        <div id="new-key" class="new-key" role="region" aria-label="New API key">
          <p>
            <strong>Important:</strong> the full API key is only displayed once. Copy it immediately and store it securely.
          </p>
          <div class="secret-row">
            <code id="new-key-value" class="secret">
              {created.key}
            </code>
            <button id="copy-key" type="button" onClick={() => void copyText(created.key, "API key copied")}>
              Copy
            </button>
          </div>
          <button type="button" class="ghost small" onClick={() => setCreated(null)}>
            Done, I have stored it
          </button>
        </div>
      )}
      {keys === undefined ? (
        <Loading />
      ) : keys === null ? null : (
        <DataTable
          id="keys"
          columns={[
            ...KEY_COLUMNS,
            {
              header: "Actions",
              hideHeader: true,
              cell: (k) => (
                <button type="button" class="danger small" data-key-id={k.id} aria-label={`Revoke ${k.name}`} onClick={() => void revoke(k).catch(() => {})}>
                  Revoke
                </button>
              ),
            },
          ]}
          rows={keys.items}
          empty={
            <p id="no-keys" class="muted">
              No API keys yet.
            </p>
          }
        />
      )}
    </Section>
  );
}

type Audit = { id: number; timestamp: string; username: string | null; action: string; resource: string | null; ip_address: string | null; user_agent: string | null; success: boolean; details: unknown };

const AUDIT_COLUMNS: Column<Audit>[] = [
  { header: "When", cell: (a) => <Time iso={a.timestamp} /> },
  { header: "User", cell: (a) => a.username ?? "—" },
  {
    header: "Action",
    cell: (a) => (
      <>
        {humanize(a.action)}
        {!a.success && <span class="badge high">failed</span>}
      </>
    ),
  },
  { header: "Resource", cell: (a) => a.resource ?? "" },
  { header: "Client", title: (a) => a.user_agent ?? undefined, cell: (a) => a.ip_address ?? "local" },
];

function AuditLog() {
  const [action, setAction] = useState("");
  const [offset, setOffset] = useState(0);
  const [actions] = useLoad(() => get<string[]>("/api/audit-logs/actions"), []);
  const [entries] = useLoad(() => list<Audit>(`/api/audit-logs${query({ action, limit: 20, offset })}`), [action, offset]);
  return (
    <Section id="audit" title="Audit log" intro="Who did what, newest first.">
      <div class="field">
        <label for="audit-action">Action</label>
        <select
          id="audit-action"
          value={action}
          onChange={(e) => {
            setAction(e.currentTarget.value);
            setOffset(0);
          }}
        >
          <option value="">all</option>
          {(actions ?? []).map((a) => (
            <option value={a}>{humanize(a)}</option>
          ))}
        </select>
      </div>
      {entries === undefined ? (
        <Loading />
      ) : !entries || entries.items.length === 0 ? (
        <p class="muted">No entries.</p>
      ) : (
        <>
          <DataTable class="audit" columns={AUDIT_COLUMNS} rows={entries.items} rowClass={(a) => (a.success ? undefined : "failed")} />
          <Pager label="Audit log" offset={offset} limit={20} total={entries.total} onPage={setOffset} />
        </>
      )}
    </Section>
  );
}
