// What the event feed carried and who listens live, for /metrics: counted from the start of the
// process (prom-client itself is loaded only when somebody scrapes).
import type { EventFeed, FeedEventType } from "../events.ts";

export class FeedMetrics {
  /** Events published, by type. */
  readonly published = new Map<FeedEventType, number>();
  /** Clients of GET /api/events connected now. */
  liveClients = 0;
  /** Clients of GET /api/events dropped because they did not read fast enough. */
  droppedClients = 0;

  constructor(feed: EventFeed) {
    feed.subscribe((e) => this.published.set(e.type, (this.published.get(e.type) ?? 0) + 1));
  }
}
