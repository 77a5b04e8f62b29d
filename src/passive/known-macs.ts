// The MACs the inventory knows, for the flood's early drop (watch.ts). During a flood nearly every
// frame is a new random MAC, and a SQL lookup per frame to tell it from a known device's was a third
// of the watch's cost. So the set is read when a flood first asks and again every `refreshMs` while
// it lasts; devices the feed announces meanwhile (a scan's, a source's, a sensor's, one the watch
// admitted) are added at once; and it is let go once no flood asked for it in 2 × `refreshMs`.
// A write that replaces the inventory without device events (a restored backup) calls invalidate().
// A MAC forgotten meanwhile may stay in the set until the next read: its frames then take the
// normal path and meet the flood gate, which is all the set decides. Its size is the inventory's.
import type { Database } from "bun:sqlite";
import type { EventFeed } from "../events.ts";

export const KNOWN_MACS_REFRESH_MS = 10_000;

export class KnownMacs {
  private macs: Set<string> | null = null;
  private readAt = 0;
  private askedAt = 0;
  private readonly off: () => void;

  constructor(
    private readonly db: Database,
    feed: EventFeed,
    private readonly refreshMs = KNOWN_MACS_REFRESH_MS,
    private readonly clock: () => number = Date.now,
  ) {
    this.off = feed.on("device", (e) => {
      if (this.macs === null || e.device === null) return;
      if (e.device.mac_address) this.macs.add(e.device.mac_address);
      for (const m of e.device.macs) this.macs.add(m.mac);
    });
  }

  has(mac: string): boolean {
    const now = this.clock();
    this.askedAt = now;
    if (this.macs === null || now - this.readAt >= this.refreshMs) this.read(now);
    return this.macs!.has(mac);
  }

  /** Whether the set is held now (for tests). */
  get held(): boolean {
    return this.macs !== null;
  }

  /** The inventory was replaced wholesale (a restore): read it again at the next question. */
  invalidate(): void {
    this.macs = null;
  }

  /** Lets the set go when no flood asked for it lately (the watch calls this on its refresh timer). */
  release(): void {
    if (this.macs !== null && this.clock() - this.askedAt >= 2 * this.refreshMs) this.macs = null;
  }

  close(): void {
    this.off();
    this.macs = null;
  }

  private read(now: number): void {
    const rows = this.db.query("SELECT mac_address FROM devices WHERE mac_address IS NOT NULL UNION SELECT mac FROM device_macs").values() as [string][];
    this.macs = new Set(rows.map((r) => r[0]));
    this.readAt = now;
  }
}
