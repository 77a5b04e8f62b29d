// GET /metrics (SPEC §5 Metrics): Prometheus text format from prom-client. Every Argus value is read
// from the database when scraped, so it agrees with /api/stats and survives restarts (and counts what
// `argus scan` did beside the service); process metrics come from prom-client's default collectors.
// No label carries an IP or MAC: labels are risk levels, change types, channel names and results.
import type { Database } from "bun:sqlite";
import type { Registry } from "prom-client";
import { CHANGE_TYPES } from "../inventory/observation.ts";
import { AT_RISK_LEVELS, InventoryStats } from "../inventory/stats.ts";
import { deliveryCounts } from "../notify/queue.ts";
import { listSensors } from "../segments/merge.ts";
import type { FeedMetrics } from "./feed.ts";

// Bun does not implement the event-loop delay monitor these read: they would only ever show NaN.
const BROKEN_UNDER_BUN = /^nodejs_eventloop_lag/;

/** Loads prom-client on first use (an appliance nobody scrapes does not carry it in memory). */
/**
 * `sensorOfflineAfterS`: on a hub, the silence after which a sensor counts as down (argus_sensor_up).
 */
export async function createMetrics(db: Database, feed?: FeedMetrics, sensorOfflineAfterS?: () => number): Promise<Registry> {
  const { Counter, Gauge, Registry, collectDefaultMetrics } = await import("prom-client");
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const m of registry.getMetricsAsArray()) if (BROKEN_UNDER_BUN.test(m.name)) registry.removeSingleMetric(m.name);
  const stats = new InventoryStats(db);
  let snapshot: ReturnType<InventoryStats["stats"]> | null = null;
  // One stats query per scrape, shared by the gauges below (collect() runs per metric).
  const current = () => (snapshot ??= stats.stats());

  new Gauge({
    name: "argus_devices_total",
    help: "Devices in the inventory",
    registers: [registry],
    collect() {
      snapshot = null;
      this.set(current().total_devices);
    },
  });
  new Gauge({ name: "argus_devices_online", help: "Devices currently online", registers: [registry], collect() { this.set(current().online_devices); } });
  new Gauge({ name: "argus_devices_new_24h", help: "Devices first seen in the last 24 hours", registers: [registry], collect() { this.set(current().new_devices_24h); } });
  new Gauge({
    name: "argus_devices_at_risk",
    help: "Untrusted devices at risk, by risk level (medium and above count as at risk)",
    labelNames: ["level"],
    registers: [registry],
    collect() {
      const s = current();
      for (const level of AT_RISK_LEVELS) this.set({ level }, s[level]);
    },
  });
  new Gauge({ name: "argus_open_ports", help: "Known open ports across all devices", registers: [registry], collect() { this.set(current().open_ports); } });
  new Gauge({
    name: "argus_scan_duration_seconds",
    help: "Duration of the newest completed network scan",
    registers: [registry],
    collect() {
      const row = db.query("SELECT duration_seconds AS d FROM scans WHERE status = 'completed' AND scan_type = 'network' ORDER BY started_at DESC, id DESC LIMIT 1").get() as { d: number | null } | null;
      this.set(row?.d ?? 0);
    },
  });
  new Gauge({
    name: "argus_last_scan_timestamp_seconds",
    help: "When the newest completed network scan finished (Unix time; 0 before the first)",
    registers: [registry],
    collect() {
      const finished = current().last_scan?.finished_at;
      this.set(finished ? Date.parse(finished) / 1000 : 0);
    },
  });
  new Counter({
    name: "argus_changes_total",
    help: "Changes recorded, by type (retention pruning lowers it, like a restart)",
    labelNames: ["type"],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map((db.query("SELECT change_type AS type, count(*) AS n FROM changes GROUP BY change_type").all() as { type: string; n: number }[]).map((r) => [r.type, r.n]));
      for (const type of CHANGE_TYPES) this.inc({ type }, counts.get(type) ?? 0);
    },
  });
  new Counter({
    name: "argus_notifications_total",
    help: "Notification deliveries finished, by channel and result (sent or failed)",
    labelNames: ["channel", "result"],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of deliveryCounts(db)) if (r.status !== "pending") this.inc({ channel: r.channel, result: r.status }, r.n);
    },
  });
  new Gauge({
    name: "argus_notifications_pending",
    help: "Notifications queued and not yet sent (including those waiting for a retry)",
    labelNames: ["channel"],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of deliveryCounts(db)) if (r.status === "pending") this.set({ channel: r.channel }, r.n);
    },
  });
  if (sensorOfflineAfterS) {
    new Gauge({
      name: "argus_sensor_up",
      help: "Hub: 1 while a sensor is heard within hub.offline_after_s, 0 once it fell silent",
      labelNames: ["site", "segment"],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of listSensors(db, Date.now(), sensorOfflineAfterS())) this.set({ site: s.site, segment: s.segment }, s.status === "online" ? 1 : 0);
      },
    });
  }
  if (feed) {
    new Counter({
      name: "argus_events_total",
      help: "Events published on the event feed since the start, by type (changes, device, scan, status, config)",
      labelNames: ["type"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [type, n] of feed.published) this.inc({ type }, n);
      },
    });
    new Gauge({ name: "argus_live_clients", help: "Clients of the live event stream (GET /api/events) connected now", registers: [registry], collect() { this.set(feed.liveClients); } });
    new Counter({
      name: "argus_live_clients_dropped_total",
      help: "Live event stream clients disconnected because they did not read fast enough",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(feed.droppedClients);
      },
    });
  }
  return registry;
}
