// A device's addresses (SPEC §7 `addresses`): its IPv4 history as family 4 and the IPv6 addresses
// heard from it (device_ip6) as family 6, most recently seen first. One query per page of devices,
// never one per device, so the list, the export and the event feed stay cheap.
import type { Database } from "bun:sqlite";
import { ipv4Scope } from "../net/ip.ts";
import type { DeviceAddress } from "./schema.ts";

type Row = {
  device_id: number;
  family: 4 | 6;
  address: string;
  scope: DeviceAddress["scope"] | null;
  mac: string | null;
  first_seen: string;
  last_seen: string;
  source: DeviceAddress["source"];
};

/** The addresses of these devices, each list newest first; a device without any maps to []. */
export function addressesOf(db: Database, ids: readonly number[]): Map<number, DeviceAddress[]> {
  const out = new Map<number, DeviceAddress[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  // Each address carries the MAC it was heard from (IPv4 since schema v28, IPv6 since v24); a row
  // without one (written by plain SQL, or before its MAC was known) reads as the device's primary.
  const rows = db
    .query(
      `SELECT a.device_id, 4 AS family, a.ip_address AS address, NULL AS scope, coalesce(a.mac, d.mac_address) AS mac, a.first_seen, a.last_seen, 'inventory' AS source
         FROM device_addresses a JOIN devices d ON d.id = a.device_id WHERE a.device_id IN (SELECT value FROM json_each(?1))
       UNION ALL
       SELECT s.device_id, 6, s.address, s.scope, coalesce(s.mac, d.mac_address), s.first_seen, s.last_seen, s.source
         FROM device_ip6 s JOIN devices d ON d.id = s.device_id WHERE s.device_id IN (SELECT value FROM json_each(?1))
       ORDER BY 1, 7 DESC, 3`, // device, last_seen newest first, address
    )
    .all(JSON.stringify(ids)) as Row[];
  for (const r of rows) {
    out.get(r.device_id)?.push({
      address: r.address,
      family: r.family,
      scope: r.family === 4 ? ipv4Scope(r.address) : (r.scope as DeviceAddress["scope"]),
      mac: r.mac,
      first_seen: r.first_seen,
      last_seen: r.last_seen,
      source: r.source,
    });
  }
  return out;
}
