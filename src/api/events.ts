// GET /api/events (SPEC §7 "Live events"): the event feed (events.ts) as Server-Sent Events.
// - `changes` (committed change records, at most CHANGES_PER_EVENT to an event), `device` ({id,
//   device}: the record as GET /api/devices lists it, null once forgotten), `scan` (progress and
//   finished, as /api/scan/events sends them) and `status` ({passive, schedule, sensors, sources, resync}).
// - Each feed event is serialised once, whoever listens, and kept in a small ring: a client that
//   reconnects with `Last-Event-ID` gets what it missed while the ring still holds it; otherwise its
//   first `status` says `resync: true` (reload the lists). Ids name this process's run, so an id from
//   before a restart is never mistaken for a recent one.
// - A client's buffer is bounded (CLIENT_BUFFER_BYTES): one that does not read is dropped, it never
//   makes the appliance hold more. A comment every KEEPALIVE_MS keeps quiet streams open.
// - Nothing more goes to a credential revoked or logged out meanwhile: the stream ends.
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import type { FeedEvent } from "../events.ts";
import { log } from "../log.ts";
import { authentication, requirePrincipal, stillAuthenticated, type Principal } from "./guard.ts";
import { passiveStatus } from "./passive.ts";
import { KEEPALIVE_MS } from "./scans.ts";
import { noQuery } from "./schemas.ts";

/** Bytes a client may have waiting; past them it is dropped. */
export const CLIENT_BUFFER_BYTES = 1 << 20;
/** What the ring keeps for reconnecting clients (never more than one client may have waiting). */
const REPLAY_EVENTS = 1024;
const REPLAY_BYTES = CLIENT_BUFFER_BYTES / 2;
/** A big scan's changes go out in events of at most this many. */
const CHANGES_PER_EVENT = 100;

type Frame = { seq: number; bytes: Uint8Array };
type Client = { controller: ReadableStreamDefaultController<Uint8Array>; who: Principal; end: () => void };

const encoder = new TextEncoder();

/** The fan-out of the feed to every open /api/events stream, with the replay ring. */
class LiveEvents {
  /** Names this run in event ids: `<run>-<seq>`. */
  private readonly run = Date.now().toString(36);
  private seq = 0;
  private readonly ring: Frame[] = [];
  private ringBytes = 0;
  private readonly clients = new Set<Client>();

  constructor(private readonly ctx: AppContext) {
    ctx.feed.subscribe((e) => this.onEvent(e));
  }

  private onEvent(e: FeedEvent): void {
    switch (e.type) {
      case "changes":
        for (let i = 0; i < e.changes.length; i += CHANGES_PER_EVENT) {
          this.broadcast("changes", { scan_id: e.scan_id, changes: e.changes.slice(i, i + CHANGES_PER_EVENT) });
        }
        return;
      case "device":
        return this.broadcast("device", { id: e.id, device: e.device });
      case "scan":
        if (e.scan.type === "closing") {
          for (const c of [...this.clients]) c.end();
          return;
        }
        return this.broadcast("scan", e.scan);
      case "status":
        return this.broadcast("status", this.status(false));
      case "config":
        // Not a live event: the configuration holds secrets, and what it changes shows in `status`.
        return;
    }
  }

  status(resync: boolean) {
    return { passive: passiveStatus(this.ctx), schedule: this.ctx.scheduler.entries(), sensors: this.ctx.segments.hub?.sensors() ?? [], sources: this.ctx.sources.list(), resync };
  }

