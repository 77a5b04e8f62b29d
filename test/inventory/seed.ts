// A small home network as the scan pipeline would have left it in the database: devices with
// ports, threats and address history, scans with their sightings, and the changes they found.
// Written with plain SQL (the pipeline that normally writes these rows is tested elsewhere) so the
// read/edit API can be checked against definitions the tests can compute expectations from.
import type { Database } from "bun:sqlite";
import { toIso } from "../../src/time.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export type SeedPort = { port: number; service: string | null; product?: string; version?: string; tls?: boolean; banner?: string };
export type SeedThreat = { port: number; level: "low" | "medium" | "high" | "critical"; description: string; recommendation: string; cve_ids?: string[] };
export type SeedDevice = {
  ip: string;
  mac: string | null;
  mac_randomized?: boolean;
  hostname: string | null;
  vendor: string | null;
  device_type: string;
  os_name?: string;
  status: "online" | "offline";
  /** Age in ms relative to the seeding time. */
  first_seen_ago: number;
  last_seen_ago: number;
  times_seen: number;
  label?: string;
  zone?: string;
  is_trusted?: boolean;
  notes?: string;
  risk_level: "none" | "low" | "medium" | "high" | "critical";
  risk_score: number;
  threat_summary?: string;
  ports: SeedPort[];
  threats: SeedThreat[];
  /** Earlier addresses, besides the current one. */
  old_ips?: { ip: string; first_seen_ago: number; last_seen_ago: number }[];
};
export type SeedScan = {
  scan_type: "network" | "device";
  profile: string;
  status: "completed" | "failed" | "cancelled" | "running";
  started_ago: number;
  duration_ms: number;
  /** Indexes into DEVICES that this scan saw. */
  saw: number[];
  changes_count: number;
};
export type SeedChange = {
  scan: number;
  device: number | null;
  change_type: string;
  severity: string;
  old_value?: string;
  new_value?: string;
  description: string;
  acknowledged?: boolean;
};

const ssh = (version = "OpenSSH_9.2p1"): SeedPort => ({ port: 22, service: "ssh", product: "OpenSSH", version: version.replace("OpenSSH_", ""), banner: `SSH-2.0-${version}` });
const http = (port = 80, title?: string): SeedPort => ({ port, service: "http", product: "lighttpd", banner: title ? `<title>${title}</title>` : undefined });
const https = (port = 443): SeedPort => ({ port, service: "https", tls: true });

