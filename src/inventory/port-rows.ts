// A device's ports and findings replaced wholesale by a report that lists them all (a hub writing a
// sensor's record). The scanner's own writers (reconcile.ts) merge a probe into what earlier probes
// learnt instead; these take another appliance's complete view.
import type { Database } from "bun:sqlite";

export type PortRow = {
  port: number;
  protocol: "tcp" | "udp";
  service: string | null;
  product: string | null;
  version: string | null;
  /** Absent from an older report: the row keeps what it had. */
  tls?: boolean;
  banner?: string | null;
};
export type ThreatRow = { port: number; level: string; description: string; recommendation: string; cve_ids: string[] };

/** The device's open ports are exactly `ports`: the others go, the ones kept keep their first_seen (and their TLS flag and banner when the report has none). */
export function replacePorts(db: Database, deviceId: number, ports: PortRow[], at: string): void {
  const keys = JSON.stringify(ports.map((p) => `${p.port}/${p.protocol}`));
  db.query("DELETE FROM ports WHERE device_id = ? AND (port || '/' || protocol) NOT IN (SELECT value FROM json_each(?))").run(deviceId, keys);
  const upsert = db.query(
    `INSERT INTO ports (device_id, port, protocol, service, product, version, tls, banner, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, 0), ?8, ?9, ?9)
     ON CONFLICT (device_id, port, protocol) DO UPDATE SET service = excluded.service, product = excluded.product, version = excluded.version, last_seen = excluded.last_seen,
       tls = coalesce(?7, tls), banner = CASE WHEN ?10 THEN excluded.banner ELSE banner END`,
  );
  for (const p of ports) {
    const tls = p.tls === undefined ? null : p.tls ? 1 : 0;
    upsert.run(deviceId, p.port, p.protocol, p.service, p.product, p.version, tls, p.banner ?? null, at, p.banner === undefined ? 0 : 1);
  }
}

/** The device's findings are exactly `threats` (tcp, as the scorer makes them). */
export function replaceThreats(db: Database, deviceId: number, threats: ThreatRow[]): void {
  db.query("DELETE FROM threats WHERE device_id = ?").run(deviceId);
  const insert = db.query("INSERT INTO threats (device_id, port, protocol, level, description, recommendation, cve_ids) VALUES (?, ?, 'tcp', ?, ?, ?, ?)");
  for (const t of threats) insert.run(deviceId, t.port, t.level, t.description, t.recommendation, JSON.stringify(t.cve_ids));
}

/** The device's first `max` ports as a report carries them (lowest numbers first). */
export function portRowsOf(db: Database, deviceId: number, max: number): PortRow[] {
  const rows = db.query("SELECT port, protocol, service, product, version, tls, banner FROM ports WHERE device_id = ? ORDER BY port, protocol LIMIT ?").all(deviceId, max) as (Omit<PortRow, "tls"> & { tls: number })[];
  return rows.map((r) => ({ ...r, tls: r.tls === 1 }));
}

/** The device's `max` worst findings as a report carries them. */
export function threatRowsOf(db: Database, deviceId: number, max: number): ThreatRow[] {
  const rows = db
    .query(
      `SELECT port, level, description, recommendation, cve_ids FROM threats WHERE device_id = ?
       ORDER BY CASE level WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, port, id LIMIT ?`,
    )
    .all(deviceId, max) as (Omit<ThreatRow, "cve_ids"> & { cve_ids: string })[];
  return rows.map((t) => ({ ...t, cve_ids: parseCves(t.cve_ids) }));
}

function parseCves(raw: string): string[] {
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}
