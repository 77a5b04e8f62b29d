// The scan lifecycle (SPEC §3): one scan at a time, pending → running → completed | failed |
// cancelled | interrupted, live progress for /api/scan/status, cancellation, and persistence of the
// results in one transaction with the scan's final status. Progress, and once committed the changes
// and the devices the scan wrote, are published on the event feed (events.ts), nowhere else.
import type { Database } from "bun:sqlite";
import type { AppConfig } from "../config/app-config.ts";
import { EventFeed, type ScanEvent, type StatusProgress } from "../events.ts";
import { DeviceInventory } from "../inventory/devices.ts";
import type { Change } from "../inventory/observation.ts";
import { reconcile, type ReconcileResult } from "../inventory/reconcile.ts";
import { knownIp6Addresses, recordIp6Sightings } from "../inventory/sightings.ts";
import { SOLICIT_MAX } from "../net/sweep6.ts";
import { AT_RISK_SQL } from "../inventory/stats.ts";
import { log } from "../log.ts";
import { parseIpv4 } from "../net/ip.ts";
import { coversHost, excludesHost } from "../net/targets.ts";
import type { NotifySink } from "../notify/sink.ts";
import type { ScanProfile } from "../portscan/profiles.ts";
import { isoNow } from "../time.ts";
import { FileLock, scanLockPath } from "../db/file-lock.ts";
import { routeGateways } from "../passive/infrastructure.ts";
import { runPipeline, type Phase, type PipelineInput, type PipelineOutput, type Progress } from "./pipeline.ts";
import type { ScanPlan } from "./plan.ts";

export type { ScanKind, ScanStatus } from "./history.ts";
import type { ScanKind, ScanStatus } from "./history.ts";
import { firstRunPending } from "../inventory/first-run.ts";

export type { ScanEvent, StatusProgress } from "../events.ts";

export class ScanBusyError extends Error {
  constructor(readonly runningScanId: number | null) {
    super(runningScanId === null ? "A scan is already running" : `A scan is already running (scan ${runningScanId})`);
  }
}

type Running = {
  id: number;
  kind: ScanKind;
  profile: ScanProfile;
  subnet: string;
  startedAt: number;
  abort: AbortController;
  progress: Progress;
  lastEmit: number;
  done: Promise<void>;
};

const EMIT_INTERVAL_MS = 250;

export class ScanManager {
  private current: Running | null = null;
  /** Held while this process runs a scan; whoever holds it owns the one live scan row. */
  private readonly lock: FileLock;

  constructor(
    private readonly db: Database,
    private readonly config: () => AppConfig,
    /** Queues the notifications of a scan's changes inside the transaction that records them. */
    private readonly sink: NotifySink,
    /** The pipeline to run (tests substitute one that needs no network). */
    private readonly pipeline: (input: PipelineInput) => Promise<PipelineOutput> = runPipeline,
    /** Where progress, the committed changes and the devices they touched are published. */
    readonly feed: EventFeed = new EventFeed(),
  ) {
    this.lock = new FileLock(scanLockPath(db.filename));
  }

  /**
   * Scans whose process is gone (a crash, a kill, a power cut) are marked interrupted. Called at
   * start-up and before every start. While another live process (`argus scan` beside the server)
   * holds the scan lock, its scan is the live one and nothing is touched.
   */
  markInterrupted(): number {
    const ours = this.lock.held;
    if (!ours && !this.lock.tryAcquire()) return 0;
    try {
      return this.db
        .query("UPDATE scans SET status = 'interrupted', finished_at = ?, error = 'the process running this scan stopped before it finished' WHERE status IN ('pending', 'running') AND id IS NOT ?")
        .run(isoNow(), this.current?.id ?? null).changes;
    } finally {
      if (!ours) this.lock.release();
    }
  }

  /** The scan another process (`argus scan`) is running now, if any. */
  runningElsewhere(): { id: number; scan_type: ScanKind; profile: string; subnet: string; started_at: string; pid: number | null } | null {
    if (this.current || !this.lock.heldElsewhere()) return null;
    return this.db.query("SELECT id, scan_type, profile, subnet, started_at, pid FROM scans WHERE status IN ('pending', 'running') ORDER BY id DESC LIMIT 1").get() as never;
  }