export const DEVICES: SeedDevice[] = [
  {
    ip: "192.168.1.1", mac: "24:5a:4c:11:22:01", hostname: "gateway.lan", vendor: "Ubiquiti Inc", device_type: "router", os_name: "Linux",
    status: "online", first_seen_ago: 90 * DAY, last_seen_ago: 10 * 60_000, times_seen: 2400, label: "Main router", zone: "Infrastructure", is_trusted: true,
    risk_level: "medium", risk_score: 42, threat_summary: "1 medium: HTTP without TLS", ports: [ssh(), { port: 53, service: "dns" }, http(80, "UniFi OS"), https()],
    threats: [{ port: 80, level: "medium", description: "Web interface without TLS", recommendation: "Redirect HTTP to HTTPS" }],
  },
  {
    ip: "192.168.1.10", mac: "00:11:32:aa:bb:10", hostname: "nas", vendor: "Synology Incorporated", device_type: "nas", os_name: "DSM 7.2",
    status: "online", first_seen_ago: 80 * DAY, last_seen_ago: 10 * 60_000, times_seen: 2200, zone: "Servers",
    risk_level: "high", risk_score: 71, threat_summary: "1 high, 1 medium: SMB exposed", ports: [ssh(), { port: 139, service: "netbios-ssn" }, { port: 445, service: "smb" }, http(5000, "Synology DiskStation")],
    threats: [
      { port: 445, level: "high", description: "SMB file sharing is reachable", recommendation: "Limit SMB to trusted hosts; disable SMBv1" },
      { port: 5000, level: "medium", description: "Admin web interface without TLS", recommendation: "Use the HTTPS port 5001" },
    ],
  },
  {
    ip: "192.168.1.20", mac: "3c:52:82:00:00:20", hostname: "HPLJ-M404", vendor: "Hewlett Packard", device_type: "printer",
    status: "online", first_seen_ago: 60 * DAY, last_seen_ago: 10 * 60_000, times_seen: 1500, zone: "Office", notes: "Toner ordered 2024-01",
    risk_level: "medium", risk_score: 44, threat_summary: "1 medium, 1 low: IPP and raw printing", ports: [http(80, "HP LaserJet"), { port: 631, service: "ipp" }, { port: 9100, service: "jetdirect" }],
    threats: [
      { port: 80, level: "medium", description: "Printer admin page without TLS", recommendation: "Set an admin password and enable HTTPS" },
      { port: 9100, level: "low", description: "Raw printing port open", recommendation: "Restrict printing to the LAN" },
    ],
  },
  {
    ip: "192.168.1.101", mac: "bc:ad:28:10:01:01", hostname: "ipcam-garden", vendor: "Hangzhou Hikvision Digital Technology", device_type: "camera",
    status: "online", first_seen_ago: 30 * DAY, last_seen_ago: 10 * 60_000, times_seen: 900, zone: "IoT", label: "Garden camera",
    risk_level: "critical", risk_score: 92, threat_summary: "1 critical, 1 high: Telnet open, vulnerable firmware",
    ports: [{ port: 23, service: "telnet", banner: "BusyBox v1.19.4 login:" }, { port: 80, service: "http", product: "Hikvision-Webs", version: "5.4.0" }, { port: 554, service: "rtsp" }],
    threats: [
      { port: 23, level: "critical", description: "Telnet sends passwords in clear text", recommendation: "Disable Telnet; use SSH or the vendor app" },
      { port: 80, level: "high", description: "Hikvision web server with known command injection", recommendation: "Update the firmware", cve_ids: ["CVE-2021-36260", "CVE-2017-7921"] },
    ],
  },
  {
    ip: "192.168.1.102", mac: "84:f3:eb:10:01:02", hostname: null, vendor: "Espressif Inc.", device_type: "iot",
    status: "offline", first_seen_ago: 20 * DAY, last_seen_ago: 3 * DAY, times_seen: 300, zone: "IoT",
    risk_level: "none", risk_score: 0, ports: [], threats: [],
  },
  {
    ip: "192.168.1.150", mac: "da:a1:19:50:50:50", mac_randomized: true, hostname: "Pixel-8", vendor: null, device_type: "phone", os_name: "Android",
    status: "online", first_seen_ago: 2 * HOUR, last_seen_ago: 10 * 60_000, times_seen: 8,
    risk_level: "none", risk_score: 0, ports: [], threats: [],
    old_ips: [{ ip: "192.168.1.149", first_seen_ago: 2 * HOUR, last_seen_ago: 1 * HOUR }],
  },
  {
    ip: "192.168.1.2", mac: "a4:83:e7:00:00:02", hostname: "MacBook-Pro", vendor: "Apple, Inc.", device_type: "computer", os_name: "macOS",
    status: "online", first_seen_ago: 3 * HOUR, last_seen_ago: 10 * 60_000, times_seen: 12,
    risk_level: "low", risk_score: 10, threat_summary: "1 low: SSH open", ports: [ssh("OpenSSH_9.4")],
    threats: [{ port: 22, level: "low", description: "SSH is reachable", recommendation: "Use key authentication" }],
    old_ips: [{ ip: "192.168.1.77", first_seen_ago: 3 * HOUR, last_seen_ago: 2 * HOUR }],
  },
  {
    ip: "192.168.1.30", mac: "8c:79:f5:00:00:30", hostname: "Samsung-TV", vendor: "Samsung Electronics Co.,Ltd", device_type: "tv",
    status: "online", first_seen_ago: 45 * DAY, last_seen_ago: 10 * 60_000, times_seen: 1200, label: "Living room TV", zone: "IoT",
    risk_level: "low", risk_score: 12, threat_summary: "2 low: remote control API", ports: [{ port: 8001, service: "http" }, { port: 8002, service: "https", tls: true }],
    threats: [
      { port: 8001, level: "low", description: "TV remote-control API", recommendation: "Put the TV on the IoT network" },
      { port: 8002, level: "low", description: "TV remote-control API (TLS)", recommendation: "Put the TV on the IoT network" },
    ],
  },
  {
    ip: "10.20.0.5", mac: null, hostname: "db01.corp.example", vendor: null, device_type: "server", os_name: "Linux",
    status: "online", first_seen_ago: 15 * DAY, last_seen_ago: 10 * 60_000, times_seen: 400, zone: "Servers",
    risk_level: "high", risk_score: 69, threat_summary: "2 high: exposed database and Redis",
    ports: [{ port: 3306, service: "mysql", product: "MySQL", version: "8.0.35" }, { port: 6379, service: "redis", product: "Redis", version: "7.2.3" }],
    threats: [
      { port: 3306, level: "high", description: "Database port reachable from the LAN", recommendation: "Bind MySQL to localhost or firewall it" },
      { port: 6379, level: "high", description: "Redis without authentication", recommendation: "Set requirepass and bind to localhost" },
    ],
  },
  {
    ip: "192.168.1.50", mac: "00:0c:29:00:00:50", hostname: "legacy-box", vendor: "VMware, Inc.", device_type: "computer",
    status: "online", first_seen_ago: 70 * DAY, last_seen_ago: 10 * 60_000, times_seen: 2000, label: "Old build server", zone: "Lab", is_trusted: true,
    notes: "Telnet needed by the 1998 test rig.\nIsolated VLAN.",
    risk_level: "critical", risk_score: 90, threat_summary: "1 critical: Telnet open", ports: [{ port: 23, service: "telnet" }],
    threats: [{ port: 23, level: "critical", description: "Telnet sends passwords in clear text", recommendation: "Disable Telnet" }],
  },
  {
    ip: "192.168.1.60", mac: "b8:27:eb:00:00:60", hostname: "lab_pc", vendor: "Raspberry Pi Foundation", device_type: "computer",
    status: "offline", first_seen_ago: 50 * DAY, last_seen_ago: 5 * DAY, times_seen: 600, zone: "Lab", label: "100% uptime",
    risk_level: "low", risk_score: 10, threat_summary: "1 low: SSH open", ports: [ssh()],
    threats: [{ port: 22, level: "low", description: "SSH is reachable", recommendation: "Use key authentication" }],
  },
  {
    ip: "192.168.1.61", mac: "b8:27:eb:00:00:61", hostname: "labXpc", vendor: "Raspberry Pi Foundation", device_type: "computer",
    status: "online", first_seen_ago: 50 * DAY, last_seen_ago: 10 * 60_000, times_seen: 610, zone: "Lab",
    risk_level: "medium", risk_score: 40, threat_summary: "1 medium: HTTP without TLS", ports: [http(8080, "Grafana")],
    threats: [{ port: 8080, level: "medium", description: "Web service without TLS", recommendation: "Put it behind a TLS proxy" }],
  },
];

