/** @jsxImportSource preact */
// "Scan now" with a profile choice, live progress from /api/scan/events (Server-Sent Events) and Cancel.
import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { get, post, query } from "./api.ts";
import { duration, humanize, plural } from "./format.ts";

export type Progress = { phase: string; hosts_total: number; hosts_found: number; hosts_processed: number; ports_scanned: number; elapsed_seconds: number; eta_seconds: number | null };
export type ScanState = { scanning: false } | { scanning: true; scan_id: number; scan_type?: string; profile: string; subnet: string; started_at: string; progress: Progress };
export type Finished = { scan_id: number; status: string; changes: number };

export const scanState = signal<ScanState | null>(null);
export const lastFinished = signal<Finished | null>(null);

let source: EventSource | null = null;

/** Opens the live stream once per page; the state is shared by every component that shows it. */
export function watchScans(): void {
  if (source) return;
  source = new EventSource("/api/scan/events");
  // The stream's first event says the same; this also covers a proxy that holds the stream back.
  void get<ScanState>("/api/scan/status", { quiet: true }).then((s) => (scanState.value ??= s), () => {});
  source.addEventListener("status", (e) => (scanState.value = JSON.parse((e as MessageEvent).data)));
  source.addEventListener("progress", (e) => {
    const d = JSON.parse((e as MessageEvent).data) as { scan_id: number; progress: Progress };
    const cur = scanState.value;
    if (cur?.scanning && cur.scan_id === d.scan_id) scanState.value = { ...cur, progress: d.progress };
    else void get<ScanState>("/api/scan/status").then((s) => (scanState.value = s));
  });
  source.addEventListener("finished", (e) => {
    lastFinished.value = JSON.parse((e as MessageEvent).data);
    scanState.value = { scanning: false };
  });
  source.addEventListener("error", () => {
    // Closed for good (the server ended it, e.g. the session expired): ask who we are, which leads
    // to /login when the session is gone; otherwise the browser reconnects by itself.
    if (source?.readyState === EventSource.CLOSED) {
      source = null;
      void get("/api/auth/me").then(() => setTimeout(watchScans, 2000));
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
