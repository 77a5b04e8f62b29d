// Turns passive sightings (what the listener heard: ARP, DHCP, mDNS) into inventory with the same
// identity and change rules as scans (identity.ts). Must run inside the caller's transaction.
//
// - A sighting can only add: a device appears (`device_added`), comes back (`device_returned`),
//   moves (`ip_changed`), takes a known device's address while that one is still online
//   (`mac_changed_for_ip`) or turns out to be a known device with a new randomised MAC
//   (`mac_rotated`). Silence is never absence: going offline is left to the scans.
// - Changes carry `scan_id: null`.
// - New devices are admitted through a per-interface gate (the flood cap, see passive/flood.ts);
//   known devices always are. The first refusal of a flood records one `sighting_flood` warning.
import type { Database } from "bun:sqlite";
import type { Change } from "./observation.ts";
import { InventoryWriter, type DeviceRow, type Identity } from "./identity.ts";

export type Sighting = Identity & {
  mac: string;
  /** null when the host has no address yet (DHCP DISCOVER): only its names are learnt. */
  ip: string | null;
  source: "arp" | "dhcp" | "mdns";
  iface: string;
  mac_randomized: boolean;
};

export type Admission = "admit" | "refuse" | "refuse-first";

export type SightingPolicy = {
  /** May this known device be the one behind a new randomised MAC (not heard from lately)? */
  mayHaveRotated: (d: DeviceRow) => boolean;
  /** The flood cap: may one more new device be recorded on this interface? */
  admitNew: (iface: string, s: Sighting) => Admission;
  /** Said in the flood warning. */
  capPerMinute: number;
};

export type SightingResult = { changes: Change[]; refused: number; written: number };

export function recordSightings(db: Database, sightings: Sighting[], policy: SightingPolicy, now: string): SightingResult {
  const w = new InventoryWriter(db, null, now);
  let refused = 0;
  let written = 0;
  for (const s of sightings) {
    let device = w.byMac(s.mac, s.ip);
    if (s.ip === null) {
      // No address yet: a known device's names are still worth having; an unknown one waits for its address.
      if (device) {
        w.applyIdentity(device.id, s);
        written++;
      }
      continue;
    }
    if (!device && s.mac_randomized) {
      device = w.findRotated({ hostname: s.hostname ?? null, dhcp_fingerprint: s.dhcp_fingerprint }, (d) => d.mac_address !== s.mac && policy.mayHaveRotated(d));
      if (device) w.rotate(device, s.mac, s.ip);
    }
    if (!device) {
      const admission = policy.admitNew(s.iface, s);
      if (admission !== "admit") {
        refused++;
        if (admission === "refuse-first") {
          w.change(
            { id: null, ip: null, mac: null },
            "sighting_flood",
            "warning",
            `Sighting flood on ${s.iface}: more than ${policy.capPerMinute} new devices a minute (random MACs?); further new devices heard only by ARP or mDNS are not recorded until it calms down`,
            null,
            s.iface,
          );
        }
        continue;
      }
      const owner = w.ipOwner(s.ip, s.mac);
      // Passively there is no "not seen in this scan": an owner that scans still count as online is
      // replaced (or spoofed); an address freed by a device gone offline is simply reused.
      w.add(
        { ...s, ip: s.ip, hostname: s.hostname ?? null, hostname_source: s.hostname_source ?? null, vendor: s.vendor ?? null, device_type: s.device_type ?? null, os_name: s.os_name ?? null },
        owner && owner.status === "online" ? owner : null,
      );
      written++;
      continue;
    }
    w.seenAgain(device, s.ip, s.mac);
    db.query("UPDATE devices SET ip_address = ?, status = 'online', last_seen = ?, missed_scans = 0, mac_address = coalesce(mac_address, ?), mac_randomized = ? WHERE id = ?").run(
      s.ip,
      now,
      s.mac,
      s.mac_randomized ? 1 : 0,
      device.id,
    );
    w.applyIdentity(device.id, s);
    w.recordAddress(device.id, s.ip);
    written++;
  }
  return { changes: w.changes, refused, written };
}