export const SCANS: SeedScan[] = [
  { scan_type: "network", profile: "quick", status: "completed", started_ago: 40 * DAY, duration_ms: 20_000, saw: [0, 1, 2, 9], changes_count: 4 },
  { scan_type: "network", profile: "normal", status: "completed", started_ago: 10 * DAY, duration_ms: 300_000, saw: [0, 1, 2, 3, 7, 8, 9, 10, 11], changes_count: 6 },
  { scan_type: "network", profile: "normal", status: "completed", started_ago: 2 * DAY, duration_ms: 280_000, saw: [0, 1, 2, 3, 4, 7, 8, 9, 11], changes_count: 2 },
  { scan_type: "device", profile: "intensive", status: "completed", started_ago: 1 * DAY, duration_ms: 90_000, saw: [3], changes_count: 1 },
  { scan_type: "network", profile: "quick", status: "completed", started_ago: 3 * HOUR, duration_ms: 25_000, saw: [0, 1, 2, 3, 5, 6, 7, 8, 9, 11], changes_count: 5 },
  { scan_type: "network", profile: "quick", status: "failed", started_ago: 1 * HOUR, duration_ms: 1_000, saw: [], changes_count: 0 },
  { scan_type: "network", profile: "quick", status: "cancelled", started_ago: 30 * 60_000, duration_ms: 4_000, saw: [0], changes_count: 0 },
];

