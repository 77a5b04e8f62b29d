// Which part of a segmented setup this appliance runs (config `role`), started with the server and
// stopped with it. The role and the broker are read at start: changing them takes a restart.
import type { Database } from "bun:sqlite";
import type { AppConfig } from "../config/app-config.ts";
import type { EventFeed } from "../events.ts";
import { log } from "../log.ts";
import type { NotifySink } from "../notify/sink.ts";
import { SegmentHub } from "./hub.ts";
import { SegmentSensor } from "./sensor.ts";
import { runScanCommand, type ScanCommand } from "./commands.ts";
import type { AuditLog } from "../audit/audit-log.ts";
import type { ResolvedConfig } from "../config/resolved.ts";
import type { ScanManager } from "../scans/manager.ts";
import { stampSegment } from "./stamp.ts";

export type Segments = { sensor: SegmentSensor | null; hub: SegmentHub | null };

/** `timing`: tests shorten the heartbeat and the silence check (ARGUS_SEGMENT_HEARTBEAT_MS, ARGUS_SEGMENT_CHECK_MS). */
/** What a sensor needs to run the hub's scan commands: the scan path of the API and the schedule. */
export type CommandContext = { config: () => ResolvedConfig; scans: Pick<ScanManager, "start">; audit: Pick<AuditLog, "record"> };

export function startSegments(
  db: Database,
  config: () => AppConfig,
  feed: EventFeed,
  sink: NotifySink,
  commands: CommandContext,
  timing: { heartbeatMs?: number; checkMs?: number } = {},
): Segments {
  const c = config();
  if (c.role === "standalone" || !c.hub.url) return { sensor: null, hub: null };
  const broker = { url: c.hub.url, username: c.hub.username, password: c.hub.password };
  if (c.role === "sensor") {
    stampSegment(db, c.segment!);
    const sensor = new SegmentSensor(db, { site: c.site!, segment: c.segment!, prefix: c.hub.topic_prefix, broker }, {
      heartbeatMs: timing.heartbeatMs,
      onScanCommand: (cmd: ScanCommand) => {
        const outcome = runScanCommand(commands, cmd);
        if (outcome.ok) log.info("scan started on the hub's command", { scan_id: outcome.scan_id, command_id: cmd.command_id });
        else log.warn("the hub's scan command was refused", { reason: outcome.reason, command_id: cmd.command_id });
      },
    });
    sensor.start(feed);
    log.info("segment sensor started", { site: c.site, segment: c.segment, topic_prefix: c.hub.topic_prefix });
    return { sensor, hub: null };
  }
  const hub = new SegmentHub(db, feed, sink, { prefix: c.hub.topic_prefix, broker, offlineAfterS: () => config().hub.offline_after_s, checkEveryMs: timing.checkMs });
  hub.start();
  log.info("segment hub started", { topic_prefix: c.hub.topic_prefix });
  return { sensor: null, hub };
}

export async function stopSegments(s: Segments): Promise<void> {
  await Promise.all([s.sensor?.stop(), s.hub?.stop()]);
}
