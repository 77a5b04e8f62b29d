// The page's one connection to the appliance's live events (GET /api/events, Server-Sent Events),
// shared by whatever is on the page: the lists reload when something they show was committed, and a
// new device shows a toast wherever the owner is.
// - The browser reconnects by itself (after `retry`, also after an appliance restart) and sends the
//   last event id; when the appliance cannot replay what was missed (it restarted, or too much
//   happened) it says `resync`, and every listener hears "resync": reload everything.
// - A stream the appliance closed for good (an HTTP error: the session ended) is reopened once the
//   session is known to be valid; otherwise the API call leads to /login.
import { useEffect, useRef } from "preact/hooks";
import { deviceDisplayName } from "../../inventory/display-name.ts";
import { get } from "./api.ts";
import type { Device } from "./devices.ts";
import { humanize } from "./format.ts";
import { toast } from "./toast.ts";

export type LiveChange = { id: number; scan_id: number | null; device_id: number | null; device_ip: string | null; change_type: string; severity: string; description: string; detected_at: string };
export type LiveEvent =
  | { type: "changes"; data: { scan_id: number | null; changes: LiveChange[] } }
  | { type: "device"; data: { id: number; device: Device | null } }
  | { type: "scan"; data: { type: "progress" | "finished"; scan_id: number; [k: string]: unknown } }
  | { type: "status"; data: { passive: unknown; schedule: unknown; sensors?: unknown; sources?: unknown; resync: boolean } }
  /** What was missed could not be replayed (or may have been missed): reload what is shown. */
  | { type: "resync"; data: null };
export type LiveType = LiveEvent["type"];

const TYPES = ["changes", "device", "scan", "status"] as const;
const listeners = new Set<(e: LiveEvent) => void>();
let source: EventSource | null = null;
/** Whether this page has had a connection before (a reopening one may have missed events). */
let connectedBefore = false;
let heardId = false;

function dispatch(e: LiveEvent): void {
  for (const l of [...listeners]) l(e);
}

function open(): void {
  source = new EventSource("/api/events");
  heardId = false;
  source.addEventListener("open", () => {
    // A reconnect the browser made without an event id (none had arrived yet) cannot be replayed.
    if (connectedBefore && !heardId) dispatch({ type: "resync", data: null });
    connectedBefore = true;
  });
  for (const type of TYPES) {
    source.addEventListener(type, (m) => {
      const msg = m as MessageEvent<string>;
      if (msg.lastEventId) heardId = true;
      let data: any;
      try {
        data = JSON.parse(msg.data);
      } catch {
        return;
      }
      dispatch({ type, data } as LiveEvent);
      if (type === "status" && data.resync) dispatch({ type: "resync", data: null });
    });
  }
  source.addEventListener("error", () => {
    // A network error (the appliance restarting) leaves the stream CONNECTING: the browser retries.
    // CLOSED means the appliance refused it: ask who we are (a 401 leads to /login), then retry.
    if (source?.readyState !== EventSource.CLOSED) return;
    source = null;
    void get("/api/auth/me", { quiet: true }).then(
      () => setTimeout(open, 2000),
      () => setTimeout(open, 5000),
    );
  });
}

/** Every live event from now on; opens the page's stream on first use. Returns the unsubscribe. */
export function onLive(listener: (e: LiveEvent) => void): () => void {
  listeners.add(listener);
  if (!source) open();
  return () => listeners.delete(listener);
}

/**
 * Calls `reload` soon after an event `wants` and after a resync, at most once per `everyMs`: a burst
 * (a scan committing, a busy LAN's sightings) is one reload, and the last event is never left out.
 */
export function useLiveReload(wants: (e: LiveEvent) => boolean, reload: () => void, everyMs = 700): void {
  const latest = useRef({ wants, reload });
  latest.current = { wants, reload };
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const off = onLive((e) => {
      if (timer !== undefined || (e.type !== "resync" && !latest.current.wants(e))) return;
      // A short pause gathers what one commit sends (its changes, then its device records).
      const wait = Math.max(100, last + everyMs - Date.now());
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        latest.current.reload();
      }, wait);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, []);
}

/** The owner's name for a device: the label, else the host name, else vendor plus IP (src/inventory/display-name.ts). */
export const deviceName = (d: Pick<Device, "label" | "hostname" | "vendor" | "ip_address">): string => deviceDisplayName(d);

/** Past this many in one event (a first scan), one toast counts them instead. */
const TOASTS_PER_EVENT = 3;

/** "New device: kitchen-tablet (Android)", linking to the device, on every signed-in page. */
export function announceNewDevices(): void {
  const show = (d: Device) => toast(`New device: ${deviceName(d)} (${humanize(d.device_type)})`, "ok", 10_000, `/devices/${d.id}`);
  // The record follows its change on the stream (same commit): wait a moment for it, else ask.
  const waiting = new Map<number, ReturnType<typeof setTimeout>>();
  onLive((e) => {
    if (e.type === "device") {
      const timer = waiting.get(e.data.id);
      if (timer === undefined) return;
      clearTimeout(timer);
      waiting.delete(e.data.id);
      if (e.data.device) show(e.data.device);
      return;
    }
    if (e.type !== "changes") return;
    const added = e.data.changes.filter((c) => c.change_type === "device_added" && c.device_id !== null);
    if (added.length > TOASTS_PER_EVENT) return toast(`${added.length} new devices`, "ok", 10_000, "/devices?sort=-first_seen");
    for (const c of added) {
      const id = c.device_id!;
      clearTimeout(waiting.get(id));
      waiting.set(
        id,
        setTimeout(() => {
          waiting.delete(id);
          void get<Device>(`/api/devices/${id}`, { quiet: true }).then(show, () => {});
        }, 1000),
      );
    }
  });
}