// In detection order (ids ascend with time, as the pipeline writes them).
export const CHANGES: SeedChange[] = [
  { scan: 0, device: 0, change_type: "device_added", severity: "warning", new_value: "192.168.1.1", description: "New device 192.168.1.1 (Ubiquiti Inc)", acknowledged: true },
  { scan: 0, device: 1, change_type: "device_added", severity: "warning", new_value: "192.168.1.10", description: "New device 192.168.1.10 (Synology)", acknowledged: true },
  { scan: 0, device: 2, change_type: "device_added", severity: "warning", new_value: "192.168.1.20", description: "New device 192.168.1.20 (HP)", acknowledged: true },
  { scan: 0, device: 9, change_type: "device_added", severity: "warning", new_value: "192.168.1.50", description: "New device 192.168.1.50 (VMware)", acknowledged: true },
  { scan: 1, device: 3, change_type: "device_added", severity: "warning", new_value: "192.168.1.101", description: "New device 192.168.1.101 (Hikvision)" },
  { scan: 1, device: 3, change_type: "port_opened", severity: "critical", new_value: "23", description: "Port 23/tcp (telnet) opened on 192.168.1.101 — critical risk" },
  { scan: 1, device: 1, change_type: "port_opened", severity: "high", new_value: "445", description: "Port 445/tcp (smb) opened on 192.168.1.10 — high risk", acknowledged: true },
  { scan: 1, device: 8, change_type: "port_opened", severity: "high", new_value: "6379", description: "Port 6379/tcp (redis) opened on 10.20.0.5 — high risk" },
  { scan: 1, device: 11, change_type: "port_opened", severity: "medium", new_value: "8080", description: "Port 8080/tcp (http) opened on 192.168.1.61 — medium risk" },
  { scan: 1, device: 2, change_type: "port_closed", severity: "info", old_value: "21", description: "Port 21/tcp (ftp) closed on 192.168.1.20" },
  { scan: 2, device: 10, change_type: "device_removed", severity: "info", old_value: "192.168.1.60", description: "Device 192.168.1.60 went offline (not seen in 2 scans)" },
  { scan: 2, device: 1, change_type: "service_changed", severity: "info", old_value: "OpenSSH 9.0", new_value: "OpenSSH 9.2p1", description: "Service on 192.168.1.10:22 changed from OpenSSH 9.0 to OpenSSH 9.2p1" },
  { scan: 3, device: 3, change_type: "port_opened", severity: "medium", new_value: "554", description: "Port 554/tcp (rtsp) opened on 192.168.1.101 — medium risk" },
  { scan: 4, device: 6, change_type: "device_added", severity: "warning", new_value: "192.168.1.77", description: "New device 192.168.1.77 (Apple, Inc.)" },
  { scan: 4, device: 6, change_type: "ip_changed", severity: "info", old_value: "192.168.1.77", new_value: "192.168.1.2", description: "Device a4:83:e7:00:00:02 moved from 192.168.1.77 to 192.168.1.2" },
  { scan: 4, device: 5, change_type: "mac_rotated", severity: "info", old_value: "da:a1:19:00:00:01", new_value: "da:a1:19:50:50:50", description: "Pixel-8 rotated its private MAC" },
  { scan: 4, device: 4, change_type: "device_removed", severity: "info", old_value: "192.168.1.102", description: "Device 192.168.1.102 went offline (not seen in 2 scans)" },
  { scan: 4, device: 0, change_type: "mac_changed_for_ip", severity: "warning", old_value: "24:5a:4c:11:22:00", new_value: "24:5a:4c:11:22:01", description: "192.168.1.1 now answers with a different MAC: possible spoofing" },
];

export type Seeded = { now: number; deviceIds: number[]; scanIds: number[]; changeIds: number[] };