  /**
   * Starts a scan; throws ScanBusyError while another one runs, in this process or another (the
   * server and `argus scan` share the database). The plan comes from planScan().
   */
  start(plan: ScanPlan): { scan_id: number; profile: string; subnet: string; started_at: string } {
    if (this.current) throw new ScanBusyError(this.current.id);
    if (!this.lock.tryAcquire()) {
      const busy = this.db.query("SELECT id FROM scans WHERE status IN ('pending', 'running') ORDER BY id DESC LIMIT 1").get() as { id: number } | null;
      throw new ScanBusyError(busy?.id ?? null);
    }
    const { kind, profile, subnet } = plan;
    const startedAt = Date.now();
    let id: number;
    try {
      id = this.db
        .transaction(() => {
          // Holding the lock, every other pending or running row is a leftover of a dead process.
          this.markInterrupted();
          return Number(
            this.db
              .query("INSERT INTO scans (scan_type, profile, subnet, status, started_at, pid) VALUES (?, ?, ?, 'pending', ?, ?)")
              .run(kind, profile.name, subnet, isoNow(startedAt), process.pid).lastInsertRowid,
          );
        })
        .immediate();
    } catch (e) {
      this.lock.release();
      throw e;
    }
    const running: Running = {
      id,
      kind,
      profile,
      subnet,
      startedAt,
      abort: new AbortController(),
      progress: { phase: "discovery", hosts_total: 0, hosts_found: 0, hosts_processed: 0, ports_scanned: 0 },
      lastEmit: 0,
      done: Promise.resolve(),
    };
    this.current = running;
    running.done = this.run(running, plan);
    return { scan_id: id, profile: profile.name, subnet, started_at: isoNow(startedAt) };
  }

  /** Whether this process runs a scan now. */
  get scanning(): boolean {
    return this.current !== null;
  }

  status() {
    const r = this.current;
    if (!r) {
      // A scan of `argus scan` in another process: running, but its progress lives in that process.
      const other = this.runningElsewhere();
      if (other) return { scanning: true as const, scan_id: other.id, scan_type: other.scan_type, profile: other.profile, subnet: other.subnet, started_at: other.started_at, progress: null };
      return { scanning: false as const };
    }
    return { scanning: true as const, scan_id: r.id, scan_type: r.kind, profile: r.profile.name, subnet: r.subnet, started_at: isoNow(r.startedAt), progress: this.progressOf(r) };
  }

  /** Cancels the running scan (it keeps what it found); null when none runs. */
  cancel(): number | null {
    if (!this.current) return null;
    this.current.abort.abort();
    return this.current.id;
  }

  /** The scan events of the feed (progress, finished, closing): for the CLI and tests. */
  subscribe(listener: (e: ScanEvent) => void): () => void {
    return this.feed.on("scan", (e) => listener(e.scan));
  }

  /** Ends live event streams, cancels a running scan and waits until its results are written (shutdown). */
  async stop(): Promise<void> {
    this.emit({ type: "closing" });
    const r = this.current;
    if (!r) return;
    r.abort.abort();
    await r.done;
  }

  /** Resolves when the current scan (if any) has finished; for tests and the CLI. */
  async idle(): Promise<void> {
    await this.current?.done;
  }

  private progressOf(r: Running): StatusProgress {
    const elapsed = (Date.now() - r.startedAt) / 1000;
    return { ...r.progress, elapsed_seconds: Math.round(elapsed * 10) / 10, eta_seconds: estimateEta(r, elapsed) };
  }

  private update(r: Running, p: Partial<Progress>): void {
    const phaseChanged = p.phase !== undefined && p.phase !== r.progress.phase;
    Object.assign(r.progress, p);
    const now = Date.now();
    if (!phaseChanged && now - r.lastEmit < EMIT_INTERVAL_MS) return;
    r.lastEmit = now;
    this.emit({ type: "progress", scan_id: r.id, progress: this.progressOf(r) });
  }

  private emit(e: ScanEvent): void {
    this.feed.publish({ type: "scan", scan: e });
  }

