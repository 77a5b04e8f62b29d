// A big inventory for benchmarks: devices with ports, threats and address history, 2,000 scans
// and the changes they found, written straight into a data dir's database (deterministic, so runs
// are comparable). Used by devices.ts (API listings) and ui.ts (the UI on a big network).
import { openDatabase } from "../../src/db/database.ts";
import { toIso } from "../../src/time.ts";

// A deterministic generator (mulberry32) so runs are comparable.
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

const VENDORS = ["Apple, Inc.", "Samsung Electronics Co.,Ltd", "Espressif Inc.", "Hewlett Packard", "Ubiquiti Inc", "Synology Incorporated", "Raspberry Pi Foundation", "Intel Corporate", null];
const TYPES = ["computer", "phone", "iot", "printer", "tv", "nas", "router", "unknown"];
const ZONES = ["IoT", "Servers", "Office", "Lab", "Guests", "Infrastructure", null, null];
const PORTS = [[22, "ssh"], [80, "http"], [443, "https"], [445, "smb"], [23, "telnet"], [3306, "mysql"], [6379, "redis"], [8080, "http"], [9100, "jetdirect"], [554, "rtsp"]] as const;
const LEVEL_OF: Record<string, string> = { telnet: "critical", smb: "high", mysql: "high", redis: "high", http: "medium", rtsp: "medium", ssh: "low", jetdirect: "low", https: "none" };
const RANK = ["none", "low", "medium", "high", "critical"];
const CHANGE_TYPES = ["device_added", "device_removed", "device_returned", "ip_changed", "mac_rotated", "mac_changed_for_ip", "port_opened", "port_closed", "service_changed"];
const SEVERITY: Record<string, string[]> = {
  device_added: ["warning"], device_removed: ["info"], device_returned: ["info"], ip_changed: ["info"], mac_rotated: ["info"],
  mac_changed_for_ip: ["warning"], port_opened: ["low", "medium", "high", "critical"], port_closed: ["info"], service_changed: ["info"],
};

export function buildInventory(dataDir: string, DEVICES: number, CHANGES: number): void {
  const db = openDatabase(dataDir);
  const now = Date.now();
  const started = performance.now();
  db.transaction(() => {
    const scans = 2000;
    const scan = db.prepare(
      "INSERT INTO scans (scan_type, profile, subnet, status, started_at, finished_at, duration_seconds, hosts_total, hosts_found, open_ports, changes_count) VALUES ('network', ?, '10.0.0.0/16', 'completed', ?, ?, 30, 65534, ?, ?, ?)",
    );
    for (let s = 0; s < scans; s++) {
      const at = now - (scans - s) * 15 * 60_000;
      scan.run(s % 96 === 0 ? "normal" : "quick", toIso(at), toIso(at + 30_000), DEVICES - 200 + Math.floor(rand() * 200), 5000, Math.floor(CHANGES / scans));
    }
    const device = db.prepare(
      `INSERT INTO devices (id, mac_address, ip_address, mac_randomized, hostname, vendor, device_type, status, first_seen, last_seen, times_seen, zone, is_trusted, risk_level, risk_score, threat_summary, ports_known)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
    );
    const port = db.prepare("INSERT INTO ports (device_id, port, service, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)");
    const threat = db.prepare("INSERT INTO threats (device_id, port, level, description, recommendation) VALUES (?, ?, ?, ?, ?)");
    const address = db.prepare("INSERT INTO device_addresses (device_id, ip_address, first_seen, last_seen) VALUES (?, ?, ?, ?)");
    const sighting = db.prepare("INSERT INTO scan_devices (scan_id, device_id, ip_address, open_ports) VALUES (?, ?, ?, '[]')");
    for (let id = 1; id <= DEVICES; id++) {
      const ip = `10.0.${(id >> 8) & 255}.${id & 255}`;
      const mac = `02:00:00:${((id >> 16) & 255).toString(16).padStart(2, "0")}:${((id >> 8) & 255).toString(16).padStart(2, "0")}:${(id & 255).toString(16).padStart(2, "0")}`;
      const ports = rand() < 0.4 ? Array.from(new Set(Array.from({ length: 1 + Math.floor(rand() * 5) }, () => pick(PORTS)))) : [];
      const worst = ports.reduce((w, [, svc]) => Math.max(w, RANK.indexOf(LEVEL_OF[svc])), 0);
      const first = now - Math.floor(rand() * 90 * 86_400_000);
      const vendor = pick(VENDORS);
      device.run(
        id, mac, ip, rand() < 0.1 ? 1 : 0, rand() < 0.7 ? `host-${id}.lan` : null, vendor, pick(TYPES), rand() < 0.8 ? "online" : "offline",
        toIso(first), toIso(now - Math.floor(rand() * 3_600_000)), 1 + Math.floor(rand() * 3000), pick(ZONES), rand() < 0.05 ? 1 : 0,
        RANK[worst], worst === 0 ? 0 : [0, 10, 40, 65, 85][worst] + ports.length, worst === 0 ? null : `${ports.length} findings`,
      );
      for (const [p, svc] of ports) {
        port.run(id, p, svc, toIso(first), toIso(now));
        if (LEVEL_OF[svc] !== "none") threat.run(id, p, LEVEL_OF[svc], `${svc} reachable`, `Restrict ${svc}`);
      }
      address.run(id, ip, toIso(first), toIso(now));
      sighting.run(scans, id, ip);
    }
    const change = db.prepare(
      "INSERT INTO changes (scan_id, device_id, device_ip, device_mac, change_type, severity, old_value, new_value, description, detected_at, acknowledged) VALUES (?, ?, ?, NULL, ?, ?, NULL, ?, ?, ?, ?)",
    );
    const perScan = CHANGES / scans;
    for (let n = 0; n < CHANGES; n++) {
      const scanId = 1 + Math.floor(n / perScan);
      const id = 1 + Math.floor(rand() * DEVICES);
      const type = pick(CHANGE_TYPES);
      const ip = `10.0.${(id >> 8) & 255}.${id & 255}`;
      change.run(scanId, id, ip, type, pick(SEVERITY[type]), ip, `${type} on ${ip}`, toIso(now - (scans - scanId) * 15 * 60_000), rand() < 0.7 ? 1 : 0);
    }
  })();
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  console.log(`built ${DEVICES} devices and ${CHANGES} changes in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
