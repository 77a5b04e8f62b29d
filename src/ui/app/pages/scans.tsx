/** @jsxImportSource preact */
// /scans: the history, and a comparison of any two scans (devices added and removed, ports opened
// and closed, every change in between). On a hub, its sensors' scans too, with a segment column and filter.
import { useEffect, useState } from "preact/hooks";
import type { ComponentChildren } from "preact";
import type { ScanKind, ScanStatus } from "../../../scans/enums.ts";
import { get, list } from "../api.ts";
import { duration, changeLabel, humanize } from "../format.ts";
import { lastFinished, ScanControl } from "../scan.tsx";
import { type Column, DataTable, Empty, Loading, Page, Pager, SeverityBadge, Time, useLoad, ChangeText } from "../ui.tsx";

type Scan = { id: number; scan_type: ScanKind; profile: string; subnet: string; status: ScanStatus; started_at: string; finished_at: string | null; duration_seconds: number | null; hosts_found: number; open_ports: number; devices_added: number; devices_removed: number; changes_count: number; degraded: boolean; error: string | null; segment: string | null };
type Change = { id: number; device_id: number | null; device_ip: string | null; change_type: string; severity: string; description: string; detected_at: string; new_value: string | null; old_value: string | null; device_name?: string };
type ComparedDevice = { device_id: number; ip_address: string; mac_address: string | null; hostname: string | null; label: string | null };
type Comparison = {
  current_scan: Scan;
  previous_scan: Scan;
  changes: Change[];
  summary: { devices_added: number; devices_removed: number; total_changes: number };
  devices_added: ComparedDevice[];
  devices_removed: ComparedDevice[];
};

const LIMIT = 25;

const SCAN_COLUMNS: Column<Scan>[] = [
  {
    header: "Scan",
    cell: (s) => (
      <>
        #{s.id} <span class="muted small">{s.scan_type === "device" ? "one device" : s.subnet.replaceAll(",", ", ")}</span>
      </>
    ),
  },
  {
    header: "Status",
    cell: (s) => (
      <>
        <span class={`badge st-${s.status}`} title={s.error ?? undefined}>
          {s.status}
        </span>
        {s.degraded && (
          <span class="hint" title="Without raw-socket rights: no ARP sweep">
            degraded
          </span>
        )}
      </>
    ),
  },
  { header: "Profile", cell: (s) => s.profile },
  { header: "Started", cell: (s) => <Time iso={s.started_at} /> },
  { header: "Duration", cell: (s) => duration(s.duration_seconds) },
  { header: "Devices", cell: (s) => s.hosts_found },
  { header: "Changes", cell: (s) => s.changes_count },
];

const SEGMENT_COLUMN: Column<Scan> = { header: "Segment", cell: (s) => s.segment ?? <span class="muted">hub</span> };

export function Scans() {
  const [offset, setOffset] = useState(0);
  /** A hub's segments (its sensors'), for the filter and column; null when not a hub. */
  const [segments, setSegments] = useState<string[] | null>(null);
  const [segment, setSegment] = useState("");
  const [data, reload] = useLoad(
    () => list<Scan>(`/api/scans?limit=${LIMIT}&offset=${offset}${segment ? `&segment=${encodeURIComponent(segment)}` : ""}`),
    [offset, segment],
  );
  useEffect(() => {
    void get<{ role: string }>("/api/segment").then(
      (s) => s.role === "hub" && void get<{ segment: string }[]>("/api/sensors").then((l) => setSegments([...new Set(l.map((x) => x.segment))].sort()), () => setSegments([])),
      () => {},
    );
  }, []);
  const [picked, setPicked] = useState<number[]>([]);
  const [comparison, setComparison] = useState<Comparison | null>(null);
  useEffect(() => {
    if (lastFinished.value) reload();
  }, [lastFinished.value]);

  const toggle = (id: number, on: boolean) => setPicked((p) => (on ? [...p.filter((x) => x !== id), id].slice(-2) : p.filter((x) => x !== id)));
  const compare = async () => {
    const [a, b] = [...picked].sort((x, y) => y - x);
    setComparison(await get<Comparison>(`/api/scans/${a}/compare/${b}`));
    requestAnimationFrame(() => document.getElementById("comparison")?.scrollIntoView({ behavior: "smooth" }));
  };

  return (
    <Page title="Scans">
      <section class="card">
        <ScanControl />
      </section>
      {segments && (
        <div class="field">
          <label for="f-scan-segment">Segment</label>
          <select
            id="f-scan-segment"
            value={segment}
            onChange={(e) => {
              setOffset(0);
              setSegment(e.currentTarget.value);
            }}
          >
            <option value="">any</option>
            {segments.map((x) => (
              <option value={x}>{x}</option>
            ))}
          </select>
        </div>
      )}
      {data === undefined ? (
        <Loading what="Loading scans" />
      ) : data === null ? (
        <Empty title="The scan history could not be loaded" />
      ) : data.items.length === 0 ? (
        <Empty title="No scans yet">Start one above; each scan is listed here with what it found.</Empty>
      ) : (
        <>
          <div class="compare-bar">
            <span class="muted">{picked.length === 2 ? `Scans ${picked.join(" and ")} selected` : "Pick two scans to compare them."}</span>
            <button type="button" disabled={picked.length !== 2} onClick={() => void compare().catch(() => {})}>
              Compare
            </button>
          </div>
          <DataTable
            class="scans"
            columns={[
              {
                header: "Compare",
                hideHeader: true,
                class: "c-pick",
                cell: (s) => <input type="checkbox" aria-label={`Compare scan ${s.id}`} checked={picked.includes(s.id)} onChange={(e) => toggle(s.id, e.currentTarget.checked)} />,
              },
              ...SCAN_COLUMNS,
              ...(segments ? [SEGMENT_COLUMN] : []),
            ]}
            rows={data.items}
          />
          <Pager label="Scans" offset={offset} limit={LIMIT} total={data.total} onPage={setOffset} />
        </>
      )}
      {comparison && <ComparisonView c={comparison} />}
    </Page>
  );
}