  private async run(r: Running, plan: ScanPlan): Promise<void> {
    let status: ScanStatus = "failed";
    let changes: Change[] = [];
    let touched: ReadonlySet<number> = new Set();
    try {
      this.db.query("UPDATE scans SET status = 'running' WHERE id = ?").run(r.id);
      const cfg = this.config();
      log.info("scan started", { scan_id: r.id, profile: r.profile.name, subnet: r.subnet });
      const out = await this.pipeline({
        profile: r.profile,
        targets: plan.targets,
        iface: cfg.interface,
        rate: cfg.scan_rate,
        signal: r.abort.signal,
        onProgress: (p) => this.update(r, p),
        onDegraded: (notice) => log.warn(notice),
        known6: knownIp6Addresses(this.db, SOLICIT_MAX),
        infrastructure: {
          // The host's own default routes, and the gateways and DHCP servers the owner knows (or Argus learned).
          gateways: new Set([...routeGateways().values(), ...cfg.known_infrastructure.gateways.map((g) => g.ip)]),
          dhcp_servers: new Set(cfg.known_infrastructure.dhcp_servers.map((d) => d.server_id)),
        },
      });
      status = r.abort.signal.aborted ? "cancelled" : "completed";
      this.update(r, { phase: "saving" as Phase });
      const scope = {
        kind: r.kind,
        covers: (ip: string, mac: string | null) => {
          const n = parseIpv4(ip);
          return n !== null && coversHost(plan.targets, n, mac);
        },
        excludes: (ip: string, mac: string | null) => {
          const n = parseIpv4(ip);
          return n !== null && excludesHost(plan.targets, n, mac);
        },
        ports: r.profile.port_scan ? new Set(r.profile.ports) : null,
        portSpec: r.profile.port_scan ? r.profile.port_spec : null,
        complete: out.complete && status === "completed",
        baseline: false,
      };
      const now = isoNow();
      const finished = Date.now();
      // Assigned only once the transaction committed: rolled-back changes must not be announced.
      ({ changes, touched } = this.db
        .transaction(() => {
          // A quiet first run: what the first complete network scan finds is the baseline, not news
          // (decided inside the transaction, so two processes cannot both think so).
          scope.baseline = scope.kind === "network" && scope.complete && firstRunPending(this.db);
          const result: ReconcileResult = reconcile(this.db, r.id, out.observations, scope, now);
          // After reconcile, so a device this scan found is there for its IPv6 answers (they never create one).
          const given = recordIp6Sightings(this.db, out.ip6 ?? [], now, "sweep");
          this.db
            .query(
              `UPDATE scans SET status = ?, finished_at = ?, duration_seconds = ?, hosts_total = ?, hosts_found = ?, ports_scanned = ?, open_ports = ?,
                 devices_added = ?, devices_removed = ?, changes_count = ?, degraded = ? WHERE id = ?`,
            )
            .run(status, isoNow(finished), (finished - r.startedAt) / 1000, out.hostsTotal, result.devicesSeen, out.portsScanned, result.openPorts,
              result.devicesAdded, result.devicesRemoved, result.changes.length, out.degraded ? 1 : 0, r.id);
          // The trend chart's history: how many of the devices this scan saw were at risk at the time.
          this.db
            .query(`UPDATE scans SET at_risk = (SELECT count(*) FROM scan_devices sd JOIN devices d ON d.id = sd.device_id
                      WHERE sd.scan_id = ?1 AND d.is_trusted = 0 AND d.risk_level IN ${AT_RISK_SQL}) WHERE id = ?1`)
            .run(r.id);
          // Their messages are queued in this same transaction: committed, or rolled back, with the changes.
          this.sink.enqueue(result.changes, { id: r.id, profile: r.profile.name, subnet: r.subnet }, result.baseline ? { baseline: true } : undefined);
          return given.length > 0 ? { ...result, touched: new Set([...result.touched, ...given]) } : result;
        })
        .immediate());
      log.info("scan finished", { scan_id: r.id, status, hosts_found: out.observations.length, changes: changes.length });
    } catch (e) {
      status = "failed";
      const message = e instanceof Error ? e.message : String(e);
      log.error("scan failed", { scan_id: r.id, error: message });
      this.db.query("UPDATE scans SET status = 'failed', finished_at = ?, duration_seconds = ?, error = ? WHERE id = ?").run(isoNow(), (Date.now() - r.startedAt) / 1000, message, r.id);
    } finally {
      this.current = null;
      this.lock.release();
      this.emit({ type: "finished", scan_id: r.id, status, changes: changes.length });
    }
    if (status !== "failed") {
      // Committed: now (and only now) the rest of the appliance hears of it.
      if (changes.length > 0) this.feed.publish({ type: "changes", scan_id: r.id, changes });
      this.feed.publishDevices(touched, (ids) => new DeviceInventory(this.db).records(ids));
    }
  }
}

function estimateEta(r: Running, elapsed: number): number | null {
  const p = r.progress;
  // Discovery is rate-bound and short; the port phase dominates and has a known total.
  if (p.phase === "ports" && r.profile.ports.length > 0 && p.hosts_found > 0) {
    const total = r.profile.ports.length * p.hosts_found;
    if (p.ports_scanned === 0) return null;
    return Math.max(0, Math.round((elapsed * (total - p.ports_scanned)) / p.ports_scanned));
  }
  if (p.phase === "saving") return 0;
  return null;
}
