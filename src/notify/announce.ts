// The one place passive changes leave the inventory once their transaction committed (their
// notifications were queued inside it): to the live event stream (/api/scan/events, event "changes")
// and to the sink's publish, which wakes the sender and brings Home Assistant's view up to date.
import type { Change } from "../inventory/observation.ts";
import { log } from "../log.ts";
import type { ScanManager } from "../scans/manager.ts";
import type { NotifySink } from "./sink.ts";

export function passiveAnnouncer(sink: NotifySink, scans: ScanManager): (changes: Change[], iface: string) => void {
  return (changes, _iface) => {
    scans.broadcast({ type: "changes", scan_id: null, changes });
    try {
      const pending = sink.publish(changes, null);
      if (pending) pending.catch((e) => log.warn("notification sink failed", { origin: "passive", error: String(e) }));
    } catch (e) {
      log.warn("notification sink failed", { origin: "passive", error: String(e) });
    }
  };
}
