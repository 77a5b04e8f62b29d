/** @jsxImportSource preact */
// /devices: the inventory, searched, filtered, sorted and paged by the API (one page of 50 at a
// time, so 5,000 devices cost the same as 50); the filters live in the address bar.
import { useEffect, useRef, useState } from "preact/hooks";
import { DEVICE_STATUSES } from "../../../inventory/enums.ts";
import { LEVELS } from "../../../risk/levels.ts";
import { get, list, post, query } from "../api.ts";
import { type Device, scanDevice, setTrusted } from "../devices.ts";
import { toast } from "../toast.ts";
import { useLiveReload } from "../live.ts";
import { type Column, copyText, DataTable, displayName, Empty, Loading, Page, Pager, RandomMacHint, RiskBadge, StatusDot, Time, TypeIcon, NotSeenYet } from "../ui.tsx";

const LIMIT = 50;
/** Sort keys whose first click is descending. */
const DESCENDING_FIRST = new Set(["risk_score", "last_seen", "first_seen"]);
const FILTER_KEYS = ["q", "status", "risk_level", "is_trusted", "zone", "segment", "port", "sort"] as const;
type Filters = Partial<Record<(typeof FILTER_KEYS)[number], string>> & { offset: number };

/** A click on a column header: a new column starts in its natural order (riskiest, latest first), a second click reverses. */
function nextSort(current: string | undefined, key: string): string {
  if (current === key) return `-${key}`;
  if (current === `-${key}`) return key;
  return DESCENDING_FIRST.has(key) ? `-${key}` : key;
}

function fromUrl(): Filters {
  const p = new URLSearchParams(location.search);
  const f: Filters = { offset: Math.max(0, Number(p.get("offset")) || 0) };
  for (const k of FILTER_KEYS) {
    const v = p.get(k);
    if (v) f[k] = v;
  }
  return f;
}