export function seedInventory(db: Database, now: number = Date.now()): Seeded {
  const at = (ago: number) => toIso(now - ago);
  return db.transaction(() => {
    const scanIds = SCANS.map((s) => {
      const open = s.saw.reduce((n, i) => n + (s.profile === "quick" ? 0 : DEVICES[i].ports.length), 0);
      const row = db
        .query(
          `INSERT INTO scans (scan_type, profile, subnet, status, started_at, finished_at, duration_seconds, hosts_total, hosts_found, ports_scanned, open_ports, changes_count)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        )
        .get(
          s.scan_type,
          s.profile,
          s.scan_type === "device" ? DEVICES[s.saw[0]].ip : "192.168.1.0/24,10.20.0.0/24",
          s.status,
          at(s.started_ago),
          s.status === "running" ? null : at(s.started_ago - s.duration_ms),
          s.status === "running" ? null : s.duration_ms / 1000,
          s.scan_type === "device" ? 1 : 510,
          s.saw.length,
          s.profile === "quick" ? 0 : s.saw.length * 1000,
          open,
          s.changes_count,
        ) as { id: number };
      return row.id;
    });

    const deviceIds = DEVICES.map((d) => {
      const { id } = db
        .query(
          `INSERT INTO devices (mac_address, ip_address, mac_randomized, hostname, hostname_source, vendor, device_type, os_name, status, first_seen, last_seen,
             times_seen, label, zone, is_trusted, notes, risk_level, risk_score, threat_summary, ports_known, last_scan_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        )
        .get(
          d.mac, d.ip, d.mac_randomized ? 1 : 0, d.hostname, d.hostname ? "rdns" : null, d.vendor, d.device_type, d.os_name ?? null, d.status,
          at(d.first_seen_ago), at(d.last_seen_ago), d.times_seen, d.label ?? null, d.zone ?? null, d.is_trusted ? 1 : 0, d.notes ?? null,
          d.risk_level, d.risk_score, d.threat_summary ?? null, d.ports.length > 0 ? 1 : 0, null,
        ) as { id: number };
      for (const p of d.ports) {
        db.query("INSERT INTO ports (device_id, port, protocol, service, product, version, tls, banner, extra, first_seen, last_seen) VALUES (?, ?, 'tcp', ?, ?, ?, ?, ?, '{}', ?, ?)").run(
          id, p.port, p.service, p.product ?? null, p.version ?? null, p.tls ? 1 : 0, p.banner ?? null, at(d.first_seen_ago), at(d.last_seen_ago),
        );
      }
      for (const t of d.threats) {
        db.query("INSERT INTO threats (device_id, port, protocol, level, service_id, description, recommendation, cve_ids) VALUES (?, ?, 'tcp', ?, ?, ?, ?, ?)").run(
          id, t.port, t.level, null, t.description, t.recommendation, JSON.stringify(t.cve_ids ?? []),
        );
      }
      db.query("INSERT INTO device_addresses (device_id, ip_address, first_seen, last_seen) VALUES (?, ?, ?, ?)").run(
        id, d.ip, at(d.old_ips ? d.old_ips[0].last_seen_ago : d.first_seen_ago), at(d.last_seen_ago),
      );
      for (const old of d.old_ips ?? []) {
        db.query("INSERT INTO device_addresses (device_id, ip_address, first_seen, last_seen) VALUES (?, ?, ?, ?)").run(id, old.ip, at(old.first_seen_ago), at(old.last_seen_ago));
      }
      // Presence: an online device has been on since a while before it was last seen, after an earlier
      // interval a day ago; an offline one's last interval ended when it was last seen.
      const session = db.query("INSERT INTO presence_sessions (device_id, started_at, ended_at, source) VALUES (?, ?, ?, ?)");
      const since = (ago: number) => at(Math.min(d.first_seen_ago, ago));
      if (d.status === "online") {
        if (d.first_seen_ago > 20 * HOUR) session.run(id, since(30 * HOUR), at(20 * HOUR), "scan");
        session.run(id, since(d.last_seen_ago + (id % 5) * HOUR + 2 * HOUR), null, id % 2 ? "passive" : "scan");
      } else {
        session.run(id, since(d.last_seen_ago + 9 * HOUR), at(d.last_seen_ago), "scan");
      }
      return id;
    });

    SCANS.forEach((s, si) => {
      for (const i of s.saw) {
        const d = DEVICES[i];
        db.query("INSERT INTO scan_devices (scan_id, device_id, ip_address, mac_address, method, rtt_ms, open_ports) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
          scanIds[si], deviceIds[i], d.ip, d.mac, d.mac ? "arp" : "icmp", 1.5, JSON.stringify(s.profile === "quick" ? [] : d.ports.map((p) => p.port)),
        );
      }
      if (s.status === "completed" && s.scan_type === "network") {
        db.query("UPDATE devices SET last_scan_id = ? WHERE id IN (SELECT value FROM json_each(?))").run(scanIds[si], JSON.stringify(s.saw.map((i) => deviceIds[i])));
      }
    });

    const changeIds = CHANGES.map((c, n) => {
      const scan = SCANS[c.scan];
      const d = c.device === null ? null : DEVICES[c.device];
      // Each change a few seconds into its scan, in the order listed.
      const detected = at(scan.started_ago - 1000 * (n + 1));
      const { id } = db
        .query(
          `INSERT INTO changes (scan_id, device_id, device_ip, device_mac, change_type, severity, old_value, new_value, description, detected_at, acknowledged)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        )
        .get(scanIds[c.scan], c.device === null ? null : deviceIds[c.device], d?.ip ?? null, d?.mac ?? null, c.change_type, c.severity, c.old_value ?? null, c.new_value ?? null, c.description, detected, c.acknowledged ? 1 : 0) as { id: number };
      return id;
    });
    return { now, deviceIds, scanIds, changeIds };
  })();
}

/** The same rule the API documents: untrusted and at level medium or above. */
export const countsAsAtRisk = (d: SeedDevice) => !d.is_trusted && ["medium", "high", "critical"].includes(d.risk_level);

/** Dotted IPv4 → number, to check numeric IP order independently of SQL. */
export const ipNumber = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);

