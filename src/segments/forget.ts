// Role hub: a device the owner forgot on a sensor is forgotten on the hub too, as DELETE
// /api/devices/{id} forgets it there (its ports, findings and history go with it). Only while the
// hub's device is still that sensor's segment's: one that moved on to another segment meanwhile is
// that segment's now, and a sensor cannot forget another segment's devices.
import type { Database } from "bun:sqlite";
import { deviceOfMac } from "../inventory/macs.ts";
import { DeviceInventory } from "../inventory/devices.ts";

/** Forgets the segment's devices with these MACs; returns the hub's ids of those forgotten. Inside the caller's transaction. */
export function forgetDevices(db: Database, segment: string, macs: string[]): number[] {
  const inventory = new DeviceInventory(db);
  const gone: number[] = [];
  for (const mac of new Set(macs)) {
    const id = deviceOfMac(db, mac) ?? (db.query("SELECT id FROM devices WHERE mac_address = ?").get(mac) as { id: number } | null)?.id ?? null;
    if (id === null || gone.includes(id)) continue;
    const row = db.query("SELECT segment FROM devices WHERE id = ?").get(id) as { segment: string | null } | null;
    if (row?.segment !== segment) continue;
    if (inventory.remove(id)) gone.push(id);
  }
  return gone;
}