/** One group of a comparison: its title with a count, then its items or "none". */
function CompareGroup<T>({ title, items, testid, children }: { title: string; items: T[]; testid?: string; children: (item: T) => ComponentChildren }) {
  return (
    <div class="cmp-group" data-testid={testid}>
      <h3>
        {title} <span class="muted">({items.length})</span>
      </h3>
      {items.length === 0 ? <p class="muted">none</p> : <ul class="timeline">{items.map(children)}</ul>}
    </div>
  );
}

function ChangeList({ title, items }: { title: string; items: Change[] }) {
  return (
    <CompareGroup title={title} items={items}>
      {(c) => (
        <li>
          <SeverityBadge severity={c.severity} />
          <span class="tl-text"><ChangeText c={c} /></span>
          <Time iso={c.detected_at} />
        </li>
      )}
    </CompareGroup>
  );
}

/** The devices one scan saw and the other did not: what the "devices added/removed" tiles count. */
function DeviceList({ title, items, testid }: { title: string; items: ComparedDevice[]; testid: string }) {
  return (
    <CompareGroup title={title} items={items} testid={testid}>
      {(d) => (
        <li>
          <span class="tl-text">
            <a href={`/devices/${d.device_id}`}>{d.label ?? d.hostname ?? d.ip_address}</a> <span class="muted mono small">{d.ip_address}</span>
          </span>
        </li>
      )}
    </CompareGroup>
  );
}

function ComparisonView({ c }: { c: Comparison }) {
  const of = (...types: string[]) => c.changes.filter((x) => types.includes(x.change_type));
  // A quick scan looks at no ports: a comparison with one says nothing about ports.
  const quick = [c.previous_scan, c.current_scan].filter((s) => s.profile === "quick");
  const noPorts = quick.length > 0;
  // The changes recorded in between, device ones included ("went offline" needs two missed scans, so
  // it may differ from the devices missing above); port ones have their own lists when compared.
  const other = c.changes.filter((x) => noPorts || !["port_opened", "port_closed"].includes(x.change_type));
  return (
    <section id="comparison" class="card" aria-labelledby="cmp-h" tabIndex={-1}>
      <h2 id="cmp-h">
        Scan #{c.previous_scan.id} → scan #{c.current_scan.id}
      </h2>
      <div class="stats compact">
        <div class="stat">
          <span class="stat-value" data-testid="cmp-added">
            {c.summary.devices_added}
          </span>
          <span class="stat-label">devices added</span>
        </div>
        <div class="stat">
          <span class="stat-value" data-testid="cmp-removed">
            {c.summary.devices_removed}
          </span>
          <span class="stat-label">devices missing</span>
        </div>
        <div class="stat">
          <span class="stat-value" data-testid="cmp-opened">{noPorts ? "—" : of("port_opened").length}</span>
          <span class="stat-label">ports opened</span>
        </div>
        <div class="stat">
          <span class="stat-value">{noPorts ? "—" : of("port_closed").length}</span>
          <span class="stat-label">ports closed</span>
        </div>
        <div class="stat">
          <span class="stat-value">{c.summary.total_changes}</span>
          <span class="stat-label">changes in between</span>
        </div>
      </div>
      {noPorts && (
        <p class="muted" data-testid="cmp-no-ports">
          {quick.map((s) => `Scan #${s.id}`).join(" and ")} {quick.length > 1 ? "are quick scans" : "is a quick scan"}: it finds devices and looks at no ports, so
          this comparison cannot say which ports opened or closed. Compare two normal or intensive scans for that.
        </p>
      )}
      <DeviceList title={`Devices added (in scan #${c.current_scan.id}, not in #${c.previous_scan.id})`} items={c.devices_added} testid="cmp-added-list" />
      <DeviceList title={`Devices missing (in scan #${c.previous_scan.id}, not in #${c.current_scan.id})`} items={c.devices_removed} testid="cmp-removed-list" />
      {!noPorts && <ChangeList title="Ports opened" items={of("port_opened")} />}
      {!noPorts && <ChangeList title="Ports closed" items={of("port_closed")} />}
      {other.length > 0 && <ChangeList title={`Changes recorded in between (${[...new Set(other.map((o) => changeLabel(o.change_type)))].join(", ")})`} items={other} />}
    </section>
  );
}