export function Devices() {
  const [filters, setFilters] = useState<Filters>(fromUrl);
  const [data, setData] = useState<{ items: Device[]; total: number } | null | undefined>(undefined);
  const [zones, setZones] = useState<string[]>([]);
  /** A hub's segments (its sensors'), for the segment filter and column; null when not a hub. */
  const [segments, setSegments] = useState<string[] | null>(null);
  const [search, setSearch] = useState(filters.q ?? "");
  const [port, setPort] = useState(filters.port ?? "");
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const seq = useRef(0);

  useEffect(() => {
    void get<string[]>("/api/zones").then(setZones, () => {});
    void get<{ role: string }>("/api/segment").then(
      (s) => s.role === "hub" && void get<{ segment: string }[]>("/api/sensors").then((list) => setSegments([...new Set(list.map((x) => x.segment))].sort()), () => setSegments([])),
      () => {},
    );
  }, []);

  const apiQuery = (f: Filters, page = true) => {
    const { offset, ...rest } = f;
    return query({ ...rest, ...(page ? { limit: LIMIT, offset } : {}) });
  };

  const load = (f: Filters) => {
    const mine = ++seq.current;
    list<Device>(`/api/devices${apiQuery(f)}`).then(
      (d) => mine === seq.current && setData(d),
      () => mine === seq.current && setData(null),
    );
  };

  useEffect(() => {
    history.replaceState(null, "", `/devices${query({ ...filters, offset: filters.offset || undefined })}`);
    // Another filter or page shows other devices: a selection applies to the rows it was made on.
    setSelected(new Set());
    load(filters);
  }, [filters]);

  // Typing searches after a short pause: one request per pause, never one per keystroke.
  useEffect(() => {
    if ((filters.q ?? "") === search) return;
    const t = setTimeout(() => setFilters((f) => ({ ...f, q: search || undefined, offset: 0 })), 250);
    return () => clearTimeout(t);
  }, [search]);

  // The open-port box filters as typed too (after the same pause), once it holds a port number or nothing.
  useEffect(() => {
    const valid = port === "" || (/^[1-9][0-9]{0,4}$/.test(port) && Number(port) <= 65535);
    if (!valid || (filters.port ?? "") === port) return;
    const t = setTimeout(() => setFilters((f) => ({ ...f, port: port || undefined, offset: 0 })), 250);
    return () => clearTimeout(t);
  }, [port]);

  const setFilter = (k: (typeof FILTER_KEYS)[number], v: string) => setFilters((f) => ({ ...f, [k]: v || undefined, offset: 0 }));
  const sortBy = (key: string) => setFilters((f) => ({ ...f, sort: nextSort(f.sort, key), offset: 0 }));
  const filtered = FILTER_KEYS.some((k) => k !== "sort" && filters[k]);

  // Rows appear, change and go offline as the appliance commits them: the page shown is asked
  // again (the API filters, sorts and pages; a new device may belong anywhere in the order).
  const current = useRef(filters);
  current.current = filters;
  useLiveReload((e) => e.type === "device", () => load(current.current));

  const replace = (d: Device) => setData((cur) => cur && { ...cur, items: cur.items.map((x) => (x.id === d.id ? d : x)) });
  const toggle = (id: number, on: boolean) =>
    setSelected((cur) => {
      const next = new Set(cur);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const done = () => {
    setSelected(new Set());
    load(current.current);
    void get<string[]>("/api/zones").then(setZones, () => {});
  };

  return (
    <Page
      title="Devices"
      actions={
        // Not feature-detected: /openapi.json leaves out routes with a dot in the path (the exports).
        <span class="exports">
          Export: <a href={`/api/export/devices.csv${apiQuery(filters, false)}`} download>CSV</a> · <a href={`/api/export/devices.json${apiQuery(filters, false)}`} download>JSON</a>
        </span>
      }
    >
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field grow">
          <label for="device-search">Search</label>
          <input id="device-search" type="search" placeholder="IP, MAC, name, type, vendor or label" value={search} maxLength={200} onInput={(e) => setSearch(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" value={filters.status ?? ""} onChange={(e) => setFilter("status", e.currentTarget.value)}>
            <option value="">any</option>
            {DEVICE_STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-risk">Risk</label>
          <select id="f-risk" value={filters.risk_level ?? ""} onChange={(e) => setFilter("risk_level", e.currentTarget.value)}>
            <option value="">any</option>
            {[...LEVELS].reverse().map((l) => (
              <option value={l}>{l}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-trusted">Trusted</label>
          <select id="f-trusted" value={filters.is_trusted ?? ""} onChange={(e) => setFilter("is_trusted", e.currentTarget.value)}>
            <option value="">any</option>
            <option value="true">trusted</option>
            <option value="false">not trusted</option>
          </select>
        </div>
        <div class="field">
          <label for="f-zone">Zone</label>
          <select id="f-zone" value={filters.zone ?? ""} onChange={(e) => setFilter("zone", e.currentTarget.value)}>
            <option value="">any</option>
            {zones.map((z) => (
              <option value={z}>{z}</option>
            ))}
          </select>
        </div>
        {segments && (
          <div class="field">
            <label for="f-segment">Segment</label>
            <select id="f-segment" value={filters.segment ?? ""} onChange={(e) => setFilter("segment", e.currentTarget.value)}>
              <option value="">any</option>
              {segments.map((s) => (
                <option value={s}>{s}</option>
              ))}
            </select>
          </div>
        )}
        <div class="field narrow">
          <label for="f-port">Open port</label>
          <input id="f-port" type="number" min={1} max={65535} inputMode="numeric" value={port} onInput={(e) => setPort(e.currentTarget.value)} />
        </div>
        {filtered && (
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setSearch("");
              setPort("");
              setFilters({ offset: 0, sort: filters.sort });
            }}
          >
            Clear filters
          </button>
        )}
      </form>

      {data === undefined ? (
        <Loading what="Loading devices" />
      ) : data === null ? (
        <Empty title="The devices could not be loaded">Check the filters, or reload the page.</Empty>
      ) : data.items.length === 0 ? (
        filtered ? (
          <Empty title="No device matches these filters">Loosen the search or clear the filters.</Empty>
        ) : (
          <Empty title="No devices yet">
            Run a scan from the <a href="/">dashboard</a>: every device that answers shows up here.
          </Empty>
        )
      ) : (
        <>
          <BulkActions shown={data.items} selected={selected} onSelect={setSelected} zones={zones} onDone={done} />
          <DataTable
            class="devices"
            caption={`Devices, ${data.total} in all`}
            columns={columns(replace, selected, toggle, segments !== null)}
            rows={data.items}
            rowKey={(d) => d.id}
            sorting={{ by: filters.sort, onSort: sortBy }}
          />
          <Pager label="Devices" offset={filters.offset} limit={LIMIT} total={data.total} onPage={(offset) => setFilters((f) => ({ ...f, offset }))} />
        </>
      )}
    </Page>
  );
}

const BULK_DONE: Record<BulkAction, (n: number) => string> = {
  trust: (n) => `Approved ${n} device${n === 1 ? "" : "s"}: trusted now`,
  zone: (n) => `Zone set on ${n} device${n === 1 ? "" : "s"}`,
  forget: (n) => `Forgot ${n} device${n === 1 ? "" : "s"}`,
};
type BulkAction = "trust" | "zone" | "forget";

/** The selection bar: select every device shown, then approve, set a zone or forget them at once (POST /api/devices/bulk). */
function BulkActions({ shown, selected, onSelect, zones, onDone }: { shown: Device[]; selected: ReadonlySet<number>; onSelect: (s: ReadonlySet<number>) => void; zones: string[]; onDone: () => void }) {
  const [zone, setZone] = useState("");
  const [busy, setBusy] = useState(false);
  const ids = shown.filter((d) => selected.has(d.id)).map((d) => d.id);
  const all = ids.length === shown.length;
  const run = async (action: BulkAction) => {
    if (action === "forget" && !confirm(`Forget ${ids.length} device${ids.length === 1 ? "" : "s"}? Their records are deleted; past changes stay in the history. A device that answers again comes back as a new device.`)) return;
    setBusy(true);
    try {
      const r = await post<{ done: number[]; skipped: number[] }>("/api/devices/bulk", { ids, action, ...(action === "zone" ? { zone } : {}) });
      toast(`${BULK_DONE[action](r.done.length)}${r.skipped.length > 0 ? ` (${r.skipped.length} no longer known)` : ""}`);
      onDone();
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="bulk-bar" role="group" aria-label="Selected devices">
      <label class="check">
        <input type="checkbox" checked={all && ids.length > 0} indeterminate={ids.length > 0 && !all} onChange={(e) => onSelect(new Set(e.currentTarget.checked ? shown.map((d) => d.id) : []))} />
        Select all shown ({shown.length})
      </label>
      <span class="muted small" aria-live="polite">{ids.length} selected</span>
      <button type="button" class="small" disabled={busy || ids.length === 0} onClick={() => void run("trust").catch(() => {})}>
        Approve
      </button>
      <span class="bulk-zone">
        <input type="text" aria-label="Zone for the selected devices" placeholder="zone" list="bulk-zones" maxLength={64} value={zone} onInput={(e) => setZone(e.currentTarget.value)} />
        <datalist id="bulk-zones">
          {zones.map((z) => (
            <option value={z} />
          ))}
        </datalist>
        <button type="button" class="small secondary" disabled={busy || ids.length === 0} onClick={() => void run("zone").catch(() => {})}>
          {zone.trim() ? "Set zone" : "Clear zone"}
        </button>
      </span>
      <button type="button" class="small danger" disabled={busy || ids.length === 0} onClick={() => void run("forget").catch(() => {})}>
        Forget
      </button>
    </div>
  );
}

/** `bySegment`: a hub's list, where each device's segment is shown. */
function columns(onChange: (d: Device) => void, selected: ReadonlySet<number>, toggle: (id: number, on: boolean) => void, bySegment: boolean): Column<Device>[] {
  const segment: Column<Device>[] = bySegment ? [{ header: "Segment", cell: (d) => d.segment ?? <span class="muted">—</span> }] : [];
  return [
    {
      // The selection box shares the status cell: the columns after it keep their places.
      header: "Select and status",
      hideHeader: true,
      label: null,
      class: "c-status c-pick",
      cell: (d) => (
        <span class="pick-status">
          <input type="checkbox" aria-label={`Select ${displayName(d)}`} checked={selected.has(d.id)} onChange={(e) => toggle(d.id, e.currentTarget.checked)} />
          <StatusDot status={d.status} />
        </span>
      ),
    },
    {
      header: "Device",
      sort: "hostname",
      class: "c-name",
      cell: (d) => (
        <div class="name-cell">
          <TypeIcon type={d.device_type} icon={d.icon} />
          <a href={`/devices/${d.id}`}>{displayName(d)}</a>
          {d.is_trusted && <span class="hint ok">trusted</span>}
          {d.trust === "pending" && (
            <span class="hint warn" title="Linked to a trusted device under a new MAC by one piece of evidence only: confirm it on the device page if it really is that device">
              trust pending
            </span>
          )}
          {d.zone && <span class="hint">{d.zone}</span>}
        </div>
      ),
    },
    { header: "IP address", label: "IP", sort: "ip", class: "mono", cell: (d) => d.ip_address },
    ...segment,
    { header: "Host name", class: "c-host", cell: (d) => d.hostname ?? <span class="muted">—</span> },
    {
      header: "MAC address",
      label: "MAC",
      class: "mono",
      cell: (d) => (
        <>
          {d.mac_address ?? <span class="muted">—</span>} {d.mac_randomized && <RandomMacHint />}
        </>
      ),
    },
    { header: "Vendor", sort: "vendor", cell: (d) => d.vendor ?? <span class="muted">unknown</span> },
    { header: "Risk", sort: "risk_score", cell: (d) => <RiskBadge level={d.risk_level} score={d.risk_score} /> },
    { header: "Last seen", sort: "last_seen", cell: (d) => (d.times_seen === 0 ? <NotSeenYet /> : <Time iso={d.last_seen} />) },
    {
      header: "Actions",
      label: null,
      class: "c-actions",
      cell: (d) => (
        <div class="row-actions">
          <button type="button" class="small secondary" aria-label={`Scan ${d.ip_address} now`} onClick={() => void scanDevice(d.ip_address).catch(() => {})}>
            Scan
          </button>
          <button type="button" class="small secondary" aria-pressed={d.is_trusted} aria-label={d.is_trusted ? `Untrust ${d.ip_address}` : `Approve ${d.ip_address}`} onClick={() => void setTrusted(d, !d.is_trusted).then(onChange, () => {})}>
            {d.is_trusted ? "Untrust" : "Approve"}
          </button>
          <button type="button" class="small ghost" aria-label={`Copy IP ${d.ip_address}`} onClick={() => void copyText(d.ip_address, "IP address copied")}>
            Copy IP
          </button>
          {d.mac_address && (
            <button type="button" class="small ghost" aria-label={`Copy MAC ${d.mac_address}`} onClick={() => void copyText(d.mac_address!, "MAC address copied")}>
              Copy MAC
            </button>
          )}
        </div>
      ),
    },
  ];
}
