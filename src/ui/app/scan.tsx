/** @jsxImportSource preact */
// "Scan now" with a profile choice, live progress from the live events (live.ts) and Cancel.
import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { get, post, query } from "./api.ts";
import { duration, humanize, plural } from "./format.ts";
import { onLive } from "./live.ts";

export type Progress = { phase: string; hosts_total: number; hosts_found: number; hosts_processed: number; ports_scanned: number; elapsed_seconds: number; eta_seconds: number | null };
export type ScanState = { scanning: false } | { scanning: true; scan_id: number; scan_type?: string; profile: string; subnet: string; started_at: string; progress: Progress };
export type Finished = { scan_id: number; status: string; changes: number };

export const scanState = signal<ScanState | null>(null);
export const lastFinished = signal<Finished | null>(null);

let watching = false;

/**
 * Follows scans on the page's live stream (live.ts), once per page; the state is shared by every
 * component that shows it. The state itself comes from /api/scan/status: at first, and again when
 * the stream resyncs (a scan may have ended, or the appliance restarted, meanwhile).
 */
export function watchScans(): void {
  if (watching) return;
  watching = true;
  const status = () => get<ScanState>("/api/scan/status", { quiet: true });
  // ??=: a scan started from this page meanwhile knows better than an answer sent before it.
  void status().then((s) => (scanState.value ??= s), () => {});
  onLive((e) => {
    if (e.type === "resync") return void status().then((s) => (scanState.value = s), () => {});
    if (e.type !== "scan") return;
    const d = e.data;
    if (d.type === "progress") {
      const cur = scanState.value;
      if (cur?.scanning && cur.scan_id === d.scan_id) scanState.value = { ...cur, progress: d.progress as Progress };
      else void get<ScanState>("/api/scan/status").then((s) => (scanState.value = s));
    } else if (d.type === "finished") {
      lastFinished.value = { scan_id: d.scan_id, status: d.status as string, changes: d.changes as number };
      scanState.value = { scanning: false };
    }
  });
}

export async function startScan(profile: string, subnet?: string): Promise<number> {
  const res = await post<{ scan_id: number }>(`/api/scan/trigger${query({ profile, subnet })}`);
  scanState.value = { scanning: true, scan_id: res.scan_id, profile, subnet: subnet ?? "", started_at: new Date().toISOString(), progress: { phase: "discovery", hosts_total: 0, hosts_found: 0, hosts_processed: 0, ports_scanned: 0, elapsed_seconds: 0, eta_seconds: null } };
  return res.scan_id;
}

const PHASES: Record<string, string> = { discovery: "Finding hosts", ports: "Scanning ports", services: "Identifying services", saving: "Saving results" };

export function ScanProgress({ state }: { state: Extract<ScanState, { scanning: true }> }) {
  const p = state.progress;
  const fraction = p.eta_seconds !== null && p.eta_seconds !== undefined ? p.elapsed_seconds / Math.max(0.001, p.elapsed_seconds + p.eta_seconds) : null;
  return (
    <div class="scan-progress" aria-live="polite">
      <div class="row">
        <strong>{PHASES[p.phase] ?? humanize(p.phase)}</strong>
        <span class="muted">
          {state.profile} scan{state.subnet ? ` of ${state.subnet}` : ""}
        </span>
      </div>
      {fraction === null ? <progress aria-label="Scan progress" /> : <progress aria-label="Scan progress" max={1} value={Math.min(1, fraction)} />}
      <div class="row muted small">
        <span data-testid="hosts-found">
          {plural(p.hosts_found, "host")} found{p.hosts_total ? ` of ${p.hosts_total.toLocaleString()} addresses` : ""}
        </span>
        {p.ports_scanned > 0 && <span>{plural(p.ports_scanned, "port")} probed</span>}
        <span>{p.eta_seconds !== null && p.eta_seconds !== undefined ? `about ${duration(p.eta_seconds)} left` : `${duration(p.elapsed_seconds)} so far`}</span>
      </div>
    </div>
  );
}

export function ScanControl({ profiles = ["quick", "normal", "intensive"] }: { profiles?: string[] }) {
  useEffect(watchScans, []);
  const state = scanState.value;
  const cancel = async () => {
    await post("/api/scan/cancel");
  };
  if (state?.scanning) {
    return (
      <div class="scan-control">
        <ScanProgress state={state} />
        <button type="button" class="danger" onClick={cancel}>
          Cancel scan
        </button>
      </div>
    );
  }
  return (
    <form
      class="scan-control inline"
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget as HTMLFormElement;
        void startScan((form.elements.namedItem("profile") as HTMLSelectElement).value).catch(() => {});
      }}
    >
      <div class="field">
        <label for="scan-profile">Profile</label>
        <select id="scan-profile" name="profile" defaultValue="quick">
          {profiles.map((p) => (
            <option value={p}>{p}</option>
          ))}
        </select>
      </div>
      <button type="submit" disabled={state === null}>
        Scan now
      </button>
    </form>
  );
}