  private broadcast(event: string, data: unknown): void {
    const seq = ++this.seq;
    const bytes = encoder.encode(`id: ${this.run}-${seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    this.ring.push({ seq, bytes });
    this.ringBytes += bytes.byteLength;
    while (this.ring.length > REPLAY_EVENTS || (this.ringBytes > REPLAY_BYTES && this.ring.length > 1)) this.ringBytes -= this.ring.shift()!.bytes.byteLength;
    for (const c of [...this.clients]) this.deliver(c, bytes);
  }

  /** Sends, unless the credential is gone (the stream ends) or the client is too far behind (dropped). */
  deliver(c: Client, bytes: Uint8Array): void {
    if (!stillAuthenticated(this.ctx, c.who)) return c.end();
    // desiredSize is what the buffer still takes (the stream counts bytes, see open()).
    if ((c.controller.desiredSize ?? 0) < bytes.byteLength) {
      this.ctx.feedMetrics.droppedClients++;
      log.info("live event client dropped: it does not read", { buffered_bytes: CLIENT_BUFFER_BYTES - (c.controller.desiredSize ?? 0) });
      try {
        // Discards what is queued for it at once: a slow reader holds no memory. (No reason given:
        // Bun would print it to stderr as an unhandled stream error.)
        c.controller.error();
      } catch {}
      this.forget(c);
      return;
    }
    c.controller.enqueue(bytes);
  }

  /** The frames after `lastEventId`, or null when they are not all in the ring (or the id is not ours). */
  missedSince(lastEventId: string | null): Frame[] | null {
    if (lastEventId === null) return [];
    const m = /^([0-9a-z]+)-(\d+)$/.exec(lastEventId);
    if (!m || m[1] !== this.run) return null;
    const seen = Number(m[2]);
    if (seen > this.seq) return null;
    if (seen === this.seq) return [];
    const first = this.ring[0]?.seq;
    if (first === undefined || first > seen + 1) return null;
    return this.ring.filter((f) => f.seq > seen);
  }

  open(who: Principal, lastEventId: string | null, signal: AbortSignal): Response {
    let client: Client | null = null;
    let keepalive: ReturnType<typeof setInterval> | undefined;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          const c: Client = {
            controller,
            who,
            end: () => {
              this.forget(c);
              clearInterval(keepalive);
              try {
                controller.close();
              } catch {}
            },
          };
          client = c;
          const missed = this.missedSince(lastEventId);
          controller.enqueue(encoder.encode(`retry: 3000\nevent: status\ndata: ${JSON.stringify(this.status(missed === null))}\n\n`));
          for (const f of missed ?? []) controller.enqueue(f.bytes);
          this.clients.add(c);
          this.ctx.feedMetrics.liveClients = this.clients.size;
          keepalive = setInterval(() => this.deliver(c, encoder.encode(": keepalive\n\n")), KEEPALIVE_MS);
          signal.addEventListener("abort", c.end);
        },
        cancel: () => {
          if (client) this.forget(client);
          clearInterval(keepalive);
        },
      },
      { highWaterMark: CLIENT_BUFFER_BYTES, size: (chunk) => chunk.byteLength },
    );
    return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" } });
  }

  private forget(c: Client): void {
    this.clients.delete(c);
    this.ctx.feedMetrics.liveClients = this.clients.size;
  }
}

export function eventRoutes(ctx: AppContext) {
  const live = new LiveEvents(ctx);
  return new Elysia({ name: "argus.events" })
    .use(authentication(ctx))
    .get("/api/events", ({ request, principal }) => live.open(requirePrincipal(principal), request.headers.get("last-event-id"), request.signal), {
      query: noQuery,
      detail: {
        summary: "Live events as Server-Sent Events: changes, devices, scans, status",
        tags: ["events"],
        responses: {
          200: {
            description:
              "An event stream. First `status` (`{passive, schedule, sensors, sources, resync}`: the passive watch as GET /api/passive, the schedule as GET /api/schedule, a hub's sensors as GET /api/sensors, the sources as GET /api/sources, sent again after each source run; `resync` true when the events since `Last-Event-ID` could not be replayed), then, each with an `id:`, " +
              "`changes` (`{scan_id, changes}`: committed change records, at most 100 an event), `device` (`{id, device}`: the record as GET /api/devices lists it, null once forgotten), " +
              "`scan` (`{type: \"progress\"|\"finished\", scan_id, …}` as /api/scan/events) and `status` again when the passive watch, the schedule or a hub's sensors (one heard first, one gone silent or back) change. " +
              "Send `Last-Event-ID` when reconnecting to receive what was missed. A comment every 15 s keeps it open. A client that does not read is disconnected; the stream ends when the credential is revoked.",
            content: {
              "text/event-stream": {
                schema: { type: "string" },
                example: 'retry: 3000\nevent: status\ndata: {"passive":{"listening":true,"interfaces":["eth0"]},"schedule":[],"sensors":[],"sources":[],"resync":false}\n\nid: m4x1k2-1\nevent: device\ndata: {"id":7,"device":{"id":7,"ip_address":"192.168.1.20"}}\n\n',
              },
            },
          },
        },
      },
    });
}
