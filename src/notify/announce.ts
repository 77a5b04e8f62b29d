// The one place passive changes leave the inventory: after their transaction committed, they go to
// the notification sink and to the live event stream (/api/scan/events, event "changes").
// A notification queue filled inside the committing transaction would replace the sink call here.
import type { Change } from "../inventory/observation.ts";
import { log } from "../log.ts";
import type { ScanManager } from "../scans/manager.ts";
import type { NotifySink } from "./sink.ts";

export function passiveAnnouncer(sink: NotifySink, scans: ScanManager): (changes: Change[], iface: string) => void {
  return (changes, iface) => {
    scans.broadcast({ type: "changes", scan_id: null, changes });
    try {
      const pending = sink.publish(changes, { passive: true, interface: iface });
      if (pending) pending.catch((e) => log.warn("notification sink failed", { origin: "passive", error: String(e) }));
    } catch (e) {
      log.warn("notification sink failed", { origin: "passive", error: String(e) });
    }
  };
}
